import Foundation
import Testing
@testable import TranscriptModel

/// Postfix queue listings: each delay reason is a session of its message to the recipients under it.
@Suite struct PostfixQueueReaderTests {
    @Test func eachReasonIsASessionToTheRecipientsUnderIt() throws {
        let all = try sessions("""
        -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
        B41C70A2F5      5120 Sun Dec  6 07:55:10  orders@shop.example
        (host mx.partner.example[192.0.2.61] said: 451 4.7.1 <sales@partner.example>: Recipient address rejected: Greylisted (in reply to RCPT TO command))
                                                 sales@partner.example
                                                 team@partner.example
                  (connect to mail.other.example[198.51.100.9]:25: Connection timed out)
                                                 info@other.example

        7A2B9E1F04*     1204 Sat Dec  5 09:40:02  billing@shop.example
                                                 accounts@partner.example

        -- 6 Kbytes in 2 Requests.

        """)
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0.format == "postfix-queue" && $0.direction == .outbound })
        let grey = try #require(all.first)
        #expect(grey.server.host == "mx.partner.example")
        #expect(grey.server.address == "192.0.2.61")
        #expect(grey.attributes["queue-id"] == "B41C70A2F5")
        #expect(grey.transactions.first?.sender == "orders@shop.example")
        #expect(grey.transactions.first?.recipients.map(\.address) == ["sales@partner.example", "team@partner.example"])
        #expect(grey.failedStage == .rcpt)
        #expect(grey.exchanges.filter { $0.reply?.code == 451 }.count == 2)
        let down = all[1]
        #expect(down.connectFailure == .timedOut)
        #expect(down.server.host == "mail.other.example")
        #expect(down.transactions.first?.recipients.map(\.address) == ["info@other.example"])
    }

    @Test func aHeldMessageSaysSoAndAReasonOverSeveralLinesIsJoined() throws {
        let all = try sessions("""
        9C3E5D7A11!     3300 Sat Dec  5 08:01:13  alerts@shop.example
        (host mx.slow.example[192.0.2.80] said: 554 5.7.1 Service unavailable; Client host
            [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO command))
                                                 ops@slow.example

        """)
        let s = try #require(all.first)
        #expect(all.count == 1)
        #expect(s.format == "postfix-queue")
        #expect(s.attributes["status"] == "hold")
        #expect(s.notes.contains { $0.text.contains("postsuper -H 9C3E5D7A11") })
        #expect(s.exchanges.last { $0.reply?.code == 554 }?.reply?.lines.first?.contains("blocked using zen.spamhaus.org") == true)
        // A bounce on its way back has the null sender; Postfix lists it as MAILER-DAEMON.
        let bounce = try sessions("4Kd2Zq0Xg3z9XQ8     1204 Sat Dec  5 09:40:02  MAILER-DAEMON\n(host mx.example.org[192.0.2.7] said: 550 5.1.1 unknown (in reply to RCPT TO command))\n                                         user@example.org\n")
        #expect(bounce.first?.format == "postfix-queue")
        #expect(bounce.first?.transactions.first?.sender == "")
        #expect(bounce.first?.exchanges.contains { $0.command?.verb == "MAIL" && $0.command?.address == "" } == true)
    }

    @Test func postqueueJSONGroupsRecipientsByReason() throws {
        let all = try sessions("""
        {"queue_name": "deferred", "queue_id": "4D8F21C0A3", "arrival_time": 1796462564, "message_size": 2931, "sender": "n@shop.example", "recipients": [{"address": "a@example.org", "delay_reason": "host mx1.example.org[198.51.100.25] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)"}, {"address": "b@example.org", "delay_reason": "host mx1.example.org[198.51.100.25] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)"}, {"address": "c@example.net", "delay_reason": "Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again"}]}
        {"queue_name": "active", "queue_id": "7A2B9E1F04", "arrival_time": 1796464202, "message_size": 1204, "sender": "b@shop.example", "recipients": [{"address": "x@partner.example"}]}

        """)
        #expect(all.count == 2)
        #expect(all.first?.transactions.first?.recipients.map(\.address) == ["a@example.org", "b@example.org"])
        #expect(all.first?.start?.time == 1796462564)
        #expect(all.last?.connectFailure == .nameNotResolved)
    }

    @Test func anEmptyOrQuietQueueSaysSo() throws {
        let empty = try sessions("Mail queue is empty\n", format: "postfix-queue")
        #expect(empty.first?.notes.first?.text == "The mail queue is empty.")
        let quiet = try sessions("""
        -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
        7A2B9E1F04*     1204 Sat Dec  5 09:40:02  billing@shop.example
                                                 accounts@partner.example

        """)
        #expect(quiet.count == 1)
        #expect(quiet.first?.format == "postfix-queue")
        #expect(quiet.first?.notes.first?.text.hasPrefix("1 message(s) in the queue, none with a delay reason") == true)
    }

    @Test func aBounceQuotingTheSameWordsStaysABounce() throws {
        let all = try sessions("""
        This is the mail system at host mail.example.net.

        <j.doe@example.org>: host mx.example.org[198.51.100.25] said: 550 5.1.1
            <j.doe@example.org>: User unknown (in reply to RCPT TO command)
        """)
        #expect(all.first?.format == "bounce")
    }
}
