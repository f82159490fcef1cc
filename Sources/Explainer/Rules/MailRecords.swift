import Foundation
import TranscriptModel

/// The mail-authentication records among a paste's TXT answers (`dig TXT`, `nslookup -type=txt`, `host -t
/// txt`), sorted by kind and cut into their parts, for the DNS record rules.
struct MailRecords {
    struct Record {
        let owner: String
        let text: String
    }

    var spf: [Record] = []
    var dmarc: [Record] = []
    var dkim: [Record] = []
    var mtaSTS: [Record] = []
    var tlsRPT: [Record] = []
    /// An MTA-STS policy file's lines, and the MX hosts the paste's lookups found (to hold the policy to).
    var stsPolicy: [(key: String, value: String)] = []
    var mx: [String] = []
    /// The policy fetch: host and outcome (`200`, `HTTP 404 Not Found`, curl's error).
    var stsFetch: (host: String, outcome: String)?
    /// Names a live check asked for TXT records and got none (`smtpexplain records`).
    var missing: [String] = []
    /// DANE: the TLSA records of the MX hosts, and whether each answer was DNSSEC-validated.
    var tlsa: [DNSFacts.TLSARecord] = []
    var tlsaValidated: [(owner: String, validated: Bool)] = []
    var tlsaLookups: [String] = []

    var isEmpty: Bool { spf.isEmpty && dmarc.isEmpty && dkim.isEmpty && mtaSTS.isEmpty && tlsRPT.isEmpty && stsPolicy.isEmpty && missing.isEmpty
        && stsFetch == nil && tlsa.isEmpty }

    init(_ facts: DNSFacts) {
        stsPolicy = facts.stsPolicy
        stsFetch = facts.stsFetch
        mx = facts.mx.map(\.host).filter { $0 != "." }
        tlsa = facts.tlsa
        tlsaValidated = facts.tlsaValidated
        tlsaLookups = facts.tlsaLookups
        for r in facts.txt {
            let t = r.text.trimmedBlanks
            let l = t.lowercased()
            let rec = Record(owner: r.owner, text: t)
            if l == "v=spf1" || l.hasPrefix("v=spf1 ") { spf.append(rec) }
            else if r.owner.hasPrefix("_dmarc.") || l.hasPrefix("v=dmarc1") { dmarc.append(rec) }
            else if r.owner.contains("._domainkey.") || l.hasPrefix("v=dkim1") { dkim.append(rec) }
            else if r.owner.hasPrefix("_mta-sts.") || l.hasPrefix("v=stsv1") { mtaSTS.append(rec) }
            else if r.owner.hasPrefix("_smtp._tls.") || l.hasPrefix("v=tlsrptv1") { tlsRPT.append(rec) }
        }
    }

