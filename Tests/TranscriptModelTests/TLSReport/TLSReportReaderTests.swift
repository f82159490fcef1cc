import Foundation
import Testing
@testable import TranscriptModel

/// SMTP TLS reports (RFC 8460): one session per failure row, one per policy's successes.
@Suite struct TLSReportReaderTests {
    private func sample(_ name: String) throws -> [Session] {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        var out: [Session] = []
        _ = try InputDriver.read(path: url.appendingPathComponent("samples/tls-reports/" + name).path) { out.append($0) }
        return out
    }

    private func sessions(_ text: String) throws -> [Session] {
        var out: [Session] = []
        _ = try InputDriver.read(name: "report.json", bytes: Array(text.utf8)) { out.append($0) }
        return out
    }

    @Test func gzippedGoogleReportInEnforceMode() throws {
        let all = try sample("google-sts-enforce-expired.json.gz")
        #expect(all.map(\.format) == Array(repeating: "tls-report", count: 3))
        // Failure rows first, then the policy's successes.
        #expect(all.map { $0.attributes["tlsrpt-result"] } == ["certificate-expired", "certificate-expired", nil])
        #expect(all.map { $0.attributes["tlsrpt-sessions"] } == ["29", "8", "1184"])
        #expect(all.map { $0.client.address } == ["203.0.113.41", "203.0.113.69", nil])
        #expect(all[0].server.host == "mx2.shop.example" && all[0].server.address == "192.0.2.26" && all[0].server.port == 25)
        #expect(all[0].attributes["tlsrpt-mode"] == "enforce" && all[0].attributes["tlsrpt-enforced"] == "yes")
        #expect(all[0].attributes["tlsrpt-policy-mx"] == "mx1.shop.example mx2.shop.example")
        #expect(all[0].attributes["tlsrpt-total-failed"] == "37" && all[0].attributes["tlsrpt-policy-sessions"] == "1221")
        #expect(all[0].attributes["tlsrpt-period"] == "1796342400-1796428799" && all[0].start?.time == 1_796_428_799)
        // Enforced: the sender stopped after STARTTLS, no message.
        #expect(all[0].outcome == .incomplete && all[0].transactions.isEmpty)
        #expect(all[0].exchanges.last?.command?.verb == "STARTTLS" && all[0].closedBy == .client)
        #expect(all[2].outcome == .delivered && all[2].tls != nil && all[2].server.host == "shop.example")
        #expect(all[0].notes.first?.text == "29 sessions from 203.0.113.41 to mx2.shop.example failed TLS: certificate-expired under MTA-STS policy (mode enforce)")
    }

    @Test func prettyPrintedTestingReportPointsAtEachRow() throws {
        let all = try sample("microsoft-sts-testing.json")
        #expect(all.count == 3)
        #expect(all.map { $0.start?.line } == [31, 38, 10])
        // Testing mode: delivered anyway, in plain text or over unverified TLS.
        #expect(all.allSatisfy { $0.outcome == .delivered && $0.attributes["tlsrpt-enforced"] == "no" })
        #expect(all[0].tls == nil && all[0].attributes["tlsrpt-result"] == "starttls-not-supported")
        #expect(all[1].tls?.verify == "certificate-host-mismatch" && all[1].attributes["tlsrpt-reason-code"] == "CertificateNameMismatch")
        #expect(all[2].attributes["tlsrpt-policy-mx"] == "mx1.shop.example backup-mx.shop.example")
    }

    @Test func daneAndPolicyFailures() throws {
        let dane = try sample("dane-tlsa-mismatch.json")
        #expect(dane.count == 1 && dane[0].outcome == .incomplete && dane[0].attributes["tlsrpt-policy-type"] == "tlsa")
        #expect(dane[0].attributes["tlsrpt-info"] == "https://tlsrpt.mail-provider.example/details?id=7f3a")
        let fetch = try sample("sts-policy-fetch-error.json")
        #expect(fetch.count == 1 && fetch[0].outcome == .delivered && fetch[0].attributes["tlsrpt-mode"] == nil)
        #expect(fetch[0].attributes["tlsrpt-reason-code"] == "HTTP 404 Not Found")
        // DNSSEC failures stop before any connection, whatever the policy says.
        let bogus = try sessions(#"{"organization-name":"x","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"d.example"},"summary":{"total-successful-session-count":0,"total-failure-session-count":2},"failure-details":[{"result-type":"dnssec-invalid","receiving-mx-hostname":"mx.d.example","failed-session-count":2}]}]}"#)
        #expect(bogus.count == 1 && bogus[0].outcome == .unreachable && bogus[0].connectFailure == .nameNotResolved)
    }

    @Test func detectionNeedsTheReportsOwnKeys() {
        let report = Array(#"{"organization-name":"Google Inc.","date-range":{},"policies":[]}"#.utf8)[...]
        #expect(TLSReportReader.score([report]) > 0.9)
        let other = Array(#"{"organization-name":"Acme","event":"delivered"}"#.utf8)[...]
        #expect(TLSReportReader.score([other]) == 0)
        #expect(TLSReportReader.score([Array("text with \"policies\" and \"policy-domain\"".utf8)[...]]) == 0)
    }

    @Test func hostileReports() throws {
        // Not JSON: one clear note, no crash.
        let cut = try sessions(#"{"organization-name":"x","policies":[{"policy":{"policy-type":"sts""#)
        #expect(cut.count == 1 && cut[0].notes.first?.text.contains("not valid JSON") == true)
        // No policies with sessions: nothing to explain, said so.
        let empty = try sessions(#"{"organization-name":"x","date-range":{"start-datetime":"x"},"policies":[]}"#)
        #expect(empty.count == 1 && empty[0].notes.first?.text.hasPrefix("The TLS report lists no sessions") == true)
        // Counts far out of range, long strings and odd types.
        let long = String(repeating: "A", count: 5_000)
        let odd = try sessions(#"{"organization-name":"\#(long)","date-range":{"start-datetime":"1e300","end-datetime":[]},"policies":[{"policy":{"policy-type":7,"policy-string":"mode: enforce"},"summary":{"total-successful-session-count":1e300,"total-failure-session-count":-5},"failure-details":[{"result-type":"certificate-expired","failed-session-count":"lots"},3,null]}]}"#)
        #expect(odd.count == 1 && odd[0].attributes["tlsrpt-sessions"] == "0" && odd[0].attributes["tlsrpt-period"] == nil)
        #expect((odd[0].attributes["tlsrpt-org"]?.utf8.count ?? 0) < 600)
    }
}
