import Explainer
import Probe
import Testing
import TranscriptModel

/// `smtpexplain records`: live lookups on the loopback test zone, checked by the DNS record rules.
@Suite struct RecordCheckTests {
    @Test func recordsOfATestDomain() throws {
        let dns = try #require(TestDNSServer.shared)
        var check = RecordCheck(domain: "records.test")
        check.selectors = ["old", "new"]
        check.dnsServer = dns.endpoint
        let s = check.run()
        #expect(s.format == "dns" && s.attributes["dns-mx"] == "10 mx.records.test")
        // The domain's own TXT records: the SPF ones only, each string joined.
        #expect(s.attributes["dns-txt-1"] == "records.test v=spf1 mx include:_spf.records.test -all")
        #expect(s.attributes["dns-txt-2"] == "records.test v=spf1 ip4:192.0.2.0/24 -all")
        #expect(!(s.attributes.values.contains { $0.contains("site-verification") }))
        #expect(s.attributes["dns-txt-missing"] == "new._domainkey.records.test")
        let x = Explainer().explain(s)
        let ids = Set(x.findings.map(\.id))
        // The MX host has no address in the zone: the one MX there is, so mail cannot arrive at all.
        #expect(ids == ["spf-record-multiple", "dmarc-no-reports", "dkim-key-revoked", "dkim-key-missing", "dns-mx-host-unresolved"])
        let mx = try #require(x.findings.first { $0.id == "dns-mx-host-unresolved" })
        #expect(mx.severity == .error && mx.explanation.hasSuffix("Not resolved: mx.records.test (NXDOMAIN)."))
        #expect(mx.evidence.first?.text == "Host mx.records.test not found: 3(NXDOMAIN)")
        let missing = try #require(x.findings.first { $0.id == "dkim-key-missing" })
        #expect(missing.title == "No DKIM key at new._domainkey.records.test")
        #expect(missing.evidence.first?.text == "Host new._domainkey.records.test not found: 3(NXDOMAIN)")
        #expect(x.summary.hasPrefix("DNS answers only, no SMTP session: "))
        // The notes read back as host output: a saved copy is explained the same way.
        let text = s.notes.map(\.text).joined(separator: "\n") + "\n"
        var again: [Session] = []
        _ = try InputDriver.read(name: "saved.txt", bytes: Array(text.utf8)) { again.append($0) }
        #expect(again.first?.attributes["dns-txt-2"] == "records.test v=spf1 ip4:192.0.2.0/24 -all")
        #expect(again.first?.attributes["dns-unresolved"] == "mx.records.test NXDOMAIN")
    }

    @Test func missingRecordsAndUnknownDomains() throws {
        let dns = try #require(TestDNSServer.shared)
        var check = RecordCheck(domain: "probe.test")
        check.dnsServer = dns.endpoint
        let x = Explainer().explain(check.run())
        #expect(Set(x.findings.map(\.id)) == ["spf-record-missing", "dmarc-record-missing"])
        #expect(x.session.attributes["dns-addresses"] == "mx.probe.test=127.0.0.1")
        #expect(x.findings.first { $0.id == "dmarc-record-missing" }?.title == "probe.test publishes no DMARC record")
        var gone = RecordCheck(domain: "gone.test")
        gone.dnsServer = dns.endpoint
        let g = Explainer().explain(gone.run())
        #expect(g.session.attributes["dns-status"] == "NXDOMAIN" && g.findings.map(\.id).contains("dns-nxdomain"))
        #expect(!g.findings.map(\.id).contains("spf-record-missing"))
    }
}
