import Foundation
import Testing
@testable import TranscriptModel

/// Error messages of mail-sending code: the reply and command they quote, the fault they name, and inputs
/// that only look like them.
@Suite struct ClientErrorReaderTests {
    private func one(_ text: String, sourceLine: Int = #line) throws -> Session {
        try onlySession(text, readAs: "client-error", sourceLine: sourceLine)
    }

    /// The exchange holding the real (not inferred) reply.
    private func quoted(_ s: Session) throws -> Exchange {
        try #require(s.exchanges.last { $0.reply?.inferred == false })
    }

    // MARK: the reply forms libraries print

    @Test func pythonTupleKeepsEveryReplyLine() {
        let r = EmbeddedReply.parse(" (535, b'5.7.8 Username and Password not accepted.\\n5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp')")
        #expect(r.count == 1)
        #expect(r.first?.code == 535)
        #expect(r.first?.lines == ["5.7.8 Username and Password not accepted.", "5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp"])
        #expect(r.first?.wireLines(code: 535).first == "535-5.7.8 Username and Password not accepted.")
    }

    @Test func pythonDictGivesOneReplyPerRecipient() {
        let r = EmbeddedReply.parse("{'a@example.org': (550, b'5.1.1 it\\'s unknown (really)'), \"b@example.org\": (452, b'4.2.2 full')}")
        #expect(r.map(\.address) == ["a@example.org", "b@example.org"])
        #expect(r.map(\.code) == [550, 452])
        #expect(r.first?.lines == ["5.1.1 it's unknown (really)"])
    }

    @Test func senderOfPythonSenderRefused() {
        let r = EmbeddedReply.parse("(553, b'5.7.1 <a@example.net>: Sender address rejected: not owned by user x', 'a@example.net')")
        #expect(r.first?.code == 553)
        #expect(r.first?.address == "a@example.net")
    }

    @Test func codeFirstFormsAndTextOnly() {
        #expect(EmbeddedReply.parse("535: 5.7.3 Authentication unsuccessful").first?.lines == ["5.7.3 Authentication unsuccessful"])
        #expect(EmbeddedReply.parse("(550 5.7.1 blocked").first?.code == 550)   // Rails: `Net::SMTPFatalError (550 ...`
        var cont = EmbeddedReply.parse("535-5.7.8 first").first!
        #expect(cont.continues)
        let second = cont.takeContinuation("535 5.7.8 second")
        #expect(second)
        #expect(!cont.continues)
        let third = cont.takeContinuation("535 5.7.8 third")
        #expect(!third)
        let text = EmbeddedReply.parse("bob@example.org: Recipient address rejected: User unknown").first
        #expect(text?.code == nil)
        #expect(text?.address == "bob@example.org")
        let php = EmbeddedReply.parse("a@example.net : MAIL FROM command failed,Sender address rejected,553,5.7.1").first
        #expect(php?.code == 553)
        #expect(php?.lines == ["5.7.1 Sender address rejected"])
        #expect(EmbeddedReply.parse("   ").isEmpty)
    }

    // MARK: sessions

    @Test func dotNetStatusPhraseGivesTheCodeAndTheFrameTheCommand() throws {
        let s = try one("""
        System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: 4.2.2 <full@example.org>: mailbox full
           at System.Net.Mail.RecipientCommand.CheckResponse(SmtpStatusCode statusCode, String response)
           at System.Net.Mail.SmtpClient.Send(MailMessage message)
        """)
        let x = try quoted(s)
        #expect(x.command?.verb == "RCPT")
        #expect(x.command?.address == "full@example.org")
        // The phrase is the one of 550, the enhanced code says temporary.
        #expect(x.reply?.code == 450)
        #expect(s.outcome == .deferred)
        #expect(s.failedStage == .rcpt)
        #expect(s.direction == .outbound)
        #expect(s.notes.contains { $0.text.contains("450 is assumed from \"mailbox unavailable.\"") })
    }

    @Test func nodemailerReplyGoesOnOnTheNextLineAndTheCommandFieldNamesIt() throws {
        let s = try one("""
        Error: Invalid login: 535-5.7.8 Username and Password not accepted. For more information, go to
        535 5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp
            at SMTPConnection._formatError (/app/node_modules/nodemailer/lib/smtp-connection/index.js:798:19) {
          code: 'EAUTH',
          response: '535-5.7.8 Username and Password not accepted. For more information, go to\\n' +
            '535 5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp',
          responseCode: 535,
          command: 'AUTH PLAIN'
        }
        """)
        let x = try quoted(s)
        #expect(x.command?.verb == "AUTH")
        #expect(x.reply?.lines.count == 2)
        #expect(x.reply?.position.line == 1)
        #expect(s.failedStage == .auth)
        #expect(s.attributes["client-library"] == "Nodemailer")
        // The greeting was not shown: it is inferred, and names no server.
        #expect(s.exchanges.first?.reply?.inferred == true)
        #expect(s.server.host == nil)
    }

