/// One recipient's delivery result as an email-sending service reports it in its event JSON (a webhook
/// payload, an API answer, an SNS notification), in the terms every provider shares. The provider had the
/// SMTP session with the receiving server; its event quotes that server's reply, which is what explains
/// the result. `ESPProviders` turns each provider's fields into this.
struct ESPEvent: Sendable {
    enum Kind: String, Sendable {
        /// The receiving server accepted the message.
        case delivered
        /// The receiving server refused it (or the provider gave up after retries).
        case bounced
        /// A temporary failure; the provider is still retrying.
        case deferred
        /// The provider did not send it at all (suppression list, its own policy).
        case dropped
        /// Delivered, and the recipient reported it as spam.
        case complained
    }

    var provider: String
    var kind: Kind
    /// A `dropped` event where the provider's own checks (spam or virus filter, quarantine, a hold) stopped
    /// this message, rather than the address being on its suppression list.
    var heldByService = false
    /// The provider's own words for the event: `Bounce (Permanent, General)`, `failed (permanent)`.
    var label: String
    var recipient: String?
    var sender: String?
    /// The receiving server's reply as the provider quotes it (`smtp; 550 5.1.1 ...`), prefix and all.
    var reply: String?
    /// A reply code the provider gives in its own field (Mailgun's `delivery-status.code`).
    var code: Int?
    /// An enhanced status code the provider gives in its own field.
    var status: String?
    var remoteHost: String?
    var remoteAddress: String?
    /// The provider could not reach a server for the domain at all (no MX, no address).
    var connectFailure: (ConnectFailure, detail: String)?
    var sendingAddress: String?
    var time: Double?
    /// The provider's time field as written (seconds, milliseconds, ISO 8601), read by the reader's clock.
    var stamp: JSONValue?
    var messageID: String?
    var subject: String?
    /// The provider's own classification and comments, shown as notes (`bounceSubType: Suppressed`).
    var details: [String] = []
    /// Byte offsets in the document: where the event starts and where its reply is.
    var offset: Int
    var replyOffset: Int?

    init(provider: String, kind: Kind, label: String, offset: Int) {
        self.provider = provider
        self.kind = kind
        self.label = label
        self.offset = offset
    }
}

extension ESPEvent {
    /// What the provider says this event means for the message, when it is more than the reply it quotes.
    func problem(quoting reply: EmbeddedReply?) -> ESPProblem? {
        switch kind {
        case .dropped: return heldByService ? .held : .suppressed
        case .complained: return .complaint
        case .bounced, .deferred: return reply == nil && connectFailure == nil ? .noReply : nil
        default: return nil
        }
    }

