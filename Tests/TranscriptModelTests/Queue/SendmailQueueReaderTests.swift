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

/// Exim's queue listing: no reasons, so one session says what it holds and how to see why.
@Suite struct EximQueueReaderTests {
    @Test func theListingIsCountedAndFrozenMessagesNamed() throws {
        let all = try sessions("""
        25m  2.9K 1w2Xy3-00AbCd-9Z <alice@shop.example>
                  D accounts@partner.example
                    carol@example.net

         4d  1.2K 1w1Aa0-0009Zz-1Q <> *** frozen ***
                    bounce-target@gone.example

        """)
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.format == "exim-queue")
        #expect(s.exchanges.isEmpty)
        #expect(s.notes.first?.text.hasPrefix("2 message(s) in Exim's queue for 2 recipient(s) not yet delivered; the oldest, 1w1Aa0-0009Zz-1Q, has waited 4d.") == true)
        let frozen = try #require(s.notes.last)
        #expect(frozen.text.hasPrefix("1w1Aa0-0009Zz-1Q is frozen"))
        #expect(frozen.position.line == 5)
    }

    @Test func aMessageLogAfterTheListingIsTheLogReaders() throws {
        let all = try sessions("""
        25m  2.9K 1w2Xy3-00AbCd-9Z <alice@shop.example>
                    carol@example.net
        2026-12-06 02:41:10 Received from alice@shop.example U=alice P=local S=2914
        2026-12-06 02:41:11 carol@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [198.51.100.9]: SMTP error from remote mail server after RCPT TO:<carol@example.net>: 451 4.7.1 Greylisted
        """)
        #expect(all.first?.format == "exim-log")
    }
}
