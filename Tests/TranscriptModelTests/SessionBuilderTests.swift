import Testing
@testable import TranscriptModel

/// The RFC 5321 state machine on unmarked (telnet-style) input.
@Suite struct SessionBuilderTests {
    @Test func pairsPipelinedBatchInOrder() throws {
        let s = try session("""
        220 mx.example.com ESMTP Postfix
        EHLO client.example.net
        250-mx.example.com
        250-PIPELINING
        250 8BITMIME
        MAIL FROM:<a@example.net>
        RCPT TO:<b@example.com>
        RCPT TO:<c@example.com>
        DATA
        250 2.1.0 Ok
        250 2.1.5 Ok
        550 5.1.1 <c@example.com>: Recipient address rejected: User unknown in local recipient table
        354 End data with <CR><LF>.<CR><LF>
        Subject: hi

        hello
        .
        250 2.0.0 Ok: queued as 4F2A91C3B
        QUIT
        221 2.0.0 Bye
        """)
        let verbs = s.exchanges.map { $0.command?.verb ?? "-" }
        #expect(verbs == ["-", "EHLO", "MAIL", "RCPT", "RCPT", "DATA", ".", "QUIT"])
        #expect(s.exchanges[3].reply?.code == 250)
        #expect(s.exchanges[4].reply?.code == 550)
        #expect(s.exchanges[4].reply?.enhanced == "5.1.1")
        #expect(s.exchanges[5].reply?.code == 354)
        #expect(s.exchanges[4].command?.pipelined == true)
        #expect(s.outcome == .delivered)
        #expect(s.failedStage == nil)
        #expect(s.transactions.count == 1)
        #expect(s.transactions[0].recipients.map(\.accepted) == [true, false])
        #expect(s.transactions[0].queueID == "4F2A91C3B")
        #expect(s.transactions[0].message?.header("Subject") == "hi")
        #expect(s.capabilities?.pipelining == true)
    }

    @Test func infersMissingDataFrom354AndMissingDotFromFinalReply() throws {
        let s = try session("""
        220 mail.example.com ESMTP Exim 4.96
        HELO client.example.net
        250 mail.example.com Hello client.example.net [192.0.2.7]
        MAIL FROM:a@example.net
        250 OK
        RCPT TO:<b@example.com>
        250 Accepted
        354 Enter message, ending with "." on a line by itself
        Subject: test

        body line
        250 OK id=1vQ2xY-000Abc-7Z
        QUIT
        221 mail.example.com closing connection
        """)
        let data = try #require(s.exchanges.first { $0.command?.verb == "DATA" })
        #expect(data.command?.inferred == true)
        let dot = try #require(s.exchanges.first { $0.command?.verb == "." })
        #expect(dot.command?.inferred == true)
        #expect(dot.reply?.code == 250)
        #expect(s.outcome == .delivered)
        #expect(s.transactions[0].queueID == "1vQ2xY-000Abc-7Z")
        #expect(s.transactions[0].message?.terminationInferred == true)
        #expect(s.server.software == "Exim 4.96")
        #expect(s.exchanges.first { $0.command?.verb == "MAIL" }?.command?.addressBracketed == false)
    }

    @Test func contentThatLooksLikeARepliesStaysContent() throws {
        let s = try session("""
        220 mx.example.com ESMTP
        HELO c.example.net
        250 mx.example.com
        MAIL FROM:<a@example.net>
        250 OK
        RCPT TO:<b@example.com>
        250 OK
        DATA
        354 go ahead
        Subject: log excerpt

        250 this line is part of the message
        550 and so is this one
        .
        250 2.0.0 queued as ABC
        QUIT
        221 bye
        """)
        #expect(s.outcome == .delivered)
        #expect(s.transactions[0].message?.lineCount == 4)
        #expect(s.exchanges.filter { $0.command?.verb == "." }.count == 1)
    }

    @Test func severalTransactionsAndRset() throws {
        let s = try session("""
        220 mx.example.com ESMTP
        EHLO c.example.net
        250 mx.example.com
        MAIL FROM:<a@example.net>
        250 OK
        RCPT TO:<nobody@example.com>
        550 5.1.1 User unknown
        RSET
        250 2.0.0 Ok
        MAIL FROM:<a@example.net>
        250 OK
        RCPT TO:<bob@example.com>
        250 OK
        DATA
        354 go
        hi
        .
        250 OK queued as 1
        QUIT
        221 bye
        """)
        #expect(s.transactions.count == 2)
        #expect(s.transactions[0].delivered == false)
        #expect(s.transactions[1].delivered == true)
        #expect(s.outcome == .delivered)
    }

