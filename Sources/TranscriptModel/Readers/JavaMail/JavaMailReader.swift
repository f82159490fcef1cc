/// JavaMail / Jakarta Mail with `mail.debug=true`: `DEBUG:` and `DEBUG SMTP:` library lines, and the SMTP
/// dialogue itself unmarked in both directions (told apart like a telnet paste). Without `mail.debug.auth`
/// the AUTH exchange is hidden (`AUTH LOGIN command trace suppressed`); the AUTH command and its refusal are
/// then inferred from the library lines and the exception. Exceptions and stack traces are kept as notes.
struct JavaMailCore: DialectCore {
    static let formatID = "javamail"
    static let summary = "JavaMail / Jakarta Mail mail.debug output (`DEBUG SMTP:` lines, unmarked dialogue)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var hits = 0
        for l in lines {
            if Scan.hasPrefix(l, "DEBUG SMTP: ") { hits += 2 }
            if Scan.hasPrefix(l, "DEBUG: Jakarta Mail version") || Scan.hasPrefix(l, "DEBUG: JavaMail version")
                || Scan.hasPrefix(l, "DEBUG: getProvider()") { hits += 2 }
        }
        return hits >= 3 ? 0.97 : (hits >= 2 ? 0.8 : 0)
    }

    private var slot: SessionSlot
    private var authSuppressed = false
    private var inTrace = false

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        if slot.builder.isInData {
            slot.builder.unmarked(line, at: pos)
            return
        }
        let t = Bytes.trimmed(line)
        if let d = Scan.after(t, "DEBUG SMTP: ") {
            inTrace = false
            debugSMTP(d, t, pos, emit: emit)
            return
        }
        if Scan.hasPrefix(t, "DEBUG: ") || Scan.hasPrefix(t, "DEBUG ") {
            slot.note(t, .tool, pos)
            return
        }
        if t.isEmpty { return }
        if isTrace(line, t) {
            exception(t, pos)
            return
        }
        if inTrace, !ReplyLine.matches(t), !Scan.startsWithVerb(t) {
            slot.note(t, .error, pos)
            return
        }
        inTrace = false
        if slot.isOver || (slot.builder.session.quitSent && !ReplyLine.matches(t)) {
            slot.note(t, .tool, pos)     // the program's own output after the session (`Sent.`)
            return
        }
        if let f = t.first, f == 0x24 {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(t, .shell, pos)
            return
        }
        if !ReplyLine.matches(t), !Scan.startsWithVerb(t), slot.builder.awaitingReplies == 0,
           slot.builder.session.exchanges.isEmpty || !lastWasAuthChallenge {
            slot.note(t, .unparsed, pos)
            return
        }
        slot.builder.unmarked(line, at: pos)
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }

    private var lastWasAuthChallenge: Bool {
        slot.builder.session.exchanges.last?.reply?.code == 334
    }

    private func isTrace(_ line: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>) -> Bool {
        if Scan.hasPrefix(t, "at ") && Scan.find(t, "(") != nil { return true }
        if Scan.hasPrefix(t, "Caused by:") || Scan.hasPrefix(t, "nested") || Scan.hasPrefix(t, "Exception:")
            || Scan.hasPrefix(t, "... ") { return true }
        // `javax.mail.SendFailedException: ...`, `com.sun.mail.util.MailConnectException: ...`
        let head = t.prefix { $0 != 0x3A && $0 != Bytes.space }
        return head.count > 8 && Scan.find(head, "Exception") != nil && head.contains(0x2E)
    }

    private mutating func exception(_ t: ArraySlice<UInt8>, _ pos: SourcePosition) {
        inTrace = true
        // With the AUTH trace suppressed, the refusal only shows in the exception.
        if authSuppressed, let a = Scan.find(t, "AuthenticationFailedException: ") {
            let reply = Bytes.trimmed(t[(a + "AuthenticationFailedException: ".utf8.count)...])
            if ReplyLine.matches(reply) {
                slot.note(t, .error, pos)
                slot.builder.server(reply, at: pos, inferred: true)
                authSuppressed = false
                return
            }
        }
        if slot.builder.session.exchanges.isEmpty, slot.builder.session.connected != true,
           Scan.find(t, "ConnectException") != nil || Scan.find(t, "UnknownHostException") != nil
            || Scan.find(t, "SocketTimeoutException") != nil || Scan.find(t, "NoRouteToHostException") != nil {
            let f: ConnectFailure? = Scan.find(t, "UnknownHostException") != nil ? .nameNotResolved
                : Scan.find(t, "NoRouteToHost") != nil ? .noRoute
                : Scan.find(t, "SocketTimeoutException") != nil ? .timedOut
                : Bytes.contains(t, lowercased: "connection refused") ? .refused
                : Bytes.contains(t, lowercased: "timed out") ? .timedOut : nil
            if let f {
                slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
                return
            }
        }
        slot.note(t, .error, pos)
    }

    private mutating func debugSMTP(_ d: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>, _ pos: SourcePosition,
                                    emit: (Session) -> Void) {
        if let c = Scan.after(d, "trying to connect to host \"") {
            // `trying to connect to host "127.0.0.1", port 25, isSSL false`
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(t, .tool, pos)
            let host = Bytes.string(c.prefix { $0 != 0x22 })
            var port: Int?
            if let p = Scan.find(c, "port ") { port = Bytes.integer(c[(p + 5)...].prefix { Bytes.isDigit($0) }) }
            slot.builder.connecting(host: host, address: nil, port: port, at: pos)
            if Scan.find(c, "isSSL true") != nil { slot.builder.tlsEstablished(TLSFacts(implicit: true), at: pos) }
            return
        }
        if Scan.hasPrefix(d, "connected to host") {
            slot.note(t, .tool, pos)
            slot.builder.connected(address: nil, port: nil, at: pos)
            return
        }
        if Scan.hasPrefix(d, "Found extension") { return }   // repeats the EHLO reply
        if let m = Scan.find(d, " command trace suppressed") {
            // `AUTH LOGIN command trace suppressed`: the command was sent, its lines are hidden.
            slot.note(t, .tool, pos)
            slot.builder.client(d[d.startIndex..<m], at: pos, inferred: true)
            authSuppressed = true
            return
        }
        if authSuppressed, Scan.hasPrefix(d, "AUTH "), Scan.find(d, " succeeded") != nil {
            slot.note(t, .tool, pos)
            slot.builder.server(Array("235 authentication succeeded (trace suppressed)".utf8)[...], at: pos, inferred: true)
            authSuppressed = false
            return
        }
        if Scan.hasPrefix(d, "MessagingException") || Scan.hasPrefix(d, "Sending failed") { inTrace = true }
        slot.note(t, .tool, pos)
    }
}

typealias JavaMailReader = Pasted<JavaMailCore>
