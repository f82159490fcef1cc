import Foundation

/// The receiving side's spam verdicts as header fields, turned into session attributes:
/// - Microsoft 365 / Exchange Online Protection: `X-Forefront-Antispam-Report: CIP:192.0.2.1;CTRY:;LANG:en;
///   SCL:5;SRV:;IPV:NLI;SFV:SPM;H:mail.example;PTR:;CAT:SPM;SFS:(...);DIR:INB;` (`ms-*`), the bulk level in
///   `X-Microsoft-Antispam: BCL:7;`, `X-MS-Exchange-Organization-SCL: 5`;
/// - SpamAssassin: `X-Spam-Status: Yes, score=7.2 required=5.0 tests=BAYES_99,RDNS_NONE autolearn=no ...`,
///   `X-Spam-Flag: YES` (the `spam-*` attributes the spam-filter rules read, as from spamd's log);
/// - Barracuda: `X-Barracuda-Spam-Status: Yes, SCORE=8.21 using ... TAG_LEVEL=3.5 ... tests=...`;
/// - Rspamd: `X-Spamd-Result: default: True [8.50 / 15.00]; R_SPF_FAIL(1.00)[...]; ...`, `X-Rspamd-Action`;
/// - Proofpoint: `X-Proofpoint-Spam-Details: rule=spam policy=default score=100 spamscore=100 phishscore=38 ...`;
/// - SpamExperts (N-able/SolarWinds Mail Assure, the filter of many cPanel hosts): `X-SpamExperts-Class: spam`,
///   `X-SpamExperts-Evidence: Combined (0.98)`, `X-Recommended-Action: reject`; `-Outgoing-` in the names when
///   the sender's provider filtered the message on its way out; `X-Spampanel-*` and `X-MailAssure-*` are the
///   same fields under older and rebranded names;
/// - Kaspersky: `X-Spamtest-Status: SPAM`, `X-Spamtest-Status-Extended: probable_spam`;
/// - Trend Micro: `X-TMASE-Result: 10-8.545900-5.000000` (type, score, threshold).
enum SpamVerdictHeaders {
    /// The fields read, lower case.
    static let keys: Set<String> = Set(["x-forefront-antispam-report", "x-microsoft-antispam", "x-ms-exchange-organization-scl",
                                        "x-spam-status", "x-spam-flag", "x-spamd-result", "x-rspamd-action", "x-spam",
                                        "x-barracuda-spam-status", "x-barracuda-spam-flag", "x-proofpoint-spam-details",
                                        "x-recommended-action", "x-spamtest-status", "x-spamtest-status-extended", "x-tmase-result"])
        .union(spamExpertsFields.flatMap { [$0.class, $0.evidence] })

    /// SpamExperts' class and evidence fields, the receiving side's before the sender's outgoing filter's.
    static let spamExpertsFields: [(class: String, evidence: String)] = ["spamexperts", "spampanel", "mailassure"]
        .flatMap { brand in [("x-\(brand)-class", "x-\(brand)-evidence"), ("x-\(brand)-outgoing-class", "x-\(brand)-outgoing-evidence")] }

    static func attributes(_ h: HeaderSection) -> [String: String] {
        var a: [String: String] = [:]
        // The top field is the last server's verdict: inner ones may come with a forwarded message.
        if let f = h.first("x-forefront-antispam-report") {
            let fields = microsoftFields(f.value)
            for (k, name) in [("SCL", "ms-scl"), ("SFV", "ms-sfv"), ("CAT", "ms-cat"), ("IPV", "ms-ipv"), ("CIP", "ms-cip"),
                              ("SFTY", "ms-sfty"), ("PTR", "ms-ptr"), ("H", "ms-helo"), ("DIR", "ms-dir"), ("SRV", "ms-srv")] {
                if let v = fields[k], !v.isEmpty { a[name] = v }
            }
        }
        if a["ms-scl"] == nil, let f = h.first("x-ms-exchange-organization-scl") {
            let v = f.value.trimmingSpaces
            if Int(v) != nil { a["ms-scl"] = v }
        }
        if let f = h.first("x-microsoft-antispam"), let bcl = microsoftFields(f.value)["BCL"], Int(bcl) != nil {
            a["ms-bcl"] = bcl
        }
        if let f = h.first("x-spam-status") {
            spamAssassin(f.value, flag: h.first("x-spam-flag")?.value, into: &a)
        } else if let f = h.first("x-spam-flag"), f.value.trimmingSpaces.uppercased() == "YES" {
            a["spam-filter"] = "spamassassin"
            a["spam-action"] = "tagged"
            a["spam-score"] = "?"
            a["spam-symbols"] = ""
        }
        // Barracuda's appliance runs SpamAssassin and words its verdict the same way, in capitals:
        // `Yes, SCORE=8.21 using global scores of TAG_LEVEL=3.5 QUARANTINE_LEVEL=1000.0 KILL_LEVEL=9.0 tests=...`.
        if a["spam-filter"] == nil, let f = h.first("x-barracuda-spam-status") {
            spamAssassin(f.value, flag: h.first("x-barracuda-spam-flag")?.value, into: &a)
            if a["spam-filter"] != nil { a["spam-filter"] = "barracuda" }
        }
        if a["spam-filter"] == nil, let f = h.first("x-spamd-result") {
            rspamd(f.value, action: h.first("x-rspamd-action")?.value, flag: h.first("x-spam")?.value, into: &a)
        }
        if a["spam-filter"] == nil, let f = h.first("x-proofpoint-spam-details") {
            proofpoint(f.value, into: &a)
        }
        if a["spam-filter"] == nil { spamExperts(h, into: &a) }
        if a["spam-filter"] == nil, let f = h.first("x-spamtest-status-extended") ?? h.first("x-spamtest-status") {
            kaspersky(f.value, into: &a)
        }
        if a["spam-filter"] == nil, let f = h.first("x-tmase-result") {
            trendMicro(f.value, into: &a)
        }
        return a
    }

