import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// SMTP TLS reports: what each failure means, and whether the policy made the sender hold the mail.
@Suite struct TLSReportRulesTests {
    private func explained(_ file: String) throws -> [ExplainedSession] { try explainedSample("tls-reports/" + file) }

    private func explainedJSON(_ text: String) throws -> [ExplainedSession] {
        var out: [Session] = []
        _ = try InputDriver.read(name: "report.json", bytes: Array(text.utf8)) { out.append($0) }
        return out.map { Explainer().explain($0) }
    }

    @Test func enforcedExpiredCertificateHoldsTheMail() throws {
        let all = try explained("google-sts-enforce-expired.json.gz")
        let f = try #require(all[0].findings.first)
        #expect(all[0].findings.map(\.id) == ["tls-report-certificate-expired"])
        #expect(f.severity == .error && f.reason == .failedstarttls)
        #expect(f.title == "29 sessions to mx2.shop.example failed TLS: the MX's certificate has expired")
        #expect(f.explanation.contains("Google Inc. reported 37 failed of 1221 sessions to shop.example in all."))
        #expect(f.explanation.contains("enforce mode, so the sender did not deliver"))
        // The steps name this report's MX.
        #expect(f.actions.first?.contains("openssl s_client -starttls smtp -connect mx2.shop.example:25") == true)
        #expect(!f.actions.contains { $0.contains(" MX:25") })
        #expect(all[0].summary == "Not delivered on these sessions (the sender keeps the mail and retries): 29 sessions to mx2.shop.example failed TLS: the MX's certificate has expired.")
        // The successes: delivered, no finding (not even reached-data, which counts prove nothing about).
        #expect(all[2].findings.isEmpty && all[2].summary == "Delivered over TLS: 1184 sessions succeeded under MTA-STS.")
    }

    @Test func testingModeDeliversUnprotected() throws {
        let all = try explained("microsoft-sts-testing.json")
        let plain = try #require(all[0].findings.first)
        #expect(all[0].findings.map(\.id) == ["tls-report-starttls-not-supported"] && plain.severity == .warning)
        #expect(plain.explanation.hasSuffix("The MTA-STS policy is in testing mode, so the sender delivered in plain text."))
        #expect(plain.actions.contains { $0.contains("swaks --server backup-mx.shop.example --quit-after EHLO") })
        #expect(all[0].summary.hasPrefix("Delivered without the protection TLS should give: 14 sessions to backup-mx.shop.example"))
        #expect(all[0].primaryReason == .delivered)
        let name = try #require(all[1].findings.first)
        #expect(name.id == "tls-report-certificate-host-mismatch" && name.explanation.contains("Its reason code: CertificateNameMismatch."))
        #expect(name.explanation.contains("over TLS it could not verify"))
        // 19 failures: not ready to enforce.
        #expect(all[2].findings.isEmpty)
    }

    @Test func daneAndPolicyRows() throws {
        let dane = try explained("dane-tlsa-mismatch.json")[0]
        let f = try #require(dane.findings.first)
        #expect(f.id == "tls-report-tlsa-invalid" && f.severity == .error)
        #expect(f.explanation.contains("DANE makes TLS mandatory") && f.explanation.contains("https://tlsrpt.mail-provider.example/details?id=7f3a"))
        #expect(f.actions.contains { $0.contains("dig +dnssec TLSA _25._tcp.mail.lab.example") })
        let fetch = try explained("sts-policy-fetch-error.json")[0]
        let p = try #require(fetch.findings.first)
        #expect(p.id == "tls-report-sts-policy-fetch-error" && p.severity == .warning && p.reason == .securityerror)
        #expect(p.title == "96 sessions to mx.travel.example went without the policy: senders could not fetch the MTA-STS policy")
        #expect(p.actions.first?.contains("https://mta-sts.travel.example/.well-known/mta-sts.txt") == true)
    }

    @Test func readyToEnforceAndUnknownResults() throws {
        let clean = try explainedJSON(#"{"organization-name":"Google Inc.","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.d.example"],"policy-domain":"d.example"},"summary":{"total-successful-session-count":77,"total-failure-session-count":0}}]}"#)
        #expect(clean.count == 1 && clean[0].findings.map(\.id) == ["tls-report-ready-to-enforce"])
        let odd = try explainedJSON(#"{"organization-name":"x","policies":[{"policy":{"policy-type":"sts","policy-string":["mode: enforce"],"policy-domain":"d.example"},"summary":{"total-successful-session-count":0,"total-failure-session-count":4},"failure-details":[{"result-type":"quantum-tunnel-collapse","receiving-mx-hostname":"mx.d.example","failed-session-count":4}]}]}"#)
        #expect(odd[0].findings.map(\.id) == ["tls-report-failure"])
        #expect(odd[0].findings[0].title == "4 sessions to mx.d.example failed TLS: quantum-tunnel-collapse")
    }

    @Test func everyResultTypeHasARow() {
        #expect(Set(TLSReportRules.rows.map(\.result)) == Set(TLSReportResult.allCases))
    }
}
