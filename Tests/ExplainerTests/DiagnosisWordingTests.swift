import Testing
import TranscriptModel
@testable import Explainer

/// Replies whose cause is not what their stage suggests: the wording must name the real cause.
@Suite struct DiagnosisWordingTests {
    private let banner = "220 mx.example.com ESMTP Postfix\n"
    private let ehlo = "EHLO client.example.net\n250 mx.example.com\n"

    private func all(_ text: String, name: String = "t.txt") throws -> [ExplainedSession] {
        var out: [Session] = []
        _ = try InputDriver.read(name: name, bytes: Array(text.utf8)) { out.append($0) }
        return out.map { Explainer().explain($0) }
    }

    @Test func recipientBeforeSenderIsAnOrderProblemNotAnUnknownRecipient() throws {
        let x = try explain(banner + ehlo + "RCPT TO:<b@example.com>\n503 5.5.1 Error: need MAIL command\n"
                            + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\nRCPT TO:<b@example.com>\n250 2.1.5 Ok\nQUIT\n221 Bye\n")
        let f = try #require(x.findings.first { $0.exchanges.contains(2) })
        #expect(f.id == "out-of-order")
        #expect(f.reason == .syntaxerror)
        #expect(f.title == "The commands came in the wrong order")
        #expect(!ids(x).contains("rcpt-rejected"))
        #expect(!f.actions.contains { $0.contains("typos") })
        #expect(x.replies[2]?.summary == "The commands came in the wrong order")
    }

    @Test func noHeloGivenIsAboutOrderNotTheName() throws {
        let x = try explain(banner + "MAIL FROM:<a@example.net>\n503 5.5.1 Error: send HELO/EHLO first\nQUIT\n221 Bye\n")
        #expect(ids(x).contains("out-of-order"))
        #expect(!ids(x).contains("helo-rejected"))
        let exim = try explain(banner + "MAIL FROM:<a@example.net>\n503 no HELO/EHLO given\nQUIT\n221 Bye\n")
        #expect(!ids(exim).contains("helo-rejected"))
        // A name refused in so many words is still the HELO rule's.
        let named = try explain(banner + "HELO laptop\n504 5.5.2 <laptop>: Helo command rejected: need fully-qualified hostname\n")
        #expect(ids(named).contains("helo-rejected"))
    }

    @Test func strayDotAfterRefusedDataEndsNoMessage() throws {
        let x = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\nDATA\n503 5.5.1 Error: need RCPT command\n"
                            + "Subject: hi\n500 5.5.2 Error: command not recognized\n.\n500 5.5.2 Error: command not recognized\nQUIT\n221 Bye\n")
        let dot = try #require(x.session.exchanges.firstIndex { $0.command?.verb == "." })
        #expect(x.session.exchanges[dot].stage == .other)
        #expect(!ids(x).contains("message-rejected"))
        let t = try #require(x.session.transactions.first)
        #expect(t.finalReply == nil)
        #expect(t.message == nil)
    }

    @Test func specificCauseReplacesTheStageCatchAllWords() throws {
        let x = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
                            + "RCPT TO:<b@example.com>\n452 4.2.2 <b@example.com>: Mailbox full\nQUIT\n221 Bye\n")
        let f = try #require(x.findings.first { $0.id == "rcpt-rejected" })
        #expect(f.reason == .mailboxfull)
        #expect(f.title == "Recipient refused — The recipient's mailbox is full")
        #expect(!f.explanation.contains("not configured to accept"))
        #expect(!f.actions.contains { $0.contains("typos") || $0.contains("accepted domains") })
        #expect(f.actions.first?.contains("mailbox is full") == true)
        // An unknown user keeps the step for the receiving side's admin.
        let u = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
                            + "RCPT TO:<b@example.com>\n550 5.1.1 <b@example.com>: Recipient address rejected: User unknown in local recipient table\n")
        let g = try #require(u.findings.first { $0.id == "rcpt-rejected" })
        #expect(g.actions.contains { $0.contains("receiving server") && $0.contains("alias") })
        #expect(g.actions.contains { $0.contains("typos") })
    }

    @Test func idleTimeoutIsTheClientsSilenceNotAnExpiredMessage() throws {
        for text in ["421 4.4.2 mx.example.com Error: timeout exceeded", "421 mx.example.com SMTP command timeout - closing connection"] {
            let c = ReplyKnowledge.classify(ReplyQuery(code: 421, enhanced: nil, text: text, command: nil))
            #expect(c.reason == .networkerror, "\(text)")
            #expect(c.title.contains("silent too long"))
        }
        // Bounce texts about a queue's retry limit stay "expired".
        for text in ["retry timeout exceeded", "554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>"] {
            #expect(ReplyKnowledge.classify(ReplyQuery(code: nil, enhanced: nil, text: text, command: nil)).reason == .expired)
        }
    }

    @Test func unterminatedMessageIsTheCauseOfTheTimeout() throws {
        let x = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\nRCPT TO:<b@example.com>\n250 2.1.5 Ok\n"
                            + "DATA\n354 End data with <CR><LF>.<CR><LF>\nSubject: x\n\nbody\n..\n"
                            + "421 4.4.2 mx.example.com Error: timeout exceeded\n")
        #expect(x.session.outcome == .deferred)
        #expect(x.findings.first?.id == "data-not-terminated")
        #expect(x.primaryReason == .syntaxerror)
        #expect(x.summary.contains("not ended"))
    }

    @Test func eximCommandTimeoutAfterHeloIsNotAHangUpAfterHelo() throws {
        let log = "2026-11-28 09:00:00 SMTP command timeout on connection from (client.example.net) [192.0.2.7]\n"
        let x = try #require(try all(log, name: "mainlog").first)
        #expect(x.session.exchanges.contains { $0.command?.verb == "EHLO" })
        #expect(x.session.exchanges.last?.reply?.code == 421)
        #expect(!ids(x).contains("disconnect-after-helo"))
        #expect(x.primaryReason == .networkerror)
    }

    @Test func textShowsMeaningUnderTheReplyLineOfALogReplay() throws {
        let log = "Nov 28 09:00:00 mx postfix/smtp[100]: ABC123: to=<b@example.org>, relay=mx.example.org[192.0.2.9]:25, "
            + "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.9] said: 550 5.1.1 <b@example.org>: "
            + "Recipient address rejected: User unknown (in reply to RCPT TO command))\n"
        let x = try #require(try all(log, name: "maillog").first)
        let lines = TextRenderer().render(x, number: 1, of: 1).split(separator: "\n").map(String.init)
        // Every meaning line follows a server line (or another meaning line), never a command.
        for (i, l) in lines.enumerated() where l.hasPrefix("          → ") {
            let above = lines[..<i].last { !$0.hasPrefix("          → ") }
            #expect(above?.contains(" S: ") == true, "meaning under: \(above ?? "-")")
        }
        #expect(lines.contains { $0.hasPrefix("          → 550 5.1.1") })
    }

    @Test func missingSenderIsNotTheNullSender() throws {
        let x = try explain(banner + ehlo + "RCPT TO:<b@example.com>\n503 5.5.1 Error: need MAIL command\nQUIT\n221 Bye\n")
        let text = TextRenderer().render(x, number: 1, of: 1)
        #expect(text.contains("transaction 1: from (no sender given) to b@example.com (refused)"))
        let bounce = try explain(banner + ehlo + "MAIL FROM:<>\n550 5.7.1 Null sender refused\nQUIT\n221 Bye\n")
        #expect(TextRenderer().render(bounce, number: 1, of: 1).contains("transaction 1: from <> (refused) to (no recipients)"))
    }
}
