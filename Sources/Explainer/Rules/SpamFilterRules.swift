import TranscriptModel

/// A content filter's score and the tests that made it (Rspamd's symbols, SpamAssassin's rule names, from the
/// `spam-*` attributes the log readers set): which causes weighed most, in words, with what to do about each.
/// The symbol table is data, most telling cause first: a row matches a symbol (Rspamd's or SpamAssassin's
/// name) exactly or by prefix.
public enum SpamFilterRules {
    /// What a group of symbols means.
    struct Cause {
        let names: Set<String>
        let prefixes: [String]
        let words: String
        let reason: Reason
        let step: String

        func matches(_ symbol: Substring) -> Bool {
            names.contains(String(symbol)) || prefixes.contains { symbol.hasPrefix($0) }
        }
    }

    static let causes: [Cause] = [
        Cause(names: ["GREYLIST"], prefixes: [], words: "greylisting (a first attempt from an unknown sender is delayed)", reason: .greylisted,
              step: "Nothing to do: the sending server retries and the retry passes."),
        Cause(names: [], prefixes: ["CLAM_VIRUS", "CLAMAV_", "ANTIVIRUS", "KAS_VIRUS", "SOPHOS_VIRUS", "FPROT_VIRUS", "AVAST_VIRUS"],
              words: "a virus scanner found malware", reason: .virusdetected,
              step: "Do not resend the file: have the sender scan their system and send a clean copy."),
        // SpamAssassin's allow-list lookups share the blocklists' prefix; they say nothing against the sender.
        Cause(names: [], prefixes: ["RCVD_IN_DNSWL_", "RCVD_IN_MSPIKE_H", "RCVD_IN_IADB_"], words: "", reason: .undefined, step: ""),
        Cause(names: [], prefixes: ["RBL_", "RECEIVED_SPAMHAUS", "RCVD_IN_", "SPAMHAUS_", "RECEIVED_BLOCKLISTDE", "MAILSPIKE_"],
              words: "the sending IP is on a DNS blocklist", reason: .blocked,
              step: "Look the sending IP up on the list named (Spamhaus: check.spamhaus.org) and ask for removal once the cause is fixed; until then send through a relay that is not listed."),
        Cause(names: ["R_SPF_FAIL", "R_SPF_SOFTFAIL", "R_SPF_PERMFAIL", "SPF_FAIL", "SPF_SOFTFAIL", "SPF_HELO_FAIL"], prefixes: [],
              words: "SPF does not allow the sending IP for the envelope domain", reason: .authfailure,
              step: "Add the sending server or service to the sender domain's SPF record."),
        Cause(names: ["R_DKIM_REJECT", "R_DKIM_PERMFAIL", "DKIM_INVALID", "DKIM_ADSP_DISCARD"], prefixes: [],
              words: "the DKIM signature does not verify", reason: .authfailure,
              step: "Check that the DKIM key in DNS matches the signing key and that nothing changes the message after signing (footers, rewriting)."),
        Cause(names: ["DMARC_POLICY_REJECT", "DMARC_POLICY_QUARANTINE", "DMARC_POLICY_SOFTFAIL"], prefixes: [],
              words: "DMARC fails (neither SPF nor DKIM passes for the From: domain)", reason: .authfailure,
              step: "Make SPF or DKIM pass for the From: domain itself (aligned), not only for the envelope or a service's domain."),
        Cause(names: ["BAYES_SPAM", "BAYES_50", "BAYES_60", "BAYES_80", "BAYES_95", "BAYES_99", "BAYES_999"], prefixes: [], words: "the statistical (Bayes) filter finds the content spammy", reason: .spamdetected,
              step: "If the message is wanted, have the receiving admin learn it as ham (`rspamc learn_ham`); senders: plainer wording, text with the images, fewer links."),
        Cause(names: ["PYZOR_CHECK", "DCC_CHECK", "DCC_REPUT_70_89", "DCC_REPUT_90_94", "DCC_REPUT_95_98", "DCC_REPUT_99_100"],
              prefixes: ["FUZZY_DENIED", "FUZZY_BLOCKED", "FUZZY_", "RAZOR2_"], words: "the message matches known spam (fuzzy hashes, checksum networks)", reason: .spamdetected,
              step: "If the message is wanted, the receiving admin can allow the sender; a bulk template that spammers copied needs changing."),
        Cause(names: [], prefixes: ["URIBL_", "DBL_", "SURBL_", "SEM_URIBL", "MSBL_EBL", "RSPAMD_URIBL", "ABUSE_SURBL"],
              words: "links in the message point to listed domains", reason: .spamdetected,
              step: "Find the listed domain among the links (often a tracking or link-shortening domain) and remove or replace it."),
        Cause(names: [], prefixes: ["PHISHING", "PHISHED_"], words: "links look like phishing (the text shows one address, the link goes elsewhere)", reason: .spamdetected,
              step: "Make each link's text and target the same address."),
        Cause(names: [], prefixes: ["MIME_BAD_ATTACHMENT", "MIME_DOUBLE_BAD_EXTENSION", "MIME_BAD_EXTENSION", "MIME_ARCHIVE_IN_ARCHIVE", "MIME_EXE_IN_GEN_SPLIT_RAR"],
              words: "an attachment of a dangerous type", reason: .policyviolation,
              step: "Send the file another way (a download link, or a format the receiver allows)."),
        Cause(names: ["RDNS_NONE", "RDNS_DNSFAIL", "HFILTER_HOSTNAME_UNKNOWN", "RDNS_DYNAMIC"], prefixes: [],
              words: "the sending IP has no reverse DNS name that resolves back", reason: .requireptr,
              step: "Have the IP's owner set a PTR record naming the server, with that name resolving back to the IP."),
        Cause(names: [], prefixes: ["HFILTER_HELO_", "HELO_DYNAMIC_", "HELO_NO_DOMAIN"], words: "the HELO name is not a resolvable FQDN", reason: .notcompliantrfc,
              step: "Make the sending server greet with its public host name (one that resolves to its IP)."),
        Cause(names: ["FORGED_SENDER", "FORGED_RECIPIENTS", "SPOOF_DISPLAY_NAME", "FROM_NAME_HAS_TITLE"], prefixes: [],
              words: "the sender looks forged", reason: .securityerror,
              step: "Send with the From: address of the domain the mail really comes from."),
        Cause(names: ["MX_INVALID", "MX_MISSING"], prefixes: [], words: "the sender's domain has no working MX", reason: .rejected,
              step: "Publish a working MX record for the sender's domain (replies and bounces need it)."),
        Cause(names: [], prefixes: ["RATELIMIT"], words: "the sender went over a rate limit", reason: .speeding,
              step: "Send more slowly, or ask the receiving admin to raise the limit for this sender."),
        // Proofpoint's category scores (`X-Proofpoint-Spam-Details`), highest first.
        Cause(names: ["phishscore"], prefixes: [], words: "it reads as phishing", reason: .spamdetected,
              step: "Check the links and the sender's address: a link whose text and target differ, or a look-alike domain, reads as phishing."),
        Cause(names: ["malwarescore"], prefixes: [], words: "an attachment or link rates as malware", reason: .virusdetected,
              step: "Do not resend the file: scan the sending system and send a clean copy, or a link to a trusted download."),
        Cause(names: ["impostorscore"], prefixes: [], words: "it looks like an impostor (a name or domain posing as someone else)", reason: .securityerror,
              step: "Send from the domain the name belongs to, with SPF and DKIM passing for it, and without a Reply-To: to another domain."),
        Cause(names: ["spamscore"], prefixes: [], words: "the classifier rates the content as spam", reason: .spamdetected,
              step: "If the message is wanted, the receiving admin can release it and report it to Proofpoint as a false positive; the recipient can add the sender to their safe senders."),
        Cause(names: ["bulkscore"], prefixes: [], words: "it is bulk mail (newsletters, marketing)", reason: .spamdetected,
              step: "Bulk mail is filed apart by policy: the recipient can add the sender to their safe senders; senders should include a working unsubscribe link."),
        Cause(names: ["adultscore"], prefixes: [], words: "the content rates as adult", reason: .contenterror,
              step: "Check the wording and images that read as adult content."),
        Cause(names: ["suspectscore"], prefixes: [], words: "it looks suspicious", reason: .spamdetected,
              step: "Ask the receiving admin for the message's details in the Proofpoint console (the rule and policy are in the header)."),
        Cause(names: ["MISSING_DATE", "MISSING_MID", "INVALID_DATE", "MULTIPLE_UNIQUE_HEADERS", "MISSING_FROM", "MISSING_TO", "MISSING_HEADERS"], prefixes: [],
              words: "the headers are malformed (a missing or duplicated Date, Message-ID, From or To)", reason: .contenterror,
              step: "Fix the sending program so each message has one Date, Message-ID, From and To."),
    ]