    @Test func unsolicited421EndsSessionAsDeferred() throws {
        let s = try session("""
        220 mx.example.com ESMTP Postfix
        EHLO c.example.net
        250 mx.example.com
        MAIL FROM:<a@example.net>
        250 2.1.0 Ok
        421 4.4.2 mx.example.com Error: timeout exceeded
        Connection closed by foreign host.
        """)
        #expect(s.outcome == .deferred)
        #expect(s.exchanges.last?.command == nil)
        #expect(s.exchanges.last?.reply?.code == 421)
        #expect(s.closedBy == .server)
    }

    @Test func disconnectAfterMailFrom() throws {
        let s = try session("""
        Trying 192.0.2.10...
        Connected to mx.example.com.
        Escape character is '^]'.
        220 mx.example.com ESMTP
        HELO c.example.net
        250 mx.example.com
        MAIL FROM:<a@example.net>
        Connection closed by foreign host.
        """)
        #expect(s.outcome == .disconnected)
        #expect(s.failedStage == .mail)
        #expect(s.server.address == "192.0.2.10")
    }

    @Test func connectionRefusedIsUnreachable() throws {
        let s = try session("""
        user@laptop:~$ telnet mx.example.com 25
        Trying 192.0.2.10...
        telnet: Unable to connect to remote host: Connection refused
        """)
        #expect(s.outcome == .unreachable)
        #expect(s.failedStage == .connect)
        #expect(s.connectFailure == .refused)
        #expect(s.server.host == "mx.example.com")
        #expect(s.server.port == 25)
    }

    @Test func authPayloadsAreRedactedAndChallengesPaired() throws {
        let s = try session("""
        220 mx.example.com ESMTP
        EHLO c.example.net
        250-mx.example.com
        250 AUTH PLAIN LOGIN
        AUTH LOGIN
        334 VXNlcm5hbWU6
        YWxpY2U=
        334 UGFzc3dvcmQ6
        czNjcmV0
        535 5.7.8 Error: authentication failed
        AUTH PLAIN AGFsaWNlAHMzY3JldA==
        235 2.7.0 Authentication successful
        QUIT
        221 bye
        """)
        let all = s.exchanges.compactMap { $0.command?.raw }.joined(separator: " ")
        #expect(!all.contains("YWxpY2U="))
        #expect(!all.contains("czNjcmV0"))
        #expect(!all.contains("AGFsaWNlAHMzY3JldA=="))
        #expect(s.lines.allSatisfy { !$0.text.contains("czNjcmV0") })
        #expect(s.exchanges.filter { $0.command?.verb == "AUTH-RESPONSE" }.count == 2)
        #expect(s.exchanges.first { $0.command?.verb == "AUTH" }?.command?.authMechanism == "LOGIN")
        // The failed AUTH was followed by a successful one, so it does not decide the outcome.
        #expect(s.outcome == .incomplete)
    }

    @Test func bdatChunksCountAsContent() throws {
        var b = SessionBuilder(input: "t", format: "test")
        func c(_ s: String, _ n: Int) { b.client(Array(s.utf8)[...], at: SourcePosition(input: "t", line: n)) }
        func srv(_ s: String, _ n: Int) { b.server(Array(s.utf8)[...], at: SourcePosition(input: "t", line: n)) }
        srv("220 mx.example.com ESMTP", 1)
        c("EHLO c.example.net", 2)
        srv("250-mx.example.com", 3)
        srv("250 CHUNKING", 4)
        c("MAIL FROM:<a@example.net>", 5)
        srv("250 OK", 6)
        c("RCPT TO:<b@example.com>", 7)
        srv("250 OK", 8)
        c("BDAT 12 LAST", 9)
        c("Subject: x", 10)
        srv("250 2.0.0 Message accepted", 11)
        let s = b.finish()
        #expect(s.outcome == .delivered)
        #expect(s.transactions[0].message?.chunked == true)
    }

