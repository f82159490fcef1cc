import Explainer
import Probe
import Testing
import TranscriptModel

/// `smtpexplain records`: live lookups on the loopback test zone, checked by the DNS record rules.
@Suite struct RecordCheckTests {
    @Test func recordsOfATestDomain() throws {
        let dns = try #require(TestDNSServer.shared)
        let https = try #require(TestHTTPSServer.shared)
        var check = RecordCheck(domain: "records.test")
        check.selectors = ["old", "new"]
        check.dnsServer = dns.endpoint
        check.httpsPort = https.port
        check.trustFile = TestHTTPSServer.certificate
        let s = check.run()
        #expect(s.format == "dns" && s.attributes["dns-mx"] == "10 mx.records.test")
        // The domain's own TXT records: the SPF ones only, each string joined.
        #expect(s.attributes["dns-txt-1"] == "records.test v=spf1 mx include:_spf.records.test -all")
        #expect(s.attributes["dns-txt-2"] == "records.test v=spf1 ip4:192.0.2.0/24 -all")
        #expect(!(s.attributes.values.contains { $0.contains("site-verification") }))
        #expect(s.attributes["dns-txt-missing"] == "_smtp._tls.records.test new._domainkey.records.test")
        let x = Explainer().explain(s)
        let ids = Set(x.findings.map(\.id))
        // The MX host has no address in the zone: the one MX there is, so mail cannot arrive at all.
        #expect(ids == ["spf-record-multiple", "dmarc-no-reports", "dkim-key-revoked", "dkim-key-missing", "dns-mx-host-unresolved",
                        "mta-sts-policy-mx-mismatch", "tls-rpt-missing"])
        // MTA-STS without TLS-RPT: nobody hears of the failures the policy turns into held mail.
        let rpt = try #require(x.findings.first { $0.id == "tls-rpt-missing" })
        #expect(rpt.severity == .info && rpt.title == "records.test publishes an MTA-STS record but no TLS-RPT record")
        #expect(rpt.evidence.first?.text == "Host _smtp._tls.records.test not found: 3(NXDOMAIN)")
        // The MTA-STS policy, fetched over HTTPS from the loopback server, is held to the MX hosts.
        #expect(s.attributes["dns-sts-fetch"] == "mta-sts.records.test 200")
        #expect(s.attributes["dns-sts-policy"] == "version: STSv1; mode: enforce; mx: mail.records.test; max_age: 604800")
        let sts = try #require(x.findings.first { $0.id == "mta-sts-policy-mx-mismatch" })
        #expect(sts.severity == .error && sts.title == "MX mx.records.test is not in the MTA-STS policy (mx: mail.records.test)")
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
        #expect(again.first?.attributes["dns-sts-fetch"] == "mta-sts.records.test 200")
        #expect(again.first?.attributes["dns-sts-policy"] == s.attributes["dns-sts-policy"])
    }

    /// A policy senders cannot fetch: an error page, an untrusted certificate, nothing listening.
    @Test func mtaSTSPolicyThatCannotBeFetched() throws {
        let dns = try #require(TestDNSServer.shared)
        let https = try #require(TestHTTPSServer.shared)
        func fetch(_ domain: String, trusted: Bool = true, port: UInt16? = nil) -> ExplainedSession {
            var check = RecordCheck(domain: domain)
            check.dnsServer = dns.endpoint
            check.httpsPort = port ?? https.port
            check.trustFile = trusted ? TestHTTPSServer.certificate : nil
            check.timeout = 2
            return Explainer().explain(check.run())
        }
        let notFound = fetch("sts.test")
        #expect(notFound.session.attributes["dns-sts-fetch"] == "mta-sts.sts.test HTTP 404 Not Found")
        #expect(Set(notFound.findings.map(\.id)) == ["mta-sts-policy-unreachable"])
        let f = try #require(notFound.findings.first)
        #expect(f.title == "The MTA-STS policy could not be fetched from mta-sts.sts.test: HTTP 404 Not Found")
        #expect(f.evidence.first?.text == "HTTP/1.1 404 Not Found")
        #expect(f.actions.first == "Serve the policy file at https://mta-sts.sts.test/.well-known/mta-sts.txt with status 200 and `Content-Type: text/plain`, from the host itself (no redirect).")
        // The same server without its certificate trusted: what a sender sees of a self-signed one.
        let selfSigned = fetch("records.test", trusted: false)
        #expect(selfSigned.session.attributes["dns-sts-fetch"] == "mta-sts.records.test curl: (60) SSL certificate problem: self-signed certificate")
        #expect(selfSigned.findings.first { $0.id == "mta-sts-policy-unreachable" }?.explanation.contains("not self-signed") == true)
        #expect(!selfSigned.findings.contains { $0.id == "mta-sts-policy-mx-mismatch" })
        // Nothing listens on port 1: refused.
        let closed = fetch("records.test", port: 1)
        #expect(closed.session.attributes["dns-sts-fetch"]?.hasPrefix("mta-sts.records.test curl: (7) Failed to connect to mta-sts.records.test port 1") == true)
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