    /// SpamExperts' classes that mean the filter judged the message bad (`ham` and `unsure` do not).
    static let spamExpertsFlagged: Set<String> = ["spam", "virus", "phish", "phishing", "malware", "bulk"]

    /// `X-SpamExperts-Class: spam` + `X-SpamExperts-Evidence: Combined (0.98)` + `X-Recommended-Action: reject`.
    private static func spamExperts(_ h: HeaderSection, into a: inout [String: String]) {
        guard let (cls, evidenceKey) = spamExpertsFields.lazy.compactMap({ k in h.first(k.class).map { ($0.value, k.evidence) } }).first else { return }
        let c = cls.trimmingSpaces.lowercased()
        guard !c.isEmpty, c.count <= 40 else { return }
        a["spam-filter"] = "spamexperts"
        a["spam-rule"] = c
        a["spam-action"] = spamExpertsFlagged.contains(c) ? "tagged" : "no action"
        // `Combined (0.98)`: the classifiers' combined spam probability, 0 to 1.
        let evidence = h.first(evidenceKey)?.value.trimmingSpaces ?? ""
        if let open = evidence.firstIndex(of: "("), let close = evidence[open...].firstIndex(of: ")"),
           let p = Double(evidence[evidence.index(after: open)..<close]), (0...1).contains(p) {
            a["spam-score"] = String(evidence[evidence.index(after: open)..<close])
        }
        if let r = h.first("x-recommended-action")?.value.trimmingSpaces.lowercased(), !r.isEmpty, r.count <= 40 {
            a["spam-recommended"] = r
        }
        if evidenceKey.contains("-outgoing-") { a["spam-outgoing"] = "yes" }
        a["spam-symbols"] = ""
    }

    /// `SPAM`, `Probable Spam`, `Not detected`, `Trusted` (or `spam`, `probable_spam`, `blacklisted`, `formal`,
    /// `not_detected`, `trusted` in the extended field).
    private static func kaspersky(_ v: String, into a: inout [String: String]) {
        let w = v.trimmingSpaces.lowercased().replacingOccurrences(of: " ", with: "_")
        let flagged: Set<String> = ["spam", "probable_spam", "blacklisted"]
        let known: Set<String> = flagged.union(["not_detected", "trusted", "formal"])
        guard known.contains(w) else { return }
        a["spam-filter"] = "kaspersky"
        a["spam-rule"] = w
        a["spam-action"] = flagged.contains(w) ? "tagged" : "no action"
        a["spam-symbols"] = ""
    }

    /// `10-8.545900-5.000000` or `10--2.311400-5.000000` (a negative score): spam when the score reaches the threshold.
    private static func trendMicro(_ v: String, into a: inout [String: String]) {
        let t = v.trimmingSpaces
        guard let dash = t.firstIndex(of: "-"), let last = t.lastIndex(of: "-"), dash < last,
              let score = Double(t[t.index(after: dash)..<last]), let threshold = Double(t[t.index(after: last)...]) else { return }
        a["spam-filter"] = "trendmicro"
        a["spam-action"] = score >= threshold ? "tagged" : "no action"
        a["spam-score"] = String(format: "%.2f/%.2f", score, threshold)
        a["spam-symbols"] = ""
    }

    /// `KEY:value;KEY:value;` (values may hold colons: `H:mail.example`, `SFS:(13230040)(...)`).
    static func microsoftFields(_ v: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in v.split(separator: ";").prefix(64) {
            let t = String(part).trimmingSpaces
            guard let colon = t.firstIndex(of: ":") else { continue }
            out[String(t[..<colon]).uppercased()] = String(t[t.index(after: colon)...]).trimmingSpaces
        }
        return out
    }

