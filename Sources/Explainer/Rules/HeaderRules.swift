import Foundation
import TranscriptModel

/// What a delivered message's headers say about how the receiver judged it, from the attributes the header
/// reader sets on the hop where the message entered the receiving side (`auth-*`: Authentication-Results and
/// Received-SPF; `ms-*`: Microsoft 365's anti-spam report) and on every hop (`hop-delay`, `received-with`,
/// `client-reverse-dns`). SpamAssassin's and Rspamd's header verdicts are the spam-filter rules' (`spam-*`).
public enum HeaderRules {
    public static let table: [SessionRule] = SessionRule.scoped(rows, .headers)

    static let rows: [SessionRule] = [
        SessionRule("filed-as-spam", .warning, .spamdetected,
                    title: "Delivered, but filed as spam",
                    explanation: "The receiver accepted the message but its verdict sends it to the Junk folder or to quarantine, where the recipient may never look.",
                    actions: ["Ask the recipient to look in Junk (and, at Microsoft 365, the admin in the quarantine) and to mark the message as not spam; an allow-list entry only hides the cause."]) { f in
            guard let hit = junkVerdict(f.session.attributes) else { return [] }
            return [RuleHit(evidence: notes(f, ["X-Forefront-Antispam-Report:", "X-MS-Exchange-Organization-SCL:", "Authentication-Results:"]),
                            detail: hit.detail, title: hit.title, reason: hit.reason, actions: hit.actions)]
        },
        SessionRule("dmarc-failed", .error, .authfailure,
                    title: "DMARC failed",
                    explanation: "DMARC passes only when SPF or DKIM passes for the domain in the From: address (or its parent domain: alignment). Neither did, so the receiver applied the policy that domain publishes: p=none only reports, p=quarantine sends the message to spam, p=reject refuses it.",
                    actions: [
                        "Check the DMARC aggregate reports (the rua= address in the domain's DMARC record) to find every server and service that sends as this domain before tightening the policy.",
                    ]) { f in
            let a = f.session.attributes
            guard let r = a["auth-dmarc"], ["fail", "permerror", "temperror"].contains(r) else { return [] }
            let domain = a["auth-dmarc-domain"] ?? a["header-from-domain"] ?? "the From: domain"
            let told = [a["auth-dmarc-policy"].map { "policy \($0)" }, a["auth-dmarc-disposition"].map { "applied: \($0)" }].compactMap { $0 }
            let policy = told.isEmpty ? "" : " (" + told.joined(separator: ", ") + ")"
            var steps = [
                "Sign with DKIM for \(domain) itself (d=\(domain)): a sending service needs its domain-authentication DNS records published under \(domain).",
                "Or align SPF: send with a Return-Path (envelope sender) in \(domain) and list the sending servers in that domain's SPF record.",
            ]
            if r == "permerror" { steps.insert("Fix the DMARC record at _dmarc.\(domain): it does not parse (one `v=DMARC1; p=...` TXT record).", at: 0) }
            var detail = alignment(a, domain: domain) ?? ""
            if let o = a["dmarc-override"] {
                detail += " The receiver did not apply the policy (\(o)): " + (overrides[o.split(separator: " ").first.map(String.init) ?? ""] ?? "its own reason") + "."
            }
            return [RuleHit(evidence: notes(f, ["Authentication-Results:"]), detail: detail.isEmpty ? nil : detail.trimmingCharacters(in: .whitespaces),
                            title: "DMARC \(r == "fail" ? "failed" : r) for \(domain)\(policy)\(reportCount(a))", actions: steps)]
        },
        SessionRule("forwarding-broke-authentication", .warning, .authfailure,
                    title: "Authentication passed before a forwarder, and failed after it",
                    explanation: "The first server that sealed the message with ARC (a mailing list or a forwarding service) recorded passing results, and the final receiver's checks failed: the forwarding broke them. Forwarding sends from another address, which breaks SPF, and a list that adds a footer or tags the subject breaks the DKIM signature.",
                    actions: [
                        "The forwarder or list should rewrite the envelope sender (SRS), leave signed content alone or re-sign, and seal with ARC.",
                        "The receiving admin can trust that forwarder's ARC seals (Microsoft 365: trusted ARC sealers in the Defender portal) so its results count.",
                    ]) { f in
            let a = f.session.attributes
            guard let by = a["arc-first-by"] else { return [] }
            let broken = ["dmarc", "dkim", "spf"].filter { a["arc-first-" + $0] == "pass" && (a["auth-" + $0].map { $0 != "pass" } ?? false) }
            guard !broken.isEmpty else { return [] }
            let names = broken.map { $0.uppercased() }.joined(separator: " and ")
            return [RuleHit(evidence: notes(f, ["ARC-Authentication-Results:", "Authentication-Results:"]),
                            title: "\(names) passed at \(by) (the first ARC seal) and failed at \(a["auth-by"] ?? "the final receiver"): forwarding broke it")]
        },
        SessionRule("spf-failed", .warning, .authfailure,
                    title: "SPF did not pass",
                    explanation: "SPF checks the connecting server's address against the record the envelope sender's domain (the Return-Path) publishes.",
                    actions: []) { f in
            let a = f.session.attributes
            guard let r = a["auth-spf"], let row = spfRows[r] else { return [] }
            let domain = a["auth-spf-domain"] ?? "the sender's domain"
            let ip = a["auth-spf-ip"] ?? f.session.client.address ?? "the sending address"
            var detail = row.detail.replacingOccurrences(of: "DOMAIN", with: domain).replacingOccurrences(of: "IP", with: ip)
            if a["auth-dmarc"] == "pass" { detail += " DMARC still passed (through DKIM), so this alone does not hurt delivery." }
            return [RuleHit(evidence: notes(f, ["Authentication-Results:", "Received-SPF:"]), detail: detail,
                            title: row.title.replacingOccurrences(of: "DOMAIN", with: domain).replacingOccurrences(of: "IP", with: ip),
                            actions: row.actions.map { $0.replacingOccurrences(of: "DOMAIN", with: domain).replacingOccurrences(of: "IP", with: ip) })]
        },
        SessionRule("dkim-failed", .warning, .authfailure,
                    title: "DKIM did not pass",
                    explanation: "DKIM proves that a domain signed the message and that it did not change on the way.",
                    actions: []) { f in
            let a = f.session.attributes
            guard let r = a["auth-dkim"], r != "pass" else { return [] }
            let domain = a["auth-dkim-domain"] ?? a["header-from-domain"] ?? "the sender's domain"
            let why = (a["auth-dkim-detail"] ?? "").lowercased()
            let cause = r == "none" ? dkimUnsigned : (dkimCauses.first { c in c.words.contains { why.contains($0) } } ?? dkimUnknown)
            var detail = cause.detail.replacingOccurrences(of: "DOMAIN", with: domain)
            if a["auth-dmarc"] == "pass" { detail += " DMARC still passed (through SPF), but a forwarded copy will fail it." }
            return [RuleHit(evidence: notes(f, ["Authentication-Results:"]), detail: detail,
                            title: r == "none" ? "The message carries no DKIM signature" : "DKIM signature of \(domain) did not verify (\(r))",
                            actions: cause.actions.map { $0.replacingOccurrences(of: "DOMAIN", with: domain) })]
        },
        SessionRule("composite-auth-failed", .warning, .authfailure,
                    title: "Microsoft 365 composite authentication failed",
                    explanation: "Microsoft 365 combines SPF, DKIM, DMARC and the sender's history into one verdict (compauth); a failure makes it treat the message as spoofed, which sends it to Junk or quarantine.",
                    actions: ["Make DMARC pass for the From: domain (DKIM signing with that domain is the sturdiest way); Microsoft's implicit checks then pass as well."]) { f in
            let a = f.session.attributes
            guard let r = a["auth-compauth"], r == "fail" || r == "softpass" else { return [] }
            let code = a["auth-compauth-reason"] ?? ""
            let meaning = compauthMeaning(code)
            return [RuleHit(evidence: notes(f, ["Authentication-Results:"]), detail: meaning.map { "Reason \(code): \($0)." },
                            title: "Microsoft 365 composite authentication: \(r)" + (code.isEmpty ? "" : " (reason \(code))"))]
        },
        SessionRule("message-held", .warning, .delivered,
                    title: "Held on the way",
                    explanation: "A server handed the message on long after it received it. Usual causes: the next server deferred it (greylisting, a rate limit, a full queue) and the sender's queue retried later; a backlog or a slow content scan; a server that was down. Clocks that disagree between servers look like a delay too.",
                    actions: []) { f in
            let a = f.session.attributes
            guard let s = a["hop-delay"].flatMap({ Int($0) }), s >= heldAfterSeconds else { return [] }
            let by = a["held-by"] ?? "the previous server"
            let next = f.session.server.host ?? "the next server"
            return [RuleHit(evidence: notes(f, ["Received:"]),
                            title: "Held \(MessageStoryText.duration(Double(s))) at \(by) before \(next) received it",
                            actions: ["Look in \(by)'s log around that time for the message's queue id: deferrals (4xx replies, `status=deferred`) name the reason; if there are none, compare the two servers' clocks."])]
        },
        SessionRule("sent-late", .warning, .delivered,
                    title: "Sent long after it was written",
                    explanation: "The first server received the message long after the time in its Date: field, which the sender's mail client sets when the message is written. It waited on the sender's side: in the Outbox while the client was offline or could not send (a wrong password, a blocked port), as a scheduled send, or as a draft sent later.",
                    actions: ["Ask the sender to look at the mail client's Outbox and its send errors at that time, and at its outgoing server settings."]) { f in
            guard let s = f.session.attributes["submit-delay"].flatMap({ Int($0) }), s >= sentLateAfterSeconds else { return [] }
            return [RuleHit(evidence: notes(f, ["Date:", "Received:"]),
                            title: "Received by the first server \(MessageStoryText.duration(Double(s))) after its Date:")]
        },
        SessionRule("clock-skew", .info, .delivered,
                    title: "Clocks disagree",
                    explanation: "A later step carries an earlier time than the one before it, so one of the clocks (a server's, or the sender's computer for the Date: field) is wrong by about that much. Read the other delays in these headers with that in mind.",
                    actions: ["Check that the servers named keep time with NTP (`timedatectl`, `chronyc tracking`)."]) { f in
            let a = f.session.attributes
            let hop = a["hop-delay"].flatMap { Int($0) } ?? 0
            let submit = a["submit-delay"].flatMap { Int($0) } ?? 0
            guard min(hop, submit) <= -clockSkewSeconds else { return [] }
            let who = hop <= -clockSkewSeconds ? "\(a["held-by"] ?? "the previous server") and \(f.session.server.host ?? "this server")"
                : "the sender's computer (Date:) and \(f.session.server.host ?? "the first server")"
            return [RuleHit(evidence: notes(f, ["Received:", "Date:"]),
                            title: "The clocks of \(who) disagree by \(MessageStoryText.duration(Double(-min(hop, submit))))")]
        },
        SessionRule("unencrypted-hop", .info, .delivered,
                    title: "This hop was not encrypted",
                    explanation: "The message crossed the internet between these two servers without TLS, so anyone on the path could read or change it; receivers also score unencrypted mail lower.",
                    actions: ["Offer and use STARTTLS on both sides (Postfix: `smtp_tls_security_level = may` to send, `smtpd_tls_security_level = may` with a certificate to receive)."]) { f in
            let s = f.session
            guard s.isMessageHop, s.tls == nil, let ip = s.client.address, !SessionFacts.isPrivateAddress(ip),
                  let with = s.attributes["received-with"]?.uppercased(), ["SMTP", "ESMTP", "ESMTPA"].contains(with) else { return [] }
            return [RuleHit(evidence: notes(f, ["Received:"]),
                            title: "Sent without TLS from \(ip) to \(s.server.host ?? "the server")")]
        },
        SessionRule("client-without-reverse-dns", .warning, .requireptr,
                    title: "The sending address has no reverse DNS name",
                    explanation: "The receiving server looked up the connecting address and found no name (PTR record). Many receivers reject or score down mail from such addresses.",
                    actions: ["Ask whoever runs the address (the hosting or internet provider) to set a PTR record naming the mail server, with that name resolving back to the address."]) { f in
            let s = f.session
            guard s.isMessageHop, s.attributes["client-reverse-dns"] == "none", s.attributes["auth-spf"] != nil || s.attributes["ms-scl"] != nil,
                  let ip = s.client.address, !SessionFacts.isPrivateAddress(ip) else { return [] }
            return [RuleHit(evidence: notes(f, ["Received:"]),
                            title: "\(ip) has no reverse DNS name")]
        },
    ]