    /// The session the provider had with the receiving server, as far as the event tells it. Steps the event
    /// only implies (the greeting, MAIL and RCPT before a refusal at the end of the message) are inferred.
    func session(input: String, format: String, line: Int, replyLine: Int) -> Session {
        var b = SessionBuilder(input: input, format: format)
        let at = SourcePosition(input: input, line: line, time: time)
        let replyAt = SourcePosition(input: input, line: replyLine, time: time)
        let notShown = " (not shown in the event)"
        let quotedReply = self.quotedReply
        b.note("\(provider) event: \(label)" + (recipient.map { " for \($0)" } ?? ""), kind: .tool, at: at)
        for d in details.prefix(8) { b.note(d, kind: .tool, at: at) }
        if kind == .dropped {
            // Nothing went out: no connection to describe.
            if let reply { b.note(reply, kind: .error, at: replyAt) }
            return finish(b, quoting: quotedReply)
        }
        if remoteHost != nil || remoteAddress != nil {
            b.connecting(host: remoteHost, address: remoteAddress, port: nil, at: at)
        }
        if let (failure, detail) = connectFailure {
            b.connectFailed(failure, detail: detail, at: replyAt)
            return finish(b, quoting: quotedReply)
        }
        func send(_ line: String, _ reply: String?) {
            b.client(Array(line.utf8)[...], at: at, inferred: true)
            if let reply { b.server(Array(reply.utf8)[...], at: at, inferred: true) }
        }
        let mail = "MAIL FROM" + (sender.map { ":<\($0)>" } ?? "")
        let rcpt = "RCPT TO" + (recipient.map { ":<\($0)>" } ?? "")
        guard var quoted = quotedReply else {
            // No reply quoted: a delivery or a complaint still means the server took the message.
            if kind == .delivered || kind == .complained {
                b.server(Array("220\(notShown)".utf8)[...], at: at, inferred: true)
                send(mail, "250\(notShown)")
                send(rcpt, "250\(notShown)")
                send("DATA", "354\(notShown)")
                send(".", "250\(notShown)")
                b.client(Array("QUIT".utf8)[...], at: at, inferred: true)
            }
            return finish(b, quoting: nil)
        }
        b.server(Array("220\(notShown)".utf8)[...], at: at, inferred: true)
        var assumed = false
        if quoted.code == nil {
            quoted.code = assumedCode
            assumed = true
            if let status, quoted.enhanced == nil { quoted.lines[0] = "\(status) \(quoted.lines[0])" }
        }
        let code = quoted.code!
        // A positive reply answers the end of the message; a refusal whatever its words point to.
        let ok = "250\(notShown)"
        switch code < 400 ? "." : quoted.likelyVerb(code: code) {
        case nil: break
        case "MAIL FROM"?: send(mail, nil)
        case "RCPT TO"?: send(mail, ok); send(rcpt, nil)
        case "DATA"?: send(mail, ok); send(rcpt, ok); send("DATA", nil)
        case "."?: send(mail, ok); send(rcpt, ok); send("DATA", "354\(notShown)"); send(".", nil)
        case let verb?: send(verb, nil)   // AUTH, EHLO, STARTTLS: before any envelope
        }
        for l in quoted.wireLines(code: code) { b.server(Array(l.utf8)[...], at: replyAt) }
        if assumed {
            b.note("The event quotes the server's text without its reply code; \(code) is assumed from the event type.",
                   kind: .tool, at: replyAt)
        }
        return finish(b, quoting: quoted)
    }

    /// The reply the event quotes, without the `smtp;` a DSN puts before it (SES, Postmark, Mandrill).
    var quotedReply: EmbeddedReply? {
        var text = Substring(reply ?? "")
        for prefix in ["smtp;", "SMTP;", "smtp ;"] where text.hasPrefix(prefix) { text = text.dropFirst(prefix.count) }
        text = text.trimmingLeading()
        // Mailgun gives the code and the text apart: `550` and `5.1.1 The email account ...`.
        let given = code.flatMap { (200...599).contains($0) ? $0 : nil }
        guard !text.isEmpty || given != nil else { return nil }
        var r = text.isEmpty ? EmbeddedReply(code: given, lines: [""]) : EmbeddedReply.parse(text).first
        if r?.code == nil { r?.code = given }
        return r
    }

    /// The code of a reply quoted without one, from what the event type says.
    private var assumedCode: Int {
        let temporary = kind == .deferred || status?.hasPrefix("4") == true
        switch kind {
        case .delivered, .complained: return 250
        default: return temporary ? 450 : 550
        }
    }

    private func finish(_ b: SessionBuilder, quoting reply: EmbeddedReply?) -> Session {
        var b = b
        var s = b.finish()
        s.direction = .outbound
        s.attributes["esp-provider"] = provider
        s.attributes["esp-event"] = kind.rawValue
        if let p = problem(quoting: reply) { s.attributes["esp-problem"] = p.rawValue }
        if let sendingAddress {
            // The service's MTA was the SMTP client: its address is what a blocklist or the receiver's log names.
            s.client.address = sendingAddress
            s.attributes["esp-sending-ip"] = sendingAddress
        }
        return s
    }
}

/// What an event says beyond the server's reply. Raw values are the `esp-problem` session attribute.
public enum ESPProblem: String, Sendable, CaseIterable {
    /// The provider did not send the message: the address is on its suppression list, or its policy stopped it.
    case suppressed
    /// The provider did not send the message: its own checks (spam or virus filter, quarantine) stopped it.
    case held
    /// The recipient reported the message as spam (a feedback-loop complaint).
    case complaint
    /// A bounce or deferral without the receiving server's reply.
    case noReply = "no-reply"
}
