import TranscriptModel

/// Runs the knowledge base and the rule tables over a session.
public struct Explainer: Sendable {
    public var sessionRules: [SessionRule]
    /// The user's own rules (`--rules`) followed by the built-in reply rules.
    public var replyRules: [ReplyRule]
    public let userRules: [ReplyRule]

    public init(userRules: [ReplyRule] = [], sessionRules: [SessionRule] = SessionRules.table + DNSRules.table + DNSRecordRules.table + MessageRules.table + FilterRules.table + SpamFilterRules.table + HeaderRules.table + TLSReportRules.table + FeedbackRules.table + ClientErrorRules.table + ESPRules.table + AddressTestRules.table + ConfigRules.table,
                replyRules: [ReplyRule] = ReplyRules.table) {
        self.sessionRules = sessionRules
        self.userRules = userRules
        self.replyRules = userRules + replyRules
    }

    /// One reply without a session (`smtpexplain reply`): the knowledge base, with the user's rules on top.
    public func classify(_ q: ReplyQuery) -> ReplyClassification {
        var c = ReplyKnowledge.classify(q)
        guard !userRules.isEmpty else { return c }
        let pos = SourcePosition(input: "reply")
        let reply = Reply(code: q.code ?? 0, enhanced: q.enhanced, lines: [q.text], position: pos)
        let verb = q.command
        let command = verb.map { Command(verb: $0, argument: "", raw: $0, stage: CommandParser.stage(ofVerb: $0), position: pos) }
        let ex = Exchange(command: verb == "CONNECT" ? nil : command, reply: reply,
                          stage: verb == "CONNECT" ? .greeting : (command?.stage ?? .other))
        let ctx = ReplyContext(index: 0, exchange: ex, reply: reply, verb: verb, text: q.text.lowercased(), classification: c)
        guard let rule = userRules.first(where: { $0.matches(ctx) }) else { return c }
        c.ruleID = rule.id
        if let r = rule.reason { c.reason = r }
        if let s = rule.severity { c.severity = s }
        if let t = rule.title { c.title = t }
        if let e = rule.explanation { c.explanation = e }
        c.actions = rule.actions + c.actions.filter { !rule.actions.contains($0) }
        return c
    }

    /// Catch-all rows whose generic words give way to the knowledge base's specific ones.
    /// `disconnected` ("lost, no reason given") gives way to a finding that names the reason.
    static let catchAll: Set<String> = ["rcpt-rejected", "mail-rejected", "message-rejected", "greeting-refused",
                                        "command-refused", "blocklisted", "disconnected"]

    /// Findings that say themselves why a session has no end in the input; an incomplete session's summary
    /// is then just their title.
    static let tellWhyUnfinished: Set<String> = Set(["encrypted-outcome", "capture-one-sided", "starttls-failed", "mta-gave-up", "port-test-open"])
        .union(ClientErrorRules.ids).union(ESPRules.ids).union(TLSReportRules.ids)

