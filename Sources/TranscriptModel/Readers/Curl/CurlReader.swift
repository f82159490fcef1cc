/// `curl -v smtp://...`: `> ` sent, `< ` received, `* ` curl's own information (connection, TLS handshake,
/// certificate), `{ [5 bytes data]` / `} [...]` transfer notes and the progress meter, which may be glued in
/// front of the `*   Trying` line. curl does not show the message it uploads, only its size.
struct CurlCore: DialectCore {
    static let formatID = "curl"
    static let summary = "curl -v smtp:// / smtps:// (`> ` sent, `< ` received, `* ` curl notes)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var sent = 0, recv = 0, info = 0
        for l in lines {
            if let r = Scan.after(l, "< "), ReplyLine.matches(r) { recv += 1 }
            if let r = Scan.after(l, "> "), Scan.startsWithVerb(r) { sent += 1 }
            if Scan.hasPrefix(l, "* ") || Scan.find(l, "*   Trying ", limit: 200) != nil
                || Scan.hasPrefix(l, "curl: (") || Scan.hasPrefix(l, "} [") || Scan.hasPrefix(l, "{ [") {
                info += 1
            }
        }
        if info >= 1 && (sent + recv) >= 2 { return 0.96 }
        // Only the dialogue copied, without curl's `*` lines: still unmistakably `> ` / `< ` marked.
        if sent >= 1 && recv >= 2 { return 0.75 }
        // A failed connection has no dialogue: curl's own `*   Trying` / `* Failed to connect` lines.
        if info >= 2 && Score.count(lines, { Scan.find($0, "*   Trying ", limit: 200) != nil }) > 0 { return 0.8 }
        if info >= 2 && Score.count(lines, { Scan.find($0, "smtp", limit: 300) != nil }) > 0 { return 0.6 }
        return 0
    }

    private var slot: SessionSlot
    private var sawReply = false
    private var lastAddressFailure: ConnectFailure?

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        if let r = Scan.after(line, "< ") {
            sawReply = true
            slot.builder.server(r, at: pos)
            return
        }
        if let r = Scan.after(line, "> ") {
            slot.builder.client(r, at: pos)
            return
        }
        let t = Bytes.trimmed(line)
        if t.isEmpty { return }
        if Scan.hasPrefix(t, "} [") || Scan.hasPrefix(t, "{ [") {
            // Upload of the message while in DATA: curl only prints its size.
            if slot.builder.isInData, Scan.hasPrefix(t, "} [") {
                slot.note(Array("message content sent (curl shows only its size: \(Bytes.string(t)))".utf8)[...], .tool, pos)
            }
            return
        }
        if let trying = Scan.find(t, "*   Trying ", limit: 200) {
            if slot.hasBegun { slot.rotate(emit: emit); sawReply = false }
            let target = t[(trying + 11)...]
            slot.note(t[trying...], .tool, pos)
            var s = Bytes.string(target)
            while s.hasSuffix(".") { s.removeLast() }
            let (host, port) = Scan.hostPort(s)
            slot.builder.connecting(host: nil, address: host, port: port, at: pos)
            return
        }
        if let info = Scan.after(t, "* ") ?? (t.elementsEqual("*".utf8) ? t.dropFirst() : nil) {
            curlInfo(Bytes.trimmed(info), t, pos)
            return
        }
        if let e = Scan.after(t, "curl: (") {
            if !sawReply, slot.builder.session.exchanges.isEmpty, let f = SessionSlot.failure(in: e) {
                slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
            } else {
                slot.note(t, .error, pos)
            }
            return
        }
        if isProgress(t) { return }
        if let f = t.first, f == 0x24, Bytes.contains(t, lowercased: "curl") {
            if slot.hasBegun { slot.rotate(emit: emit); sawReply = false }
            slot.note(t, .shell, pos)
            return
        }
        slot.note(t, .unparsed, pos)
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }

    private mutating func curlInfo(_ info: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>, _ pos: SourcePosition) {
        if let c = Scan.after(info, "Connected to ") {
            // `Connected to 127.0.0.1 (127.0.0.1) port 25 (#0)`
            slot.note(t, .tool, pos)
            let words = Bytes.string(c).split(separator: " ")
            var port: Int?
            if let p = words.firstIndex(of: "port"), p + 1 < words.count { port = Int(words[p + 1]) }
            let addr = words.count > 1 ? String(words[1]).trimmingCharacters(in: ["(", ")"]) : nil
            slot.builder.connected(address: addr, port: port, at: pos)
            if slot.builder.server.host == nil, let h = words.first { slot.builder.server.host = String(h) }
            return
        }
        if let v = Scan.after(info, "SSL connection using ") {
            // `TLSv1.3 / TLS_AES_256_GCM_SHA384`
            slot.note(t, .tls, pos)
            let parts = Bytes.string(v).components(separatedBy: " / ")
            let implicit = !sawReply
            slot.builder.tlsEstablished(TLSFacts(version: parts.first, cipher: parts.count > 1 ? parts[1] : nil,
                                                 implicit: implicit), at: pos)
            return
        }
        if let v = Scan.after(info, "subject: ") {
            slot.note(t, .tls, pos)
            slot.builder.tlsEstablished(TLSFacts(subject: Bytes.string(v)), at: pos)
            return
        }
        if let v = Scan.after(info, "issuer: ") {
            slot.note(t, .tls, pos)
            slot.builder.tlsEstablished(TLSFacts(issuer: Bytes.string(v)), at: pos)
            return
        }
        if let v = Scan.after(info, "SSL certificate verify result: ") ?? Scan.after(info, "SSL certificate verify ok") {
            slot.note(t, .tls, pos)
            slot.builder.tlsEstablished(TLSFacts(verify: v.isEmpty ? "ok" : Bytes.string(v)), at: pos)
            return
        }
        // The handshake after `220` to STARTTLS failed: curl closes the connection.
        if Scan.hasPrefix(info, "SSL certificate problem") || Scan.hasPrefix(info, "OpenSSL SSL_connect")
            || Scan.hasPrefix(info, "TLS connect error") {
            slot.note(t, .error, pos)
            slot.builder.tlsFailed(at: pos)
            return
        }
        if Scan.hasPrefix(info, "TLSv") || Scan.hasPrefix(info, "SSLv") || Scan.hasPrefix(info, "old SSL session")
            || Scan.hasPrefix(info, "CAfile") || Scan.hasPrefix(info, "CApath") || Scan.hasPrefix(info, "ALPN") {
            return   // handshake steps: the summary lines above carry what matters
        }
        if Scan.hasPrefix(info, "Closing connection") {
            slot.note(t, .tool, pos)
            slot.builder.closed(by: .client, at: pos)
            return
        }
        if slot.builder.session.connected != true, slot.builder.session.exchanges.isEmpty,
           Scan.hasPrefix(info, "Failed to connect"), SessionSlot.failure(in: info) == nil {
            // `Failed to connect to host port 25 after 0 ms: Couldn't connect to server`: the reason was
            // on the per-address line before.
            slot.builder.connectFailed(lastAddressFailure ?? .other, detail: Bytes.string(t), at: pos)
            return
        }
        if slot.builder.session.connected != true, slot.builder.session.exchanges.isEmpty,
           let f = SessionSlot.failure(in: info) {
            lastAddressFailure = f
            // `connect to ::1 port 25 ... failed`: one address of several; curl goes on with the next
            // (`Trying 127.0.0.1`). Only curl's final word (`Failed to connect to`, `curl: (7)`) decides.
            if Scan.hasPrefix(info, "Failed to connect") || Scan.hasPrefix(info, "Could not resolve")
                || Scan.hasPrefix(info, "Connection timed out") {
                slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
            } else {
                slot.note(t, .error, pos)
            }
            return
        }
        slot.note(t, Bytes.contains(info, lowercased: "failed") ? .error : .tool, pos)
    }

    /// curl's progress meter (`  0     0    0 ...`, `% Total ...`, `Dload Upload ...`).
    private func isProgress(_ t: ArraySlice<UInt8>) -> Bool {
        if Scan.hasPrefix(t, "% Total") || Scan.hasPrefix(t, "Dload") { return true }
        guard let f = t.first, Bytes.isDigit(f) else { return false }
        return Scan.find(t, "--:--:--") != nil || Scan.find(t, ":") != nil && t.count > 40
    }
}

typealias CurlReader = Pasted<CurlCore>