    static let ids: Set<String> = Set(table.map(\.id))

    /// A DMARC report's record stands for many messages: ` (340 messages from 203.0.113.80)`.
    static func reportCount(_ a: [String: String]) -> String {
        guard let n = a["message-count"] else { return "" }
        return " (\(n) message\(n == "1" ? "" : "s")" + (a["auth-spf-ip"].map { " from \($0)" } ?? "") + ")"
    }

    /// DMARC report override reasons (RFC 7489 appendix C, PolicyOverrideType).
    static let overrides: [String: String] = [
        "forwarded": "the message was forwarded, which breaks SPF",
        "mailing_list": "it came through a mailing list, which changes messages and breaks the signature",
        "trusted_forwarder": "it came from a forwarder the receiver trusts",
        "local_policy": "the receiver's own policy let it through",
        "sampled_out": "the domain's pct= let only part of the failing mail be subject to the policy",
        "arc": "an ARC chain from a trusted intermediary vouched for it",
    ]
    /// A hop held at least this long gets a finding: greylisting's first retry is often 5 to 15 minutes.
    static let heldAfterSeconds = 600
    /// An Outbox delay worth a word: clients that send in batches or retry wait a few minutes on their own.
    static let sentLateAfterSeconds = 1_800
    /// Less than this backwards is rounding and small drift, not a wrong clock.
    static let clockSkewSeconds = 300

