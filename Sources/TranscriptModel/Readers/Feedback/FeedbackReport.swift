/// One ARF report: the report's own header section (who sent it), its `message/feedback-report` fields,
/// and the reported message's header section when it is included.
struct FeedbackReport {
    let top: HeaderSection?
    let feedback: HeaderSection
    let original: HeaderSection?

    private func field(_ key: String) -> String? {
        guard let v = feedback.first(key)?.value.trimmingSpaces, !v.isEmpty else { return nil }
        return String(v.prefix(1_000))
    }

    private func originalField(_ key: String) -> String? {
        guard let v = original?.first(key)?.value.trimmingSpaces, !v.isEmpty else { return nil }
        return String(v.prefix(1_000))
    }

    /// Who sent the report: the domain of its From:, else the reporting MTA, else the generator.
    var reporter: String? {
        if let f = top?.first("from")?.value, f.contains("@") { return MessageHeaders.angle(f).mailDomain }
        if let m = field("reporting-mta") { return reportingHost(m) }
        return field("user-agent")
    }

    /// `dns; mail.example.com` → `mail.example.com`.
    private func reportingHost(_ v: String) -> String {
        let t = v.split(separator: ";", maxSplits: 1).last.map { String($0).trimmingSpaces } ?? v
        return t.isEmpty ? v : t
    }

    func session(input: String, format: String, line: Int) -> Session {
        let type = (field("feedback-type") ?? "").lowercased()
        let fbLine = feedback.first("feedback-type")?.firstLine ?? line
        let time = field("arrival-date").flatMap(MailDate.parse) ?? originalField("date").flatMap(MailDate.parse)
            ?? top?.first("date").flatMap { MailDate.parse($0.value) }
        let pos = SourcePosition(input: input, line: fbLine, time: time)
        let d = LogSessionDraft(input: input, format: format, direction: .outbound, start: pos, time: time ?? 0)
        let sourceIP = field("source-ip").flatMap { ReceivedHop.bareAddress($0) ?? $0 }
        let host = field("reporting-mta").map(reportingHost) ?? reporter
        d.client = Peer(address: sourceIP)
        d.server = Peer(host: host)

        var a: [String: String] = ["feedback-type": type]
        a["feedback-reporter"] = reporter
        a["feedback-agent"] = field("user-agent")
        a["feedback-incidents"] = field("incidents").flatMap { Int($0) }.map(String.init)
        a["feedback-reported-domain"] = field("reported-domain")?.lowercased()
        a["feedback-removal-recipient"] = field("removal-recipient").map(MessageHeaders.angle)
        a["feedback-delivery-result"] = field("delivery-result")?.lowercased()
        a["feedback-auth-failure"] = field("auth-failure")?.lowercased()
        a["feedback-identity-alignment"] = field("identity-alignment")?.lowercased()
        a["feedback-original-envelope-id"] = field("original-envelope-id")
        a["message-id"] = originalField("message-id").map(MessageHeaders.angle)
        a["subject"] = originalField("subject")
        a["feedback-source-ip"] = sourceIP
        let uris = feedback.all("reported-uri").prefix(3).map { $0.value.trimmingSpaces }.filter { !$0.isEmpty }
        if !uris.isEmpty { a["feedback-reported-uri"] = uris.joined(separator: " ") }

        // The receiver's verdicts, as the message-header reader records them (the report's own
        // Authentication-Results, or the one in the reported message's headers).
        var notes: [(Int, String)] = [(fbLine, "Feedback-Type: " + (field("feedback-type") ?? ""))]
        // The report's own results win over those in the reported message's headers.
        if let o = original { MessageHeaders(o).verdicts(into: &a, notes: &notes) }
        if feedback.first("authentication-results") != nil {
            var own: [String: String] = [:]
            MessageHeaders(feedback).verdicts(into: &own, notes: &notes)
            for (k, v) in own { a[k] = v }
        }
        if let from = originalField("from"), from.contains("@") { a["header-from-domain"] = MessageHeaders.angle(from).mailDomain }
        if a["header-from-domain"] == nil, let r = a["feedback-reported-domain"] { a["header-from-domain"] = r }
        if type == "auth-failure" { authFailure(into: &a) }
        for k in ["auth-failure", "delivery-result", "source-ip", "original-mail-from", "original-rcpt-to", "reported-domain", "incidents"] {
            if let f = feedback.first(k) { notes.append((f.firstLine, f.name + ": " + f.value)) }
        }
        for (k, v) in a where !v.isEmpty { d.attributes[k] = String(v.prefix(1_000)) }

        let who = reporter ?? "the receiver"
        var told = "\(who) reported "
        switch type {
        case "abuse": told += "a spam complaint"
        case "fraud": told += "a fraud (phishing) complaint"
        case "virus": told += "a virus complaint"
        case "not-spam": told += "a message a recipient marked as not spam"
        case "auth-failure": told += "an authentication failure" + (a["feedback-auth-failure"].map { " (\($0))" } ?? "")
        default: told += "feedback (\(type.isEmpty ? "no type" : type))"
        }
        if let ip = sourceIP { told += " about mail from \(ip)" }
        if let s = a["subject"] { told += ", subject \"\(s.prefix(120))\"" }
        if let n = a["feedback-incidents"], n != "1" { told += ", \(n) incidents" }
        d.note(told, pos)
        for (l, text) in notes.dropFirst().sorted(by: { $0.0 < $1.0 }) {
            d.note(String(text.prefix(2_000)), SourcePosition(input: input, line: l))
        }

        let sender = field("original-mail-from").map(MessageHeaders.angle) ?? originalField("return-path").map(MessageHeaders.angle)
            ?? originalField("from").map(MessageHeaders.angle) ?? "(sender not in the report)"
        let rcpts = feedback.all("original-rcpt-to").prefix(100).map { MessageHeaders.angle($0.value) }.filter { !$0.isEmpty }
        let to = rcpts.isEmpty ? [originalField("to").flatMap(MessageHeaders.loneAddress) ?? "(recipient at \(who))"] : Array(rcpts)
        let refused = a["feedback-delivery-result"] == "reject"
        let refusal = a["auth-dmarc"] == "fail" ? "550 5.7.1 Rejected by DMARC policy (reply not in the report)" : "550 5.7.1 Rejected (reply not in the report)"
        d.delivered(from: sender, to: to, reply: refused ? refusal : "250 2.0.0 (reply not in the report)", pos)
        d.steps.append(.closed(.unknown, pos))
        return d.finish()
    }

