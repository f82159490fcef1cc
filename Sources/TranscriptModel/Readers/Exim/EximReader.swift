/// Exim debug output. As a client (`exim -v`, `-d`): `SMTP<< ` replies (continuation lines indented without a
/// marker), `SMTP>> ` commands, `SMTP|> ` pipelined commands not yet flushed, `SMTP+> ` the last of a batch,
/// `SMTP(close)>>` / `SMTP(closed)<<` / `SMTP(Connection refused)<<` events, `Connecting to ...` per attempt,
/// `LOG:` lines and delivery results. As a server in host-checking mode (`exim -bh`): the dialogue is
/// unmarked and `>>> ` lines are ACL debug output, not client lines.
struct EximCore: DialectCore {
    static let formatID = "exim"
    static let summary = "Exim -v / -d debug output (`SMTP>>`, `SMTP<<`, `SMTP|>`, `SMTP+>`) and exim -bh sessions"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var smtp = 0, own = 0
        for l in lines {
            let t = Scan.dropLeadingBlanks(l)
            if Scan.hasPrefix(t, "SMTP<< ") || Scan.hasPrefix(t, "SMTP>> ") || Scan.hasPrefix(t, "SMTP|> ")
                || Scan.hasPrefix(t, "SMTP+> ") || Scan.hasPrefix(t, "SMTP(") { smtp += 1 }
            if Scan.hasPrefix(l, "**** SMTP testing session") { own += 3 }
            if Scan.hasPrefix(l, "LOG: MAIN") || Scan.hasPrefix(l, "Exim version ") || Scan.hasPrefix(l, "set_process_info:")
                || Scan.hasPrefix(l, "cmdlog: ") || (Scan.hasPrefix(l, "$ ") && Scan.find(l, "exim ") != nil) { own += 1 }
        }
        if smtp >= 2 || own >= 3 { return 0.97 }
        if smtp + own >= 2 { return 0.8 }
        return 0
    }

    private enum Mode { case unknown, client, hostCheck }
    private var slot: SessionSlot
    private var mode: Mode = .unknown
    private var lastWasReply = false
    private var logLines = 0

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        let t = Bytes.trimmed(line)
        if Scan.hasPrefix(t, "**** SMTP testing session") || (Scan.hasPrefix(t, "$ ") && Scan.find(t, " -bh") != nil) {
            if !slot.builder.session.exchanges.isEmpty { slot.rotate(emit: emit) }
            mode = .hostCheck
            slot.note(t, Scan.hasPrefix(t, "$") ? .shell : .tool, pos)
            if let ip = Scan.find(t, "from host ") { slot.builder.client.address = Bytes.string(t[(ip + 10)...]) }
            slot.builder.connected(address: nil, port: nil, at: pos)
            return
        }
        if mode == .hostCheck {
            hostCheck(line, t, pos)
            return
        }
        if let r = Scan.after(t, "SMTP<< ") {
            mode = .client
            lastWasReply = true
            slot.builder.server(r, at: pos)
            return
        }
        if lastWasReply, let f = line.first, Bytes.isBlank(f), ReplyLine.matches(t) {
            slot.builder.server(t, at: pos)
            return
        }
        lastWasReply = false
        if let r = Scan.after(t, "SMTP>> ") ?? Scan.after(t, "SMTP|> ") ?? Scan.after(t, "SMTP+> ") {
            mode = .client
            if slot.builder.isInData, r.first == 0x28 {   // `(writing message)`
                slot.note(r, .tool, pos)
                return
            }
            slot.builder.client(r, at: pos)
            return
        }
        if let ev = Scan.after(t, "SMTP(") {
            let what = ev.prefix { $0 != 0x29 }
            slot.note(t, .tool, pos)
            if what.elementsEqual("close".utf8) {
                slot.builder.closed(by: .client, at: pos)
            } else if what.elementsEqual("closed".utf8) {
                slot.builder.closed(by: .server, at: pos)
            } else if !what.elementsEqual("shutdown".utf8), let f = SessionSlot.failure(in: what) {
                if slot.builder.session.exchanges.isEmpty {
                    slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
                } else {
                    slot.builder.closed(by: .server, at: pos)
                }
            }
            return
        }
        if let c = Scan.after(t, "Connecting to ") {
            // `Connecting to 127.0.0.1 [127.0.0.1]:2525 ...  TFO mode ...`
            if slot.hasBegun { slot.rotate(emit: emit) }
            mode = .client
            slot.note(t, .tool, pos)
            let words = Bytes.string(c.prefix(200)).split(separator: " ")
            let host = words.first.map(String.init)
            var addr: String?, port: Int?
            if words.count > 1 {
                let (a, p) = Scan.hostPort(String(words[1]))
                addr = a.trimmingCharacters(in: ["[", "]"])
                port = p
            }
            slot.builder.connecting(host: host, address: addr, port: port, at: pos)
            return
        }
        if t.elementsEqual("connected".utf8) {
            slot.note(t, .tool, pos)
            slot.builder.connected(address: nil, port: nil, at: pos)
            return
        }
        // No connection made because of earlier failures (retry data): nothing was tried this time.
        if Scan.find(t, "retry time not reached for any host") != nil
            || Scan.hasPrefix(t, "all IP addresses skipped or deferred") {
            if slot.builder.session.exchanges.isEmpty, slot.builder.session.connectFailure == nil {
                slot.builder.connectFailed(.other, detail: Bytes.string(t), at: pos)
            } else {
                slot.note(t, .log, pos)
            }
            return
        }
        if Scan.hasPrefix(t, "LOG: ") { logLines = 4; slot.note(t, .log, pos); return }
        if logLines > 0, let f = line.first, Bytes.isBlank(f) {
            logLines -= 1
            slot.note(t, .log, pos)
            return
        }
        logLines = 0
        if Scan.hasPrefix(t, "cmdlog: ") || Scan.hasPrefix(t, "delivering ") || Scan.hasPrefix(t, "R: ")
            || Scan.hasPrefix(t, "T: ") || Scan.hasPrefix(t, "Transport port=") {
            slot.note(t, .tool, pos)
            return
        }
        if let f = t.first, f == 0x24 {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(t, .shell, pos)
            return
        }
        // The rest of -d output is internal tracing: not part of the explanation.
    }

    private mutating func hostCheck(_ line: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>, _ pos: SourcePosition) {
        if Scan.hasPrefix(t, ">>> ") || t.elementsEqual(">>>".utf8) { return }   // ACL tracing
        if Scan.hasPrefix(t, "LOG: ") || Scan.hasPrefix(t, "**** ") {
            slot.note(t, Scan.hasPrefix(t, "LOG: ") ? .log : .tool, pos)
            return
        }
        if t.isEmpty, !slot.builder.isInData { return }
        slot.builder.unmarked(line, at: pos)
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }
}

typealias EximReader = Pasted<EximCore>
