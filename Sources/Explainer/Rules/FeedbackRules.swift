import TranscriptModel

/// What a feedback report (ARF) says about a message a recipient complained of: one row per complaint type,
/// read from the `feedback-report` reader's `feedback-type` attribute. Authentication-failure reports need
/// no row of their own: their `auth-*` attributes go through the header rules (`dmarc-failed`, ...).
public enum FeedbackRules {
    struct Row {
        let type: String
        let severity: Severity
        let reason: Reason
        let title: String
    }

    static let rows: [Row] = [
        Row(type: "abuse", severity: .warning, reason: .feedback, title: "A recipient reported this message as spam"),
        Row(type: "fraud", severity: .error, reason: .feedback, title: "A recipient reported this message as fraud or phishing"),
        Row(type: "virus", severity: .error, reason: .virusdetected, title: "A recipient reported this message as carrying a virus"),
        Row(type: "other", severity: .warning, reason: .feedback, title: "A recipient reported this message"),
        Row(type: "not-spam", severity: .info, reason: .delivered, title: "A recipient marked this message as not spam"),
    ]

    /// Steps for a complaint about mail the sender meant to send (abuse, other).
    static let complaintSteps = [
        "Stop mailing the complaining address now: treat the complaint as an unsubscribe (the feedback loop may hide the address; the report's message id or envelope id finds it).",
        "Check how the address got on the list (confirmed opt-in), and give every bulk message a one-click unsubscribe (`List-Unsubscribe` with `List-Unsubscribe-Post`, RFC 8058).",
        "Watch the complaint rate: Gmail and Yahoo ask bulk senders to stay under 0.3% of delivered mail (aim for under 0.1%); above it, mail is refused or goes to spam.",
    ]

    public static let table: [SessionRule] = SessionRule.scoped(rules, .feedback)

    static let rules: [SessionRule] = [
        SessionRule("complaint-received", .warning, .feedback,
                    title: "A recipient complained about this message",
                    explanation: "The receiver's feedback loop forwarded a recipient's complaint (the \"This is spam\" button, or a report of fraud or a virus). Complaints are the main measure receivers judge a sender's reputation by: many of them lead to mail being filtered to spam and then refused.",
                    actions: complaintSteps) { f in
            guard let type = f.session.attributes["feedback-type"], type != "auth-failure" else { return [] }
            let a = f.session.attributes
            let row = rows.first { $0.type == type } ?? rows[3]
            var title = row.title
            if let r = a["feedback-reporter"] { title += " (feedback loop of \(r))" }
            var detail: [String] = []
            if let ip = a["feedback-source-ip"] { detail.append("The message came from \(ip).") }
            if let s = a["subject"] { detail.append("Subject: \(s).") }
            if let u = a["feedback-reported-uri"] { detail.append("Links it reports: \(u).") }
            if let n = a["feedback-incidents"], let k = Int(n), k > 1 { detail.append("The report stands for \(k) complaints.") }
            if let agent = a["feedback-agent"] { detail.append("Report generator: \(agent).") }
            var steps: [String] = []
            switch type {
            case "fraud":
                steps = ["If you did not send it, someone sends as your domain: publish DMARC with `p=quarantine` or `p=reject` once your own mail passes, and have the phishing site taken down.",
                         "If you did send it, make it recognisable: your own domain in the From:, links to your own site, no request for passwords."]
            case "virus":
                steps = ["Scan the sending system and the attachment named in the report; if it was not yours, the sending address is compromised or spoofed.",
                         "Block the sending account or host until it is clean."]
            case "not-spam":
                steps = ["Nothing to fix for this message; many such reports mean the receiver's filter misjudges your mail: check authentication and the content of what lands in spam."]
            default:
                steps = []
            }
            if let removal = a["feedback-removal-recipient"] {
                steps.insert("Remove \(removal) from the list (the report asks for it).", at: 0)
            }
            var hit = RuleHit(evidence: f.session.notes.prefix(4).map { Evidence(position: $0.position, text: $0.text) },
                              detail: detail.isEmpty ? nil : detail.joined(separator: " "), title: title, reason: row.reason,
                              actions: steps, severity: row.severity)
            // Not-spam and fraud reports want other steps than a complaint about wanted mail.
            hit.actionsReplaceRow = type == "not-spam" || type == "fraud" || type == "virus"
            return [hit]
        },
        SessionRule("failure-report-source", .info, .authfailure,
                    title: "Is this sender yours?",
                    explanation: "A failure report names the address the failing message came from. If it is one of your servers or services, fix its SPF or DKIM as the other findings say. If it is not, someone sent mail as your domain and your DMARC policy did its job: nothing to fix, keep the policy strict.",
                    actions: []) { f in
            guard f.session.attributes["feedback-type"] == "auth-failure" else { return [] }
            let a = f.session.attributes
            let ip = a["feedback-source-ip"] ?? "the sending address"
            let domain = a["auth-dmarc-domain"] ?? a["header-from-domain"] ?? "your domain"
            return [RuleHit(evidence: f.session.notes.prefix(1).map { Evidence(position: $0.position, text: $0.text) },
                            title: "Is \(ip) one of \(domain)'s senders?",
                            actions: ["Look \(ip) up in your sending services' address lists and in `dig +short TXT \(domain)` (the SPF record): if it is in neither and you do not know it, treat the message as spoofing."])]
        },
    ]

    static let ids: Set<String> = Set(table.map(\.id))
}