    @Test func tracebackFramesBeforeTheExceptionNameHostAndPort() throws {
        let s = try one("""
        Traceback (most recent call last):
          File "/opt/x/notify.py", line 19, in <module>
            with smtplib.SMTP_SSL("mail.example.com", 587) as smtp:
          File "/usr/lib/python3.11/ssl.py", line 1382, in do_handshake
            self._sslobj.do_handshake()
        ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)
        """)
        #expect(s.attributes["client-problem"] == "tls-mode-mismatch")
        #expect(s.server.host == "mail.example.com")
        #expect(s.server.port == 587)
        #expect(s.outcome == .disconnected)
        #expect(s.exchanges.isEmpty)
    }

    @Test func twoTracebacksAreTwoSessions() throws {
        let tb = """
        Traceback (most recent call last):
          File "/usr/lib/python3.11/smtplib.py", line 750, in login
            raise last_exception
        smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')

        """
        let all = try sessions(tb + tb.replacingOccurrences(of: "535, b'5.7.8", with: "454, b'4.7.0 Too many login attempts"))
        #expect(all.count == 2)
        #expect(all.map(\.outcome) == [.rejected, .deferred])
        #expect(all.allSatisfy { $0.failedStage == .auth })
    }

    @Test func aNamedFaultOutranksTheConnectWordsAroundIt() throws {
        // Nodemailer says ETIMEDOUT, but the connection was made: the greeting never came.
        let s = try one("""
        Error: Greeting never received
            at SMTPConnection._formatError (/srv/node_modules/nodemailer/lib/smtp-connection/index.js:809:19) {
          code: 'ETIMEDOUT',
          command: 'CONN'
        }
        """)
        #expect(s.attributes["client-problem"] == "no-greeting")
        #expect(s.connectFailure == nil)
        #expect(s.connected == true)
        // JavaMail's outer "could not convert socket" and the nested certificate error: the certificate wins.
        let j = try one("""
        jakarta.mail.MessagingException: Could not convert socket to TLS;
          nested exception is:
        	javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path to requested target
        """)
        #expect(j.attributes["client-problem"] == "certificate-rejected")
    }

    @Test func powerShellCommandLineNamesServerAndEnvelope() throws {
        let s = try one("""
        Send-MailMessage : Unable to connect to the remote server
        At line:1 char:1
        + Send-MailMessage -SmtpServer mail.example.com -Port 2525 -From 'a@example.com' -To 'b@example.com','c@example.com' -Subject x
            + CategoryInfo          : InvalidOperation: (System.Net.Mail.SmtpClient:SmtpClient) [Send-MailMessage], SmtpException
        """)
        #expect(s.server.host == "mail.example.com")
        #expect(s.server.port == 2525)
        #expect(s.connectFailure == .other)
        #expect(s.outcome == .unreachable)
        let refused = try one("""
        System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.WebException: Unable to connect to the remote server ---> System.Net.Sockets.SocketException: No connection could be made because the target machine actively refused it 192.0.2.7:587
        """)
        #expect(refused.connectFailure == .refused)
        #expect(refused.server.address == "192.0.2.7")
        #expect(refused.server.port == 587)
    }

    @Test func phpMailerErrorInfoAloneIsAnErrorMessage() throws {
        let s = try one("SMTP Error: Could not authenticate.\nMessage could not be sent. Mailer Error: SMTP Error: Could not authenticate.\n")
        let x = try #require(s.exchanges.last)
        #expect(x.command?.verb == "AUTH")
        #expect(x.reply?.code == 535)
        #expect(x.reply?.inferred == true)
        #expect(s.outcome == .rejected)
    }

