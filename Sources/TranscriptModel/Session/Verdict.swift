/// Decides a session's `outcome` and `failedStage` from its exchanges.
///
/// The decisive exchange is the first refusal that the client did not get past: a refusal is passed when the
/// same step later succeeded (a second AUTH that worked, MAIL retried with brackets) or, for RCPT, when another
/// recipient of the same transaction was accepted. Knock-on `503 bad sequence` replies after a refusal never
/// decide anything.
public enum Verdict {
    public static func decide(_ session: inout Session) {
        session.decisiveExchange = nil
        if session.transactions.contains(where: \.delivered) {
            session.outcome = .delivered
            session.failedStage = nil
            return
        }
        if session.connectFailure != nil && !session.exchanges.contains(where: { $0.reply != nil }) {
            session.outcome = .unreachable
            session.failedStage = .connect
            return
        }
        // What the client sent after a failed handshake reached a server still waiting for one: its replies
        // are knock-ons, and the session ended at STARTTLS.
        let refusal = decisiveRefusal(in: session)
        if let k = session.tlsFailedExchange, k < session.exchanges.count, refusal.map({ $0 > k }) ?? true {
            session.outcome = .disconnected
            session.failedStage = .starttls
            session.decisiveExchange = k
            return
        }
        if let i = refusal {
            let ex = session.exchanges[i]
            session.outcome = ex.reply!.code >= 500 ? .rejected : .deferred
            session.failedStage = ex.stage == .other ? nil : ex.stage
            session.decisiveExchange = i
            return
        }
        let unanswered = session.exchanges.firstIndex { $0.command != nil && $0.reply == nil }
        let serverClosed = session.closedBy != nil && session.closedBy != .client && !session.quitSent
        if serverClosed || (session.closedBy == .client && !session.quitSent && unanswered != nil) {
            session.outcome = .disconnected
            if let u = unanswered {
                session.failedStage = session.exchanges[u].stage == .other ? nil : session.exchanges[u].stage
                session.decisiveExchange = u
            } else if session.exchanges.isEmpty {
                session.failedStage = session.connected == true ? .greeting : .connect
            } else {
                session.failedStage = lastStage(session)
            }
            return
        }
        session.outcome = .incomplete
        if session.exchanges.isEmpty {
            session.failedStage = session.connectAttempted ? .connect : nil
        } else if unanswered == nil, let m = session.transactions.last?.message, !m.terminated,
                  !m.terminationInferred, !m.chunked {
            session.failedStage = .message
        } else if let u = unanswered, !session.quitSent {
            let s = session.exchanges[u].stage
            session.failedStage = s == .other ? nil : s
            session.decisiveExchange = u
        } else {
            session.failedStage = nil
        }
    }

    private static func lastStage(_ session: Session) -> Stage? {
        for ex in session.exchanges.reversed() where ex.stage != .other { return ex.stage }
        return nil
    }

    static func decisiveRefusal(in session: Session) -> Int? {
        let exchanges = session.exchanges
        var sawRefusal = false
        for (i, ex) in exchanges.enumerated() {
            guard let reply = ex.reply, reply.isFailure else { continue }
            let verb = ex.command?.verb
            // Probing commands do not end an attempt.
            if let verb, ["NOOP", "VRFY", "EXPN", "HELP", "RSET"].contains(verb) { continue }
            if sawRefusal, isKnockOn(reply) { continue }
            sawRefusal = true
            if ex.stage == .other && ex.command != nil {
                // An unknown or mistyped verb: decisive only if nothing came after it.
                if exchanges[(i + 1)...].contains(where: { $0.reply?.isPositive == true }) { continue }
            }
            if passed(i, in: session) { continue }
            return i
        }
        return nil
    }

    /// A `503`/`5.5.1` "bad sequence" is the consequence of an earlier refusal, not a cause.
    public static func isKnockOn(_ reply: Reply) -> Bool {
        reply.code == 503 || reply.enhanced == "5.5.1" || reply.text.lowercased().contains("no valid recipients")
    }

    private static func passed(_ i: Int, in session: Session) -> Bool {
        let ex = session.exchanges[i]
        let later = session.exchanges[(i + 1)...]
        switch ex.stage {
        case .rcpt:
            guard let t = ex.transaction else { return false }
            return session.transactions[t].recipients.contains { $0.accepted == true }
        case .greeting, .connect:
            return false
        case .mail:
            // Only a later MAIL of the same envelope gets past a refused one (not a bounce's MAIL FROM:<>);
            // one whose address did not even parse (a typing error) is got past by any accepted MAIL.
            let sender = ex.command?.address
            return later.contains { $0.stage == .mail && (sender == nil || $0.command?.address == sender) && $0.reply?.isPositive == true }
        case .other:
            return false
        default:
            return later.contains { $0.stage == ex.stage && $0.reply?.isPositive == true && $0.reply?.code != 334 }
        }
    }
}

extension Session {
    /// A session that only carries a reader's word on an input with nothing to rebuild (an empty queue, a
    /// listing without reasons, a webhook batch of opens): its verdict reads "Nothing to explain: ...".
    public static func nothingToExplain(_ why: String, input: String, format: String) -> Session {
        var b = SessionBuilder(input: input, format: format)
        b.note(why, kind: .tool, at: SourcePosition(input: input, line: 1))
        return b.finish()
    }
}
