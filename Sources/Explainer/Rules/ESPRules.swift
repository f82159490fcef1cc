import TranscriptModel

/// What an email service's event says beyond the server's reply (the `esp-event` reader's `esp-problem`
/// attribute): one row per kind. Replies quoted in events go through the reply rules and the knowledge base
/// like any other reply.
public enum ESPRules {
    public static let table: [SessionRule] = [
        row(.suppressed, "esp-suppressed", .error, .suppressed,
            title: "The email service did not send the message: the address is on its suppression list",
            explanation: "No receiving server was contacted. Sending services keep a list of addresses that bounced hard, complained or unsubscribed before, and drop later messages to them to protect the account's reputation. The reason it was listed is in the earlier event for this address, not in this one.",
            actions: [
                "Find the first bounce or complaint for this address in the service's activity log: that reply says what was wrong.",
                "Remove the address from the suppression list only once it is fixed (Amazon SES: `aws sesv2 delete-suppressed-destination --email-address ADDRESS`; SendGrid, Mailgun, Postmark, SparkPost: the Suppressions or Bounces page of the account).",
                "If the recipient asked for the mail, have them confirm the address, and check that they did not unsubscribe.",
            ]),
        row(.complaint, "esp-complaint", .warning, .feedback,
            title: "The recipient marked the message as spam",
            explanation: "The message was delivered, and the recipient's mailbox provider reported back (a feedback loop) that the recipient flagged it as spam. Services stop sending to such addresses, and a complaint rate above about 0.1% to 0.3% gets a sender's mail filtered or its account paused.",
            actions: [
                "Stop sending to this address; keep it suppressed.",
                "Check how the address was collected (confirmed opt-in), and make unsubscribing easy (a `List-Unsubscribe` header with one-click unsubscribe).",
                "Watch the complaint rate in the provider's dashboard and in Google Postmaster Tools.",
            ]),
    ]

    /// Ids that say why a session from an event has no SMTP ending.
    static var ids: Set<String> { Set(table.map(\.id)) }

    private static func row(_ problem: ESPProblem, _ id: String, _ severity: Severity, _ reason: Reason,
                            title: String, explanation: String, actions: [String]) -> SessionRule {
        SessionRule(id, severity, reason, title: title, explanation: explanation, actions: actions) { f in
            guard f.session.attributes["esp-problem"] == problem.rawValue else { return [] }
            let lines = f.session.notes.prefix(4)
            let detail = f.session.attributes["esp-provider"].map { "Reported by \($0)." }
            return [RuleHit(evidence: lines.map { Evidence(position: $0.position, text: $0.text) }, detail: detail)]
        }
    }
}
