import Foundation
import Testing
@testable import TranscriptModel

/// Sendmail queue listings: each message with a reason is a session to its recipients.
@Suite struct SendmailQueueReaderTests {
    @Test func eachReasonIsASessionOfItsMessage() throws {
        let all = try sessions("""
        \t\t/var/spool/mqueue (3 requests)
        -----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
        4B6Cp2Lr018342     2914 Sun Dec  6 02:41 <invoices@shop.example>
                         (Deferred: Connection timed out with mx1.partner.example.)
        \t\t\t\t\t <accounts@partner.example>
        \t\t\t\t\t <billing@partner.example>
        4B6Cq9Kx018377*    1187 Sun Dec  6 02:43 <alerts@shop.example>
        \t\t\t\t\t <ops@shop.example>
        4B6Cr1Mm018391     5120 Sun Dec  6 02:44 <MAILER-DAEMON>
                         8BITMIME   (Deferred: 452 4.2.2 <anna@example.org>: Mailbox full)
        \t\t\t\t\t <anna@example.org>
        \t\tTotal requests: 3

        """)
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0.format == "sendmail-queue" && $0.direction == .outbound })
        let timeout = all[0]
        #expect(timeout.connectFailure == .timedOut)
        #expect(timeout.server.host == "mx1.partner.example")
        #expect(timeout.attributes["queue-id"] == "4B6Cp2Lr018342")
        #expect(timeout.transactions.first?.sender == "invoices@shop.example")
        #expect(timeout.transactions.first?.recipients.map(\.address) == ["accounts@partner.example", "billing@partner.example"])
        let full = all[1]
        let rcpt = try #require(full.exchanges.first { $0.command?.verb == "RCPT" })
        #expect(rcpt.command?.address == "anna@example.org")
        #expect(rcpt.reply?.code == 452)
        #expect(full.transactions.first?.sender == "")
        #expect(full.transactions.first?.queueID == "4B6Cr1Mm018391")
    }

    @Test func sendmailsOwnCodeIsNotAReply() throws {
        let all = try sessions("""
        4B6D2bRx020131-    1802 Sun Dec  6 03:04 <root@shop.example>
                         (Deferred: 403 4.7.0 TLS handshake failed.)
        \t\t\t\t\t <admin@strict.example>
        """, format: "sendmail-queue")
        let s = try #require(all.first)
        #expect(s.exchanges.isEmpty)
        #expect(s.attributes["mta-reason"] == "Deferred: 403 4.7.0 TLS handshake failed.")
    }

    @Test func anEmptyQueueSaysSo() throws {
        let all = try sessions("/var/spool/mqueue is empty\n\t\tTotal requests: 0\n")
        #expect(all.first?.format == "sendmail-queue")
        #expect(all.first?.notes.first?.text == "The mail queue is empty.")
    }

    @Test func aPostfixListingStaysPostfix() throws {
        let all = try sessions("""
        -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
        B41C70A2F5      5120 Sun Dec  6 07:55:10  orders@shop.example
                  (connect to mail.other.example[198.51.100.9]:25: Connection timed out)
                                                 info@other.example
        """)
        #expect(all.first?.format == "postfix-queue")
    }
}