    public static let table: [SessionRule] = [
        SessionRule("spam-filter-refused", .error, .spamdetected,
                    title: "The content filter refused the message",
                    explanation: "The receiving side's content filter added up its tests' scores and the total reached the threshold for refusing the message at the end of its data.",
                    actions: ["The full list of tests is in the filter's log line above (Rspamd: also its web interface's history)."]) { f in
            // A greylisting soft reject is the reply's `greylisted`, not a verdict on the content.
            guard let action = f.session.attributes["spam-action"], action == "reject" || action == "soft reject",
                  f.session.attributes["spam-greylisted"] == nil else { return [] }
            let end = f.exchanges.lastIndex { $0.stage == .message }.map { [$0] } ?? []
            return [hit(f, exchanges: end, verdict: action == "reject" ? "refused it" : "deferred it")]
        },
        SessionRule("spam-filter-tagged", .warning, .spamdetected,
                    title: "Accepted, but marked as spam",
                    explanation: "The content filter passed the message on with a spam mark (an added header or a changed subject); the mailbox or the mail client will most likely file it in the Junk folder.",
                    actions: ["Ask the recipient to look in the Junk folder and mark it as not spam."]) { f in
            guard let action = f.session.attributes["spam-action"], action == "add header" || action == "rewrite subject" || action == "tagged" else { return [] }
            return [hit(f, exchanges: [], verdict: "marked it as spam")]
        },
    ]

