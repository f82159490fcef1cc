import TranscriptModel

/// A message the server accepted (2xx after the data, so the sender counts it as delivered and gets no
/// bounce) that a filter then stopped: discarded, quarantined, held or bounced; and where the delivery agent
/// finally put it (Dovecot: the inbox, the Junk folder, another folder, forwarded). It comes from a reader's
/// `filter-*` attributes (Postfix DISCARD/HOLD, milters, amavis's `Blocked` lines) or from an accepted reply
/// that says so itself (amavis answering Postfix: `250 2.7.0 Ok, discarded, id=... - spam`).
public enum FilterRules {
    public static let table: [SessionRule] = [
        SessionRule("accepted-then-filtered", .error, .filtered,
                    title: "Accepted, then stopped by a filter",
                    explanation: "The server answered the end of the message with a 2xx, so the sending side counts it as delivered and no bounce comes back, but a filter behind it did not pass the message on to the mailbox. The recipient will not see it unless the filter kept it somewhere (a quarantine, the hold queue) and someone releases it.",
                    actions: []) { f in
            guard f.session.transactions.contains(where: \.delivered) else { return [] }
            if let v = FilterVerdict(attributes: f.session.attributes) {
                // The line that said so: the filter's words are part of it (Sieve's are Dovecot's own sentence).
                let key = v.by == "sieve" ? "to be discarded" : String(v.detail.prefix(60))
                let notes = f.session.notes.filter { !key.isEmpty && $0.text.contains(key) }.suffix(3)
                return [hit(v, f, exchanges: [], evidence: notes.map { Evidence(position: $0.position, text: $0.text) })]
            }
            guard let i = f.exchanges.lastIndex(where: { $0.stage == .message && $0.reply?.isPositive == true }),
                  let r = f.exchanges[i].reply, let v = FilterVerdict(acceptedReply: r.text) else { return [] }
            return [hit(v, f, exchanges: [i], evidence: f.evidence(i))]
        },
        SessionRule("mailbox-delivery-failed", .error, .mailererror,
                    title: "Accepted, then the delivery into the mailbox failed",
                    explanation: "The server took the message, but its last step, writing it into the recipient's mailbox (the MTA's local, virtual or pipe delivery, or Dovecot), failed.",
                    actions: [
                        "Read the delivery agent's log lines around this one for the cause it names, and fix it on the receiving server.",
                        "Once it is fixed, deferred mail goes out on the next retry (`postqueue -f` retries now); bounced mail must be sent again.",
                    ]) { f in
            // Where the session's own dialogue holds the refusal (Dovecot's LMTP reply), that reply tells it.
            guard let d = MailboxDelivery(attributes: f.session.attributes), d.action == .failed,
                  f.session.outcome == .delivered || f.session.exchanges.isEmpty else { return [] }
            return [mailboxFailure(d, f)]
        },
        SessionRule("delivered-to-junk", .warning, .spamdetected,
                    title: "Delivered, but into the Junk folder",
                    explanation: "The message reached the mailbox, but the delivery agent filed it in a spam folder (a spam filter's verdict, or a Sieve rule reading the filter's header), where the recipient may never look.",
                    actions: [
                        "Ask the recipient to look in that folder and mark the message as not spam.",
                        "Find what filed it: the spam headers in the delivered message (X-Spam-Status, X-Spam-Flag, X-Rspamd-Score) or the user's Sieve script (`doveadm sieve list -u USER`).",
                        "If you are the sender: check SPF, DKIM and DMARC pass for your domain and that the sending IP is on no blocklist, so filters score the mail lower.",
                    ]) { f in
            guard let d = MailboxDelivery(attributes: f.session.attributes), d.isJunkFolder else { return [] }
            return [mailboxHit(d, f, title: "Delivered into the '\(d.target)' folder of \(d.user)" + (d.bySieve ? " by a Sieve rule" : ""))]
        },
        SessionRule("delivered-to-folder", .info, .delivered,
                    title: "Filed in a folder other than the inbox",
                    explanation: "The message reached the mailbox, but a Sieve rule filed it in another folder than the inbox.",
                    actions: ["Ask the recipient to look in that folder; the user's Sieve script (`doveadm sieve list -u USER`) holds the rule."]) { f in
            guard let d = MailboxDelivery(attributes: f.session.attributes), d.action == .stored, !d.isJunkFolder,
                  d.target.uppercased() != "INBOX" else { return [] }
            return [mailboxHit(d, f, title: "Filed in the '\(d.target)' folder of \(d.user)" + (d.bySieve ? " by a Sieve rule" : ""))]
        },
        SessionRule("forwarded-by-sieve", .info, .delivered,
                    title: "Forwarded elsewhere by the recipient's Sieve rule",
                    explanation: "The recipient's Sieve script redirected the message to another address; whether it arrived there is that delivery's story (the next lines of the log, under a new queue id).",
                    actions: ["Follow the forwarded copy in the log (same Message-ID, a new queue id); forwarding often fails SPF at the next hop unless the forwarder rewrites the sender (SRS)."]) { f in
            guard let d = MailboxDelivery(attributes: f.session.attributes), d.action == .forwarded else { return [] }
            return [mailboxHit(d, f, title: "Forwarded to \(d.target) by the Sieve rule of \(d.user)")]
        },
        SessionRule("saved-to-mailbox", .info, .delivered,
                    title: "Saved in the recipient's inbox",
                    explanation: "The delivery agent (Dovecot) wrote the message into the mailbox: from here on, the mail client decides what the recipient sees.",
                    actions: []) { f in
            guard let d = MailboxDelivery(attributes: f.session.attributes), d.action == .stored, d.target.uppercased() == "INBOX" else { return [] }
            return [mailboxHit(d, f, title: "Saved in the INBOX of \(d.user)")]
        },
    ]