    public func explain(_ session: Session) -> ExplainedSession {
        var findings: [Finding] = []
        var replies: [Int: ReplyExplanation] = [:]
        var sawFailure = false

        for (i, ex) in session.exchanges.enumerated() {
            guard let reply = ex.reply else { continue }
            let verb = Self.knowledgeVerb(ex)
            var explanation = ReplyExplanation(
                codeMeaning: ReplyKnowledge.codeMeaning(reply.code, command: verb),
                enhancedMeaning: reply.enhanced.flatMap { ReplyKnowledge.enhancedMeaning($0) },
                classification: nil,
                positive: reply.isPositive)
            if reply.isFailure {
                let c = ReplyKnowledge.classify(ReplyQuery(code: reply.code, enhanced: reply.enhanced,
                                                           text: reply.text, command: verb))
                explanation.classification = c
                // Knock-on "bad sequence" replies repeat an earlier refusal; they get a meaning, not a finding.
                if !(sawFailure && Verdict.isKnockOn(reply)) {
                    let ctx = ReplyContext(index: i, exchange: ex, reply: reply, verb: verb,
                                           text: reply.text.lowercased(), classification: c)
                    if let rule = replyRules.first(where: { $0.matches(ctx) }) {
                        add(finding(rule, ctx, session), to: &findings)
                    }
                }
                sawFailure = true
            }
            replies[i] = explanation
        }

        let facts = SessionFacts(session)
        for i in sessionRules.indices where facts.inScope(sessionRules[i].scope) {
            let rule = sessionRules[i]
            for hit in rule.detect(facts) {
                var text = rule.explanation
                if let d = hit.detail { text += " " + d }
                var actions = hit.actions
                if !hit.actionsReplaceRow { for a in rule.actions where !actions.contains(a) { actions.append(a) } }
                add(Finding(id: rule.id, severity: hit.severity ?? rule.severity, reason: hit.reason ?? rule.reason, title: hit.title ?? rule.title,
                            explanation: text, actions: Array(actions.prefix(6)), evidence: hit.evidence,
                            exchanges: hit.exchanges), to: &findings)
            }
        }

        findings = order(findings, session)
        var primary = primaryFinding(findings, session)
        // The attempt that ends an expired message: the message's fate explains more than this deferral.
        if let h = session.history, h.end?.outcome == .expired, session.outcome != .delivered,
           let gaveUp = findings.first(where: { $0.id == "message-gave-up" }) {
            primary = gaveUp
        }
        // A delivered session's reason is `delivered`; refused recipients along the way stay findings. A filter
        // that stopped the accepted message is the exception: that is why it did not arrive.
        let filtered = primary.map { FilterRules.stoppedIDs.contains($0.id) } ?? false
        let reason = session.outcome == .delivered && !filtered ? .delivered : primary?.reason
        var summary = session.isMessageStory && session.history != nil
            ? "" : VerdictSummary.sentence(session, primary: primary ?? routedAddress(session, findings))
        if let h = session.history {
            summary += (summary.isEmpty ? "" : " ") + "Message \(h.queueID): " + MessageStoryText.headline(h) + "."
        }
        return ExplainedSession(session: session, findings: findings, replies: replies,
                                primaryReason: reason, summary: summary)
    }

    /// The verb the knowledge base reads a reply against.
    static func knowledgeVerb(_ ex: Exchange) -> String? {
        guard let c = ex.command else { return ex.stage == .greeting ? "CONNECT" : nil }
        switch c.verb {
        case "AUTH-RESPONSE": return "AUTH"
        case ".": return "."
        default: return c.verb
        }
    }

    private func finding(_ rule: ReplyRule, _ ctx: ReplyContext, _ session: Session) -> Finding {
        let kb = ctx.classification
        let specific = !["undefined", "rejected", "onhold"].contains(kb.reason.rawValue) && !kb.ruleID.hasPrefix("code.")
            && !kb.ruleID.hasPrefix("class.")
        // Whose words the finding uses:
        // - the knowledge base's, when a stage's catch-all row meets a specific cause (its "check the
        //   address for typos" is wrong for a full mailbox) or a provider's reply meets a row that yields to it;
        // - the row's alone, when the row was written for this very cause (greylisting said twice, "wait" twice);
        // - otherwise the row's, with the knowledge base's specifics added.
        let catchAllGivesWay = Self.catchAll.contains(rule.id) && specific
        let providerSpeaks = rule.yieldsToProvider && kb.ruleID.hasPrefix("kb.")
        let sameCause = rule.reason != nil && rule.reason == kb.reason && !kb.ruleID.hasPrefix("kb.")
            && rule.explanation != nil && !rule.actions.isEmpty
        var title = rule.title ?? kb.title
        var explanation = rule.explanation ?? kb.explanation
        var actions = rule.actions
        if catchAllGivesWay || providerSpeaks {
            if providerSpeaks { title = kb.title } else if let t = rule.title { title = "\(t) — \(kb.title)" }
            explanation = kb.explanation
            if !kb.actions.isEmpty { actions = kb.actions }
        } else if !sameCause {
            if rule.explanation != nil, specific, kb.explanation != explanation { explanation += " " + kb.explanation }
            for a in kb.actions where !actions.contains(a) { actions.append(a) }
        }
        if let b = kb.blocklist {
            let check = "Look up \(b.listedAddress ?? "the sending IP") at \(b.lookupURL) and request removal once the cause is fixed."
            // Unless the knowledge base already gives a step to the same page.
            if !actions.contains(where: { $0.contains(b.lookupURL) }) { actions.insert(check, at: 0) }
        }
        var evidence: [Evidence] = []
        if let c = ctx.exchange.command { evidence.append(Evidence(position: c.position, text: c.raw)) }
        let r = ctx.reply
        evidence.append(Evidence(position: r.position,
                                 text: "\(r.code) \(r.enhanced.map { $0 + " " } ?? "")\(r.text)"))
        return Finding(id: rule.id, severity: rule.severity ?? kb.severity, reason: rule.reason ?? kb.reason,
                       title: title, explanation: explanation, actions: Array(actions.prefix(6)),
                       evidence: evidence, exchanges: [ctx.index], blocklist: kb.blocklist,
                       provider: kb.provider, reference: kb.reference)
    }