    static let ids: Set<String> = Set(table.map(\.id))

    /// The last word of a Proofpoint rule name, in the title's words.
    static let proofpointCategory = ["spam": "spam", "bulk": "bulk mail", "phish": "phishing", "malware": "malware",
                                     "virus": "malware", "adult": "adult content", "suspect": "suspicious", "impostor": "an impostor"]

    /// `Rspamd refused it (score 18.42, refused from 15.00): the sending IP is on a DNS blocklist; ...`.
    private static func hit(_ f: SessionFacts, exchanges: [Int], verdict: String) -> RuleHit {
        let a = f.session.attributes
        let filter = a["spam-filter"] ?? "rspamd"
        let name = ["rspamd": "Rspamd", "spamassassin": "SpamAssassin", "amavis": "amavis", "barracuda": "Barracuda",
                    "proofpoint": "Proofpoint", "spamexperts": "SpamExperts", "kaspersky": "Kaspersky Anti-Spam",
                    "trendmicro": "Trend Micro"][filter] ?? filter
        let parts = (a["spam-score"] ?? "").split(separator: "/")
        // Rspamd: `NAME score {options}; ...`, heaviest first. SpamAssassin: names only, so the table's order ranks.
        let symbols = (a["spam-symbols"] ?? "").components(separatedBy: "; ").filter { !$0.isEmpty }
        var found: [(cause: Int, at: Int)] = []
        for (at, s) in symbols.enumerated() {
            let symbol = s.prefix { $0 != " " }
            // A Proofpoint category scoring under half of its 0-100 scale is no cause.
            if filter == "proofpoint", let n = Int(s.split(separator: " ").last ?? ""), n < 50 { continue }
            if let c = causes.firstIndex(where: { $0.matches(symbol) }), !causes[c].words.isEmpty,
               !found.contains(where: { causes[$0.cause].words == causes[c].words }) { found.append((c, at)) }
        }
        // Rspamd and Proofpoint give weights, heaviest first; SpamAssassin's names are ranked by the table.
        if filter != "rspamd" && filter != "proofpoint" { found.sort { $0.cause < $1.cause } }
        let top = found.prefix(3).map { causes[$0.cause] }
        // The logged threshold is Rspamd's for refusing, whatever the action; SpamAssassin's is for spam.
        let limit = filter == "rspamd" ? "refused from" : "spam from"
        // Proofpoint's matched rule names what it took the message for (`rule=bulk`, `rule=inbound_phish`).
        let category = a["spam-rule"].flatMap { $0.lowercased().split(separator: "_").last }.flatMap { proofpointCategory[String($0)] }
        let verdict = filter == "proofpoint" && verdict == "marked it as spam" ? "marked it as \(category ?? "spam")" : verdict
        var verdictWords = verdict
        // Kaspersky and SpamExperts name a class rather than a score out of a threshold.
        if verdict == "marked it as spam", filter == "kaspersky" || filter == "spamexperts",
           let c = a["spam-rule"], let words = classWords[c] { verdictWords = "marked it as \(words)" }
        var title = "\(name) \(verdictWords)"
        if filter == "spamexperts" {
            if let p = parts.first { title += " (spam probability \(p))" }
        } else if let p = parts.first {
            title += " (score \(p)" + (parts.count > 1 ? ", \(limit) \(parts[1]))" : ")")
        } else if filter != "kaspersky" {
            title += " (score ?)"
        }
        if !top.isEmpty { title += ": " + top.map(\.words).joined(separator: "; ") }
        let evidence = f.session.notes.filter { $0.text.contains("rspamd_task_write_log") || $0.text.contains("result: ") || $0.text.contains("Passed SPAM")
            || $0.text.hasPrefix("X-Spam-Status:") || $0.text.hasPrefix("X-Spamd-Result:") || $0.text.hasPrefix("X-Spam-Flag:")
            || $0.text.hasPrefix("X-Barracuda-Spam-Status:") || $0.text.hasPrefix("X-Proofpoint-Spam-Details:")
            || classHeader($0.text) }
            .suffix(1).map { Evidence(position: $0.position, text: $0.text) }
        var detail = symbols.isEmpty ? nil : (filter == "rspamd" ? "The heaviest tests: " : "The tests that hit: ") + symbols.prefix(8).joined(separator: ", ") + "."
        if filter == "proofpoint" {
            detail = "Rule \(a["spam-rule"] ?? "?")" + (symbols.isEmpty ? "." : "; category scores (out of 100): " + symbols.joined(separator: ", ") + ".")
        }
        var actions = top.map(\.step)
        if filter == "spamexperts" {
            detail = "Class \(a["spam-rule"] ?? "?")" + (a["spam-recommended"].map { "; its advice to the receiving server: \($0)" } ?? "") + "."
            if a["spam-outgoing"] != nil {
                detail! += " This is the sender's provider's outgoing filter: it judged the message before it left."
                actions.append("The sender should ask their provider why its outgoing filter classed the message so (the provider sees the details in its SpamExperts panel).")
            }
        }
        return RuleHit(exchanges: exchanges, evidence: evidence, detail: detail, title: title, reason: top.first?.reason,
                       actions: actions)
    }

    /// A class a filter names, in the title's words (Kaspersky's `probable_spam`, SpamExperts' `virus`).
    static let classWords = ["spam": "spam", "probable_spam": "probable spam", "blacklisted": "spam (the sender is on its block list)",
                             "virus": "a virus", "phish": "phishing", "phishing": "phishing", "malware": "malware", "bulk": "bulk mail"]

    /// The header fields of the filters that name a class (case as the message wrote them).
    private static func classHeader(_ text: String) -> Bool {
        let head = text.prefix(40).lowercased()
        return ["x-spamexperts-", "x-spampanel-", "x-mailassure-", "x-spamtest-status", "x-tmase-result"].contains { head.hasPrefix($0) }
            && !head.contains("evidence")
    }
}
