/// Python smtplib with `set_debuglevel(1)` or `(2)`: `send: 'ehlo x\r\n'` (a `str` repr, or `bytes` for the
/// message), `reply: b'250-...\r\n'` one per reply line, `reply: retcode (250); Msg: ...` and
/// `data: (354, ...)` summaries (skipped: the reply lines already said it), `connect: ...` lines.
/// Level 2 puts `HH:MM:SS.ffffff` in front of every line. The message is one `send:` holding the whole body.
struct SmtplibCore: DialectCore {
    static let formatID = "smtplib"
    static let summary = "Python smtplib set_debuglevel(1|2) output (`send: '...'`, `reply: b'...'`)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var hits = 0
        for l in lines {
            let t = body(l).0
            if Scan.hasPrefix(t, "send: '") || Scan.hasPrefix(t, "send: b'") || Scan.hasPrefix(t, "send: \"")
                || Scan.hasPrefix(t, "reply: b'") || Scan.hasPrefix(t, "reply: retcode (")
                || Scan.hasPrefix(t, "connect: to (") {
                hits += 1
            }
        }
        return hits >= 2 ? 0.97 : (hits == 1 ? 0.6 : 0)
    }

    /// The line without a level-2 timestamp, and the time.
    static func body(_ l: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Double?) {
        if let (secs, len) = Stamp.clock(l), len < l.count, l[l.startIndex + len] == Bytes.space {
            return (l.dropFirst(len + 1), secs)
        }
        return (l, nil)
    }

    private var slot: SessionSlot

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let (t, time) = Self.body(line)
        let pos = slot.position(number, time: time)
        if let r = Scan.after(t, "send: ") {
            if let bytes = PythonRepr.decode(r) {
                for l in PythonRepr.lines(bytes) { slot.builder.client(l, at: pos) }
            } else {
                slot.note(t, .unparsed, pos)
            }
            return
        }
        if let r = Scan.after(t, "reply: ") {
            if Scan.hasPrefix(r, "retcode (") { return }
            if let bytes = PythonRepr.decode(r) {
                for l in PythonRepr.lines(bytes) { slot.builder.server(l, at: pos) }
            } else {
                slot.note(t, .unparsed, pos)
            }
            return
        }
        if Scan.hasPrefix(t, "data: (") { return }
        if let r = Scan.after(t, "connect: ") {
            if let to = Scan.after(r, "to (") {
                // `connect: to ('127.0.0.1', 25) None`
                if slot.hasBegun { slot.rotate(emit: emit) }
                slot.note(t, .tool, pos)
                let parts = Bytes.string(to).split(separator: ",")
                let host = parts.first.map { $0.trimmingCharacters(in: ["'", "\"", " "]) }
                let port = parts.count > 1 ? Int(parts[1].prefix { $0 != ")" }.trimmingCharacters(in: .whitespaces)) : nil
                slot.builder.connecting(host: host, address: nil, port: port, at: pos)
            }
            return   // `connect: b'<greeting>'` repeats the greeting reply
        }
        let s = Bytes.trimmed(t)
        if s.isEmpty { return }
        // The exception the driver printed: `smtplib.SMTPServerDisconnected: ...`, `ConnectionRefusedError: ...`.
        if Scan.find(s, "SMTPServerDisconnected", limit: 80) != nil {
            slot.note(s, .error, pos)
            slot.builder.closed(by: .server, at: pos)
            return
        }
        // `ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] ...`, `ssl.SSLError: ...` raised by
        // starttls(): the handshake failed (the builder takes it only after a 220 to STARTTLS).
        if Scan.hasPrefix(s, "ssl.SSL") {
            slot.note(s, .error, pos)
            slot.builder.tlsFailed(at: pos)
            return
        }
        if slot.builder.session.exchanges.isEmpty, Scan.find(s, "Error", limit: 120) != nil,
           let f = SessionSlot.failure(in: s) {
            slot.builder.connectFailed(f, detail: Bytes.string(s), at: pos)
            return
        }
        if let f = s.first, f == 0x24 {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(s, .shell, pos)
            return
        }
        slot.note(s, Scan.find(s, "Error", limit: 120) != nil || Scan.find(s, "Exception", limit: 120) != nil
                  || Scan.hasPrefix(s, "Traceback") ? .error : .unparsed, pos)
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }
}

typealias SmtplibReader = Pasted<SmtplibCore>
