import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// Feedback reports: complaints say what to do about the list; failure reports go through the DMARC rules.
@Suite struct FeedbackRulesTests {
    private func explained(_ file: String) throws -> [ExplainedSession] { try explainedSample("feedback/" + file) }

    @Test func spamComplaint() throws {
        let e = try explained("yahoo-spam-complaint.eml")[0]
        #expect(e.findings.map(\.id) == ["complaint-received"])
        let f = e.findings[0]
        #expect(f.severity == .warning && f.reason == .feedback)
        #expect(f.title == "A recipient reported this message as spam (feedback loop of arf.mail.yahoo.com)")
        #expect(f.explanation.contains("The message came from 203.0.113.58. Subject: Last chance: 40% off winter boots."))
        #expect(f.actions.contains { $0.contains("List-Unsubscribe-Post") })
        #expect(e.summary == "Delivered, then: a recipient reported this message as spam (feedback loop of arf.mail.yahoo.com).")
        #expect(e.primaryReason == .delivered)
    }

    @Test func fraudAndRemovalRequests() throws {
        let all = try explained("cable-isp-complaints.mbox")
        let first = try #require(all[0].findings.first)
        #expect(first.actions.first == "Remove kim.lee@cable-isp.example from the list (the report asks for it).")
        #expect(first.explanation.contains("The report stands for 3 complaints."))
        let fraud = try #require(all[1].findings.first)
        #expect(fraud.severity == .error && fraud.title.hasPrefix("A recipient reported this message as fraud or phishing"))
        #expect(fraud.explanation.contains("Links it reports: http://shop-example-verify.example/login."))
        // Its own steps, not the list hygiene ones.
        #expect(fraud.actions.first?.hasPrefix("If you did not send it, someone sends as your domain") == true)
        #expect(!fraud.actions.contains { $0.contains("List-Unsubscribe") })
    }

    @Test func dmarcFailureReport() throws {
        let e = try explained("dmarc-failure-report.eml")[0]
        #expect(Set(e.findings.map(\.id)) == ["message-rejected", "dmarc-failed", "failure-report-source"])
        let d = try #require(e.findings.first { $0.id == "dmarc-failed" })
        #expect(d.title == "DMARC failed for northwind-traders.example (policy reject, applied: reject)")
        #expect(d.explanation.contains("SPF passed, but for invoices-northwind.example"))
        let who = try #require(e.findings.first { $0.id == "failure-report-source" })
        #expect(who.title == "Is 198.51.100.201 one of northwind-traders.example's senders?" && who.severity == .info)
        #expect(e.primaryReason == .authfailure)
    }
}
