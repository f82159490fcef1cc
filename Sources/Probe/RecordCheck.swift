import Foundation
import TranscriptModel

/// `smtpexplain records DOMAIN`: looks up a domain's mail records live, as an admin would with `dig` — MX, the
/// SPF record, DMARC, MTA-STS and TLS-RPT records, and DKIM keys for the selectors given — and returns them
/// as one session of DNS answers, explained by the same rules as a pasted lookup. Each MX host's TLSA records
/// (DANE) are looked up too. No mail server is contacted;
/// a published MTA-STS record has its policy fetched over HTTPS (`mta-sts.DOMAIN`, port 443).
public struct RecordCheck: Sendable {
    public var domain: String
    public var selectors: [String] = []
    public var dnsServer: Endpoint = DNSClient.systemServer()
    public var timeout: Double = 5
    public var inputName = "records"
    /// Where the MTA-STS policy is fetched (443; tests use a loopback port) and extra trusted certificates.
    public var httpsPort: UInt16 = 443
    public var trustFile: String?

    public init(domain: String) { self.domain = DNSFacts.canonical(domain) }

    public func run() -> Session {
        var rec = Recorder(input: inputName)
        var facts = DNSFacts()
        let client = DNSClient(server: dnsServer, timeout: timeout)
        facts.server = "\(dnsServer.address)#\(dnsServer.port)"
        facts.query = "\(domain) MX"
        rec.dns(";; SERVER: \(facts.server!)")

        switch client.query(domain, .mx) {
        case .failure(let e):
            facts.status = e.isTimeout ? "timeout" : "error"
            rec.dns(e.isTimeout ? ";; connection timed out; no servers could be reached" : ";; \(e)")
        case .success(let m):
            facts.status = m.rcodeName
            if m.rcode != 0 {
                rec.dns("Host \(domain) not found: \(m.rcode)(\(m.rcodeName))")
            } else {
                let mx = m.answers.compactMap { r -> (Int, String)? in
                    if case .mx(let p, let ex) = r.data { return (Int(p), ex) }
                    return nil
                }.sorted { $0.0 < $1.0 }
                for (p, ex) in mx {
                    facts.addMX(p, ex)
                    rec.dns("\(domain) mail is handled by \(p) \(ex == "." ? "." : ex + ".")")
                }
                if mx.isEmpty { facts.noMX = true; rec.dns("\(domain) has no MX record") }
            }
        }

        // Each MX host must resolve: an MX naming a deleted host is a classic after a provider move.
        for host in facts.mx.map(\.host).filter({ $0 != "." && DNSMessage.family(of: $0) == nil }).prefix(8) {
            _ = Prober.addresses(of: host, client: client, dns: &facts, rec: &rec)
            // DANE: the host's TLSA records, if the domain publishes any.
            Prober.tlsa(of: host, client: client, dns: &facts, rec: &rec)
        }

        // A domain that does not resolve has no records to look at.
        if facts.status == "NOERROR" {
            var names = [domain, "_dmarc." + domain, "_mta-sts." + domain, "_smtp._tls." + domain]
            names += selectors.prefix(16).map { "\($0)._domainkey.\(domain)" }
            for name in names {
                let found = Self.txt(name, client: client, rec: &rec)
                // The domain's own TXT records: only SPF is about mail (verification tokens are not).
                let kept = name == domain ? found.filter { $0.lowercased().hasPrefix("v=spf1") } : found
                for t in kept { facts.addTXT(name, t) }
                // What the lookup did not find is told as for a pasted one (`DNSFacts.txtMissing`).
                facts.txtLookups.append(DNSFacts.canonical(name))
            }
        }

        // A published MTA-STS record: fetch the policy as senders would, and check it against the MX hosts.
        let stsName = "_mta-sts." + domain
        if facts.txt.contains(where: { $0.owner == stsName && $0.text.lowercased().hasPrefix("v=stsv1") }) {
            var fetch = STSPolicyFetch(host: "mta-sts." + domain)
            fetch.port = httpsPort
            fetch.timeout = timeout
            fetch.trustFile = trustFile
            fetch.record(client: client, facts: &facts, rec: &rec)
        }

        var b = SessionBuilder(input: inputName, format: "dns")
        for i in rec.lines.indices { b.note(rec.text(i), kind: .dns, at: rec.position(i)) }
        b.attributes = facts.attributes
        b.attributes["records-target"] = domain
        return b.finish()
    }

    /// The TXT records of `name`, each as its strings joined, recorded in `host -t txt`'s words.
    static func txt(_ name: String, client: DNSClient, rec: inout Recorder) -> [String] {
        switch client.query(name, .txt) {
        case .failure(let e):
            rec.dns(";; \(name) TXT: \(e)")
            return []
        case .success(let m):
            guard m.rcode == 0 else {
                rec.dns("Host \(name) not found: \(m.rcode)(\(m.rcodeName))")
                return []
            }
            var out: [String] = []
            for r in m.answers where r.type == .txt {
                guard case .other(let bytes) = r.data, out.count < 16 else { continue }
                let text = Self.txtStrings(bytes).joined()
                out.append(text)
                // Quoted as `host` prints it, so a saved transcript reads back the same.
                let quoted = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                rec.dns("\(name) descriptive text \"\(quoted)\"")
            }
            if out.isEmpty { rec.dns("\(name) has no TXT record") }
            return out
        }
    }

    /// TXT rdata: character-strings, each a length byte and that many bytes (RFC 1035 §3.3.14).
    static func txtStrings(_ b: [UInt8]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < b.count {
            let n = Int(b[i])
            let end = min(b.count, i + 1 + n)
            out.append(String(decoding: b[(i + 1)..<end], as: UTF8.self))
            i = end
        }
        return out
    }
}
