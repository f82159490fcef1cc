import Foundation

/// What a DNS lookup said about a mail domain, from pasted `dig`/`nslookup`/`host` output or from the live
/// probe. Stored on the session as `dns-*` attributes so rules and renderers need no new model fields.
public struct DNSFacts: Sendable, Hashable {
    /// The server that answered (`127.0.0.53#53`).
    public var server: String?
    /// Status of the first lookup: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, or `timeout`.
    public var status: String?
    /// The first question asked (`example.com MX`).
    public var query: String?
    /// MX records in preference order (host names without the trailing dot).
    public var mx: [(preference: Int, host: String)] = []
    /// The domain has no MX record (an answer without MX data, or `has no MX record`).
    public var noMX = false
    /// Host name -> addresses (A and AAAA), in the order seen.
    public var addresses: [(host: String, addresses: [String])] = []
    /// Alias -> canonical name.
    public var cnames: [(alias: String, target: String)] = []
    /// Address -> PTR names.
    public var ptr: [(address: String, names: [String])] = []
    /// Address -> whether its PTR name resolves back to it.
    public var forwardConfirmed: [(address: String, confirmed: Bool)] = []
    /// TXT records (owner, the strings joined): SPF, DMARC, DKIM keys, MTA-STS and TLS-RPT records among them.
    public var txt: [(owner: String, text: String)] = []
    /// The lines of an MTA-STS policy file fetched in the paste (`curl https://mta-sts.DOMAIN/.well-known/mta-sts.txt`):
    /// `version: STSv1`, `mode: enforce`, `mx: ...`, `max_age: ...`, in order.
    public var stsPolicy: [(key: String, value: String)] = []
    /// The MTA-STS policy fetch (`curl https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, or `records`' own):
    /// the host, and `200` or what went wrong (`HTTP 404 Not Found`, `curl: (60) SSL certificate problem: ...`).
    public var stsFetch: (host: String, outcome: String)?
    /// Later lookups that failed (`mx2.shop.example` NXDOMAIN after the domain's MX answer), in order: the first
    /// lookup's failure is `status`, but a failed lookup of an MX host is a fault of its own.
    public var unresolved: [(name: String, status: String)] = []
    /// Names the paste asked TXT records of (`dig TXT _dmarc.example.com`): what it did not find is told too.
    public var txtLookups: [String] = []
    /// TLSA records (DANE, RFC 6698 and 7672): `_25._tcp.mx.example.com` with its certificate usage, selector,
    /// matching type and association data (hex, lower case).
    public var tlsa: [TLSARecord] = []
    /// TLSA answers by whether the resolver marked them DNSSEC-validated (dig's `ad` flag), in order.
    public var tlsaValidated: [(owner: String, validated: Bool)] = []
    /// Names the paste (or `records`) asked TLSA records of: one without an answer has none.
    public var tlsaLookups: [String] = []

    /// Note a TLSA question for `owner` (`_25._tcp.mx.example.com`).
    public mutating func addTLSALookup(_ owner: String) {
        let o = Self.canonical(owner)
        guard !o.isEmpty, !tlsaLookups.contains(o), tlsaLookups.count < 64 else { return }
        tlsaLookups.append(o)
    }

    public struct TLSARecord: Sendable, Hashable {
        public var owner: String
        public var usage: Int
        public var selector: Int
        public var matching: Int
        public var data: String
        public init(owner: String, usage: Int, selector: Int, matching: Int, data: String) {
            self.owner = owner
            self.usage = usage
            self.selector = selector
            self.matching = matching
            self.data = data
        }
        /// `3 1 1 0c72ac70...`, as dig prints it (in lower case, the data in one piece).
        public var text: String { "\(usage) \(selector) \(matching) \(data)" }
        /// The MX host the record is for: `mx.example.com` of `_25._tcp.mx.example.com`.
        public var host: String {
            let parts = owner.split(separator: ".", maxSplits: 2)
            return parts.count == 3 && parts[0].hasPrefix("_") && parts[1].hasPrefix("_") ? String(parts[2]) : owner
        }
    }