    static let ids: Set<String> = Set(table.map(\.id))
    /// Findings that say the accepted message did not reach the recipient's eyes: they make the verdict and reason.
    static let stoppedIDs: Set<String> = ["accepted-then-filtered", "delivered-to-junk", "spam-filter-tagged", "filed-as-spam",
                                          "mailbox-delivery-failed"]
    /// Warnings that a delivered message went (or will most likely go) to the Junk folder.
    static let junkIDs: Set<String> = ["delivered-to-junk", "spam-filter-tagged", "filed-as-spam"]

    /// A failed mailbox delivery, told in the knowledge base's words when it knows the agent's reason
    /// (`unknown user`, a full mailbox, `File too large`).
    private static func mailboxFailure(_ d: MailboxDelivery, _ f: SessionFacts) -> RuleHit {
        let dsn = d.dsn ?? f.session.attributes["dsn"]
        // Without a status code, the agent's words are read as a recipient's refusal: the server itself says the
        // mailbox does not exist, so "user unknown" is no filter in disguise.
        var c = ReplyKnowledge.classify(ReplyQuery(code: nil, enhanced: dsn, text: d.target, command: dsn == nil ? "RCPT" : nil))
        // Sendmail's sysexits words (`Service unavailable`) say less than the status code logged with them (5.2.2).
        let generic = c.ruleID == "text.systemerror" || !c.fromWords
        if generic, let dsn, !dsn.hasSuffix(".0") {
            let byCode = ReplyKnowledge.classify(ReplyQuery(code: nil, enhanced: dsn, text: "", command: nil))
            if byCode.ruleID.hasPrefix("enh."), byCode.reason != .systemerror, byCode.reason != .undefined { c = byCode }
        }
        let known = c.fromWords || c.ruleID.hasPrefix("enh.")
        let accepted = f.session.transactions.contains(where: \.delivered)
        let who = d.user.isEmpty ? "" : " to \(d.user)"
        var title = (accepted ? "Accepted, then delivery\(who) failed" : "Delivery\(who) failed")
        if known { title += ": " + c.title.prefix(1).lowercased() + c.title.dropFirst() }
        var detail = known ? c.explanation + " " : ""
        detail += "In the delivery agent's words (\(d.agent ?? "Dovecot")): \(d.target)" + (d.target.hasSuffix(".") ? "" : ".")
        switch d.status {
        case "bounced"?: detail += " The message was returned to its sender."
        case "deferred"?: detail += " The server keeps it queued and tries again until its queue lifetime ends."
        default: break
        }
        let key = String(d.target.prefix(60))
        let notes = f.session.notes.filter { !key.isEmpty && $0.text.contains(key) }.suffix(2)
        var hit = RuleHit(evidence: notes.map { Evidence(position: $0.position, text: $0.text) }, detail: detail, title: title,
                          reason: known ? c.reason : nil, actions: known ? c.actions : [],
                          severity: d.status == "deferred" ? .warning : nil)
        hit.actionsReplaceRow = known && !c.actions.isEmpty
        return hit
    }

    private static func mailboxHit(_ d: MailboxDelivery, _ f: SessionFacts, title: String) -> RuleHit {
        let notes = f.session.notes.filter { $0.text.contains("msgid=") && $0.text.contains("(" + d.user + ")") }.suffix(2)
        return RuleHit(evidence: notes.map { Evidence(position: $0.position, text: $0.text) }, title: title)
    }

