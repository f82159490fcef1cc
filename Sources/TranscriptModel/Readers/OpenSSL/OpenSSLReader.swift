/// `openssl s_client -starttls smtp` / `-connect host:465`: the handshake report (certificate chain, verify
/// result, protocol and cipher) comes first and is kept as TLS facts; then the dialogue is unmarked, as in a
/// telnet paste. With `-starttls smtp` s_client has already sent EHLO and STARTTLS itself and prints only the
/// last line of the EHLO reply (`250 CHUNKING`); that line is shown as a note and the STARTTLS step is inferred.
struct OpenSSLCore: DialectCore {
    static let formatID = "openssl"
    static let summary = "openssl s_client session (handshake report, then an unmarked dialogue)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var hits = 0
        for l in lines {
            if Scan.hasPrefix(l, "CONNECTED(") { hits += 3 }
            if Scan.hasPrefix(l, "depth=") || Scan.hasPrefix(l, "verify return:") || Scan.hasPrefix(l, "verify error:")
                || Scan.hasPrefix(l, "Verify return code:") || Scan.hasPrefix(l, "SSL handshake has read")
                || Scan.hasPrefix(l, "Certificate chain") || Scan.hasPrefix(l, "read R BLOCK") {
                hits += 1
            }
            if Scan.hasPrefix(l, "$ ") || Scan.find(l, "$ openssl ", limit: 80) != nil,
               Scan.find(l, "s_client") != nil { hits += 2 }
        }
        if hits >= 3 { return 0.95 }
        if hits >= 2 { return 0.7 }
        return 0
    }

    private enum Phase { case before, handshake, dialogue, after }

    private var slot: SessionSlot
    private var phase: Phase = .before
    private var starttls = false
    private var facts = TLSFacts()
    private var inPEM = false
    private var inSessionBlock = false
    private var connectedAt: SourcePosition?

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        let t = Bytes.trimmed(line)
        // A new s_client command starts a new session.
        if Scan.find(t, "s_client", limit: 120) != nil, Scan.find(t, "openssl", limit: 120) != nil,
           !slot.builder.isInData {
            reportConnected()
            if slot.hasBegun || phase != .before { slot.rotate(emit: emit) }
            phase = .before
            facts = TLSFacts()
            starttls = Scan.find(t, "-starttls") != nil
            slot.note(t, .shell, pos)
            if let c = Scan.find(t, "-connect ") {
                let arg = t[(c + 9)...].prefix { $0 != Bytes.space }
                let (host, port) = Scan.hostPort(Bytes.string(arg))
                slot.builder.connecting(host: host, address: nil, port: port, at: pos)
            }
            if let c = Scan.find(t, "-servername ") {
                facts.serverName = Bytes.string(t[(c + 12)...].prefix { $0 != Bytes.space })
            }
            return
        }
        switch phase {
        case .after:
            if !t.isEmpty { slot.note(t, Scan.find(t, "command not found") != nil || Scan.hasPrefix(t, "$") ? .shell : .unparsed, pos) }
        case .before, .handshake:
            handshake(t, pos)
        case .dialogue:
            dialogue(line, t, pos)
        }
    }

    mutating func finish(emit: (Session) -> Void) {
        reportConnected()
        slot.rotate(emit: emit)
    }

    private mutating func handshake(_ t: ArraySlice<UInt8>, _ pos: SourcePosition) {
        if Scan.hasPrefix(t, "CONNECTED(") {
            phase = .handshake
            // Reported to the builder once the dialogue starts: with -starttls the inferred STARTTLS step
            // comes first, and a command on a connection without a greeting would read as a pregreet.
            connectedAt = pos
            slot.note(t, .tool, pos)
            return
        }
        if inPEM {
            if Scan.hasPrefix(t, "-----END") { inPEM = false }
            return
        }
        if Scan.hasPrefix(t, "-----BEGIN") { inPEM = true; return }
        if t.isEmpty { return }
        if let f = SessionSlot.failure(in: t), slot.builder.session.connected != true,
           Scan.find(t, "connect") != nil || Scan.find(t, "errno") != nil || Scan.find(t, "Connection") != nil {
            slot.builder.connectFailed(f, detail: Bytes.string(t), at: pos)
            phase = .after
            return
        }
        // Facts worth keeping.
        if let v = Scan.after(t, "verify error:") {
            facts.verify = facts.verify ?? Bytes.string(v)
        } else if let v = Scan.after(t, "Verify return code: ") {
            facts.verify = Bytes.string(v)
        } else if let v = Scan.after(t, "subject=") {
            facts.subject = Bytes.string(v)
        } else if let v = Scan.after(t, "issuer=") {
            facts.issuer = Bytes.string(v)
        } else if let v = Scan.after(t, "New, ") {
            // `New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384`
            let parts = Bytes.string(v).components(separatedBy: ", Cipher is ")
            facts.version = parts.first
            if parts.count > 1 { facts.cipher = parts[1] }
        } else if let v = Scan.after(t, "Protocol  : ") {
            facts.version = facts.version ?? Bytes.string(v)
        } else if let v = Scan.after(t, "Cipher    : ") {
            facts.cipher = facts.cipher ?? Bytes.string(v)
        }
        if Scan.hasPrefix(t, "SSL-Session:") { inSessionBlock = true }
        // Note the lines a reader of the explanation cares about; skip dumps.
        if Scan.hasPrefix(t, "depth=") || Scan.hasPrefix(t, "verify ") || Scan.hasPrefix(t, "Verify return code")
            || Scan.hasPrefix(t, "Verification") || Scan.hasPrefix(t, "subject=") || Scan.hasPrefix(t, "issuer=")
            || Scan.hasPrefix(t, "New, ") || Scan.hasPrefix(t, "Can't use") || Scan.find(t, ":error:") != nil {
            if !inSessionBlock { slot.note(t, .tls, pos) }
        }
        if Scan.hasPrefix(t, "read R BLOCK") {
            slot.note(t, .tool, pos)
            return
        }
        if ReplyLine.matches(t) {
            // The first reply after the handshake: s_client's own EHLO tail (STARTTLS mode) or the greeting.
            if let r = ReplyLine.parse(t), r.code == 220, !starttls {
                facts.implicit = true
                reportConnected()
                slot.builder.tlsEstablished(facts, at: pos)
                phase = .dialogue
                slot.builder.server(t, at: pos)
                return
            }
            starttls = true
            slot.note(t, .tool, pos)
            inferStartTLS(pos)
            phase = .dialogue
            inSessionBlock = false
            return
        }
    }

    /// s_client did EHLO and STARTTLS before it printed anything: show that step as inferred.
    private mutating func inferStartTLS(_ pos: SourcePosition) {
        slot.builder.client(Array("STARTTLS".utf8)[...], at: pos, inferred: true)
        slot.builder.server(Array("220 ready to start TLS (done by s_client before the dialogue)".utf8)[...],
                            at: pos, inferred: true)
        slot.builder.tlsEstablished(facts, at: pos)
        reportConnected()
    }

    private mutating func reportConnected() {
        if let p = connectedAt { slot.builder.connected(address: nil, port: nil, at: p) }
        connectedAt = nil
    }

    private mutating func dialogue(_ line: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>, _ pos: SourcePosition) {
        if !slot.builder.isInData {
            // Post-handshake session tickets arrive between dialogue lines.
            if inSessionBlock {
                if t.elementsEqual("---".utf8) || Scan.hasPrefix(t, "read R BLOCK") {
                    if Scan.hasPrefix(t, "read R BLOCK") { inSessionBlock = false; slot.note(t, .tool, pos) }
                    return
                }
                if Scan.hasPrefix(t, "Max Early Data") { return }
                if !ReplyLine.matches(t), !Scan.startsWithVerb(t) { return }
                inSessionBlock = false
            }
            if Scan.hasPrefix(t, "---") || Scan.hasPrefix(t, "Post-Handshake New Session Ticket")
                || Scan.hasPrefix(t, "SSL-Session:") {
                inSessionBlock = true
                return
            }
            if Scan.hasPrefix(t, "read R BLOCK") || Scan.hasPrefix(t, "read:errno") {
                slot.note(t, .tool, pos)
                return
            }
            if t.elementsEqual("RENEGOTIATING".utf8) {
                slot.note(t, .error, pos)
                slot.builder.attributes["s_client"] = "renegotiated"
                slot.note(Array("s_client took the typed line starting with R as its renegotiate command: the line was not sent. Type SMTP commands in lower case (rcpt to:) or start s_client with -ign_eof / -nocommands.".utf8)[...], .tool, pos)
                return
            }
            if Scan.find(t, ":error:") != nil {
                slot.note(t, .error, pos)
                slot.builder.closed(by: .client, at: pos)
                phase = .after
                return
            }
            if t.elementsEqual("closed".utf8) {
                slot.note(t, .tool, pos)
                slot.builder.closed(by: slot.builder.session.quitSent ? .client : .server, at: pos)
                phase = .after
                return
            }
            if t.elementsEqual("DONE".utf8) {
                slot.note(t, .tool, pos)
                slot.builder.closed(by: .client, at: pos)
                phase = .after
                return
            }
            if t.isEmpty, slot.builder.awaitingReplies == 0 { return }
        }
        slot.builder.unmarked(line, at: pos)
    }
}

typealias OpenSSLReader = Pasted<OpenSSLCore>
