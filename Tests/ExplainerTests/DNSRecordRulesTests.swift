import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// Mail-authentication TXT records in pasted lookups: read in every tool's layout, and checked.
@Suite struct DNSRecordRulesTests {
    private func explained(_ text: String) throws -> ExplainedSession {
        var out: [Session] = []
        _ = try InputDriver.read(name: "paste.txt", bytes: Array(text.utf8)) { out.append($0) }
        return Explainer().explain(try #require(out.first))
    }

    private func ids(_ e: ExplainedSession) -> Set<String> { Set(e.findings.map(\.id)) }

    @Test func txtDataJoinsStringsAndDecodesEscapes() {
        #expect(DNSFacts.txtData(#""v=DKIM1; k=rsa; " "p=MIIB""#) == "v=DKIM1; k=rsa; p=MIIB")
        #expect(DNSFacts.txtData(#""say \"hi\" \059 ok""#) == "say \"hi\" ; ok")
        #expect(DNSFacts.txtData("v=spf1 -all") == "v=spf1 -all")
        // A cut line: the open string is kept.
        #expect(DNSFacts.txtData(#""v=spf1 mx"#) == "v=spf1 mx")
    }

    @Test func samplesInEachToolsLayout() throws {
        let all = try explainedSamples()
        let dig = try #require(all["dig-two-spf-records.txt"])
        #expect(dig.session.attributes["dns-txt-3"] == "shop.example google-site-verification=abc123")
        #expect(dig.summary == "DNS answers only, no SMTP session: 2 SPF records for shop.example.")
        #expect(dig.findings.first { $0.id == "spf-record-multiple" }?.evidence.count == 2)
        // Windows nslookup puts the strings on the line after `text =`.
        let ns = try #require(all["nslookup-dmarc-none-spf-typo.txt"])
        #expect(ns.session.attributes["dns-txt-1"] == "_dmarc.northwind-traders.example v=DMARC1; p=none; sp=none; adkim=r; aspf=r")
        let typo = try #require(ns.findings.first { $0.id == "spf-record-syntax" })
        #expect(typo.explanation.contains("`include=mailgun.org`: a mechanism takes `:`, not `=` (`include:mailgun.org`)."))
        let host = try #require(all["host-dkim-revoked-and-short.txt"])
        #expect(host.findings.first { $0.id == "dkim-key-short" }?.severity == .error)
        let short = try #require(all["dig-short-spf-too-many-lookups.txt"])
        #expect(short.session.format == "dns" && short.findings.first?.title == "The SPF record of travel.example has 12 terms that need a DNS lookup (10 at most)")
        #expect(!ids(short).contains("tls-rpt-record-invalid"))
    }

    private func explainedSamples() throws -> [String: ExplainedSession] {
        var out: [String: ExplainedSession] = [:]
        for name in ["dig-two-spf-records.txt", "nslookup-dmarc-none-spf-typo.txt", "host-dkim-revoked-and-short.txt", "dig-short-spf-too-many-lookups.txt"] {
            out[name] = try explainedSample("dns/" + name).first
        }
        return out
    }

    @Test func spfChecks() throws {
        func check(_ record: String) throws -> Set<String> {
            try ids(explained("$ dig +short TXT d.example\n\"\(record)\"\n"))
        }
        #expect(try check("v=spf1 ip4:192.0.2.0/24 include:_spf.google.com -all").isEmpty)
        #expect(try check("v=spf1 mx redirect=_spf.d.example").isEmpty)
        #expect(try check("v=spf1 mx all") == ["spf-record-allows-anyone"])
        #expect(try check("v=spf1 mx ?all") == ["spf-record-neutral"])
        #expect(try check("v=spf1 mx") == ["spf-record-neutral"])
        #expect(try check("v=spf1 ip4:192.0.2.300 -all") == ["spf-record-syntax"])
        #expect(try check("v=spf1 inclde:x.example -all") == ["spf-record-syntax"])
        #expect(try check("v=spf1 ip6:2001:db8::/32 exists:%{i}.spf.d.example -all").isEmpty)
    }

    @Test func dmarcDkimStsAndTlsRptChecks() throws {
        let d = try explained("""
            $ dig +short TXT _dmarc.d.example
            "v=DMARC1; p=quarantine; pct=25; rua=mailto:r@d.example"
            $ dig +short TXT _dmarc.e.example
            "v=DMARC1; rua=mailto:r@e.example"
            $ dig +short TXT _dmarc.f.example
            "p=reject; v=DMARC1"
            $ dig +short TXT sel._domainkey.d.example
            "v=DKIM1; k=rsa"
            $ dig +short TXT _smtp._tls.d.example
            "v=TLSRPTv1;"
            $ dig +short TXT _mta-sts.d.example
            "v=STSv1; id=20261206"
            """)
        #expect(ids(d) == ["dmarc-pct-partial", "dmarc-record-invalid", "dkim-record-invalid", "tls-rpt-record-invalid"])
        let invalid = d.findings.filter { $0.id == "dmarc-record-invalid" }.map(\.title)
        #expect(invalid == ["The DMARC record of _dmarc.e.example has no `p=` tag", "The DMARC record of _dmarc.f.example does not start with `v=DMARC1`"])
        let titles = d.findings.map(\.title)
        #expect(titles.contains("The DMARC policy of d.example applies to 25% of failing mail"))
    }

    @Test func mtaSTSPolicyFile() throws {
        let e = try explainedSample("dns/mta-sts-policy-missing-mx.txt")[0]
        let f = try #require(e.findings.first)
        #expect(f.id == "mta-sts-policy-mx-mismatch" && f.severity == .error)
        #expect(f.title == "MX backup.mailhost.example is not in the MTA-STS policy (mx: mx1.shop.example, *.shop.example)")
        #expect(e.session.attributes["dns-sts-policy"] == "version: STSv1; mode: enforce; mx: mx1.shop.example; mx: *.shop.example; max_age: 3600")
        let bad = try explained("$ curl https://mta-sts.d.example/.well-known/mta-sts.txt\nversion: STSv1\nmode: enforced\nmax_age: 1e6\n")
        #expect(bad.findings.first?.title == "The MTA-STS policy is not valid: `mode: enforced` is not enforce, testing or none; there is no `mx:` line; `max_age: 1e6` is not a number of seconds up to 31557600")
        // Testing mode: the same mismatch only warns.
        let testing = try explained("$ dig +short MX d.example\n10 mx.other.example.\n$ curl https://mta-sts.d.example/.well-known/mta-sts.txt\nversion: STSv1\nmode: testing\nmx: *.d.example\nmax_age: 604800\n")
        #expect(testing.findings.map(\.id) == ["mta-sts-policy-mx-mismatch"] && testing.findings[0].severity == .warning)
        #expect(MailRecords.stsPattern("*.d.example", matches: "mx1.d.example"))
        #expect(!MailRecords.stsPattern("*.d.example", matches: "a.b.d.example") && !MailRecords.stsPattern("*.d.example", matches: "d.example"))
    }

    /// The policy fetch as pasted: `curl -si` with its status line, curl's and wget's errors.
    @Test func mtaSTSPolicyFetchFailures() throws {
        let e = try explainedSample("dns/curl-mta-sts-redirect.txt")[0]
        #expect(e.session.attributes["dns-sts-fetch"] == "mta-sts.harbor-freight-lines.example HTTP 301 Moved Permanently to https://www.harbor-freight-lines.example/.well-known/mta-sts.txt")
        // The policy fetched from the redirect's target is read, and is fine: only the redirect is the fault.
        #expect(e.findings.map(\.id) == ["mta-sts-policy-unreachable"])
        let f = try #require(e.findings.first)
        #expect(f.explanation.hasSuffix("Senders do not follow redirects (RFC 8461 section 3.3): the file must be served by mta-sts.harbor-freight-lines.example itself."))
        #expect(f.evidence.first?.text == "HTTP/1.1 301 Moved Permanently")
        // The error page's HTML belongs to the answer: no unknown lines.
        #expect(e.session.lines.contains { $0.text == "<html>" && $0.role == .dns })

        let expired = try explained("$ curl -s https://mta-sts.d.example/.well-known/mta-sts.txt\ncurl: (60) SSL certificate problem: certificate has expired\n$\n")
        #expect(expired.findings.first?.title == "The MTA-STS policy could not be fetched from mta-sts.d.example: curl: (60) SSL certificate problem: certificate has expired")
        #expect(expired.findings.first?.explanation.contains("from a public CA (not self-signed, not expired") == true)
        let wget = try explained("$ wget -qO- https://mta-sts.d.example/.well-known/mta-sts.txt\nERROR 404: Not Found.\n")
        #expect(wget.session.attributes["dns-sts-fetch"] == "mta-sts.d.example HTTP 404 Not Found")
        // A 200 whose body is no policy (a web site's start page).
        let html = try explained("$ curl -si https://mta-sts.d.example/.well-known/mta-sts.txt\nHTTP/2 200\ncontent-type: text/html\n\n<!doctype html>\n")
        #expect(html.findings.first?.title == "The MTA-STS policy could not be fetched from mta-sts.d.example: the answer has no policy")
        // `curl -s` that printed the policy: a fetch that worked, and nothing to say about it.
        let fine = try explained("$ curl -s https://mta-sts.d.example/.well-known/mta-sts.txt\nversion: STSv1\nmode: enforce\nmx: *.d.example\nmax_age: 604800\n")
        #expect(fine.session.attributes["dns-sts-fetch"] == "mta-sts.d.example 200" && fine.findings.isEmpty)
    }

    @Test func lookupsThatFoundNothing() throws {
        // `dig +short` prints nothing for a name without TXT records; the apex's only record is a token.
        let e = try explained("$ dig +short TXT _dmarc.shop.example\n$ dig +short TXT shop.example\n\"site-verification=x\"\n$ dig +short TXT _mta-sts.shop.example\n")
        #expect(e.session.attributes["dns-txt-missing"] == "_dmarc.shop.example shop.example")
        #expect(Set(e.findings.map(\.id)) == ["spf-record-missing", "dmarc-record-missing"])
    }

    @Test func nxdomainForADMARCNameIsAMissingRecord() throws {
        // Full dig output without its command line: the question names the lookup; NXDOMAIN for `_dmarc.`
        // means no record, not a domain that does not exist.
        let e = try explained("""
            ; <<>> DiG 9.18.28 <<>> TXT _dmarc.shop.example
            ;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1
            ;; QUESTION SECTION:
            ;_dmarc.shop.example.\t\tIN\tTXT

            """)
        #expect(e.session.outcome == .incomplete && e.findings.map(\.id) == ["dmarc-record-missing"])
        #expect(e.summary == "DNS answers only, no SMTP session: shop.example publishes no DMARC record.")
    }

    @Test func dnsAnswersAloneNameTheLookupInEveryRenderer() throws {
        let e = try explainedSample("dns/dig-two-spf-records.txt")[0]
        #expect(e.session.isDNSAnswersOnly)
        #expect(TextRenderer(color: false, brief: false).render(e, number: 1, of: 1).contains("  DNS lookup shop.example TXT · server 127.0.0.53#53\n"))
        #expect(MarkdownRenderer.render(e, number: 1, of: 1).contains("DNS lookup shop.example TXT"))
        let html = HTMLRenderer.document([e], title: "t")
        #expect(html.contains("<dt>DNS lookup</dt>") && html.contains("<dt>Resolver</dt>") && !html.contains("<dt>Server</dt>"))
    }

    @Test func keySizes() {
        // 1024-bit SubjectPublicKeyInfo: 216 base64 characters; 2048-bit: 392.
        #expect(MailRecords.dkimKeyBits(String(repeating: "A", count: 216)) == 1024)
        #expect(MailRecords.dkimKeyBits(String(repeating: "A", count: 392)) == 2048)
        #expect(MailRecords.dkimKeyBits(String(repeating: "A", count: 128)) == 512)
    }
}