    /// The notes (header fields) whose text starts with one of `prefixes`, in input order.
    static func notes(_ f: SessionFacts, _ prefixes: [String]) -> [Evidence] {
        let matched = f.session.notes.filter { n in prefixes.contains { n.text.hasPrefix($0) } }
        // A DMARC report's record has one note, its summary: that is the evidence.
        return (matched.isEmpty ? Array(f.session.notes.prefix(1)) : matched).prefix(3).map { Evidence(position: $0.position, text: $0.text) }
    }

    // MARK: SPF

    struct SPFRow {
        let title: String
        let detail: String
        let actions: [String]
    }

    static let spfRows: [String: SPFRow] = [
        "fail": SPFRow(title: "SPF failed: IP may not send for DOMAIN",
                       detail: "DOMAIN's SPF record ends in -all and does not list IP, so the receiver may treat the message as forged.",
                       actions: ["Add the sending server or service to DOMAIN's SPF record (its `ip4:` / `ip6:` range or the service's `include:`), keeping the record within 10 DNS lookups."]),
        "softfail": SPFRow(title: "SPF soft-failed: IP is not listed for DOMAIN",
                           detail: "DOMAIN's SPF record ends in ~all and does not list IP: not a rejection by itself, but it counts against the message and fails DMARC's SPF half.",
                           actions: ["Add the sending server or service to DOMAIN's SPF record (its `ip4:` / `ip6:` range or the service's `include:`)."]),
        "neutral": SPFRow(title: "SPF neutral: DOMAIN says nothing about IP",
                          detail: "DOMAIN's SPF record ends in ?all and does not list IP, so SPF cannot vouch for the message.",
                          actions: ["List the sending server in DOMAIN's SPF record and end it with ~all or -all."]),
        "none": SPFRow(title: "No SPF record for DOMAIN",
                       detail: "DOMAIN publishes no SPF record, so nothing vouches for IP; large mailbox providers require SPF or DKIM from every sender.",
                       actions: ["Publish an SPF record for DOMAIN: a TXT record `v=spf1` listing the sending servers, ending in ~all or -all."]),
        "permerror": SPFRow(title: "DOMAIN's SPF record is broken (permerror)",
                            detail: "The receiver could not evaluate DOMAIN's SPF record: a syntax error, more than 10 DNS lookups (include:, a, mx, redirect), or two SPF records at the same name.",
                            actions: ["Check DOMAIN's SPF record with a validator; merge duplicate records and flatten includes to stay within 10 lookups."]),
        "temperror": SPFRow(title: "SPF check of DOMAIN failed on a DNS error",
                            detail: "The receiver could not fetch DOMAIN's SPF record (a DNS timeout or server failure), a temporary failure.",
                            actions: ["Check that DOMAIN's name servers answer TXT queries quickly and consistently (`dig TXT DOMAIN @each-name-server`)."]),
    ]

