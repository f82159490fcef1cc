import TranscriptModel

/// What an email service's event says beyond the server's reply (the `esp-event` reader's `esp-problem`
/// attribute): one row per kind. Replies quoted in events go through the reply rules and the knowledge base
/// like any other reply.
public enum ESPRules {
    public static let table: [SessionRule] = SessionRule.scoped(rows, .espProblem)

    static let rows: [SessionRule] = [
        row(.suppressed, "esp-suppressed", .error, .suppressed,
            title: "The email service did not send the message: the address is on its suppression list",
            explanation: "No receiving server was contacted. Sending services keep a list of addresses that bounced hard, complained or unsubscribed before, and drop later messages to them to protect the account's reputation. The reason it was listed is in the earlier event for this address, not in this one.",
            actions: [
                "Find the first bounce or complaint for this address in the service's activity log: that reply says what was wrong.",
                "Remove the address from the suppression list only once it is fixed (Amazon SES: `aws sesv2 delete-suppressed-destination --email-address ADDRESS`; SendGrid, Mailgun, Postmark, SparkPost: the Suppressions or Bounces page of the account).",
                "If the recipient asked for the mail, have them confirm the address, and check that they did not unsubscribe.",
            ]),
        row(.held, "esp-held", .error, .policyviolation,
            title: "The email service did not send the message: its own checks stopped it",
            explanation: "No receiving server was contacted. The service's outbound filter held this message back (taken for spam or malware, quarantined, or held for review), so the problem is in the message or the account, not at the recipient.",
            actions: [
                "Read the reason in the event or in the message's entry in the service's activity log.",
                "Check the content: links to domains with a poor reputation, URL shorteners, attachments such as archives or macros, and text that looks like phishing.",
                "If the message is legitimate, ask the service's support to review it; look for a held or quarantined message that can be released.",
            ]),
        row(.complaint, "esp-complaint", .warning, .feedback,
            title: "The recipient marked the message as spam",
            explanation: "The message was delivered, and the recipient's mailbox provider reported back (a feedback loop) that the recipient flagged it as spam. Services stop sending to such addresses, and a complaint rate above about 0.1% to 0.3% gets a sender's mail filtered or its account paused.",
            actions: [
                "Stop sending to this address; keep it suppressed.",
                "Check how the address was collected (confirmed opt-in), and make unsubscribing easy (a `List-Unsubscribe` header with one-click unsubscribe).",
                "Watch the complaint rate in the provider's dashboard and in Google Postmaster Tools.",
            ]),
        row(.noReply, "esp-no-reply", .warning, .undefined,
            title: "The email service reports a failure without the receiving server's reply",
            explanation: "The event says the message was not delivered (or not yet), but quotes nothing the receiving server said, so the cause is only the service's own classification. Services do this when the server closed the connection or timed out, when DNS failed, or when they gave up after retrying.",
            actions: [
                "Open the message in the service's activity or event log: the delivery attempts there often show the last reply or the connection error.",
                "Check the recipient domain's MX records (`dig +short MX DOMAIN`) and whether its servers answer on port 25.",
                "If other recipients at the same domain also fail, ask the domain's admin whether they block the service's sending addresses.",
            ]),
    ]

    /// Ids that say why a session from an event has no SMTP ending.
    static var ids: Set<String> { Set(table.map(\.id)) }

    private static func row(_ problem: ESPProblem, _ id: String, _ severity: Severity, _ reason: Reason,
                            title: String, explanation: String, actions: [String]) -> SessionRule {
        SessionRule(id, severity, reason, when: "esp-problem", is: problem.rawValue, title: title,
                    explanation: explanation, actions: actions,
                    evidence: { Array($0.notes.prefix(4)) },
                    detail: { $0.attributes["esp-provider"].map { "Reported by \($0)." } })
    }
}
