/// PHPMailer `SMTPDebug` 1-4: `YYYY-MM-DD HH:MM:SS<TAB>CLIENT -> SERVER: ...` / `SERVER -> CLIENT: ...`, the
/// continuation lines of a multi-line reply indented with no marker, level 3 `Connection: ...` lines, level 4
/// `SMTP INBOUND: "..."` raw copies (skipped: the `SERVER -> CLIENT` line repeats them), `SMTP ERROR: ...`.
/// The `html` debug output is decoded here: entities and `<br>` line ends, and reply lines glued together
/// (`250-a250-b250 c`) are split again.
struct PHPMailerCore: DialectCore {
    static let formatID = "phpmailer"
    static let summary = "PHPMailer SMTPDebug 1-4 output, plain or HTML (`CLIENT -> SERVER:`, `SERVER -> CLIENT:`)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var hits = 0, dialogue = 0
        for l in lines.prefix(200) {
            if Scan.find(l, "CLIENT -> SERVER:", limit: 60) != nil || Scan.find(l, "SERVER -> CLIENT:", limit: 60) != nil
                || Scan.find(l, "CLIENT -&gt; SERVER:", limit: 60) != nil
                || Scan.find(l, "SERVER -&gt; CLIENT:", limit: 60) != nil || Scan.find(l, "SMTP INBOUND: ", limit: 60) != nil {
                dialogue += 1
                hits += 1
            } else if Scan.find(l, "SMTP ERROR: Failed to connect to server", limit: 60) != nil {
                // Debug output of a connection that never opened: there is no dialogue to show.
                dialogue += 1
                hits += 1
            } else if Scan.find(l, "SMTP ERROR: ", limit: 60) != nil {
                hits += 1
            }
        }
        // Error lines alone (no debug dialogue) are PHPMailer's ErrorInfo: the client-error reader's.
        if dialogue == 0 { return hits > 0 ? 0.5 : 0 }
        return hits >= 2 ? 0.97 : 0.8
    }

    private enum Last { case none, server, client, other }
    private var slot: SessionSlot
    private var last: Last = .none

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if HTMLText.looksEscaped(line) || Scan.find(line, "&lt;") != nil {
            for l in HTMLText.decodeLines(line) where !Bytes.trimmed(l[...]).isEmpty {
                handle(l[...], number: number, emit: emit)
            }
            return
        }
        handle(line, number: number, emit: emit)
    }

    private mutating func handle(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        var t = line
        var time: Double?
        if let (secs, len) = Stamp.date(t) {
            time = secs
            t = Scan.dropLeadingBlanks(t.dropFirst(len))
        } else if let f = t.first, Bytes.isBlank(f) {
            // Continuation of the previous item (reply line, options array).
            let c = Bytes.trimmed(t)
            let pos = slot.position(number)
            if last == .server, ReplyLine.matches(c) { slot.builder.server(c, at: pos) }
            else if !c.isEmpty, last != .other { slot.note(c, .tool, pos) }
            return
        }
        let pos = slot.position(number, time: time)
        if let r = Scan.after(t, "SERVER -> CLIENT: ") ?? Scan.after(t, "SERVER -> CLIENT:") {
            last = .server
            for part in splitGlued(Bytes.trimmedTrailing(r)) { slot.builder.server(part, at: pos) }
            return
        }
        if let r = Scan.after(t, "CLIENT -> SERVER: ") ?? Scan.after(t, "CLIENT -> SERVER:") {
            last = .client
            slot.builder.client(Bytes.trimmedTrailing(r), at: pos)
            return
        }
        last = .other
        if Scan.hasPrefix(t, "SMTP INBOUND: ") { return }
        let s = Bytes.trimmed(t)
        if s.isEmpty { return }
        if let c = Scan.after(s, "Connection: opening to ") {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(s, .tool, pos)
            let target = Bytes.string(c.prefix { $0 != 0x2C })
            let (host, port) = Scan.hostPort(target)
            slot.builder.connecting(host: host, address: nil, port: port, at: pos)
            return
        }
        if Scan.hasPrefix(s, "Connection: opened") {
            slot.note(s, .tool, pos)
            slot.builder.connected(address: nil, port: nil, at: pos)
            return
        }
        if Scan.hasPrefix(s, "Connection: closed") {
            slot.note(s, .tool, pos)
            slot.builder.closed(by: .client, at: pos)
            return
        }
        if let e = Scan.after(s, "SMTP ERROR: ") ?? Scan.after(s, "SMTP Error: ") {
            if Scan.hasPrefix(e, "Failed to connect to server"), slot.builder.session.exchanges.isEmpty {
                slot.builder.connectFailed(SessionSlot.failure(in: e) ?? .other, detail: Bytes.string(s), at: pos)
                return
            }
            slot.note(s, .error, pos)
            // A reply PHPMailer did not echo (SMTPDebug 1 prints no server lines) is only in the error
            // (`RCPT TO command failed: 550 ...`); it stands in for the missing reply when it can only
            // belong to the one command waiting.
            if slot.builder.awaitingReplies == 1, let f = Scan.find(e, "command failed: ") {
                let reply = Bytes.trimmed(e[(f + "command failed: ".utf8.count)...])
                if ReplyLine.matches(reply) { slot.builder.server(reply, at: pos, inferred: true) }
            }
            return
        }
        if Scan.hasPrefix(s, "SMTP NOTICE: EOF caught") {
            slot.note(s, .error, pos)
            slot.builder.closed(by: .server, at: pos)
            return
        }
        if let f = s.first, f == 0x24 {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(s, .shell, pos)
            return
        }
        slot.note(s, Bytes.contains(s, lowercased: "error") ? .error : .tool, pos)
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }

    /// `250-mx.example.test250-PIPELINING250 CHUNKING` (HTML output drops the line ends): split before every
    /// repetition of the first line's code followed by `-` or a space.
    private func splitGlued(_ r: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        guard r.count > 8, let first = ReplyLine.parse(r), first.continues else { return [r] }
        let code = Array(r.prefix(3))
        var parts: [ArraySlice<UInt8>] = []
        var start = r.startIndex
        var i = r.startIndex + 4
        while i + 3 < r.endIndex {
            if r[i] == code[0], r[i + 1] == code[1], r[i + 2] == code[2], r[i + 3] == 0x2D || r[i + 3] == Bytes.space {
                parts.append(r[start..<i])
                start = i
                i += 4
                continue
            }
            i += 1
        }
        parts.append(r[start...])
        return parts
    }
}

typealias PHPMailerReader = Pasted<PHPMailerCore>
