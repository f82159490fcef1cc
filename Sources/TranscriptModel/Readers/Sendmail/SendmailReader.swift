/// `sendmail -v` and `mail -v`: client lines marked `>>> `, server replies bare, sendmail's own lines as
/// `recipient... Connecting to ...`, `... Sent (...)`, `... Deferred: ...`. When sendmail reuses the connection
/// for another envelope (a bounce: `Using cached ESMTP connection`), that delivery attempt is its own session,
/// so the first refusal of the original message is not hidden by the bounce's replies.
struct SendmailCore: DialectCore {
    static let formatID = "sendmail"
    static let summary = "sendmail -v / mail -v (`>>>` client lines, bare replies, delivery status lines)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var verbs = 0, other = 0, own = 0
        for l in lines {
            if let rest = Scan.after(l, ">>> ") {
                if Scan.startsWithVerb(rest) || rest.elementsEqual(".".utf8) { verbs += 1 } else { other += 1 }
            }
            if Scan.find(l, "... Connecting to ", limit: 200) != nil || Scan.find(l, "... Sent (", limit: 200) != nil
                || Scan.find(l, "... Deferred", limit: 200) != nil || Scan.find(l, "... Using cached", limit: 200) != nil {
                own += 1
            }
            if Scan.hasPrefix(l, "**** SMTP testing session") { return 0 }
        }
        if verbs >= 2 && verbs > other { return own > 0 ? 0.97 : 0.85 }
        if own >= 1 { return 0.8 }
        return 0
    }

    private var slot: SessionSlot

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        if let rest = Scan.after(line, ">>> ") {
            slot.builder.client(rest, at: pos)
            return
        }
        if !slot.builder.isInData, ReplyLine.matches(line) {
            slot.builder.server(line, at: pos)
            return
        }
        let t = Bytes.trimmed(line)
        if t.isEmpty { return }
        if let dots = Scan.find(t, "... ", limit: 300) {
            let what = t[(dots + 4)...]
            if Scan.hasPrefix(what, "Connecting to ") {
                if slot.hasBegun { slot.rotate(emit: emit) }
                slot.note(t, .tool, pos)
                // `Connecting to [127.0.0.1] port 2530 via relay...`
                let words = Bytes.string(what).split(separator: " ")
                let host = words.count > 2 ? String(words[2]).trimmingCharacters(in: ["[", "]"]) : nil
                var port: Int?
                if let p = words.firstIndex(of: "port"), p + 1 < words.count { port = Int(words[p + 1]) }
                slot.builder.connecting(host: host, address: nil, port: port, at: pos)
                return
            }
            if Scan.hasPrefix(what, "Using cached ") {
                // Another envelope on the same connection.
                if !slot.builder.session.exchanges.isEmpty {
                    let server = slot.builder.server
                    slot.rotate(emit: emit)
                    slot.builder.server = server
                    slot.builder.attributes["connection"] = "reused (sendmail's cached connection)"
                }
                slot.note(t, .tool, pos)
                return
            }
            if Scan.hasPrefix(what, "Deferred") || Scan.hasPrefix(what, "Connection refused")
                || Scan.hasPrefix(what, "Host unknown") {
                if slot.builder.session.exchanges.isEmpty, let f = SessionSlot.failure(in: what)
                    ?? (Scan.hasPrefix(what, "Host unknown") ? .nameNotResolved : nil) {
                    slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
                    return
                }
                slot.note(t, .error, pos)
                return
            }
            slot.note(t, .tool, pos)
            return
        }
        if slot.builder.isInData {
            slot.builder.client(line, at: pos)
            return
        }
        if Scan.hasPrefix(t, "Closing connection") {
            slot.note(t, .tool, pos)
            return
        }
        if let f = t.first, f == 0x24 || f == 0x23 {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(t, .shell, pos)
            return
        }
        slot.note(t, Bytes.contains(t, lowercased: "can't") || Bytes.contains(t, lowercased: "error") ? .error : .tool, pos)
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }
}

typealias SendmailReader = Pasted<SendmailCore>