    /// One-line errors of scripts, containers and desktop clients: (text, outcome, stage, quoted code).
    static let oneLiners: [(String, Outcome, Stage?, Int?)] = [
        ("PHP Warning:  mail(): Failed to connect to mailserver at \"localhost\" port 25, verify your \"SMTP\" and \"smtp_port\" setting in php.ini", .unreachable, .connect, nil),
        ("msmtp: recipient address bob@example.org not accepted by the server\nmsmtp: server message: 550 5.1.1 <bob@example.org>: User unknown", .rejected, .rcpt, 550),
        ("sendmail: Authorization failed (535 5.7.8 Error: authentication failed: authentication failure)", .rejected, .auth, 535),
        ("curl: (55) RCPT failed: 550", .rejected, .rcpt, 550),
        ("Login to server smtp.example.com with username ana@example.com failed.", .rejected, .auth, 535),
        ("Sending of the message failed.\nThe message could not be sent because connecting to Outgoing server (SMTP) smtp.example.com failed.", .unreachable, .connect, nil),
        ("[2026-11-29 14:02:11] production.ERROR: Expected response code \"250/251/252\" but got code \"550\", with message \"550 5.7.1 <c@example.org>: Relay access denied\".", .rejected, .rcpt, 550),
    ]

    @Test func oneLineErrorsOfScriptsAndDesktopClients() throws {
        for (text, outcome, stage, code) in Self.oneLiners {
            let s = try one(text)
            #expect(s.outcome == outcome, "\(text)")
            #expect(s.failedStage == stage, "\(text)")
            #expect(s.exchanges.last?.reply?.code == code, "\(text)")
        }
    }

    // MARK: inputs that only look like error messages

    @Test func othersKeepTheirReaders() throws {
        // A telnet paste saying "Connection refused" names no library.
        let telnet = try sessions("$ telnet mx.example.com 25\nTrying 192.0.2.1...\ntelnet: Unable to connect to remote host: Connection refused\n")
        #expect(telnet.first?.format == "telnet")
        // PHPMailer debug output with the dialogue around its error line.
        let php = try sessions("""
        2026-11-29 10:00:00	SERVER -> CLIENT: 220 mx.example.com ESMTP
        2026-11-29 10:00:00	CLIENT -> SERVER: EHLO web.example.net
        2026-11-29 10:00:00	SERVER -> CLIENT: 250 mx.example.com
        2026-11-29 10:00:00	CLIENT -> SERVER: MAIL FROM:<a@example.net>
        2026-11-29 10:00:00	SERVER -> CLIENT: 553 5.7.1 rejected
        2026-11-29 10:00:00	SMTP ERROR: MAIL FROM command failed: 553 5.7.1 rejected
        """)
        #expect(php.first?.format == "phpmailer")
        // smtplib debug output ending in its traceback.
        let py = try sessions("""
        send: 'ehlo client\\r\\n'
        reply: b'250 mx.example.com\\r\\n'
        send: 'AUTH PLAIN AGFAYg==\\r\\n'
        reply: b'535 5.7.8 bad\\r\\n'
        smtplib.SMTPAuthenticationError: (535, b'5.7.8 bad')
        """)
        #expect(py.first?.format == "smtplib")
    }

    @Test func boundedOnHostileInput() throws {
        // Thousands of recipients in one dict and a reply that never stops continuing stay bounded.
        let dict = "smtplib.SMTPRecipientsRefused: {" + (0..<5000).map { "'u\($0)@example.org': (550, b'5.1.1 no')" }.joined(separator: ", ") + "}\n"
        let s = try one(dict)
        #expect(s.exchanges.count <= 110)
        let endless = "Error: Invalid login: 535-5.7.8 a\n" + String(repeating: "535-5.7.8 more\n", count: 5000)
        let e = try one(endless)
        #expect((e.exchanges.last?.reply?.lines.count ?? 0) <= EmbeddedReply.maxLines)
    }

    // MARK: desktop and phone mail clients

    /// Outlook's send/receive error names the server, port, refused address and reply in one line.
    @Test func outlookSendReceiveErrorNamesServerPortAndRecipient() throws {
        let s = try one("The message could not be sent because one of the recipients was rejected by the server. The rejected e-mail address was 'bob@example.org'. Subject 'Invoice 4471', Account: 'alice@example.net', Server: 'smtp.example.net', Protocol: SMTP, Server Response: '550 5.7.1 Unable to relay', Port: 25, Secure(SSL): No, Server Error: 550, Error Number: 0x800CCC79")
        let x = try quoted(s)
        #expect(x.command?.verb == "RCPT")
        #expect(x.command?.address == "bob@example.org")
        #expect(x.reply?.code == 550)
        #expect(x.reply?.lines == ["Unable to relay"])
        #expect(s.server.host == "smtp.example.net")
        #expect(s.server.port == 25)
    }