    /// `v=DMARC1; p=reject; rua=mailto:a@b` → `["v": "DMARC1", "p": "reject", ...]` (keys lower case; the
    /// first of a repeated tag).
    static func tags(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: ";").prefix(64).compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1)
            guard let k = kv.first?.trimmedBlanks.lowercased(), !k.isEmpty else { return nil }
            return (k, kv.count > 1 ? kv[1].trimmedBlanks : "")
        }
    }

    static func tag(_ tags: [(key: String, value: String)], _ key: String) -> String? { tags.first { $0.key == key }?.value }

    /// One term of an SPF record: `-all`, `include:_spf.example`, `ip4:192.0.2.0/24`, `redirect=_spf.example`.
    struct SPFTerm {
        let raw: String
        let qualifier: Character
        /// The mechanism (`all`, `include`, ...) or the modifier's name, lower case.
        let name: String
        let value: String?
        let isModifier: Bool

        init(_ raw: String) {
            self.raw = raw
            var body = Substring(raw)
            if let q = body.first, "+-~?".contains(q) { qualifier = q; body = body.dropFirst() } else { qualifier = "+" }
            let cut = body.firstIndex { $0 == ":" || $0 == "/" || $0 == "=" }
            name = String(cut.map { body[..<$0] } ?? body).lowercased()
            isModifier = cut.map { body[$0] == "=" } ?? false
            value = cut.map { String(body[body.index(after: $0)...]) }
        }
    }

    static let mechanisms: Set<String> = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]
    /// Terms that cost a DNS lookup at the receiver (RFC 7208 §4.6.4: at most 10 per check).
    static let lookupTerms: Set<String> = ["include", "a", "mx", "ptr", "exists", "redirect"]

    static func spfTerms(_ text: String) -> [SPFTerm] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().prefix(200).map { SPFTerm(String($0)) }
    }

    /// A term the SPF grammar does not allow, with why; nil when the term is well formed.
    static func spfSyntaxError(_ t: SPFTerm) -> String? {
        if t.isModifier {
            if mechanisms.contains(t.name) { return "`\(t.raw)`: a mechanism takes `:`, not `=` (`\(t.name):\(t.value ?? "")`)" }
            return (t.value ?? "").isEmpty ? "`\(t.raw)`: a modifier without a value" : nil
        }
        guard mechanisms.contains(t.name) else { return "`\(t.raw)`: `\(t.name)` is not an SPF mechanism" }
        switch t.name {
        case "ip4":
            guard let v = t.value, isIPv4Network(v) else { return "`\(t.raw)`: not an IPv4 address or network" }
        case "ip6":
            guard let v = t.value, v.contains(":") else { return "`\(t.raw)`: not an IPv6 address or network" }
        case "include", "exists":
            guard let v = t.value, !v.isEmpty else { return "`\(t.raw)`: `\(t.name)` needs a domain (`\(t.name):example.com`)" }
        case "all":
            if t.value != nil { return "`\(t.raw)`: `all` takes no value" }
        default:
            break
        }
        return nil
    }

    static func isIPv4Network(_ v: String) -> Bool {
        let parts = v.split(separator: "/", maxSplits: 1)
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        if parts.count == 2 { return Int(parts[1]).map { (0...32).contains($0) } ?? false }
        return true
    }

    /// An MTA-STS `mx:` pattern matches a host: the same name, or `*.example.com` for one more label in front.
    static func stsPattern(_ pattern: String, matches host: String) -> Bool {
        let p = pattern.lowercased(), h = host.lowercased()
        if p.hasPrefix("*.") {
            let rest = p.dropFirst(1)
            guard h.hasSuffix(rest) else { return false }
            let label = h.dropLast(rest.count)
            return !label.isEmpty && !label.contains(".")
        }
        return p == h
    }

    /// The RSA key size a DKIM record's `p=` holds, roughly (from the length of the encoded key: a 1024-bit
    /// key is about 162 bytes as SubjectPublicKeyInfo, 140 as a bare RSAPublicKey).
    static func dkimKeyBits(_ p: String) -> Int? {
        let chars = p.filter { !$0.isWhitespace && $0 != "=" }.count
        guard chars > 0 else { return nil }
        let bytes = chars * 3 / 4
        switch bytes {
        case ..<120: return 512
        case ..<250: return 1024
        case ..<420: return 2048
        case ..<700: return 3072
        default: return 4096
        }
    }
}

private extension StringProtocol {
    var trimmedBlanks: String { trimmingCharacters(in: .whitespaces) }
}

extension DNSFacts.TLSARecord {
    /// Why the record can never be used by an SMTP sender (RFC 6698 §2.1, RFC 7672 §3.1), or nil.
    var malformed: String? {
        if usage > 3 { return "certificate usage \(usage) is not defined (0 to 3)" }
        if selector > 1 { return "selector \(selector) is not defined (0 full certificate, 1 public key)" }
        if matching > 2 { return "matching type \(matching) is not defined (0 exact, 1 SHA-256, 2 SHA-512)" }
        if data.isEmpty || !data.allSatisfy(\.isHexDigit) { return "the association data is not hexadecimal" }
        if data.count % 2 == 1 { return "the association data has an odd number of hex digits" }
        if matching == 1, data.count != 64 { return "a SHA-256 digest (matching type 1) has 64 hex digits, this one \(data.count)" }
        if matching == 2, data.count != 128 { return "a SHA-512 digest (matching type 2) has 128 hex digits, this one \(data.count)" }
        return nil
    }
}
