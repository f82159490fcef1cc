import Foundation
import Testing
@testable import TranscriptModel

/// Bounce messages: the quoted reply (wrapped over lines as bounces do), the command it answered, the
/// receiving server, and MTA logs that quote the same words staying with their log readers.
@Suite struct BounceReaderTests {
    private func one(_ text: String, sourceLine: Int = #line) throws -> Session {
        try onlySession(text, readAs: "bounce", sourceLine: sourceLine)
    }

    @Test func postfixReplyWrappedOverLinesNamesItsCommand() throws {
        let s = try one("""
        This is the mail system at host mail.example.net.

        <j.doe@example.org>: host mx.example.org[198.51.100.25] said: 550 5.1.1
            <j.doe@example.org>: Recipient address rejected: User unknown in virtual
            mailbox table (in reply to RCPT TO command)
        """)
        let x = try #require(s.exchanges.last)
        #expect(x.command?.verb == "RCPT")
        #expect(x.command?.address == "j.doe@example.org")
        #expect(x.reply?.code == 550)
        #expect(x.reply?.enhanced == "5.1.1")
        #expect(x.reply?.lines == ["<j.doe@example.org>: Recipient address rejected: User unknown in virtual mailbox table"])
        #expect(s.server.host == "mx.example.org")
        #expect(s.server.address == "198.51.100.25")
        #expect(s.direction == .outbound)
        #expect(s.failedStage == .rcpt)
    }

    /// Gmail's notice names the recipient only in its sentence (`wasn't delivered to X because`).
    @Test func gmailNoticeNamesTheRecipientInItsSentence() throws {
        let s = try one("""
        ** Address not found **

        Your message wasn't delivered to nobody@example.com because the address couldn't be found, or is unable to receive mail.

        The response from the remote server was:
        550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. - gsmtp
        """)
        #expect(s.transactions.first?.recipients.map(\.address) == ["nobody@example.com"])
        #expect(s.failedStage == .rcpt)
        // A sentence that names no address leaves the envelope empty rather than guessing.
        let t = try one("""
        Your message to the list couldn't be delivered.
        Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
        """)
        #expect(t.transactions.first?.recipients.isEmpty ?? true)
    }

    /// Gmail bouncing for one of its own accounts quotes the reason alone, a blank line after
    /// `The response was:` and no code: 550 is assumed and the words place it at RCPT.
    @Test func gmailOwnAccountReasonWithoutCode() throws {
        let s = try one("""
        ** Address not found **

        Your message wasn't delivered to old.name@gmail.com because the address couldn't be found, or is unable to receive mail.

        The response was:

        The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-7c3e1a2b9d4si1234567a12.98 - gsmtp
        """)
        let x = try #require(s.exchanges.last)
        #expect(x.command?.verb == "RCPT")
        #expect(x.command?.address == "old.name@gmail.com")
        #expect(x.reply?.code == 550)
        #expect(x.reply?.lines.first?.hasPrefix("The email account that you tried to reach does not exist.") == true)
        #expect(x.reply?.position.line == 7)   // the reason's own line, not the one announcing it
        #expect(s.failedStage == .rcpt)
    }

    /// Exchange 2003's notice lists the recipient with the time and brackets the server with the reply.
    @Test func exchange2003NoticeNamesRecipientAndServer() throws {
        let s = try one("""
        Your message did not reach some or all of the intended recipients.

              Subject:	test
              Sent:	12/7/2026 10:00 AM

        The following recipient(s) cannot be reached:

              'bob@example.org' on 12/7/2026 10:00 AM
                    The e-mail account does not exist at the organization this message was sent to.
                    <mail.example.org #5.1.1 smtp;550 5.1.1 User unknown>
        """)
        #expect(s.transactions.first?.recipients.map(\.address) == ["bob@example.org"])
        #expect(s.server.host == "mail.example.org")
        #expect(s.failedStage == .rcpt)
        #expect(s.exchanges.last?.reply?.code == 550)
    }