    @Test func backspacesAreDetectedAndEdited() throws {
        let s = try session("220 mx.example.com ESMTP\nHELO c.example.net\n250 ok\nMAIL FROM:<boob\u{8}\u{8}b@example.net>\n501 5.1.7 Bad sender address syntax\nQUIT\n221 bye\n")
        let mail = try #require(s.exchanges.first { $0.command?.verb == "MAIL" }?.command)
        #expect(mail.hadBackspace)
        #expect(mail.address == "bob@example.net")
        #expect(mail.raw.contains("\u{8}"))
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .mail)
    }

    @Test func knockOn503DoesNotDecide() throws {
        let s = try session("""
        220 mx.example.com ESMTP
        HELO c.example.net
        250 ok
        MAIL FROM:<a@example.net>
        250 ok
        RCPT TO:<x@example.org>
        554 5.7.1 <x@example.org>: Relay access denied
        DATA
        554 5.5.1 Error: no valid recipients
        QUIT
        221 bye
        """)
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
    }

    @Test func commandParserReadsParameters() {
        let c = CommandParser.parse(Array("MAIL FROM:<> SIZE=1024 BODY=8BITMIME SMTPUTF8".utf8)[...],
                                    at: SourcePosition(input: "t"))
        #expect(c.verb == "MAIL")
        #expect(c.address == "")
        #expect(c.addressBracketed)
        #expect(c.parameter("SIZE") == "1024")
        #expect(c.parameter("BODY") == "8BITMIME")
        #expect(c.parameters.contains { $0.key == "SMTPUTF8" })
        let r = CommandParser.parse(Array("rcpt to: <@relay.example:bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com".utf8)[...],
                                    at: SourcePosition(input: "t"))
        #expect(r.verb == "RCPT")
        #expect(r.address == "bob@example.com")
        #expect(r.parameter("NOTIFY") == "SUCCESS,FAILURE")
        #expect(r.parameter("ORCPT") == "rfc822;bob@example.com")
        // A command a reader inferred without knowing the path: no address (not the null sender), no argument.
        let bare = CommandParser.parse(Array("MAIL FROM".utf8)[...], at: SourcePosition(input: "t"), inferred: true)
        #expect(bare.verb == "MAIL" && bare.address == nil && bare.argument == "")
        #expect(CommandParser.parse(Array("RCPT TO".utf8)[...], at: SourcePosition(input: "t")).address == nil)
    }

    @Test func replyLineSyntax() {
        let r = ReplyLine.parse(Array("550-5.7.26 Unauthenticated email".utf8)[...])
        #expect(r?.code == 550)
        #expect(r?.continues == true)
        #expect(ReplyLine.parse(Array("Subject: 250 ok".utf8)[...]) == nil)
        #expect(ReplyLine.parse(Array("2500 x".utf8)[...]) == nil)
        #expect(ReplyLine.parse(Array("220".utf8)[...])?.code == 220)
        let (e, rest) = ReplyLine.splitEnhanced("5.7.1 Relay access denied", code: 554)
        #expect(e == "5.7.1")
        #expect(rest == "Relay access denied")
    }

    @Test func splitsTwoTelnetSessionsInOnePaste() throws {
        let all = try sessions("""
        $ telnet mx1.example.com 25
        Trying 192.0.2.1...
        telnet: Unable to connect to remote host: Connection timed out
        $ telnet mx2.example.com 25
        Trying 192.0.2.2...
        Connected to mx2.example.com.
        Escape character is '^]'.
        220 mx2.example.com ESMTP
        QUIT
        221 bye
        Connection closed by foreign host.
        """)
        #expect(all.count == 2)
        #expect(all[0].outcome == .unreachable)
        #expect(all[0].connectFailure == .timedOut)
        #expect(all[1].outcome == .incomplete)
        #expect(all[1].server.host == "mx2.example.com")
    }
}

/// Cases found by the capture reader's corpus runs.
@Suite struct TransactionBoundaryTests {
    @Test func rcptAfterAcceptedMessageStartsNoRecipientOnOldTransaction() throws {
        let s = try session("220 mx ESMTP\nEHLO c\n250 ok\nMAIL FROM:<a@x.example>\n250 ok\nRCPT TO:<b@y.example>\n250 ok\nDATA\n354 go\nhi\n.\n250 queued\nRCPT TO:<c@y.example>\n503 5.5.1 need MAIL\nQUIT\n221 bye\n")
        #expect(s.transactions[0].recipients.count == 1)
        #expect(s.outcome == .delivered)
    }

    @Test func nestedMailRefusedKeepsFirstSender() throws {
        let s = try session("220 mx ESMTP\nEHLO c\n250 ok\nMAIL FROM:<a@x.example>\n250 ok\nMAIL FROM:<z@x.example>\n503 5.5.1 nested MAIL command\nRCPT TO:<b@y.example>\n250 ok\nQUIT\n221 bye\n")
        let withRcpt = s.transactions.first { !$0.recipients.isEmpty }
        #expect(withRcpt?.sender == "a@x.example")
    }