    private static func hit(_ v: FilterVerdict, _ f: SessionFacts, exchanges: [Int], evidence: [Evidence]) -> RuleHit {
        RuleHit(exchanges: exchanges, evidence: evidence, detail: detail(v), title: title(v), reason: reason(v),
                actions: actions(v, queueID: f.session.attributes["queue-id"]?.split(separator: " ").first.map(String.init)))
    }

    /// `Accepted, then discarded as spam by amavis`.
    static func title(_ v: FilterVerdict) -> String {
        let did: String
        switch v.action {
        case .discard: did = "discarded"
        case .quarantine: did = "quarantined"
        case .hold: did = "put on hold"
        case .bounce: did = "bounced"
        case .blocked: did = "blocked"
        }
        let why: String
        switch v.category {
        case "spam": why = " as spam"
        case "virus": why = " as carrying a virus"
        case "banned": why = " for a banned attachment"
        case "bad-header": why = " for a malformed header"
        default: why = ""
        }
        let by: String
        switch v.by {
        case "amavis": by = " by amavis"
        case "milter": by = " by a milter"
        case "postfix": by = " by a Postfix rule"
        case "exim": by = v.detail.hasPrefix(":blackhole:") ? " by an Exim router (:blackhole:)" : " by an Exim ACL"
        case "sieve": by = " by the recipient's Sieve rule"
        default: by = " by the receiving side's filter"
        }
        return "Accepted, then \(did)\(why)\(by)"
    }

    static func reason(_ v: FilterVerdict) -> Reason {
        switch v.category {
        case "spam": return .spamdetected
        case "virus": return .virusdetected
        case "banned": return .policyviolation
        case "bad-header": return .contenterror
        default: return v.action == .hold ? .onhold : .filtered
        }
    }

    static func detail(_ v: FilterVerdict) -> String {
        var d = "The filter's words: \(v.detail)."
        if let s = v.score { d += " Spam score: \(s)." }
        switch v.action {
        case .bounce: d += " This filter returns the message to its sender, so a bounce naming the reason follows."
        case .hold: d += " Postfix keeps it in the hold queue, untouched, until it is released or deleted."
        default: break
        }
        return d
    }

    static func actions(_ v: FilterVerdict, queueID: String?) -> [String] {
        let q = queueID ?? "QUEUEID"
        var out: [String] = []
        if v.category == "virus" {
            out.append("Do not release it: tell the sender that their system or the file may be infected, and have them send a clean copy.")
        }
        switch v.action {
        case .hold:
            out.append("Look at it with `postcat -q \(q)`; release it with `postsuper -H \(q)`, or delete it with `postsuper -d \(q)`.")
        case .quarantine, .blocked, .discard:
            // amavis keeps a copy of what it discards when it names a quarantine (`{DiscardedInbound,Quarantined}`).
            if let id = v.quarantineID, v.category != "virus" {
                out.append("If it is wanted, release the quarantined copy: `amavisd-release \(id)`.")
            } else if v.action == .discard {
                out.append("A discarded message is gone: once the cause is fixed, the sender has to send it again.")
            } else if v.category != "virus" {
                out.append("If it is wanted, release it from the filter's quarantine (amavis: `amavisd-release` with the quarantine name from its log).")
            }
        case .bounce:
            out.append("Read the bounce the sender received: it names the test or the attachment that failed.")
        }
        switch v.by {
        case "postfix":
            out.append("Find the rule named in the log line (an access table entry, or a header_checks / body_checks pattern) and narrow it if it caught wanted mail.")
        case "exim":
            out.append(v.detail.hasPrefix(":blackhole:")
                       ? "Check the router or alias that sends this address to :blackhole: (`exim -bt ADDRESS` shows the route); remove it if the address should receive mail."
                       : "Find the `discard` verb in the ACL named (acl_smtp_rcpt or acl_smtp_data) and the condition that matched; narrow it if it caught wanted mail.")
        case "sieve":
            out.append("Read the user's Sieve script for the `discard` (`doveadm sieve list -u USER`, then `doveadm sieve get -u USER SCRIPT`).")
        case "milter":
            out.append("Look in the milter's own log (rspamd, OpenDKIM, MIMEDefang, ...) at the same time for the rule or score that asked for it.")
        default:
            out.append("Find the verdict in the filter's log by the message's id (amavis: its mail_id and the SpamAssassin tests with their scores) and allow-list the sender or tune the test if the message was wanted.")
        }
        return out
    }
}
