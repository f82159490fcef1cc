import TranscriptModel

/// Findings about a message's retry chain (MTA logs: `Session.history`). They read the whole story, not one
/// attempt: a message deferred again and again and then given up, delivered only after deferrals, or still
/// waiting when the log ends. The next steps come from what the deferral reply means.
public enum MessageRules {
    public static let table: [SessionRule] = [
        SessionRule("message-gave-up", .error, .expired,
                    title: "The message was deferred repeatedly, then given up",
                    explanation: "The sending MTA kept the message and retried after each temporary (4xx) refusal; the retries never succeeded and it finally returned the message to its sender (expired queue lifetime or retry timeout, or a permanent refusal at the last attempt).",
                    actions: [
                        "Fix the cause of the deferrals, then ask the sender to send the message again: a returned message is not retried.",
                        "To keep such messages longer, raise the queue lifetime (Postfix maximal_queue_lifetime, default 5d; Exim retry rules; Sendmail Timeout.queuereturn; Exchange message expiration).",
                    ]) { f in
            guard let h = f.session.history, h.deferrals > 0,
                  let end = h.end, end.outcome == .expired || end.outcome == .bounced || end.outcome == .partial else { return [] }
            let over = h.span.map { " over " + MessageStoryText.duration($0) } ?? ""
            let why = deferralMeaning(h)
            let title = "Gave up after \(h.deferrals) deferral\(h.deferrals == 1 ? "" : "s")\(over)"
                + (end.outcome == .expired ? " (expired)" : " (bounced)")
            return [RuleHit(exchanges: finalExchange(f), evidence: evidence(h), detail: story(h) + (why.detail ?? ""),
                            title: title, reason: end.outcome == .expired ? .expired : why.finalReason,
                            actions: why.actions)]
        },
        SessionRule("delivered-after-deferrals", .info, .delivered,
                    title: "Delivered, but only after deferrals",
                    explanation: "The receiving side refused the message temporarily at first; the sending MTA retried as it should and a later attempt was accepted. Each deferral delayed the message.",
                    actions: [
                        "Nothing is lost. If the delay matters, remove the cause of the deferrals or ask the receiver to allow-list the sender.",
                    ]) { f in
            guard let h = f.session.history, h.deferrals > 0, h.end?.outcome == .delivered else { return [] }
            let over = h.span.map { " after " + MessageStoryText.duration($0) } ?? ""
            let why = deferralMeaning(h)
            return [RuleHit(evidence: evidence(h), detail: story(h) + (why.detail ?? ""),
                            title: "Delivered\(over), after \(h.deferrals) deferral\(h.deferrals == 1 ? "" : "s")",
                            reason: why.reason, actions: why.actions)]
        },
        SessionRule("message-expired-unseen", .error, .expired,
                    title: "The message expired, but none of its delivery attempts are in this log",
                    explanation: "The sending MTA kept the message until its queue lifetime ran out and returned it to the sender. The attempts and the replies that kept it waiting are not in this input, so the reason is elsewhere.",
                    actions: [
                        "Read the non-delivery report the sender got back: it quotes the last error.",
                        "Fix that cause, then ask the sender to send the message again: a returned message is not retried.",
                    ]) { f in
            guard let h = f.session.history, h.deferrals == 0, h.attempts.isEmpty, h.end?.outcome == .expired else { return [] }
            let ev = h.end?.position.map { [Evidence(position: $0, text: "end: expired" + (h.end?.detail.map { " (\($0))" } ?? ""))] } ?? []
            return [RuleHit(evidence: ev, detail: "Queue id \(h.queueID).",
                            actions: ["Search the older (rotated) logs for the queue id: `zgrep \(h.queueID) /var/log/mail.log*` (or `maillog*`); the deferrals there say why."])]
        },
        SessionRule("message-still-deferred", .warning, .onhold,
                    title: "The message is still waiting in the queue",
                    explanation: "Every attempt so far was refused temporarily and the log ends (or stays quiet) before the message is delivered or returned. The MTA keeps retrying until its queue lifetime runs out.",
                    actions: [
                        "Look at the queue (`postqueue -p`, `exim -bp`, `mailq`) and at later logs for the rest of the story.",
                    ]) { f in
            guard let h = f.session.history, h.deferrals > 0, h.end?.outcome == .pending else { return [] }
            let over = h.span.map { " over " + MessageStoryText.duration($0) } ?? ""
            let why = deferralMeaning(h)
            return [RuleHit(exchanges: finalExchange(f), evidence: evidence(h), detail: story(h) + (why.detail ?? ""),
                            title: "Still deferred after \(h.deferrals) attempt\(h.deferrals == 1 ? "" : "s")\(over)",
                            reason: why.reason, actions: why.actions)]
        },
    ]