    // MARK: DKIM

    struct DKIMCause {
        let words: [String]
        let detail: String
        let actions: [String]
    }

    static let dkimCauses: [DKIMCause] = [
        DKIMCause(words: ["body hash", "bodyhash"],
                  detail: "The body changed after it was signed: a footer, disclaimer, link rewriting or re-encoding by a gateway, a mailing list or an antivirus on the way.",
                  actions: ["Find the hop that changes the body (a list server, a disclaimer or security gateway) and make it sign again with DOMAIN's key after changing it, or stop changing signed mail."]),
        DKIMCause(words: ["no key", "key not found", "no public key", "nxdomain", "key unavailable", "not found"],
                  detail: "The receiver found no public key for the signature's selector in DOMAIN's DNS: the record is missing, mistyped, or the selector was retired too early.",
                  actions: ["Publish the key the signer uses at SELECTOR._domainkey.DOMAIN (the selector is the s= tag of the DKIM-Signature field) and check it with `dig TXT SELECTOR._domainkey.DOMAIN`."]),
        DKIMCause(words: ["expired"],
                  detail: "The signature's expiry time (x= tag) had passed when it was checked.",
                  actions: ["Lengthen the signer's signature lifetime, or find why the message arrived so late."]),
        DKIMCause(words: ["signature verification failed", "bad signature", "verification failed", "signature did not verify", "invalid"],
                  detail: "The signature does not match: a signed header changed on the way, or the private key that signed does not match the public key in DOMAIN's DNS.",
                  actions: ["Compare the signer's key with the TXT record at SELECTOR._domainkey.DOMAIN; if they match, look for a hop that rewrites signed headers (Subject tags, From rewriting)."]),
    ]
    static let dkimUnknown = DKIMCause(words: [], detail: "The receiver could not verify DOMAIN's signature.",
                                       actions: ["Send a test message to a checker that shows DKIM details (or to a Gmail address and use Show original) to see the signer's selector and the failure."])
    static let dkimUnsigned = DKIMCause(words: [], detail: "Without a signature, only SPF can make DMARC pass, and SPF breaks when the message is forwarded.",
                                        actions: ["Turn on DKIM signing for DOMAIN on the sending server or service and publish its public key in DNS."])

