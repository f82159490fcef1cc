import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// The findings for what an email service's event says beyond the server's reply.
@Suite struct ESPRulesTests {
    private func explain(_ json: String) throws -> [ExplainedSession] {
        var out: [Session] = []
        _ = try InputDriver.read(name: "events.json", bytes: Array(json.utf8)) { out.append($0) }
        #expect(out.allSatisfy { $0.format == "esp-event" })
        return out.map { Explainer().explain($0) }
    }

    @Test func everyProblemHasOneRow() {
        let ids = ESPRules.table.map(\.id)
        #expect(Set(ids).count == ESPProblem.allCases.count)
        #expect(ESPRules.table.allSatisfy { !$0.actions.isEmpty })
        #expect(Explainer.tellWhyUnfinished.isSuperset(of: ids))
    }

    @Test func aSuppressedAddressIsNotABounceFromTheServer() throws {
        let x = try explain(#"{"event":"failed","severity":"permanent","reason":"suppress-bounce","recipient":"gone@example.org","log-level":"error","delivery-status":{"code":605,"message":"Not delivering to previously bounced address","attempt-no":1}}"#)
        let s = try #require(x.first)
        #expect(s.findings.map(\.id) == ["esp-suppressed"])
        #expect(s.session.exchanges.isEmpty)
        #expect(s.summary == "Incomplete: The email service did not send the message: the address is on its suppression list.")
        #expect(s.findings[0].evidence.contains { $0.text.contains("previously bounced") })
    }

    @Test func aComplaintFollowsADelivery() throws {
        let x = try explain(#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"r@example.com"}],"complaintFeedbackType":"abuse","timestamp":"2026-12-01T10:00:00Z"},"mail":{"source":"news@shop.example","timestamp":"2026-12-01T09:00:00Z"}}"#)
        let s = try #require(x.first)
        #expect(s.session.outcome == .delivered)
        #expect(s.findings.first?.id == "esp-complaint")
        #expect(s.findings.first?.reason == .feedback)
    }

    @Test func aQuotedReplyIsExplainedLikeAnyReply() throws {
        let x = try explain(#"{"RecordType":"Bounce","Type":"HardBounce","Email":"x@example.org","Details":"smtp;550 5.1.1 <x@example.org>: Recipient address rejected: User unknown in local recipient table","BouncedAt":"2026-12-04T08:31:02Z"}"#)
        let s = try #require(x.first)
        #expect(s.session.failedStage == .rcpt)
        #expect(s.findings.first?.reason == .userunknown)
        #expect(s.session.attributes["esp-problem"] == nil)
    }

    @Test func aBounceWithoutAReplySaysSoAndInventsNoDialogue() throws {
        let x = try explain(#"{"notificationType":"Bounce","bounce":{"bounceType":"Undetermined","bounceSubType":"Undetermined","bouncedRecipients":[{"emailAddress":"a@example.org"}]},"mail":{"source":"s@example.com"}}"#)
        let s = try #require(x.first)
        #expect(s.session.exchanges.isEmpty)
        #expect(s.findings.map(\.id) == ["esp-no-reply"])
        #expect(s.summary == "Incomplete: The email service reports a failure without the receiving server's reply.")
    }

    @Test func aCodeOutsideTheSMTPRangeIsNoReply() throws {
        // Mailgun reports `code: 0` when no server answered.
        let x = try explain(#"{"event":"failed","severity":"permanent","reason":"generic","recipient":"a@example.org","log-level":"error","delivery-status":{"code":0,"message":"","description":""}}"#)
        let s = try #require(x.first)
        #expect(s.session.exchanges.isEmpty)
        #expect(s.findings.map(\.id) == ["esp-no-reply"])
    }

    @Test func aMessageTheServiceHeldBackIsNotASuppression() throws {
        // Azure Communication Services: quarantined by the service's own filter; then a suppression.
        let x = try explain(#"""
        [{"eventType":"Microsoft.Communication.EmailDeliveryReportReceived","eventTime":"2026-12-04T09:00:00Z",
          "data":{"sender":"a@notify.example","recipient":"b@example.org","messageId":"m1","status":"Quarantined",
                  "deliveryStatusDetails":{"statusMessage":"Message quarantined as phishing"}}},
         {"type":"Microsoft.Communication.EmailDeliveryReportReceived","time":"2026-12-04T09:01:00Z",
          "data":{"sender":"a@notify.example","recipient":"c@example.org","messageId":"m2","status":"Suppressed",
                  "deliveryStatusDetails":{"statusMessage":"Recipient is on the suppression list"}}}]
        """#)
        #expect(x.map { $0.findings.first?.id } == ["esp-held", "esp-suppressed"])
        #expect(x.first?.findings.first?.reason == .policyviolation)
        #expect(x.first?.findings.first?.evidence.contains { $0.text.contains("quarantined as phishing") } == true)
        #expect(x.first?.session.exchanges.isEmpty == true)
    }
}