    private static func spamAssassin(_ v: String, flag: String?, into a: inout [String: String]) {
        let words = v.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = words.first?.trimmingCharacters(in: [","]).lowercased(), first == "yes" || first == "no" else { return }
        var score = "?", required: String?
        var tests: [String] = []
        for w in words.dropFirst() {
            let lw = w.lowercased()
            if lw.hasPrefix("score=") { score = String(w.dropFirst(6)) }
            else if lw.hasPrefix("hits=") { score = String(w.dropFirst(5)) }
            else if lw.hasPrefix("required=") { required = String(w.dropFirst(9)) }
            else if lw.hasPrefix("tag_level=") { required = String(w.dropFirst(10)) }
            else if lw.hasPrefix("tests=") {
                tests += w.dropFirst(6).split(separator: ",").map(String.init)
            } else if !tests.isEmpty, !w.contains("="), w.uppercased() == w {
                // Folded: `tests=BAYES_99,\n\tRDNS_NONE,SPF_SOFTFAIL` unfolds with a space after the comma.
                tests += w.split(separator: ",").map(String.init)
            }
        }
        let spam = first == "yes" || flag?.trimmingSpaces.uppercased() == "YES"
        a["spam-filter"] = "spamassassin"
        a["spam-action"] = spam ? "tagged" : "no action"
        a["spam-score"] = score + (required.map { "/" + $0 } ?? "")
        a["spam-symbols"] = tests.filter { !$0.isEmpty && $0 != "none" }.prefix(40).joined(separator: "; ")
    }

    /// Proofpoint's category scores (0-100) that say what the message is; the others are engine internals
    /// (`mlxscore`, `clxscore`, `priorityscore`, ...).
    static let proofpointCategories = ["spamscore", "phishscore", "malwarescore", "bulkscore", "impostorscore",
                                       "adultscore", "suspectscore"]
    /// The matched rule's last word: `rule=inbound_notspam`, `rule=spam`, `rule=fb_default_bulk`.
    static let proofpointFlagged: Set<String> = ["spam", "bulk", "phish", "malware", "virus", "adult", "suspect", "impostor"]

    /// `rule=spam policy=default score=100 spamscore=100 ...` → the rule's verdict, the score, the categories
    /// that scored, highest first (as Rspamd's symbols).
    private static func proofpoint(_ v: String, into a: inout [String: String]) {
        var fields: [String: String] = [:]
        for w in v.split(whereSeparator: { $0 == " " || $0 == "\t" }).prefix(64) {
            let kv = w.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[kv[0].lowercased()] = String(kv[1]) }
        }
        guard let rule = fields["rule"], let score = fields["score"] else { return }
        let verdict = rule.lowercased().split(separator: "_").last.map(String.init) ?? ""
        let scored = proofpointCategories.compactMap { k -> (String, Int)? in
            guard let n = fields[k].flatMap({ Int($0) }), n > 0 else { return nil }
            return (k, n)
        }.sorted { $0.1 > $1.1 }
        a["spam-filter"] = "proofpoint"
        a["spam-action"] = proofpointFlagged.contains(verdict) ? "tagged" : "no action"
        a["spam-score"] = score
        a["spam-rule"] = rule
        a["spam-symbols"] = scored.map { "\($0.0) \($0.1)" }.joined(separator: "; ")
    }

    /// `default: True [8.50 / 15.00]; R_SPF_FAIL(1.00)[-all]; ...` → heaviest symbols first, as Rspamd's log.
    private static func rspamd(_ v: String, action: String?, flag: String?, into a: inout [String: String]) {
        let parts = v.split(separator: ";").map { String($0).trimmingSpaces }
        guard let head = parts.first, head.lowercased().hasPrefix("default:") else { return }
        var score = "?"
        if let open = head.firstIndex(of: "["), let close = head.firstIndex(of: "]"), open < close {
            score = head[head.index(after: open)..<close].split(separator: "/").map { String($0).trimmingSpaces }.joined(separator: "/")
        }
        var symbols: [(String, Double)] = []
        for p in parts.dropFirst().prefix(100) {
            guard let open = p.firstIndex(of: "("), let close = p[open...].firstIndex(of: ")") else { continue }
            let name = String(p[..<open])
            guard !name.isEmpty, !name.contains(" "), let w = Double(p[p.index(after: open)..<close]) else { continue }
            symbols.append((name, w))
        }
        symbols.sort { $0.1 > $1.1 }
        let isSpam = head.lowercased().contains("true") || flag?.trimmingSpaces.lowercased().hasPrefix("yes") == true
        a["spam-filter"] = "rspamd"
        a["spam-action"] = action?.trimmingSpaces.lowercased() ?? (isSpam ? "add header" : "no action")
        a["spam-score"] = score
        a["spam-symbols"] = symbols.filter { $0.1 > 0 }.prefix(40).map { "\($0.0) \(String(format: "%.2f", $0.1))" }.joined(separator: "; ")
    }
}
