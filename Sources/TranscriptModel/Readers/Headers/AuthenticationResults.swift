import Foundation

/// An `Authentication-Results:` field (RFC 8601): the receiving server's verdicts on SPF, DKIM, DMARC, ARC
/// and, at Microsoft, composite authentication. `mx.google.com; spf=softfail (comment) smtp.mailfrom=a@b;
/// dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=QUARANTINE) header.from=b`. Microsoft leaves out the
/// authserv-id: `spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=b; ...; compauth=pass reason=100`.
/// `Received-SPF:` (RFC 7208 §9.1) gives the SPF verdict in its own field.
struct AuthenticationResults: Sendable {
    struct Result: Sendable {
        /// `spf`, `dkim`, `dmarc`, `arc`, `compauth`, ... (lower case, without a version).
        var method: String
        /// `pass`, `fail`, `softfail`, `none`, `neutral`, `temperror`, `permerror`, `policy`, `bestguesspass`.
        var result: String
        /// The first comment: the verifier's words (`body hash did not verify`, `p=QUARANTINE dis=...`).
        var comment: String?
        /// `smtp.mailfrom`, `header.d`, `header.from`, `action`, `reason`, ... as written.
        var properties: [String: String] = [:]
    }

    var authservID: String?
    var results: [Result] = []
    var line: Int

    /// `ARC-Authentication-Results: i=1; ...`: the ARC instance (1 is the first receiver that sealed).
    var instance: Int?

    init?(_ field: HeaderField) {
        line = field.firstLine
        var segment: [HeaderToken] = []
        var first = true
        for t in HeaderToken.split(field.value) + [.semicolon] {
            guard t == .semicolon else { segment.append(t); continue }
            let s = segment
            segment.removeAll()
            if first, instance == nil, s.count == 1, case .word(let w)? = s.first, w.hasPrefix("i="), let n = Int(w.dropFirst(2)) {
                // ARC's instance comes before the authserv-id.
                instance = n
                continue
            }
            defer { first = false }
            if first, case .word(let w)? = s.first, !w.contains("=") {
                authservID = w
                continue
            }
            if let r = Self.result(s), results.count < 32 { results.append(r) }
        }
        guard !results.isEmpty else { return nil }
    }

    /// `Received-SPF: Softfail (google.com: domain of ... does not designate 192.0.2.1 as permitted sender)
    /// client-ip=192.0.2.1; envelope-from=a@b; helo=...;`
    init?(receivedSPF field: HeaderField) {
        line = field.firstLine
        let tokens = HeaderToken.split(field.value)
        guard case .word(let verdict)? = tokens.first else { return nil }
        var r = Result(method: "spf", result: verdict.lowercased())
        for t in tokens.dropFirst() {
            switch t {
            case .comment(let c): if r.comment == nil { r.comment = c }
            case .word(let w):
                if let eq = w.firstIndex(of: "=") {
                    r.properties[String(w[..<eq]).lowercased()] = String(w[w.index(after: eq)...]).trimmingCharacters(in: [";", "\""])
                }
            case .semicolon: break
            }
        }
        if let from = r.properties["envelope-from"] { r.properties["smtp.mailfrom"] = from }
        results = [r]
    }

    private static func result(_ segment: [HeaderToken]) -> Result? {
        guard case .word(let head)? = segment.first, let eq = head.firstIndex(of: "=") else { return nil }
        let method = head[..<eq].split(separator: "/").first.map { $0.lowercased() } ?? ""
        let value = head[head.index(after: eq)...].lowercased()
        guard !method.isEmpty, !value.isEmpty, method.utf8.count < 40 else { return nil }
        var r = Result(method: method, result: value)
        for t in segment.dropFirst() {
            switch t {
            case .comment(let c): if r.comment == nil { r.comment = c }
            case .word(let w):
                guard let e = w.firstIndex(of: "="), r.properties.count < 24 else { continue }
                let v = String(w[w.index(after: e)...]).trimmingCharacters(in: ["\""])
                r.properties[String(w[..<e]).lowercased()] = v
            case .semicolon: break
            }
        }
        return r
    }

    func all(_ method: String) -> [Result] { results.filter { $0.method == method } }

    /// The verdict that counts for a method: a pass when any signature passed (DKIM), else the first.
    func verdict(_ method: String) -> Result? {
        let rs = all(method)
        return rs.first { $0.result == "pass" } ?? rs.first
    }

    /// The connecting address SPF was checked for: `client-ip=`, Microsoft's `sender IP is`, Gmail's
    /// `designates 192.0.2.1 as`, `smtp.remote-ip=`.
    var spfAddress: String? {
        guard let spf = all("spf").first else { return nil }
        for key in ["client-ip", "smtp.remote-ip", "policy.iprev"] { if let v = spf.properties[key], !v.isEmpty { return v } }
        guard let c = spf.comment else { return nil }
        for marker in ["sender IP is ", "designates ", "designate "] {
            if let r = c.range(of: marker) {
                let ip = c[r.upperBound...].prefix { $0.isHexDigit || $0 == "." || $0 == ":" }
                if ReceivedHop.bareAddress(String(ip)) != nil { return String(ip) }
            }
        }
        return nil
    }
}

extension String {
    /// The domain of `user@domain` (or the text itself when it has no `@`), lower case.
    var mailDomain: String {
        var s = self
        if s.hasPrefix("<"), s.hasSuffix(">") { s = String(s.dropFirst().dropLast()) }
        return (s.split(separator: "@").last.map(String.init) ?? s).lowercased()
    }
}

/// DMARC's relaxed alignment (RFC 7489 §3.1), near enough without the public suffix list: the same name,
/// one a subdomain of the other, or the same last two labels.
public enum DomainAlignment {
    public static func relaxed(_ a: String, _ b: String) -> Bool {
        let x = a.lowercased(), y = b.lowercased()
        if x == y || x.hasSuffix("." + y) || y.hasSuffix("." + x) { return true }
        return x.split(separator: ".").suffix(2) == y.split(separator: ".").suffix(2)
    }
}