    /// Looked-up names without the mail record they are for: the domain without SPF, `_dmarc.` without
    /// DMARC, a DKIM selector without its key, `_smtp._tls.` without a TLS-RPT record (optional, but a
    /// rule asks for it where MTA-STS or DANE is published). An MTA-STS record is optional.
    public var txtMissing: [String] {
        txtLookups.filter { name in
            let found = txt.filter { $0.owner == name }
            if name.hasPrefix("_dmarc.") || name.contains("._domainkey.") || name.hasPrefix("_smtp._tls.") { return found.isEmpty }
            if name.hasPrefix("_") { return false }
            return !found.contains { $0.text.lowercased().hasPrefix("v=spf1") }
        }
    }

    public init() {}

    public var isEmpty: Bool {
        server == nil && status == nil && mx.isEmpty && !noMX && addresses.isEmpty && cnames.isEmpty && ptr.isEmpty && txt.isEmpty && stsPolicy.isEmpty
            && stsFetch == nil && tlsa.isEmpty
    }

    /// The name the first question asked about (`example.com` of `example.com MX`).
    public var queryName: String? { query?.split(separator: " ").first.map(String.init) }

    /// RFC 7505: a single MX of preference 0 pointing at the root.
    public var nullMX: Bool { mx.count == 1 && mx[0].host == "." }

    public static func == (a: DNSFacts, b: DNSFacts) -> Bool { a.attributes == b.attributes }
    public func hash(into h: inout Hasher) { h.combine(attributes) }

    /// NXDOMAIN for `_dmarc.`, `_mta-sts.`, `_smtp._tls.` or a DKIM selector says the record is not there,
    /// not that the domain is: as facts about the domain, the lookup found nothing (and `txtMissing` says so).
    public var settled: DNSFacts {
        guard status == "NXDOMAIN", let q = query, q.hasSuffix(" TXT"),
              q.hasPrefix("_") || q.contains("._domainkey.") else { return self }
        var f = self
        f.status = "NOERROR"
        return f
    }

    /// A lookup of `name` failed with `status` (NXDOMAIN, SERVFAIL, ...). A missing `_dmarc.`/`_mta-sts.`/DKIM
    /// record is no failed name (`txtMissing` tells it).
    public mutating func addUnresolved(_ name: String, _ status: String) {
        let n = Self.canonical(name)
        guard status != "NOERROR", !n.isEmpty, !n.hasPrefix("_"), !n.contains("._domainkey."), unresolved.count < 32,
              !unresolved.contains(where: { $0.name == n }),
              n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else { return }
        unresolved.append((n, status))
    }

    public mutating func addMX(_ preference: Int, _ host: String) {
        let h = Self.canonical(host)
        guard !mx.contains(where: { $0.preference == preference && $0.host == h }), mx.count < 64 else { return }
        mx.append((preference, h))
        mx.sort { $0.preference < $1.preference }
    }

    public mutating func addAddress(_ host: String, _ address: String) {
        let h = Self.canonical(host)
        if let i = addresses.firstIndex(where: { $0.host == h }) {
            if !addresses[i].addresses.contains(address), addresses[i].addresses.count < 32 {
                addresses[i].addresses.append(address)
            }
        } else if addresses.count < 64 {
            addresses.append((h, [address]))
        }
    }

    public mutating func addCNAME(_ alias: String, _ target: String) {
        let a = Self.canonical(alias), t = Self.canonical(target)
        guard !cnames.contains(where: { $0.alias == a }), cnames.count < 64 else { return }
        cnames.append((a, t))
    }

    public mutating func addPTR(_ address: String, _ name: String) {
        let n = Self.canonical(name)
        if let i = ptr.firstIndex(where: { $0.address == address }) {
            if !ptr[i].names.contains(n), ptr[i].names.count < 16 { ptr[i].names.append(n) }
        } else if ptr.count < 64 {
            ptr.append((address, [n]))
        }
    }

    /// A TXT record; `owner` may be empty when the output does not name it (`dig +short` without a name).
    public mutating func addTXT(_ owner: String, _ text: String) {
        let o = Self.canonical(owner), t = String(text.prefix(4_096))
        guard !txt.contains(where: { $0.owner == o && $0.text == t }), txt.count < 64 else { return }
        txt.append((o, t))
    }

