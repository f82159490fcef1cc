import Explainer
import Foundation
import Probe
import Testing
import TranscriptModel

/// DANE (RFC 6698, RFC 7672): TLSA records read from pastes and live lookups, checked by the record rules, and
/// held against a certificate.
@Suite struct DANETests {
    static let fixture: DANECertificate? = {
        guard let pem = try? String(contentsOfFile: TestHTTPSServer.certificate, encoding: .utf8) else { return nil }
        return DANECertificate(pem: pem)
    }()

    @Test func recordsMatchTheCertificateTheyNameOnly() throws {
        let cert = try #require(Self.fixture)
        func rec(_ u: Int, _ s: Int, _ m: Int, _ data: String) -> DNSFacts.TLSARecord {
            .init(owner: "_25._tcp.mx.example", usage: u, selector: s, matching: m, data: data)
        }
        let key = "01ed2c7534b6a8b2c32766b2e610861723a5fd2c798b940930fff14af2ee1478"
        // `openssl x509 -outform DER | openssl dgst -sha512` of the fixture.
        let full = "2c2e7ea71d0b00a9166ab57dc2b148fe5c46577558d432f98a356ba8f831cd78841c1724ac7fa846ed3c207bb9cfa2f1fb390d3565bea253b4e8fc9ada3ef52c"
        #expect(DANEMatch.matching([rec(3, 1, 1, key)], chain: [cert])?.text == "3 1 1 " + key)
        #expect(DANEMatch.matching([rec(3, 0, 2, full)], chain: [cert]) != nil)
        // Another key, the right key under the wrong selector, a PKIX usage, a trust anchor that is the server itself.
        #expect(DANEMatch.matching([rec(3, 1, 1, String(key.reversed()))], chain: [cert]) == nil)
        #expect(DANEMatch.matching([rec(3, 0, 1, key)], chain: [cert]) == nil)
        #expect(DANEMatch.matching([rec(1, 1, 1, key)], chain: [cert]) == nil)
        #expect(DANEMatch.matching([rec(2, 1, 1, key)], chain: [cert]) == nil)
        // A trust anchor the server sent after its own certificate.
        let leaf = DANECertificate(der: [1, 2, 3], spki: [4, 5, 6])
        #expect(DANEMatch.matching([rec(2, 1, 1, key)], chain: [leaf, cert]) != nil)
        #expect(DANECertificate(pem: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n") == nil)
    }

    @Test func pastedDigOutput() throws {
        let paste = """
        $ dig +dnssec TLSA _25._tcp.mx1.shop.example

        ; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> +dnssec TLSA _25._tcp.mx1.shop.example
        ;; global options: +cmd
        ;; Got answer:
        ;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 41822
        ;; flags: qr rd ra; QUERY: 1, ANSWER: 3, AUTHORITY: 0, ADDITIONAL: 1

        ;; QUESTION SECTION:
        ;_25._tcp.mx1.shop.example.\tIN\tTLSA

        ;; ANSWER SECTION:
        _25._tcp.mx1.shop.example. 3600\tIN\tTLSA\t3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6
        _25._tcp.mx1.shop.example. 3600\tIN\tTLSA\t3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDB
        _25._tcp.mx1.shop.example. 3600\tIN\tTLSA\t1 0 1 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08

        ;; SERVER: 127.0.0.53#53(127.0.0.53) (UDP)

        """
        var sessions: [Session] = []
        _ = try InputDriver.read(name: "tlsa.txt", bytes: Array(paste.utf8)) { sessions.append($0) }
        let s = try #require(sessions.first)
        #expect(s.format == "dns")
        let facts = DNSFacts(attributes: s.attributes)
        #expect(facts.tlsa.map(\.text) == ["3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6",
                                           "3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdb",
                                           "1 0 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
        #expect(facts.tlsa.first?.host == "mx1.shop.example")
        #expect(s.attributes["dns-tlsa-validated"] == "_25._tcp.mx1.shop.example=no")
        let x = Explainer().explain(s)
        let bad = try #require(x.findings.first { $0.id == "dane-tlsa-malformed" })
        #expect(bad.severity == .error)
        #expect(bad.title == "The TLSA record 3 1 1 for mx1.shop.example can never match")
        #expect(bad.explanation.hasSuffix("A SHA-256 digest (matching type 1) has 64 hex digits, this one 40."))
        #expect(bad.evidence.first?.position.line == 14)
        // The PKIX record sits next to a usable one: only clutter.
        let pkix = try #require(x.findings.first { $0.id == "dane-tlsa-pkix-usage" })
        #expect(pkix.severity == .info && pkix.title == "A TLSA record for mx1.shop.example uses PKIX usage 1, which SMTP senders ignore")
        #expect(x.findings.contains { $0.id == "dane-tlsa-not-validated" && $0.severity == .warning })
        // `host -t TLSA` and `dig +short` say the same records.
        for other in ["$ host -t TLSA _25._tcp.mx1.shop.example\n_25._tcp.mx1.shop.example has TLSA record 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6\n",
                      "$ dig +short TLSA _25._tcp.mx1.shop.example\n3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6\n"] {
            var got: [Session] = []
            _ = try InputDriver.read(name: "tlsa.txt", bytes: Array(other.utf8)) { got.append($0) }
            #expect(got.first?.attributes["dns-tlsa"] == "_25._tcp.mx1.shop.example 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6")
        }
    }