    /// The exchange that decided the session this story rides on, so the finding sits with it.
    static func finalExchange(_ f: SessionFacts) -> [Int] {
        f.session.decisiveExchange.map { [$0] } ?? []
    }

    static func story(_ h: MessageHistory) -> String {
        "Message \(h.queueID): \(MessageStoryText.headline(h))."
    }

    /// The first deferral, the last kept one, and the end.
    static func evidence(_ h: MessageHistory) -> [Evidence] {
        var out: [Evidence] = []
        var seen = Set<Int>()
        for a in [h.firstDeferral, h.lastDeferral, h.attempts.last].compactMap({ $0 }) {
            guard let p = a.position, seen.insert(a.number).inserted else { continue }
            out.append(Evidence(position: p, text: MessageStoryText.attempt(a)))
        }
        if let e = h.end, let p = e.position, !out.contains(where: { $0.position == p }) {
            out.append(Evidence(position: p, text: MessageStoryText.end(h)))
        }
        return out
    }

    /// What the deferral reply means (the knowledge base's reading), with its next steps.
    static func deferralMeaning(_ h: MessageHistory) -> (detail: String?, reason: Reason?, finalReason: Reason?, actions: [String]) {
        var finalReason: Reason?
        if let b = h.attempts.last(where: { $0.status == .bounced }), let r = b.reply {
            let c = ReplyKnowledge.classify(query(r, b.inReplyTo, dsn: b.dsn, deferred: false))
            finalReason = c.reason
        }
        guard let d = h.lastDeferral ?? h.firstDeferral, let reply = d.reply, !reply.isEmpty else {
            return (nil, nil, finalReason, [])
        }
        let c = ReplyKnowledge.classify(query(reply, d.inReplyTo, dsn: d.dsn, deferred: true))
        let title = c.title.prefix(1).lowercased() + c.title.dropFirst()
        let detail = " The deferrals mean: \(title). \(c.explanation)"
        return (detail, c.reason == .undefined ? nil : c.reason, finalReason, Array(c.actions.prefix(3)))
    }

    static func query(_ reply: String, _ inReplyTo: String?, dsn: String?, deferred: Bool) -> ReplyQuery {
        var q = ReplyQuery.parse(reply)
        // The log's DSN code stands in for a reply logged without one (Sendmail `dsn=5.1.1, stat=User unknown`).
        if q.enhanced == nil, let d = dsn, d.first == "4" || d.first == "5" { q.enhanced = d }
        if q.code == nil { q.code = (q.enhanced?.first ?? (deferred ? "4" : "5")) == "4" ? 451 : 550 }
        if q.command == nil, let w = inReplyTo?.uppercased() {
            if w.hasPrefix("RCPT") { q.command = "RCPT" }
            else if w.hasPrefix("MAIL") { q.command = "MAIL" }
            else if w.hasPrefix("END OF DATA") { q.command = "." }
            else if w.hasPrefix("DATA") { q.command = "DATA" }
            else if w.hasPrefix("EHLO") || w.hasPrefix("HELO") { q.command = "EHLO" }
            else if w.hasPrefix("GREETING") { q.command = "CONNECT" }
        }
        return q
    }
}