    /// A success DSN quotes a positive reply: the delivery it confirms (`queued as` answers the end of the
    /// message), not a session cut short.
    @Test func successReportIsADelivery() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let text = try String(contentsOf: url.appendingPathComponent("samples/bounce/postfix-success-dsn.txt"), encoding: .utf8)
        let s = try one(text)
        #expect(s.outcome == .delivered && s.transactions.first?.queueID == "4R1xyz")
        #expect(s.transactions.first?.recipients.first?.address == "kim@harbourline-freight.example")
        #expect(EmbeddedReply.parse("250 2.1.5 Ok").first?.likelyVerb(code: 250) == "RCPT TO")
        #expect(EmbeddedReply.parse("250 Ok: queued as 4Q").first?.likelyVerb(code: 250) == ".")
    }

    @Test func multiLineReplyQuotedOnOneLineIsUnfolded() throws {
        let s = try one("""
        This is the mail system at host mail.example.net.

        <ana@gmail.example>: host gmail-smtp-in.l.google.example[192.0.2.27] said:
            550-5.7.1 [203.0.113.9] Our system has detected that this message is
            550-5.7.1 likely unsolicited mail. 550 5.7.1 See the sender guidelines. - gsmtp
            (in reply to end of DATA command)
        """)
        let x = try #require(s.exchanges.last)
        #expect(x.command?.verb == ".")
        #expect(x.reply?.code == 550)
        #expect(x.reply?.enhanced == "5.7.1")
        #expect(x.reply?.lines == ["[203.0.113.9] Our system has detected that this message is likely unsolicited mail. See the sender guidelines. - gsmtp"])
    }

    @Test func eximReplyFollowsItsCommandLine() throws {
        let s = try one("""
        This message was created automatically by mail delivery software.

          sales@example.org
            host mx.example.org [198.51.100.25]
            SMTP error from remote mail server after MAIL FROM:<news@example.net> SIZE=1234:
            550 5.7.1 Service unavailable; Client host [192.0.2.45] blocked using
            zen.spamhaus.org

            (a blank line ends the reply: this indented line is not part of it)
        """)
        let x = try #require(s.exchanges.last)
        #expect(x.command?.verb == "MAIL")
        #expect(x.command?.address == "news@example.net")
        #expect(x.reply?.lines == ["Service unavailable; Client host [192.0.2.45] blocked using zen.spamhaus.org"])
        #expect(s.failedStage == .mail)
    }

    @Test func foldedDiagnosticCodeEndsTheMessage() throws {
        let s = try one("""
        Reporting-MTA: dns; mail.example.net

        Final-Recipient: rfc822; reader@example.org
        Action: failed
        Status: 5.7.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 554 5.7.1 Message rejected as spam (in
            reply to end of DATA command)
        """)
        #expect(s.failedStage == .message)
        #expect(s.exchanges.last?.command?.verb == ".")
        #expect(s.exchanges.last?.reply?.lines == ["Message rejected as spam"])
        #expect(s.server.host == "mx.example.org")
        #expect(s.transactions.first?.recipients.first?.address == "reader@example.org")
    }

    @Test func wrappedConnectFailureIsStillOne() throws {
        let s = try one("""
        This is the mail system at host mail.example.net.

        <orders@example.org>: connect to mx.example.org[198.51.100.25]:25: Connection
            refused
        """)
        #expect(s.connectFailure == .refused)
        #expect(s.server.port == 25)
        #expect(s.outcome == .unreachable)
    }

    @Test func logsQuotingTheSameWordsStayLogs() throws {
        let postfix = try sessions("""
        Nov 29 10:00:01 mail postfix/smtp[2001]: 4Q2WXY1k2Lz9sT7: to=<a@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.org[198.51.100.25] said: 550 5.1.1 <a@example.org>: User unknown (in reply to RCPT TO command))
        """)
        #expect(postfix.first?.format == "postfix-log")
        let exim = try sessions("""
        2026-11-29 10:00:01 1vQxYz-000Abc-12 == a@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org [198.51.100.25]: SMTP error from remote mail server after RCPT TO:<a@example.org>: 451 4.7.1 Try again later
        """)
        #expect(exim.first?.format == "exim-log")
    }

    @Test func exchangeDiagnosticLineNamesRecipientAndServer() throws {
        let s = try one("""
        Delivery has failed to these recipients or groups:

        Diagnostic information for administrators:

        Generating server: mail.corp.example.com

        jane@partner.example
        mx1.partner.example #554 5.7.1 <jane@partner.example>: Recipient address rejected: Access denied ##
        """)
        let reply = try #require(s.exchanges.last?.reply)
        #expect(reply.code == 554)
        #expect(reply.enhanced == "5.7.1")
        #expect(reply.lines == ["<jane@partner.example>: Recipient address rejected: Access denied"])
        #expect(s.server.host == "mx1.partner.example")
        #expect(s.failedStage == .rcpt)
        #expect(s.transactions.first?.recipients.first?.address == "jane@partner.example")
    }

    @Test func exchange2003FormKeepsTheReplyAfterSmtp() throws {
        let s = try one("""
        Your message did not reach some or all of the intended recipients.

              'bob@example.org' on 12/1/2026 10:12 AM
                    <mail.corp.example.com #5.0.0 smtp; 550 5.1.1 <bob@example.org>... User unknown>
        """)
        #expect(s.exchanges.last?.reply?.code == 550)
        #expect(s.exchanges.last?.reply?.enhanced == "5.1.1")
        #expect(s.exchanges.last?.reply?.lines == ["<bob@example.org>... User unknown"])
    }

    @Test func aHashLineWithoutACodeIsNoReply() throws {
        let all = try sessions("""
        Delivery has failed to these recipients or groups:
        # forwarded by the helpdesk
        #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
        """)
        #expect(all.count == 1)
        #expect(all.first?.exchanges.last?.reply?.code == 550)
        // A root prompt in a telnet paste is not an Exchange line.
        let telnet = try sessions("# telnet mx.example.org 25\n220 mx.example.org ESMTP\nQUIT\n221 Bye\n")
        #expect(telnet.first?.format == "telnet")
    }

    @Test func dominoReasonWithoutCodeGetsAnAssumedOne() throws {
        let s = try one("""
        Your message

          Subject: Quarterly figures

        was not delivered to:

          jdoe@corp.example

        because:

          User jdoe (jdoe@corp.example) not listed in Domino Directory
        """)
        let reply = try #require(s.exchanges.last?.reply)
        #expect(reply.code == 550)
        #expect(reply.lines == ["User jdoe (jdoe@corp.example) not listed in Domino Directory"])
        #expect(s.failedStage == .rcpt)
        #expect(s.notes.contains { $0.text.contains("550 is assumed") })
        // "because:" alone names no bounce.
        let other = try sessions("220 mx.example.org ESMTP\nbecause:\nQUIT\n221 Bye\n")
        #expect(other.first?.format == "telnet")
    }

    @Test func aDSNReplyEndingInAnAddressKeepsItsBracket() throws {
        // The Exchange 2003 row (` smtp;`, closed by `>`) must not take the DSN's line.
        let s = try one("""
        Reporting-MTA: dns; mail.example.net
        Final-Recipient: rfc822; bob@example.org
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: smtp; 550 5.1.1 unknown user <bob@example.org>
        """)
        #expect(s.exchanges.last?.reply?.lines == ["unknown user <bob@example.org>"])
    }

    /// Each recipient's outcome as (recipient, server, reply code or connect failure).
    private func outcomes(_ text: String) throws -> [String] {
        try sessions(text).map { s in
            #expect(s.format == "bounce")
            let rcpt = s.transactions.first?.recipients.first?.address
                ?? s.notes.first { $0.text.hasPrefix("Recipient: ") }.map { String($0.text.dropFirst(11).prefix { $0 != " " }) }
                ?? s.notes.first { $0.kind == .error && $0.text.hasPrefix("<") }.map { String($0.text.dropFirst().prefix { $0 != ">" }) }
            let what = s.connectFailure.map(\.rawValue) ?? s.exchanges.last?.reply.map { "\($0.code)" } ?? "-"
            return "\(rcpt ?? "?") \(s.server.host ?? "?") \(what)"
        }
    }

    @Test func aPostfixBounceForThreeRecipientsIsThreeSessionsAndItsDSNPartNoMore() throws {
        let out = try outcomes("""
        This is the mail system at host mail.example.net.

                           The mail system

        <j.doe@example.org>: host mx.example.org[198.51.100.25] said: 550 5.1.1
            <j.doe@example.org>: Recipient address rejected: User unknown in virtual
            mailbox table (in reply to RCPT TO command)

        <sales@other.example>: host mx2.other.example[192.0.2.7] said: 552 5.2.2
            Mailbox full (in reply to end of DATA command)

        <ops@third.example>: connect to mx.third.example[203.0.113.9]:25: Connection
            timed out

        --3F2A1C0B.1733456789/mail.example.net
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mail.example.net

        Final-Recipient: rfc822; j.doe@example.org
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.1.1 <j.doe@example.org>: Recipient address
            rejected: User unknown in virtual mailbox table

        Final-Recipient: rfc822; sales@other.example
        Action: failed
        Status: 5.2.2
        Remote-MTA: dns; mx2.other.example
        Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

        Final-Recipient: rfc822; ops@third.example
        Action: failed
        Status: 4.4.1
        Diagnostic-Code: X-Postfix; connect to mx.third.example[203.0.113.9]:25:
            Connection timed out
        """)
        #expect(out == ["j.doe@example.org mx.example.org 550", "sales@other.example mx2.other.example 552",
                        "ops@third.example mx.third.example timed-out"])
    }

    @Test func aDSNAloneForSeveralRecipientsIsOneSessionEach() throws {
        let out = try outcomes("""
        Reporting-MTA: dns; mail.example.net

        Final-Recipient: rfc822; a@example.org
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.1.1 User unknown

        Final-Recipient: rfc822; b@example.org
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.1.1 User unknown
        """)
        #expect(out == ["a@example.org mx.example.org 550", "b@example.org mx.example.org 550"])
    }

    @Test func anEximBounceEndsEachReplyAtTheNextRecipient() throws {
        let all = try sessions("""
        This message was created automatically by mail delivery software.

          sales@example.org
            host mx.example.org [198.51.100.25]
            SMTP error from remote mail server after RCPT TO:<sales@example.org>:
            550 5.1.1 <sales@example.org>: Recipient address rejected: User unknown
          ops@other.example
            host mx.other.example [192.0.2.8]
            SMTP error from remote mail server after end of data:
            554 5.7.1 Message rejected as spam
          info@third.example
            Unrouteable address
        """)
        #expect(all.count == 3)
        #expect(all.first?.exchanges.last?.reply?.lines == ["<sales@example.org>: Recipient address rejected: User unknown"])
        #expect(all.dropFirst().first?.transactions.first?.recipients.first?.address == "ops@other.example")
        #expect(all.dropFirst().first?.failedStage == .message)
        #expect(all.last?.connectFailure == .nameNotResolved)
        #expect(all.last?.notes.contains { $0.text.hasPrefix("Recipient: info@third.example") } == true)
    }

    @Test func gmailsDNSErrorIsANameThatDoesNotResolve() throws {
        let s = try one("""
        ** Message not delivered **

        There was a problem delivering your message to sales@partner.example. See the technical details below.

        The response from the remote server was:
        DNS Error: DNS type 'mx' lookup of partner.example responded with code NXDOMAIN Domain name not found: partner.example
        """)
        #expect(s.connectFailure == .nameNotResolved)
        #expect(s.exchanges.isEmpty)
    }
}