    /// A host with signed TLSA records that does not offer STARTTLS: DANE senders will not deliver to it.
    @Test func tlsaRecordsWithoutSTARTTLS() throws {
        let dns = try #require(TestDNSServer.shared)
        let server = try #require(FakeSMTPServer(greeting: "220 mx-danebad.probe.test ESMTP\r\n",
                                                 replies: ["250-mx-danebad.probe.test\r\n250 PIPELINING\r\n", "250 2.1.0 Ok\r\n",
                                                           "250 2.1.5 Ok\r\n", "221 2.0.0 Bye\r\n"], closeAfterReplies: true))
        var o = ProbeOptions(target: "bob@danebad.probe.test")
        o.server = "mx-danebad.probe.test:\(server.port)"
        o.dnsServer = dns.endpoint
        o.timeout = 2
        o.helo = "client.probe.test"
        let s = try #require(Prober(options: o).run().sessions.last)
        #expect(s.attributes["starttls"] == "not offered")
        #expect(s.attributes["dns-tlsa-validated"] == "_25._tcp.mx-danebad.probe.test=yes")
        let x = Explainer(sessionRules: SessionRules.table + DNSRules.table).explain(s)
        let f = try #require(x.findings.first { $0.id == "dane-starttls-failed" })
        #expect(f.severity == .error)
        #expect(f.explanation.hasSuffix("STARTTLS: not offered."))
        #expect(f.evidence.first?.text.hasPrefix("_25._tcp.mx-danebad.probe.test.\t300\tIN\tTLSA\t3 1 1 ") == true)
    }

    /// `smtpexplain records` looks up each MX host's TLSA records with the AD bit and writes them as dig does.
    @Test func liveLookupOfTheMXHostsRecords() throws {
        let dns = try #require(TestDNSServer.shared)
        var check = RecordCheck(domain: "dane.records.test")
        check.dnsServer = dns.endpoint
        let s = check.run()
        #expect(s.attributes["dns-tlsa"] == "_25._tcp.mx.dane.records.test 3 1 1 \(TestZone.fixtureKeySHA256); _25._tcp.mx.dane.records.test 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdb")
        #expect(s.attributes["dns-tlsa-validated"] == "_25._tcp.mx.dane.records.test=yes")
        let x = Explainer().explain(s)
        #expect(x.findings.contains { $0.id == "dane-tlsa-malformed" })
        #expect(!x.findings.contains { $0.id == "dane-tlsa-not-validated" })
        // The backup MX has none.
        let partial = try #require(x.findings.first { $0.id == "dane-tlsa-partial" })
        #expect(partial.title == "MX mx2.dane.records.test has no TLSA records, while mx.dane.records.test has")
        #expect(x.findings.first { $0.id == "tls-rpt-missing" }?.title == "dane.records.test publishes TLSA records but no TLS-RPT record")
        #expect(partial.evidence.first?.text == "Host _25._tcp.mx2.dane.records.test not found: 3(NXDOMAIN)")
        // A saved copy reads back the same.
        let text = s.notes.map(\.text).joined(separator: "\n") + "\n"
        var again: [Session] = []
        _ = try InputDriver.read(name: "saved.txt", bytes: Array(text.utf8)) { again.append($0) }
        #expect(again.first?.attributes["dns-tlsa"] == s.attributes["dns-tlsa"])
        #expect(again.first?.attributes["dns-tlsa-validated"] == "_25._tcp.mx.dane.records.test=yes")
        #expect(again.first?.attributes["dns-tlsa-asked"] == "_25._tcp.mx.dane.records.test _25._tcp.mx2.dane.records.test")
        // A host without TLSA records says so.
        var plain = RecordCheck(domain: "probe.test")
        plain.dnsServer = dns.endpoint
        let p = plain.run()
        #expect(p.attributes["dns-tlsa"] == nil)
        #expect(p.notes.contains { $0.text == "Host _25._tcp.mx.probe.test not found: 3(NXDOMAIN)" })
    }
}