    /// The character-strings of a TXT record's data joined, as receivers read them: `"v=spf1 a" " -all"` →
    /// `v=spf1 a -all` (dig's `\"`, `\\` and `\DDD` escapes decoded). Unquoted data is taken as it is.
    public static func txtData(_ raw: String) -> String {
        let b = Array(raw.utf8)
        guard b.contains(0x22) else { return raw.trimmingCharacters(in: .whitespaces) }
        var out: [UInt8] = []
        var i = 0, inside = false
        while i < b.count {
            let c = b[i]
            if !inside {
                if c == 0x22 { inside = true }
                i += 1
                continue
            }
            if c == 0x22 { inside = false; i += 1; continue }
            if c == 0x5C, i + 1 < b.count {
                // `\DDD`: a byte in decimal.
                if i + 3 < b.count, let d = Int(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self)), d < 256 {
                    out.append(UInt8(d)); i += 4; continue
                }
                out.append(b[i + 1]); i += 2; continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A TLSA record from its presentation form: `3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6`
    /// (dig splits long data into blank-separated groups). Lines that are not one are ignored.
    public mutating func addTLSA(_ owner: String, _ words: [String]) {
        guard words.count >= 4, let u = Int(words[0]), let sel = Int(words[1]), let m = Int(words[2]),
              (0...255).contains(u), (0...255).contains(sel), (0...255).contains(m) else { return }
        addTLSA(TLSARecord(owner: owner, usage: u, selector: sel, matching: m, data: words[3...].joined()))
    }

    /// A TLSA record as a lookup returned it (owner and data made canonical here).
    public mutating func addTLSA(_ record: TLSARecord) {
        var r = record
        r.owner = Self.canonical(r.owner)
        r.data = String(r.data.lowercased().prefix(1_024))
        guard tlsa.count < 64, !tlsa.contains(r) else { return }
        tlsa.append(r)
    }

    /// Whether the resolver marked the TLSA answer for `owner` as validated (the `ad` flag).
    public mutating func setTLSAValidated(_ owner: String, _ validated: Bool) {
        let o = Self.canonical(owner)
        guard !tlsaValidated.contains(where: { $0.owner == o }), tlsaValidated.count < 64 else { return }
        tlsaValidated.append((o, validated))
    }

    public mutating func setConfirmed(_ address: String, _ ok: Bool) {
        if let i = forwardConfirmed.firstIndex(where: { $0.address == address }) {
            forwardConfirmed[i].confirmed = ok
        } else if forwardConfirmed.count < 64 {
            forwardConfirmed.append((address, ok))
        }
    }

    /// Lower-cased, without the trailing dot (the root stays ".").
    public static func canonical(_ name: String) -> String {
        let l = name.lowercased()
        return l.count > 1 && l.hasSuffix(".") ? String(l.dropLast()) : l
    }

    /// The session attributes: `dns-server`, `dns-status`, `dns-query`, `dns-mx` (`10 a.example, 20 b.example`),
    /// `dns-no-mx`, `dns-null-mx`, `dns-addresses` (`host=ip ip; host=ip`), `dns-cname` (`alias=target; ...`),
    /// `dns-ptr` (`ip=name; ...`), `dns-ptr-confirmed` (`ip=yes; ip=no`), `dns-txt-1`, `dns-txt-2`, ... (`owner text`).
    public var attributes: [String: String] {
        var a: [String: String] = [:]
        if let server { a["dns-server"] = server }
        if let status { a["dns-status"] = status }
        if let query { a["dns-query"] = query }
        if !mx.isEmpty { a["dns-mx"] = mx.map { "\($0.preference) \($0.host)" }.joined(separator: ", ") }
        if noMX && mx.isEmpty { a["dns-no-mx"] = "yes" }
        if nullMX { a["dns-null-mx"] = "yes" }
        if !addresses.isEmpty {
            a["dns-addresses"] = addresses.map { "\($0.host)=\($0.addresses.joined(separator: " "))" }.joined(separator: "; ")
        }
        if !cnames.isEmpty { a["dns-cname"] = cnames.map { "\($0.alias)=\($0.target)" }.joined(separator: "; ") }
        if !ptr.isEmpty { a["dns-ptr"] = ptr.map { "\($0.address)=\($0.names.joined(separator: " "))" }.joined(separator: "; ") }
        if !forwardConfirmed.isEmpty {
            a["dns-ptr-confirmed"] = forwardConfirmed.map { "\($0.address)=\($0.confirmed ? "yes" : "no")" }.joined(separator: "; ")
        }
        // One attribute per record (their text holds any separator): `dns-txt-1` = `shop.example v=spf1 mx -all`.
        for (i, r) in txt.enumerated() { a["dns-txt-\(i + 1)"] = (r.owner.isEmpty ? "." : r.owner) + " " + r.text }
        if !stsPolicy.isEmpty { a["dns-sts-policy"] = stsPolicy.map { "\($0.key): \($0.value)" }.joined(separator: "; ") }
        if case let missing = txtMissing, !missing.isEmpty { a["dns-txt-missing"] = missing.joined(separator: " ") }
        if let f = stsFetch { a["dns-sts-fetch"] = f.host + " " + f.outcome }
        if !unresolved.isEmpty { a["dns-unresolved"] = unresolved.map { "\($0.name) \($0.status)" }.joined(separator: "; ") }
        if !tlsa.isEmpty { a["dns-tlsa"] = tlsa.map { "\($0.owner) \($0.text)" }.joined(separator: "; ") }
        if !tlsaLookups.isEmpty { a["dns-tlsa-asked"] = tlsaLookups.joined(separator: " ") }
        if !tlsaValidated.isEmpty {
            a["dns-tlsa-validated"] = tlsaValidated.map { "\($0.owner)=\($0.validated ? "yes" : "no")" }.joined(separator: "; ")
        }
        return a
    }

    /// Parse the attributes back (for rules).
    public init(attributes a: [String: String]) {
        // Every session's rules ask; most sessions hold no DNS attribute at all.
        guard a.keys.contains(where: { $0.utf8.starts(with: "dns-".utf8) }) else { return }
        server = a["dns-server"]
        status = a["dns-status"]
        query = a["dns-query"]
        noMX = a["dns-no-mx"] == "yes"
        for item in Self.items(a["dns-mx"], ",") {
            let p = item.split(separator: " ")
            if p.count == 2, let n = Int(p[0]) { mx.append((n, String(p[1]))) }
        }
        for item in Self.items(a["dns-addresses"], ";") {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { addresses.append((String(kv[0]), kv[1].split(separator: " ").map(String.init))) }
        }
        for item in Self.items(a["dns-cname"], ";") {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { cnames.append((String(kv[0]), String(kv[1]))) }
        }
        for item in Self.items(a["dns-ptr"], ";") {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { ptr.append((String(kv[0]), kv[1].split(separator: " ").map(String.init))) }
        }
        if let f = a["dns-sts-fetch"], let sp = f.firstIndex(of: " ") {
            stsFetch = (String(f[..<sp]), String(f[f.index(after: sp)...]))
        }
        for item in Self.items(a["dns-unresolved"], ";") {
            let p = item.split(separator: " ")
            if p.count == 2 { unresolved.append((String(p[0]), String(p[1]))) }
        }
        for item in Self.items(a["dns-tlsa"], ";") {
            let w = item.split(separator: " ").map(String.init)
            if w.count == 5 { addTLSA(w[0], Array(w[1...])) }
        }
        for o in (a["dns-tlsa-asked"] ?? "").split(separator: " ") { addTLSALookup(String(o)) }
        for item in Self.items(a["dns-tlsa-validated"], ";") {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { tlsaValidated.append((String(kv[0]), kv[1] == "yes")) }
        }
        for item in Self.items(a["dns-ptr-confirmed"], ";") {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { forwardConfirmed.append((String(kv[0]), kv[1] == "yes")) }
        }
        for item in Self.items(a["dns-sts-policy"], ";") {
            let kv = item.split(separator: ":", maxSplits: 1)
            if kv.count == 2 { stsPolicy.append((String(kv[0]), String(kv[1]).trimmingCharacters(in: .whitespaces))) }
        }
        var n = 1
        while let v = a["dns-txt-\(n)"], n <= 64 {
            let parts = v.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            txt.append((parts[0] == "." ? "" : String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            n += 1
        }
    }

    private static func items(_ s: String?, _ sep: Character) -> [String] {
        guard let s else { return [] }
        return s.split(separator: sep).map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Addresses known for a host (following CNAMEs).
    public func addresses(of host: String) -> [String] {
        var h = Self.canonical(host)
        var hops = 0
        while let c = cnames.first(where: { $0.alias == h }), hops < 8 {
            h = c.target
            hops += 1
        }
        return (addresses.first { $0.host == Self.canonical(host) }?.addresses ?? [])
            + (h == Self.canonical(host) ? [] : (addresses.first { $0.host == h }?.addresses ?? []))
    }
}