    @Test func pipelinedRsetDoesNotWipeNextTransaction() throws {
        let s = try session("220 mx ESMTP\nEHLO c\n250-mx\n250 PIPELINING\nMAIL FROM:<a@x.example>\n250 ok\nRSET\nMAIL FROM:<b@x.example>\nRCPT TO:<c@y.example>\n250 ok\n250 ok\n250 ok\nQUIT\n221 bye\n")
        let last = try #require(s.transactions.last)
        #expect(last.sender == "b@x.example")
        #expect(last.recipients.map(\.address) == ["c@y.example"])
    }

    /// A terminal that does not echo (Windows telnet) leaves only the server's lines: the commands are
    /// inferred from what the replies say, the refused recipient from the address the refusal names, and an
    /// AUTH LOGIN from its challenges (the client's answers are not in the input, so nothing to redact).
    @Test func serverLinesOnlyInferTheCommands() throws {
        let s = try session("""
        220 mx.example.org ESMTP Postfix (Debian/GNU)
        250-mx.example.org
        250-AUTH PLAIN LOGIN
        250 8BITMIME
        334 VXNlcm5hbWU6
        334 UGFzc3dvcmQ6
        235 2.7.0 Authentication successful
        250 2.1.0 Ok
        554 5.7.1 <bob@example.net>: Relay access denied
        221 2.0.0 Bye
        """)
        #expect(s.exchanges.map { $0.command?.verb ?? "-" } == ["-", "EHLO", "AUTH", "AUTH-RESPONSE", "AUTH-RESPONSE", "MAIL", "RCPT", "QUIT"])
        #expect(s.exchanges.allSatisfy { $0.command?.inferred ?? true })
        #expect(s.exchanges[2].command?.authMechanism == "LOGIN")
        #expect(s.exchanges[4].reply?.code == 235 && s.exchanges[4].stage == .auth)
        #expect(s.outcome == .rejected && s.failedStage == .rcpt)
        #expect(s.transactions.first?.recipients.first?.address == "bob@example.net")
        // `250 2.1.0` says a MAIL was accepted, not whose: the sender is unknown, not the null sender <>.
        #expect(s.exchanges[5].command?.address == nil)
        #expect(s.transactions.first.map { $0.sender == nil } == true)
        // A refusal whose words name no step stays unpaired, and a 421 is the server closing.
        let t = try session("""
        220 mx.example.org ESMTP
        250 2.1.0 Ok
        550 5.7.606 Access denied, banned sending IP [203.0.113.7]
        421 4.4.2 mx.example.org Error: timeout exceeded
        """)
        #expect(t.exchanges.map { $0.command?.verb ?? "-" } == ["-", "MAIL", "-", "-"])
    }

    @Test func authRefusalFirstIsNotAGreeting() throws {
        // A log that starts mid-session: 535 only ever answers AUTH.
        // (A refusal pasted alone is read as a quoted reply: the steps before it are inferred.)
        let s = try session("535 5.7.3 Authentication unsuccessful\n")
        let refused = try #require(s.exchanges.first { $0.reply?.code == 535 })
        #expect(refused.command?.verb == "AUTH")
        #expect(refused.command?.inferred == true)
        #expect(s.exchanges.allSatisfy { $0.stage != .greeting || $0.reply?.inferred == true })
        #expect(s.failedStage == .auth)
    }

    @Test func lastLineWithoutNewlineCountsForDetection() throws {
        // A one-line paste from a web form has no final newline; its only line must still pick the reader.
        let line = "System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.Sockets.SocketException: No connection could be made because the target machine actively refused it 192.0.2.7:587"
        let info = try InputDriver.read(name: "t.txt", bytes: Array(line.utf8)) { _ in }
        #expect(info.format == "client-error")
        #expect(!info.fallback)
    }

    @Test func malformedBdatIsNotAChunk() throws {
        let s = try session("220 mx ESMTP\nEHLO c\n250 CHUNKING\nMAIL FROM:<a@x.example>\n250 ok\nBDAT 5 X\n501 5.5.4 syntax\nQUIT\n221 bye\n")
        #expect(s.exchanges.contains { $0.command?.verb == "QUIT" && $0.reply?.code == 221 })
    }
}