    /// iPhone and iPad Mail: a rejected login names only the server.
    @Test func appleMailPasswordIncorrectIsAnAuthFailure() throws {
        let s = try one(#"Cannot Send Mail. The user name or password for "smtp.office365.com" is incorrect."#)
        #expect(s.failedStage == .auth)
        #expect(s.server.host == "smtp.office365.com")
        #expect(s.exchanges.last?.reply?.code == 535)
    }

    /// Thunderbird's "Outgoing server (SMTP) error." names no server: the word after is not a host.
    @Test func thunderbirdOutgoingServerErrorNamesNoHost() throws {
        let s = try one("Sending of the message failed. An error occurred while sending mail: Outgoing server (SMTP) error. The server responded: 5.7.60 SMTP; Client does not have permissions to send as this sender.")
        #expect(s.server.host == nil)
        #expect(s.failedStage == .mail)
        let t = try one("Sending of the message failed. An error occurred while sending mail. Connecting to Outgoing server (SMTP) smtp.example.net failed.")
        #expect(t.server.host == "smtp.example.net")
    }

    /// The dialog's text copied with its line breaks: the reply is on the line after "responded:", and the
    /// client's advice after it is not part of the reply.
    @Test func replyOnTheLineAfterResponded() throws {
        let s = try one("""
        Sending of the message failed.
        An error occurred while sending mail. The mail server responded:
        5.7.1 Client does not have permissions to send as this sender.
        Please check the message and try again.
        """)
        let x = try quoted(s)
        #expect(x.reply?.enhanced == "5.7.1")
        #expect(x.reply?.lines == ["Client does not have permissions to send as this sender."])
        #expect(x.reply?.position.line == 3)
        let t = try one("""
        Your message did not reach some or all of the intended recipients.
        The server responded:
        550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table
        """)
        #expect(t.failedStage == .rcpt)
        #expect(try quoted(t).reply?.code == 550)
    }

    /// Command-line senders: git send-email names server and port on its error line; sSMTP installed as
    /// `sendmail` prints its errors under that name.
    @Test func gitSendEmailAndSSMTPAsSendmailNameTheServer() throws {
        let g = try one("Unable to initialize SMTP properly. Check config and use --smtp-debug. VALUES: server=smtp.example.net encryption=tls hello=localhost.localdomain port=587 at /usr/lib/git-core/git-send-email line 1690.")
        #expect(g.failedStage == .connect)
        #expect(g.server.host == "smtp.example.net")
        #expect(g.server.port == 587)
        let s = try one("sendmail: Cannot open mailhub.example.net:25")
        #expect(s.failedStage == .connect)
        #expect(s.server.host == "mailhub.example.net")
        #expect(s.server.port == 25)
    }

    // MARK: a refusal pasted alone

    static func detected(_ text: String) throws -> (format: String, sessions: [Session]) {
        var out: [Session] = []
        let info = try InputDriver.read(name: "paste", bytes: Array(text.utf8)) { out.append($0) }
        return (info.format, out)
    }

    /// Only the reply line, as a ticket quotes it: placed at the command its words point to, not taken for
    /// the server's greeting.
    @Test func aLoneRefusalIsPlacedAtItsCommand() throws {
        let r = try Self.detected("550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table\n")
        #expect(r.format == "client-error")
        let s = try #require(r.sessions.first)
        #expect(s.failedStage == .rcpt)
        #expect(s.server.host == nil)
        #expect(try quoted(s).command?.address == "bob@example.org")
    }

    /// Gmail shows an enhanced code without the reply code, over two lines: one AUTH reply, 535 assumed.
    @Test func enhancedCodeAloneGoesOnInItsNextLine() throws {
        let r = try Self.detected("5.7.8 Username and Password not accepted. Learn more at\n5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp\n")
        let s = try #require(r.sessions.first)
        #expect(r.sessions.count == 1)
        #expect(s.failedStage == .auth)
        let x = try quoted(s)
        #expect(x.reply?.code == 535)
        #expect(x.reply?.lines.count == 2)
    }

    @Test func aMultiLineRefusalIsOneReply() throws {
        let r = try Self.detected("550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n550 5.7.26 https://support.google.com/mail/answer/81126 - gsmtp\n")
        let s = try #require(r.sessions.first)
        #expect(r.sessions.count == 1)
        #expect(s.failedStage == .message)
        #expect(try quoted(s).reply?.lines.count == 3)
    }

    /// What stays a telnet paste: a greeting first, or commands among the replies.
    @Test func greetingsAndDialoguesStayTelnet() throws {
        #expect(try Self.detected("220 mx.example.org ESMTP\n").format == "telnet")
        #expect(try Self.detected("554 5.7.1 No SMTP service here\nQUIT\n221 2.0.0 Bye\n").format == "telnet")
        #expect(!ErrorMessageCore<ClientErrorMarkers>.onlyRefusals(["Hello 550 world"[...].utf8.map { $0 }[...]]))
    }
}