    /// One finding per (id, reason, title): repeated causes collect their evidence.
    private func add(_ f: Finding, to findings: inout [Finding]) {
        if let k = findings.firstIndex(where: { $0.id == f.id && $0.reason == f.reason && $0.title == f.title }) {
            findings[k].evidence.append(contentsOf: f.evidence.prefix(max(0, 50 - findings[k].evidence.count)))
            for e in f.exchanges where !findings[k].exchanges.contains(e) { findings[k].exchanges.append(e) }
        } else {
            findings.append(f)
        }
    }

    /// Findings about the exchange that decided the outcome come first, then by severity, then in order.
    private func order(_ findings: [Finding], _ session: Session) -> [Finding] {
        let decisive = session.decisiveExchange
        return findings.enumerated().sorted { a, b in
            let da = decisive.map { a.element.exchanges.contains($0) } ?? false
            let db = decisive.map { b.element.exchanges.contains($0) } ?? false
            if da != db { return da }
            if a.element.severity != b.element.severity { return a.element.severity > b.element.severity }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// An address test of a routable address has only an info finding: where it goes is the answer.
    private func routedAddress(_ session: Session, _ findings: [Finding]) -> Finding? {
        session.format == AddressTestReader.formatID ? findings.first { $0.id == "address-routed" } : nil
    }

    private func primaryFinding(_ findings: [Finding], _ session: Session) -> Finding? {
        if session.outcome == .delivered {
            // Why the recipient will not see it comes before other errors (a failed DMARC that sent it to Junk).
            return findings.first { $0.severity == .error && FilterRules.stoppedIDs.contains($0.id) }
                // A mailbox delivery that is retried is a warning, but still why the message is not there yet.
                ?? findings.first { $0.id == "mailbox-delivery-failed" }
                ?? findings.first { FilterRules.junkIDs.contains($0.id) } ?? findings.first { $0.severity == .error }
                ?? findings.first { TLSReportRules.ids.contains($0.id) && $0.severity == .warning }
                ?? findings.first { FeedbackRules.ids.contains($0.id) && $0.severity != .info }
        }
        // A cause named in a session rule (HELO name refused at RCPT) beats the catch-all of the stage.
        if let d = session.decisiveExchange {
            let about = findings.filter { $0.exchanges.contains(d) }
            if let specific = about.first(where: { !Self.catchAll.contains($0.id) }) { return specific }
            if let any = about.first { return any }
        }
        return findings.first { $0.severity == .error && !Self.catchAll.contains($0.id) }
            ?? findings.first { $0.severity == .error } ?? findings.first { $0.severity == .warning }
            ?? findings.first { Self.tellWhyUnfinished.contains($0.id) }
    }
}

/// The one-sentence verdict.
enum VerdictSummary {
    static func sentence(_ s: Session, primary: Finding?) -> String {
        let stage = s.failedStage.map { stageName($0) }
        let why = primary.map { ": " + $0.title } ?? ""
        switch s.outcome {
        case .delivered:
            let n = s.transactions.filter(\.delivered).count
            // A session that brought several messages: the one the filter or the failed delivery is about.
            let about = primary.flatMap { p -> String? in
                switch p.id {
                case "mailbox-delivery-failed", "delivered-to-junk": return s.attributes["mailbox-queue-id"]
                case "accepted-then-filtered": return s.attributes["filter-queue-id"] ?? s.attributes["mailbox-queue-id"]
                default: return nil
                }
            }
            let q = (about ?? s.transactions.first(where: \.delivered)?.queueID).map { " (queue id \($0))" } ?? ""
            // Accepted in SMTP, then stopped by a filter: the sentence must not read as a success.
            if let p = primary, FilterRules.junkIDs.contains(p.id) {
                return "\(p.title)\(q): the recipient may not see it."
            }
            if let p = primary, p.id == "mailbox-delivery-failed" {
                return "\(p.title)\(q)."
            }
            if let p = primary, FilterRules.stoppedIDs.contains(p.id) {
                return "\(p.title)\(q): SMTP reported success, so the sender gets no bounce from the dialogue."
            }
            // A complaint came back about a message that was delivered.
            if let p = primary, FeedbackRules.ids.contains(p.id) {
                return "Delivered, then: \(p.title.prefix(1).lowercased() + p.title.dropFirst())."
            }
            // A TLS report's sender delivered although TLS failed: delivered, but not as the policy asks.
            if let p = primary, TLSReportRules.ids.contains(p.id) {
                return "Delivered without the protection TLS should give: \(p.title)."
            }
            if s.format == TLSReportReader.formatID, let k = s.attributes["tlsrpt-sessions"] {
                return "Delivered over TLS: \(k) session\(k == "1" ? "" : "s") succeeded under \(s.attributes["tlsrpt-policy-type"].map { $0 == "tlsa" ? "DANE" : $0 == "sts" ? "MTA-STS" : "no policy" } ?? "no policy")."
            }
            return n == 1 ? "Delivered: the server accepted the message\(q)." : "Delivered: the server accepted \(n) messages."
        case .rejected:
            return "Rejected at \(stage ?? "an unknown step")\(why)."
        case .deferred:
            return "Deferred at \(stage ?? "an unknown step") (temporary, retry later)\(why)."
        case .disconnected:
            return "Disconnected at \(stage ?? "an unknown step")\(why)."
        case .incomplete:
            // The finding already says why the end is missing.
            if let p = primary, TLSReportRules.ids.contains(p.id), p.severity == .error {
                return "Not delivered on these sessions (the sender keeps the mail and retries): \(p.title)."
            }
            // The MTA's own stop has no dialogue to end: the primary finding says why (the stop, or the story it ended).
            if let p = primary, Explainer.tellWhyUnfinished.contains(p.id) || s.attributes["mta-reason"] != nil {
                return "Incomplete: \(p.title)."
            }
            // A delivery agent's failure with no SMTP session in the input (the log starts after it).
            if let p = primary, p.id == "mailbox-delivery-failed" {
                return (s.attributes["mailbox-status"] == "deferred" ? "Not delivered yet (the server retries): " : "Not delivered: ") + p.title + "."
            }
            if s.quitSent { return "Incomplete: the client quit before sending a message\(why)." }
            // A reader's own word that the input holds no session to tell (an empty mail queue, a webhook
            // batch of opens and clicks).
            if primary == nil, s.exchanges.isEmpty, s.connectFailure == nil, !s.connectAttempted,
               s.notes.allSatisfy({ $0.kind == .tool }), let n = s.notes.first {
                return "Nothing to explain: \(n.text)"
            }
            // A reader's word that part of the input could not be read (a broken attachment or document).
            if primary == nil, s.exchanges.isEmpty, s.connectFailure == nil, !s.connectAttempted, !s.notes.isEmpty,
               s.notes.allSatisfy({ $0.kind == .error }), let n = s.notes.first {
                return "Not read: \(n.text)"
            }
            // DNS answers alone (a pasted `dig`): no SMTP session was meant to be there.
            if s.isDNSAnswersOnly {
                return "DNS answers only, no SMTP session\(why)."
            }
            // A pasted configuration: what it sets up, before any SMTP.
            if s.configLabel != nil {
                return "Configuration only, no SMTP session\(why.isEmpty ? ": nothing in these settings stops mail" : why)."
            }
            // A report quoting a recipient accepted at RCPT and nothing after: Postfix's address verification
            // report (`sendmail -bv`), which probes the recipient and never sends a message.
            if s.format == "bounce", let last = s.exchanges.last, last.command?.verb == "RCPT",
               let r = last.reply, (200..<300).contains(r.code), primary == nil {
                return "Recipient accepted at RCPT TO: a delivery report that verified the address (no message was sent)."
            }
            // An MTA's routing test (`exim -bt`): it decides before any SMTP.
            if s.addressTestLabel != nil {
                return "Address test only, no SMTP session\(why)."
            }
            return "Incomplete: the input ends before the session does\(why)."
        case .unreachable:
            return "Unreachable: no SMTP connection was made\(why)."
        }
    }

    static func stageName(_ stage: Stage) -> String {
        switch stage {
        case .connect: return "connect"
        case .greeting: return "the greeting"
        case .helo: return "HELO/EHLO"
        case .starttls: return "STARTTLS"
        case .auth: return "AUTH"
        case .mail: return "MAIL FROM"
        case .rcpt: return "RCPT TO"
        case .data: return "DATA"
        case .message: return "end of message"
        case .quit: return "QUIT"
        case .other: return "another command"
        }
    }
}
