import Foundation
import Testing
@testable import TranscriptModel

/// ARF reports (RFC 5965, 6591): one session per report, the report's fields as attributes.
@Suite struct FeedbackReportReaderTests {
    private func sample(_ name: String) throws -> (InputInfo, [Session]) {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        var out: [Session] = []
        let info = try InputDriver.read(path: url.appendingPathComponent("samples/feedback/" + name).path) { out.append($0) }
        return (info, out)
    }

    private func sessions(_ text: String) throws -> [Session] {
        var out: [Session] = []
        _ = try InputDriver.read(name: "report.txt", bytes: Array(text.utf8)) { out.append($0) }
        return out
    }

    @Test func yahooComplaint() throws {
        let (info, all) = try sample("yahoo-spam-complaint.eml")
        #expect(info.format == "feedback-report" && all.count == 1)
        let s = all[0]
        #expect(s.attributes["feedback-type"] == "abuse" && s.attributes["feedback-reporter"] == "arf.mail.yahoo.com")
        #expect(s.attributes["feedback-agent"] == "Yahoo!-Mail-Feedback/2.0")
        #expect(s.client.address == "203.0.113.58" && s.direction == .outbound && s.outcome == .delivered)
        // The reported message's headers: its subject and id; the report's Authentication-Results.
        #expect(s.attributes["subject"] == "Last chance: 40% off winter boots")
        #expect(s.attributes["message-id"] == "n.20261205080249.77310@news.shop.example")
        #expect(s.attributes["auth-dmarc"] == "pass" && s.attributes["auth-dkim-domain"] == "shop.example")
        #expect(s.transactions.first?.sender == "bounces+u7731@news.shop.example")
        #expect(s.transactions.first?.recipients.first?.address == "redacted@yahoo.com")
        #expect(s.start?.line == 24 && s.start?.time == 1_796_457_771)
    }

    @Test func dmarcFailureReportRefused() throws {
        let (_, all) = try sample("dmarc-failure-report.eml")
        let s = try #require(all.first)
        #expect(s.outcome == .rejected && s.failedStage == .message)
        #expect(s.attributes["feedback-type"] == "auth-failure" && s.attributes["feedback-auth-failure"] == "dmarc")
        // The report's own DMARC result, and SPF from the reported message's headers (not aligned).
        #expect(s.attributes["auth-dmarc"] == "fail" && s.attributes["auth-dmarc-disposition"] == "reject")
        #expect(s.attributes["auth-spf"] == "pass" && s.attributes["auth-spf-domain"] == "invoices-northwind.example")
        #expect(s.attributes["header-from-domain"] == "northwind-traders.example")
        #expect(s.exchanges.last?.reply?.text.contains("DMARC") == true)
    }

    @Test func mboxOfComplaints() throws {
        let (_, all) = try sample("cable-isp-complaints.mbox")
        #expect(all.map { $0.attributes["feedback-type"] } == ["abuse", "fraud"])
        #expect(all.map { $0.start?.line } == [17, 49])
        #expect(all[0].attributes["feedback-incidents"] == "3" && all[0].attributes["feedback-removal-recipient"] == "kim.lee@cable-isp.example")
        #expect(all[1].attributes["feedback-reported-uri"] == "http://shop-example-verify.example/login")
        #expect(all[1].attributes["header-from-domain"] == "shop.example")
    }

    @Test func pastedFieldsAlone() throws {
        let all = try sessions("""
            Feedback-Type: abuse
            User-Agent: SomeFBL/1.0
            Version: 1
            Original-Mail-From: <news@shop.example>
            Original-Rcpt-To: <a@isp.example>
            Original-Rcpt-To: <b@isp.example>
            Source-IP: 192.0.2.5
            """)
        #expect(all.count == 1 && all[0].format == "feedback-report")
        #expect(all[0].transactions.first?.recipients.map(\.address) == ["a@isp.example", "b@isp.example"])
        // A word in a message is not a report.
        #expect(FeedbackReportReader.score([Array("We got feedback-type: abuse reports".utf8)[...]]) == 0)
    }

    @Test func hostileReports() throws {
        // Endless fields, no report, odd dates.
        var text = "Feedback-Type: abuse\nVersion: 1\nArrival-Date: Mon, 99 Foo 99999 99:99\nSource-IP: not-an-ip\n"
        for i in 0..<2_000 { text += "X-F\(i): " + String(repeating: "v", count: 100) + "\n" }
        let all = try sessions(text)
        #expect(all.count == 1 && all[0].start?.time == nil && all[0].client.address == "not-an-ip")
        let none = try sessions("Content-Type: multipart/report; report-type=feedback-report\n\nno fields here\n")
        #expect(none.count == 1 && none[0].notes.first?.text.hasPrefix("No feedback report") == true)
    }
}
