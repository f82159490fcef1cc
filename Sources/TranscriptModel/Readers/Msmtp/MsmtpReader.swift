/// msmtp `--debug`: the configuration dump, `<-- ` server lines, `--> ` client lines (message included),
/// `TLS session parameters:` and the certificate block after STARTTLS, `msmtp: ...` errors and the log line
/// (`host=... smtpstatus=... exitcode=...`) at the end.
struct MsmtpCore: DialectCore {
    static let formatID = "msmtp"
    static let summary = "msmtp --debug output (`<-- ` server, `--> ` client)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var recv = 0, sent = 0, own = 0
        for l in lines {
            if Scan.hasPrefix(l, "<-- ") { recv += 1 }
            if Scan.hasPrefix(l, "--> ") || l.elementsEqual("-->".utf8) { sent += 1 }
            if Scan.hasPrefix(l, "msmtp: ") || Scan.hasPrefix(l, "loaded user configuration file")
                || Scan.hasPrefix(l, "tls_starttls = ") { own += 1 }
        }
        if recv >= 1 && sent >= 1 { return own > 0 ? 0.97 : 0.9 }
        return own >= 2 ? 0.6 : 0
    }

    private enum Block { case none, tlsParams, certificate(String?) }
    private var slot: SessionSlot
    private var block: Block = .none
    /// msmtp's `TLS ... failed` error, kept for the end: redirected to a file, stderr often lands before the
    /// dialogue it ends.
    private var tlsFailure: SourcePosition?

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        if let r = Scan.after(line, "<-- ") {
            block = .none
            slot.builder.server(r, at: pos)
            return
        }
        if let r = Scan.after(line, "--> ") ?? (line.elementsEqual("-->".utf8) ? line.dropFirst(3) : nil) {
            block = .none
            slot.builder.client(r, at: pos)
            return
        }
        let t = Bytes.trimmed(line)
        if t.isEmpty { return }
        if Scan.hasPrefix(t, "TLS session parameters:") { block = .tlsParams; slot.note(t, .tls, pos); return }
        if Scan.hasPrefix(t, "TLS certificate information:") { block = .certificate(nil); slot.note(t, .tls, pos); return }
        if let f = line.first, Bytes.isBlank(f) {
            switch block {
            case .tlsParams:
                // `(TLS1.3)-(ECDHE-SECP256R1)-(RSA-PSS-RSAE-SHA256)-(AES-256-GCM)`
                let parts = Bytes.string(t).split(separator: "-(").map { $0.trimmingCharacters(in: ["(", ")"]) }
                slot.builder.tlsEstablished(TLSFacts(version: parts.first, cipher: parts.dropFirst().joined(separator: "-")), at: pos)
                slot.note(t, .tls, pos)
            case .certificate(let field):
                let s = Bytes.string(t)
                if s.hasSuffix(":") { block = .certificate(String(s.dropLast())); return }
                if field == "Subject" { slot.builder.tlsEstablished(TLSFacts(subject: s), at: pos); slot.note(t, .tls, pos) }
                if field == "Issuer" { slot.builder.tlsEstablished(TLSFacts(issuer: s), at: pos); slot.note(t, .tls, pos) }
            case .none:
                break
            }
            return
        }
        block = .none
        if let e = Scan.after(t, "msmtp: ") {
            if slot.builder.session.exchanges.isEmpty, Scan.hasPrefix(e, "cannot connect") || Scan.hasPrefix(e, "cannot locate host"),
               let f = SessionSlot.failure(in: e) ?? (Scan.hasPrefix(e, "cannot locate") ? .nameNotResolved : nil) {
                slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
                return
            }
            slot.note(t, .error, pos)
            // `msmtp: TLS certificate verification failed: ...`, `msmtp: TLS handshake failed: ...`
            if Scan.hasPrefix(e, "TLS "), Scan.find(e, " failed", limit: 80) != nil { tlsFailure = pos }
            return
        }
        if Scan.find(t, " exitcode=") != nil || Scan.find(t, " smtpstatus=") != nil {
            slot.note(t, .log, pos)
            return
        }
        if let f = t.first, f == 0x24 {
            if slot.hasBegun { endSession(emit: emit) }
            slot.note(t, .shell, pos)
            return
        }
        // The configuration dump and other chatter before the dialogue: keep it quietly out of the transcript.
        if Scan.find(t, " = ") != nil, !slot.builder.session.connected.map({ $0 }).isTrue { return }
        slot.note(t, .tool, pos)
    }

    mutating func finish(emit: (Session) -> Void) { endSession(emit: emit) }

    private mutating func endSession(emit: (Session) -> Void) {
        // Taken only when the dialogue has a 220 to STARTTLS and no TLS after it.
        if let p = tlsFailure { slot.builder.tlsFailed(at: p) }
        tlsFailure = nil
        slot.rotate(emit: emit)
    }
}

private extension Optional where Wrapped == Bool {
    var isTrue: Bool { self == true }
}

typealias MsmtpReader = Pasted<MsmtpCore>