    /// RFC 6591's fields as the `auth-*` attributes the authentication rules read, where the report carries
    /// no Authentication-Results saying the same.
    private func authFailure(into a: inout [String: String]) {
        let failed = Set((a["feedback-auth-failure"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init))
        let domain = a["header-from-domain"]
        if failed.contains("dmarc") || a["feedback-identity-alignment"] != nil {
            if a["auth-dmarc"] == nil { a["auth-dmarc"] = "fail" }
            if a["auth-dmarc-domain"] == nil, let d = domain { a["auth-dmarc-domain"] = d }
        }
        if !failed.isDisjoint(with: ["bodyhash", "signature", "revoked"]), a["auth-dkim"] == nil {
            a["auth-dkim"] = "fail"
            if failed.contains("bodyhash") { a["auth-dkim-detail"] = "body hash did not verify" }
            if failed.contains("revoked") { a["auth-dkim-detail"] = "key revoked" }
        }
        if let k = field("dkim-domain"), a["auth-dkim-domain"] == nil { a["auth-dkim-domain"] = k.lowercased() }
        if failed.contains("spf"), a["auth-spf"] == nil { a["auth-spf"] = "fail" }
        if let ip = a["feedback-source-ip"], a["auth-spf-ip"] == nil { a["auth-spf-ip"] = ip }
        if let from = field("original-mail-from"), a["auth-spf-domain"] == nil { a["auth-spf-domain"] = MessageHeaders.angle(from).mailDomain }
        // What the receiver did with it.
        switch a["feedback-delivery-result"] {
        case "reject"?: a["auth-dmarc-disposition"] = a["auth-dmarc-disposition"] ?? "reject"
        case "spam"?: a["auth-dmarc-disposition"] = a["auth-dmarc-disposition"] ?? "quarantine"
        case "delivered"?: a["auth-dmarc-disposition"] = a["auth-dmarc-disposition"] ?? "none"
        default: break
        }
        if a["auth-by"] == nil, let r = reporter { a["auth-by"] = r }
    }
}
