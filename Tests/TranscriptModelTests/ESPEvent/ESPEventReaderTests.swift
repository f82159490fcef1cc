import Foundation
import Testing
@testable import TranscriptModel

@Suite struct ESPEventReaderTests {
    private func sample(_ name: String) throws -> String {
        try String(contentsOf: repoRoot.appendingPathComponent("samples/esp-event/\(name)"), encoding: .utf8)
    }

    private func replies(_ s: Session) -> [String] {
        s.exchanges.compactMap { ex in ex.reply.map { "\(ex.command?.verb ?? "-") \($0.code)" } }
    }

    @Test func sesBounceBecomesARefusedRecipient() throws {
        let s = try onlySession(try sample("ses-bounce-user-unknown.json"), readAs: "esp-event", sourceLine: #line)
        #expect(s.attributes["esp-provider"] == "Amazon SES")
        #expect(s.direction == .outbound)
        #expect(s.server.address == "198.51.100.20")
        #expect(replies(s) == ["- 220", "MAIL 250", "RCPT 550"])
        let rcpt = try #require(s.exchanges.last)
        #expect(rcpt.command?.argument == "<j.doe@example.net>")
        #expect(rcpt.reply?.enhanced == "5.1.1")
        #expect(rcpt.reply?.inferred == false)
        // The reply is on the recipient's line of the pretty-printed notification, the event on the first.
        #expect(rcpt.reply?.position.line == 8)
        #expect(s.notes.first?.position.line == 1)
        #expect(s.exchanges[1].command?.argument == "<billing@shop.example>")
    }

    @Test func anSNSEnvelopeIsOpened() throws {
        let s = try onlySession(try sample("ses-sns-delivery-delay-greylisted.json"), readAs: "esp-event", sourceLine: #line)
        #expect(s.attributes["esp-event"] == "deferred")
        #expect(replies(s).last == "RCPT 451")
        #expect(s.notes.contains { $0.text.contains("TransientCommunicationFailure") })
    }

    @Test func aSendGridBatchIsOneSessionPerDeliveryEvent() throws {
        let all = try sessions(try sample("sendgrid-webhook-batch.json"))
        // The open event says nothing about the receiving server.
        #expect(all.map { $0.attributes["esp-event"] ?? "?" } == ["bounced", "delivered", "deferred", "dropped"])
        #expect(replies(all[0]).last == "RCPT 554")
        #expect(replies(all[1]).last == ". 250")
        #expect(all[1].exchanges.allSatisfy { $0.command?.inferred ?? true })
        #expect(all[3].exchanges.isEmpty)
        #expect(all[3].attributes["esp-problem"] == "suppressed")
        #expect(all[0].attributes["esp-sending-ip"] == "149.72.0.10")
        #expect(all[0].client.address == "149.72.0.10")
        #expect(all[0].exchanges.first?.reply?.position.time == 1764921731)
    }

    @Test func mailgunGivesCodeAndTextApart() throws {
        let s = try onlySession(try sample("mailgun-webhook-failed-permanent.json"), readAs: "esp-event", sourceLine: #line)
        let last = try #require(s.exchanges.last?.reply)
        #expect(last.code == 550)
        #expect(last.enhanced == "5.1.1")
        #expect(s.server.host == "gmail-smtp-in.l.google.com")
        #expect(s.notes.contains { $0.text == "attempt-no: 1" })
    }

    @Test func jsonLinesOneSessionPerLine() throws {
        let all = try sessions(try sample("mailjet-events.jsonl"))
        #expect(all.count == 3)
        // A domain without a mail host: nothing to connect to.
        #expect(all[0].outcome == .unreachable)
        #expect(all[0].connectFailure == .nameNotResolved)
        #expect(all[1].exchanges.last?.reply?.code == 250)
        #expect(all[1].exchanges.last?.reply?.position.line == 2)
        #expect(all[2].attributes["esp-problem"] == "suppressed")
    }

    @Test func aReplyWithoutCodeGetsAnAssumedOneAndSaysSo() throws {
        let s = try onlySession(#"{"event":"bounce","time":1764866400,"email":"nobody@example.net","mj_campaign_id":7,"hard_bounce":true,"error_related_to":"recipient","error":"user unknown"}"#,
                                readAs: "esp-event", sourceLine: #line)
        let reply = try #require(s.exchanges.last?.reply)
        #expect(reply.code == 550)
        #expect(reply.text == "user unknown")
        #expect(s.notes.contains { $0.text.contains("550 is assumed") })
    }

    @Test func eventsThatAreNotDeliveryResultsSaySo() throws {
        let opens = #"[{"email":"a@example.com","event":"open","sg_event_id":"x","sg_message_id":"y","timestamp":1764921900}]"#
        let s = try onlySession(opens, readAs: "esp-event", sourceLine: #line)
        #expect(s.exchanges.isEmpty)
        #expect(s.notes.first?.text.contains("none of them a delivery result") == true)
    }

    @Test func brokenJSONIsNamedAndTheRestIsRead() throws {
        let text = #"{"event":"bounce","sg_event_id":"a","email":"x@example.com","reason":"550 5.1.1 unknown""# + "\n"
            + #"{"event":"bounce","sg_event_id":"b","email":"y@example.com","reason":"550 5.1.1 unknown","status":"5.1.1"}"#
        let all = try sessions(text)
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0.format == "esp-event" })
        // The cut first line is named; the second event is read on its own.
        #expect(all[0].notes.first?.kind == .error)
        #expect(all[0].notes.first?.text.contains("line 1 is not valid") == true)
        #expect(all[1].exchanges.last?.reply?.code == 550)
        #expect(all[1].exchanges.last?.reply?.position.line == 2)
    }

    @Test func otherJSONIsNotAnEvent() throws {
        let journal = #"{"MESSAGE":"connect from unknown[192.0.2.1]","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"123","__REALTIME_TIMESTAMP":"1700000000000000"}"#
        #expect(ESPEventReader.score([Array(journal.utf8)[...]]) == 0)
        #expect(ESPEventReader.score([Array("Event: bounce \"sg_event_id\"".utf8)[...]]) == 0)
    }

    @Test func aMinifiedBatchOnOneLongLineIsDetectedAndReadWhole() throws {
        // Longer than the detection prefix (64 KB) and than the usual line limit (1 MB).
        let event = #"{"email":"a@example.org","event":"bounce","sg_event_id":"e","reason":"550 5.1.1 unknown","status":"5.1.1"}"#
        let text = "[" + Array(repeating: event, count: 12_000).joined(separator: ",") + "]"
        #expect(text.utf8.count > 1 << 20)
        let all = try sessions(text)
        #expect(all.count == 12_000)
        #expect(all.allSatisfy { $0.format == "esp-event" && $0.exchanges.last?.reply?.code == 550 })
    }

    @Test func azureDeliveryReportNamesTheReceivingServer() throws {
        // An Event Grid delivery report, and the same report's `data` copied alone.
        let data = #"{"sender":"DoNotReply@notify.example","recipient":"m.rossi@example.org","messageId":"2b7e","status":"Bounced","deliveryStatusDetails":{"statusMessage":"550 5.1.1 <m.rossi@example.org>: Recipient address rejected: User unknown","recipientMailServerHostName":"mx1.example.org"},"deliveryAttemptTimestamp":"2026-12-04T09:41:27.3521407+00:00"}"#
        for json in [#"[{"id":"1","eventType":"Microsoft.Communication.EmailDeliveryReportReceived","data":"# + data + "}]", data] {
            let all = try sessions(json)
            let s = try #require(all.first)
            #expect(all.count == 1)
            #expect(s.format == "esp-event")
            #expect(s.attributes["esp-provider"] == "Azure Communication Services")
            #expect(s.server.host == "mx1.example.org")
            #expect(s.failedStage == .rcpt)
            #expect(s.exchanges.last?.reply?.enhanced == "5.1.1")
            #expect(s.transactions.first?.sender == "DoNotReply@notify.example")
            #expect(abs((s.start?.time ?? 0) - 1_796_377_287.352) < 0.01)
        }
    }

    @Test func scalewayWebhookEvents() throws {
        let all = try sessions(try sample("scaleway-tem-events.json"))
        #expect(all.count == 3 && all.allSatisfy { $0.attributes["esp-provider"] == "Scaleway Transactional Email" })
        // email_dropped: the receiving server's refusal, code in its own field and the text without it.
        let dropped = all[0]
        #expect(dropped.failedStage == .rcpt && dropped.exchanges.last?.reply?.code == 550)
        #expect(dropped.exchanges.last?.reply?.enhanced == "5.7.1")
        #expect(dropped.transactions.first?.sender == "factures@mail.atelier-lumen.example")
        // email_deferred: still retried, with the try count and next try as notes.
        #expect(all[1].outcome == .deferred && all[1].notes.contains { $0.text == "email_try_count: 2" })
        // email_blocklisted: Scaleway's own block list, nothing sent.
        #expect(all[2].exchanges.isEmpty && all[2].notes.contains { $0.text.hasPrefix("Scaleway did not send it: the address is on its block list (mailbox_not_found: 550 5.1.1") })
        // email_spam without a refusal is a complaint after delivery.
        let spam = try sessions(#"{"type":"email_spam","email_id":"1","email_to":"r@example.org","email_from":"s@example.net","email_response_code":250,"email_response_message":"2.0.0 OK"}"#)
        #expect(spam.first?.outcome == .delivered)
    }
}