    /// What SPF and DKIM did for DMARC, and whether a pass was for another domain (not aligned).
    static func alignment(_ a: [String: String], domain: String) -> String? {
        var out: [String] = []
        if let spf = a["auth-spf"] {
            let d = a["auth-spf-domain"]
            if spf == "pass", let d, !aligned(d, domain) {
                out.append("SPF passed, but for \(d) (the envelope sender's domain), not \(domain): it does not count for DMARC.")
            } else {
                out.append("SPF: \(spf)" + (d.map { " for \($0)" } ?? "") + ".")
            }
        }
        if a["auth-dkim"] == nil {
            out.append("DKIM: no result (the message was not signed, or the receiver did not say).")
        } else if let dkim = a["auth-dkim"] {
            let d = a["auth-dkim-domain"]
            if dkim == "pass", let d, !aligned(d, domain) {
                out.append("DKIM passed, but signed by \(d), not \(domain): it does not count for DMARC.")
            } else {
                out.append("DKIM: \(dkim)" + (d.map { " (\($0))" } ?? "") + ".")
            }
        }
        return out.isEmpty ? nil : out.joined(separator: " ")
    }

    static func aligned(_ a: String, _ b: String) -> Bool { DomainAlignment.relaxed(a, b) }

    // MARK: Microsoft 365

    /// Composite authentication reason codes, as Microsoft documents them.
    static func compauthMeaning(_ code: String) -> String? {
        switch code {
        case "000": return "the message failed DMARC and the domain's policy is quarantine or reject"
        case "001": return "the message failed implicit authentication: the From: domain has no DMARC record or its policy is none, and neither SPF nor DKIM vouched for it"
        case "002": return "the organization forbids this sender and domain pair from sending spoofed mail"
        case "010": return "the message failed DMARC with a quarantine or reject policy, and the From: domain is one of the organization's own accepted domains"
        default:
            switch code.first {
            case "1", "7": return "the message passed authentication"
            case "2": return "the message soft-passed implicit authentication"
            case "3": return "composite authentication was not checked"
            case "4", "9": return "composite authentication was bypassed (an allow entry or a transport rule)"
            case "6": return "the message failed implicit authentication, and the From: domain is one of the organization's own accepted domains"
            default: return nil
            }
        }
    }

    /// `SFV:` values that send a message to Junk, and what set them.
    static let junkFilterVerdicts: [String: String] = [
        "SPM": "the spam filter marked it as spam",
        "SKS": "a mail flow (transport) rule marked it as spam before filtering",
        "SKB": "the sender is on the anti-spam policy's blocked senders or domains",
        "BLK": "the sender is on the recipient's Blocked Senders list",
    ]

    /// `CAT:` categories, in words.
    static let categories: [String: (String, Reason)] = [
        "SPM": ("spam", .spamdetected), "HSPM": ("high-confidence spam", .spamdetected), "BULK": ("bulk mail", .spamdetected),
        "PHSH": ("phishing", .securityerror), "HPHSH": ("high-confidence phishing", .securityerror), "HPHISH": ("high-confidence phishing", .securityerror),
        "MALW": ("malware", .virusdetected), "AMP": ("malware", .virusdetected), "SAP": ("a dangerous attachment (Safe Attachments)", .virusdetected),
        "FTBP": ("a blocked attachment type", .policyviolation), "SPOOF": ("spoofed mail (the From: domain failed authentication)", .authfailure),
        "DIMP": ("domain impersonation", .securityerror), "UIMP": ("user impersonation", .securityerror), "GIMP": ("impersonation (mailbox intelligence)", .securityerror),
        "BIMP": ("brand impersonation", .securityerror), "INTOS": ("intra-organization phishing", .securityerror), "OSPM": ("outbound spam", .spamdetected),
    ]

    struct JunkVerdict {
        var title: String
        var detail: String?
        var reason: Reason
        var actions: [String]
    }

    /// Microsoft 365's verdict (SFV / SCL / CAT), or a DMARC quarantine the receiver applied.
    static func junkVerdict(_ a: [String: String]) -> JunkVerdict? {
        let scl = a["ms-scl"].flatMap { Int($0) }
        let sfv = a["ms-sfv"]?.uppercased()
        let cat = a["ms-cat"]?.uppercased()
        let category = cat.flatMap { c in categories[c] }
        let byFilter = sfv.flatMap { junkFilterVerdicts[$0] }
        if byFilter != nil || (scl ?? 0) >= 5 || (category != nil && cat != "NONE" && sfv != "NSPM" && sfv != "SKA" && sfv != "SFE" && sfv != "SKN") {
            var why: [String] = []
            if let b = byFilter { why.append(b) }
            if let s = scl { why.append("spam confidence level \(s)") }
            if let bcl = a["ms-bcl"].flatMap({ Int($0) }), bcl >= 4 { why.append("bulk complaint level \(bcl)") }
            var detail = "Microsoft 365's anti-spam report: " + ["SFV", "SCL", "CAT", "IPV"].compactMap { k in a["ms-" + k.lowercased()].map { "\(k):\($0)" } }.joined(separator: " ") + "."
            if a["auth-compauth"] == "fail" || a["auth-dmarc"] == "fail" { detail += " Authentication failed as well (see the other findings)." }
            var steps = ["The admin can look the message up in the Microsoft Defender portal (Explorer or Real-time detections) by its Message-ID to see the detection technology and release it from quarantine."]
            if cat == "BULK" || (a["ms-bcl"].flatMap { Int($0) } ?? 0) >= 6 {
                steps.append("Bulk senders: keep complaint rates low, honour unsubscribes, and send only to people who asked; the recipient's admin can raise the bulk threshold.")
            }
            if cat == "SPOOF" || a["auth-compauth"] == "fail" {
                steps.append("Senders: make SPF, DKIM and DMARC pass for the From: domain; the recipient's admin can allow a legitimate spoofed sender in the Tenant Allow/Block List.")
            }
            return JunkVerdict(title: "Filed as " + (category?.0 ?? "spam") + " by Microsoft 365 (" + why.joined(separator: ", ") + ")",
                               detail: detail, reason: category?.1 ?? .spamdetected, actions: steps)
        }
        if a["auth-dmarc"] == "fail", let d = a["auth-dmarc-disposition"], ["quarantine", "oreject", "pct.quarantine"].contains(d) {
            let domain = a["auth-dmarc-domain"] ?? a["header-from-domain"] ?? "the From: domain"
            let who = a["auth-by"].map { " by \($0)" } ?? ""
            return JunkVerdict(title: "Filed as spam\(who): DMARC failed and \(domain)'s policy says quarantine\(reportCount(a))",
                               detail: d == "oreject" ? "The domain's policy is reject; the receiver chose to quarantine instead (oreject)." : nil,
                               reason: .authfailure,
                               actions: ["Senders: make SPF or DKIM pass for \(domain) itself (see the DMARC finding)."])
        }
        return nil
    }
}

extension Session {
    /// A session rebuilt from a message's Received field.
    var isMessageHop: Bool { attributes["hop"] != nil }
}
