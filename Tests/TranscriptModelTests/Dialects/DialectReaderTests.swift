import Foundation
import Testing
@testable import TranscriptModel

/// Focused checks per dialect on small inline snippets: markers, direction, quirks.
@Suite struct DialectReaderTests {
    private func one(_ text: String, _ format: String, sourceLine: Int = #line) throws -> Session {
        let all = try sessions(text)
        let s = try #require(all.first)
        #expect(s.format == format, "detected \(s.format)")
        return s
    }

    @Test func swaksTLSAndErrorMarkers() throws {
        let s = try one("""
        === Trying mx.example.com:25...
        === Connected to mx.example.com.
        <-  220 mx.example.com ESMTP
         -> EHLO c.example.net
        <-  250-mx.example.com
        <-  250 STARTTLS
         -> STARTTLS
        <-  220 go ahead
        === TLS started with cipher TLSv1.3:TLS_AES_256_GCM_SHA384:256
         ~> EHLO c.example.net
        <~  250 mx.example.com
         ~> MAIL FROM:<a@example.net>
        <~* 550 5.7.1 sender refused
         ~> QUIT
        <~  221 bye
        === Connection closed with remote host.
        """, "swaks")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .mail)
        #expect(s.tlsStarted)
        #expect(s.tls?.version == "TLSv1.3")
        #expect(s.tls?.cipher == "TLS_AES_256_GCM_SHA384")
    }

    /// A handshake the client reports failed after `220` to STARTTLS: what follows is clear text again, and
    /// the session ends at STARTTLS (what the server answers to clear text is a knock-on, not the cause).
    @Test func tlsHandshakeTheClientReportsFailedEndsTheSessionAtSTARTTLS() throws {
        let swaks = try one("""
        === Trying mx.example.com:25...
        === Connected to mx.example.com.
        <-  220 mx.example.com ESMTP
         -> EHLO c.example.net
        <-  250-mx.example.com
        <-  250 STARTTLS
         -> STARTTLS
        <-  220 2.0.0 Ready to start TLS
        *** TLS startup failed (connect(): error:0A000086:SSL routines::certificate verify failed)
        *** STARTTLS attempted but failed
         -> MAIL FROM:<a@example.net>
        <** 554 5.5.1 Error: TLS handshake failure?
        *** Remote host closed connection unexpectedly.
        """, "swaks")
        #expect(swaks.tlsFailedExchange == 2)
        #expect(swaks.exchanges[3].command?.verb == "MAIL" && swaks.exchanges[3].tls == false)
        #expect(swaks.outcome == .disconnected && swaks.failedStage == .starttls && swaks.decisiveExchange == 2)
        let curl = try one("""
        * Connected to mx.example.com (192.0.2.25) port 25 (#0)
        < 220 mx.example.com ESMTP
        > EHLO c.example.net
        < 250-mx.example.com
        < 250 STARTTLS
        > STARTTLS
        < 220 2.0.0 Ready to start TLS
        * TLSv1.3 (OUT), TLS alert, unknown CA (560):
        * SSL certificate problem: self-signed certificate
        * Closing connection 0
        """, "curl")
        #expect(curl.tlsFailedExchange == 2)
        #expect(curl.outcome == .disconnected && curl.failedStage == .starttls)
        // Once TLS is up (a version known), a later error line is not a failed handshake.
        let up = try one("""
        * Connected to mx.example.com (192.0.2.25) port 25 (#0)
        < 220 mx.example.com ESMTP
        > EHLO c.example.net
        < 250 STARTTLS
        > STARTTLS
        < 220 2.0.0 Ready to start TLS
        * SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384
        > EHLO c.example.net
        < 250 mx.example.com
        * SSL certificate problem: unexpected
        """, "curl")
        #expect(up.tlsFailedExchange == nil)
        #expect(up.failedStage != .starttls)
    }

    @Test func swaksConnectionFailureAndSecondRun() throws {
        let all = try sessions("""
        === Trying 192.0.2.1:25...
        *** Error connecting to 192.0.2.1:25:
        ***     IO::Socket::INET: connect: Connection timed out
        === Trying 192.0.2.2:25...
        === Connected to 192.0.2.2.
        <-  220 mx2.example.com ESMTP
         -> EHLO c
        *** Remote host closed connection unexpectedly.
        """)
        #expect(all.count == 2)
        #expect(all[0].outcome == .unreachable)
        #expect(all[0].connectFailure == .timedOut)
        #expect(all[1].outcome == .disconnected)
        #expect(all[1].failedStage == .helo)
    }

    @Test func opensslImplicitTLSGreetingAndFacts() throws {
        let s = try one("""
        CONNECTED(00000003)
        depth=0 CN = mail.example.com
        verify return:1
        ---
        subject=CN = mail.example.com
        issuer=CN = Example CA
        ---
        New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256
        Verify return code: 0 (ok)
        ---
        220 mail.example.com ESMTP
        EHLO c.example.net
        250 mail.example.com
        QUIT
        221 bye
        closed
        """, "openssl")
        #expect(s.tls?.implicit == true)
        #expect(s.tls?.subject == "CN = mail.example.com")
        #expect(s.tls?.verify == "0 (ok)")
        #expect(s.greeting?.code == 220)
        #expect(s.outcome == .incomplete)
    }

    @Test func opensslStarttlsTailIsNotTheGreeting() throws {
        let s = try one("""
        $ openssl s_client -starttls smtp -crlf -connect mx.example.com:25
        CONNECTED(00000003)
        Verify return code: 18 (self-signed certificate)
        ---
        250 CHUNKING
        EHLO c.example.net
        250 mx.example.com
        """, "openssl")
        #expect(s.greeting == nil)
        #expect(s.tlsStarted)
        #expect(s.exchanges.first?.command?.verb == "STARTTLS")
        #expect(s.exchanges.first?.command?.inferred == true)
    }

    @Test func sendmailClientMarkerAndReusedConnection() throws {
        let all = try sessions("""
        bob@example.org... Connecting to [192.0.2.5] port 25 via relay...
        220 mx.example.org ESMTP
        >>> EHLO c.example.com
        250 mx.example.org
        >>> MAIL From:<a@example.com> SIZE=100
        555 5.5.4 Unsupported option
        a@example.com... Using cached ESMTP connection to [192.0.2.5] via relay...
        >>> MAIL From:<>
        250 OK
        >>> RCPT To:<a@example.com>
        554 5.7.1 Relay access denied
        """)
        #expect(all.count == 2)
        #expect(all[0].format == "sendmail")
        #expect(all[0].outcome == .rejected)
        #expect(all[0].failedStage == .mail)
    }

    @Test func curlMarkersAndProgressGlue() throws {
        let s = try one("""
          0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0*   Trying 192.0.2.9:25...
        * Connected to mx.example.com (192.0.2.9) port 25 (#0)
        < 220 mx.example.com ESMTP
        > EHLO x
        < 250 mx.example.com
        > MAIL FROM:<a@example.net>
        < 250 OK
        > RCPT TO:<b@example.com>
        < 250 OK
        > DATA
        < 354 go
        } [120 bytes data]
        < 250 2.0.0 queued as ABC
        * Connection #0 to host mx.example.com left intact
        """, "curl")
        #expect(s.outcome == .delivered)
        #expect(s.server.address == "192.0.2.9")
    }

    @Test func smtplibLevelTwoTimesAndReprDecoding() throws {
        let s = try one("""
        10:00:01.500000 send: 'ehlo c.example.net\\r\\n'
        10:00:01.600000 reply: b'250 mx.example.com\\r\\n'
        10:00:01.600100 reply: retcode (250); Msg: b'mx.example.com'
        10:00:02.000000 send: 'mail FROM:<a@example.net>\\r\\n'
        10:00:02.100000 reply: b'451 4.3.0 Try again\\r\\n'
        """, "smtplib")
        #expect(s.outcome == .deferred)
        #expect(s.failedStage == .mail)
        #expect(s.exchanges.first?.command?.position.time == 36001.5)
        #expect(PythonRepr.decode("b'a\\\\b\\'c\\x41\\r\\n'"[...].utf8.map { $0 }[...]) == Array("a\\b'cA\r\n".utf8))
    }

    @Test func phpmailerHTMLIsDecodedAndGluedRepliesSplit() throws {
        let s = try one("""
        2026-11-29 01:23:03 SERVER -&gt; CLIENT: 220 mx.example.test ESMTP<br>
        2026-11-29 01:23:03 CLIENT -&gt; SERVER: EHLO c.example.net<br>
        2026-11-29 01:23:03 SERVER -&gt; CLIENT: 250-mx.example.test250-SIZE 10240000250 CHUNKING<br>
        2026-11-29 01:23:03 CLIENT -&gt; SERVER: MAIL FROM:&lt;a@example.net&gt;<br>
        2026-11-29 01:23:03 SERVER -&gt; CLIENT: 250 2.1.0 Ok<br>
        """, "phpmailer")
        #expect(s.capabilities?.size == 10240000)
        #expect(s.transactions.first?.sender == "a@example.net")
        #expect(s.exchanges.first?.reply?.position.time == Double(Stamp.daysFromCivil(2026, 11, 29)) * 86400 + 3600 + 23 * 60 + 3)
    }

    @Test func phpmailerPlainContinuationLines() throws {
        let s = try one("2026-11-29 01:22:55\tSERVER -> CLIENT: 220 mx ESMTP\n2026-11-29 01:22:55\tCLIENT -> SERVER: EHLO c\n2026-11-29 01:22:55\tSERVER -> CLIENT: 250-mx\n                   \t                  250-PIPELINING\n                   \t                  250 CHUNKING\n", "phpmailer")
        #expect(s.capabilities?.pipelining == true)
        #expect(s.capabilities?.chunking == true)
    }

    @Test func nodemailerTextContentAndTwoConnections() throws {
        let all = try sessions("""
        [2026-11-29 01:23:09] INFO  [a1] Connection established to 192.0.2.1:25
        [2026-11-29 01:23:09] DEBUG [a1] S: 220 mx ESMTP
        [2026-11-29 01:23:09] DEBUG [b2] S: 220 mx2 ESMTP
        [2026-11-29 01:23:09] DEBUG [a1] C: MAIL FROM:<a@example.net>
        [2026-11-29 01:23:09] DEBUG [a1] S: 250 ok
        [2026-11-29 01:23:09] DEBUG [a1] C: RCPT TO:<b@example.com>
        [2026-11-29 01:23:09] DEBUG [a1] S: 250 ok
        [2026-11-29 01:23:09] DEBUG [a1] C: DATA
        [2026-11-29 01:23:09] DEBUG [a1] S: 354 go
        [2026-11-29 01:23:09] DEBUG [a1] Subject: hi
        [2026-11-29 01:23:09] DEBUG [a1] 
        [2026-11-29 01:23:09] DEBUG [a1] S: 250 ok (looks like a reply, but it is content)
        [2026-11-29 01:23:09] DEBUG [a1] .
        [2026-11-29 01:23:09] DEBUG [a1] S: 250 2.0.0 queued
        [2026-11-29 01:23:09] DEBUG [a1] Closing connection to the server using "end"
        [2026-11-29 01:23:09] DEBUG [b2] C: EHLO x
        """)
        #expect(all.count == 2)
        let a = try #require(all.first { $0.server.address == "192.0.2.1" })
        #expect(a.outcome == .delivered)
    }

    @Test func nodemailerBunyanJSON() throws {
        let s = try one("""
        {"name":"m","level":20,"tnx":"server","cid":"x1","msg":"220 mx ESMTP","time":"2026-11-29T12:01:05.131Z"}
        {"name":"m","level":20,"tnx":"client","cid":"x1","msg":"EHLO app","time":"2026-11-29T12:01:05.132Z"}
        {"name":"m","level":20,"tnx":"server","cid":"x1","msg":"554 5.7.1 \\"blocked\\"","time":"2026-11-29T12:01:05.140Z"}
        """, "nodemailer")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .helo)
        #expect(s.exchanges.last?.reply?.text.contains("\"blocked\"") == true)
    }

    @Test func javamailSuppressedAuthIsInferred() throws {
        let s = try one("""
        DEBUG: Jakarta Mail version 1.6.5
        DEBUG SMTP: trying to connect to host "mx.example.com", port 587, isSSL false
        220 mx.example.com ESMTP
        DEBUG SMTP: connected to host "mx.example.com", port: 587
        EHLO c
        250 mx.example.com
        DEBUG SMTP: AUTH LOGIN command trace suppressed
        DEBUG SMTP: AUTH LOGIN failed
        Exception: javax.mail.AuthenticationFailedException: 535 5.7.8 bad credentials
        """, "javamail")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .auth)
        #expect(s.exchanges.last?.reply?.inferred == true)
    }

    @Test func msmtpPipelinedBatch() throws {
        let s = try one("""
        <-- 220 mx ESMTP
        --> EHLO localhost
        <-- 250-mx
        <-- 250 PIPELINING
        --> MAIL FROM:<a@example.net>
        --> RCPT TO:<b@example.com>
        --> DATA
        <-- 250 ok
        <-- 550 5.1.1 unknown
        <-- 554 5.5.1 no valid recipients
        msmtp: recipient address b@example.com not accepted by the server
        """, "msmtp")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
    }

    @Test func mailkitAndRFCAreToldApart() throws {
        let mk = try one("Connected to smtps://smtp.example.com:465/\nS: 220 smtp.example.com ESMTP\nC: EHLO [192.0.2.1]\nS: 250 smtp.example.com\n", "mailkit")
        #expect(mk.tls?.implicit == true)
        #expect(mk.server.port == 465)
        let rfc = try one("   S: <wait for open connection>\n   C: <open connection to server>\n   S: 220 foo.com ready\n   C: HELO bar.com\n   S: 250 foo.com\n", "rfc")
        #expect(rfc.connected == true)
        #expect(rfc.exchanges.count == 2)
    }

    @Test func exchangeReceiveAndSendDirections() throws {
        let all = try sessions("""
        2026-11-29T09:00:00.000Z,EX\\Default,S1,0,192.0.2.1:25,198.51.100.2:5000,+,,
        2026-11-29T09:00:00.001Z,SendConnector,T1,0,,192.0.2.9:25,*,,attempting to connect
        2026-11-29T09:00:00.002Z,EX\\Default,S1,1,192.0.2.1:25,198.51.100.2:5000,>,220 mail.example.com ready,
        2026-11-29T09:00:00.003Z,SendConnector,T1,1,192.0.2.1:1234,192.0.2.9:25,<,220 mx.example.org ESMTP,
        2026-11-29T09:00:00.004Z,EX\\Default,S1,2,192.0.2.1:25,198.51.100.2:5000,<,EHLO client.example.net,
        2026-11-29T09:00:00.005Z,SendConnector,T1,2,192.0.2.1:1234,192.0.2.9:25,>,EHLO mail.example.com,
        2026-11-29T09:00:00.006Z,EX\\Default,S1,3,192.0.2.1:25,198.51.100.2:5000,>,"550 5.7.1 Client host rejected, see list",
        2026-11-29T09:00:00.007Z,EX\\Default,S1,4,192.0.2.1:25,198.51.100.2:5000,-,,Local
        2026-11-29T09:00:00.008Z,SendConnector,T1,3,192.0.2.1:1234,192.0.2.9:25,<,250 mx.example.org,
        """)
        #expect(all.count == 2)
        let recv = try #require(all.first { $0.attributes["session-id"] == "S1" })
        #expect(recv.format == "exchange")
        #expect(recv.outcome == .rejected)
        #expect(recv.failedStage == .helo)
        #expect(recv.client.address == "198.51.100.2")
        let send = try #require(all.first { $0.attributes["session-id"] == "T1" })
        #expect(send.exchanges.count == 2)
        #expect(send.client.heloName == "mail.example.com")
    }

    @Test func postfixSmtpClientDirectionIsReversed() throws {
        let s = try one("""
        Nov 29 01:23:41 mx postfix/smtp[15748]: < 192.0.2.7[192.0.2.7]:25: 220 mx.example.org ESMTP
        Nov 29 01:23:41 mx postfix/smtp[15748]: > 192.0.2.7[192.0.2.7]:25: EHLO mx.example.test
        Nov 29 01:23:41 mx postfix/smtp[15748]: < 192.0.2.7[192.0.2.7]:25: 250 mx.example.org
        Nov 29 01:23:41 mx postfix/smtp[15748]: > 192.0.2.7[192.0.2.7]:25: MAIL FROM:<a@example.test>
        Nov 29 01:23:41 mx postfix/smtp[15748]: < 192.0.2.7[192.0.2.7]:25: 451 4.7.1 try later
        """, "postfix-verbose")
        #expect(s.client.heloName == "mx.example.test")
        #expect(s.outcome == .deferred)
        #expect(s.failedStage == .mail)
        #expect(s.direction == .outbound)
    }

    @Test func postfixSmtpdDirection() throws {
        let s = try one("""
        Nov 29 01:15:29 mx postfix/smtpd[11713]: connect from c.example.net[198.51.100.4]
        Nov 29 01:15:29 mx postfix/smtpd[11713]: > c.example.net[198.51.100.4]: 220 mx.example.test ESMTP
        Nov 29 01:15:31 mx postfix/smtpd[11713]: < c.example.net[198.51.100.4]: HELO laptop
        Nov 29 01:15:31 mx postfix/smtpd[11713]: > c.example.net[198.51.100.4]: 504 5.5.2 <laptop>: Helo command rejected
        Nov 29 01:15:35 mx postfix/smtpd[11713]: disconnect from c.example.net[198.51.100.4] helo=0/1 commands=0/1
        """, "postfix-verbose")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .helo)
        #expect(s.client.address == "198.51.100.4")
    }

    @Test func eximClientMarkersAndContinuations() throws {
        let s = try one("""
        Connecting to mx.example.org [192.0.2.8]:25 ...
         connected
          SMTP<< 220 mx.example.org ESMTP
          SMTP>> EHLO c.example.test
          SMTP<< 250-mx.example.org
                 250-PIPELINING
                 250 HELP
          SMTP|> MAIL FROM:<a@example.test>
          SMTP|> RCPT TO:<b@example.org>
          SMTP>> DATA
          SMTP<< 250 OK
          SMTP<< 550 5.1.1 unknown
          SMTP<< 503 no valid recipients
          SMTP+> QUIT
          SMTP<< 221 bye
          SMTP(close)>>
        """, "exim")
        #expect(s.capabilities?.pipelining == true)
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
        #expect(s.server.address == "192.0.2.8")
    }

    @Test func eximHostCheckingTreatsACLLinesAsNotes() throws {
        let s = try one("""
        **** SMTP testing session as if from host 192.0.2.1
        >>> host in hosts_connection_nolog? no (option unset)
        220 mx.example.com ESMTP Exim 4.96
        HELO x
        >>> x in helo_lookup_domains? no (end of list)
        250 mx.example.com Hello x [192.0.2.1]
        MAIL FROM:<a@example.net>
        >>> using ACL "acl_check_mail"
        550 rejected by ACL
        """, "exim")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .mail)
        #expect(s.exchanges.allSatisfy { $0.command?.verb.hasPrefix(">") != true })
    }

    @Test func hmailserverBothRoles() throws {
        let s = try one("\"SMTPC\"\t1\t77\t\"2026-11-29 10:00:00.000\"\t\"192.0.2.3\"\t\"RECEIVED: 220 mx ESMTP\"\n\"SMTPC\"\t1\t77\t\"2026-11-29 10:00:00.100\"\t\"192.0.2.3\"\t\"SENT: EHLO me\"\n\"SMTPC\"\t1\t77\t\"2026-11-29 10:00:00.200\"\t\"192.0.2.3\"\t\"RECEIVED: 421 4.7.0 too busy\"\n", "hmailserver")
        #expect(s.client.heloName == "me")
        #expect(s.outcome == .deferred)
        #expect(s.direction == .outbound)
    }

    @Test func iisInboundRowsBecomeExchanges() throws {
        let s = try one("""
        #Software: Microsoft Internet Information Services 10.0
        #Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status
        2026-11-29 11:20:01 198.51.100.60 c.example.net SMTPSVC1 R1 192.0.2.25 0 EHLO - +c.example.net 250
        2026-11-29 11:20:01 198.51.100.60 c.example.net SMTPSVC1 R1 192.0.2.25 0 MAIL - +FROM:<a@example.net> 250
        2026-11-29 11:20:01 198.51.100.60 c.example.net SMTPSVC1 R1 192.0.2.25 0 RCPT - +TO:<x@example.org> 550
        """, "iis-smtp")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
        #expect(s.transactions.first?.recipients.first?.address == "x@example.org")
    }

    @Test func normaliserStripsQuotesLineNumbersAndStamps() throws {
        let quoted = try one("> 220 mx ESMTP\n> EHLO c\n> 250 mx\n> QUIT\n> 221 bye\n", "telnet")
        #expect(quoted.greeting?.code == 220)
        #expect(quoted.quitSent)
        let numbered = try one(" 1: === Trying mx:25...\n 2: === Connected to mx.\n 3: <-  220 mx\n 4:  -> EHLO c\n 5: <-  250 mx\n", "swaks")
        #expect(numbered.client.heloName == "c")
        let stamped = try one("[12:00:01] 220 mx ESMTP\n[12:00:02] HELO c\n[12:00:02] 250 mx\n[12:00:03] QUIT\n[12:00:03] 221 bye\n", "telnet")
        #expect(stamped.client.heloName == "c")
        // A reply code is not a line number.
        let n = PasteNormalizer.detect(["250-a", "250-b", "250 c", "EHLO x"].map { Array($0.utf8)[...] }, timestamps: true)
        #expect(n.isIdentity)
    }

    @Test func chatTextAroundATelnetPasteStaysOutOfTheDialogue() throws {
        let s = try one("""
        hi, this is what I get:

        220 mx.example.com ESMTP
        HELO laptop.example.net
        250 mx.example.com
        QUIT
        221 bye

        thanks in advance!
        """, "telnet")
        #expect(s.exchanges.count == 3)
        #expect(s.notes.contains { $0.kind == .unparsed && $0.text.hasPrefix("hi,") })
    }

    @Test func unknownPasteStillGetsTheUnmarkedReading() throws {
        let all = try sessions("lorem ipsum\ndolor sit amet\n")
        #expect(all.first?.format == "telnet")
        #expect(all.first?.attributes["detection"] != nil)
    }

    @Test func hostileBytesNeverCrashAnyDialect() throws {
        let nasty = ["<-  ", " -> ", "send: b'\\x", "reply: b'", "SERVER -&gt; CLIENT: 250-250-250-", "[2026-11-29 01:02:03] DEBUG [", "{\"msg\":\"S: \\u12", "2026-11-29T00:00:00Z,,,,,,<,\"", "x postfix/smtpd[1]: > h[", "  SMTP<< ", "\"SMTPD\"\t", "#Fields: ", "C: <", "DEBUG SMTP: trying to connect to host \"", "CONNECTED(", "*   Trying ", ">>> "]
        for id in FormatDetector.formatIDs {
            for n in nasty {
                let text = String(repeating: n + "\n" + n + "999-\n", count: 3)
                _ = try sessions(text, format: id)
            }
        }
    }
}


@Suite struct DialectFallbackTests {
    @Test func curlTriesTheNextAddressAfterOneFails() throws {
        let all = try sessions("""
        *   Trying [::1]:25...
        * connect to ::1 port 25 from ::1 port 40000 failed: Connection refused
        *   Trying 127.0.0.1:25...
        * Connected to localhost (127.0.0.1) port 25 (#0)
        < 220 mx.example.com ESMTP
        > EHLO x
        < 250 mx.example.com
        """)
        #expect(all.count == 1)
        #expect(all[0].format == "curl")
        #expect(all[0].outcome == .incomplete)
        #expect(all[0].connectFailure == nil)
    }

    @Test func curlSilentConnectFailure() throws {
        let s = try session("""
        *   Trying 192.0.2.1:25...
        * connect to 192.0.2.1 port 25 from 192.0.2.9 port 40000 failed: Connection refused
        * Failed to connect to 192.0.2.1 port 25 after 0 ms: Couldn't connect to server
        * Closing connection
        """)
        #expect(s.format == "curl")
        #expect(s.outcome == .unreachable)
        #expect(s.connectFailure == .refused)
    }

    @Test func curlDialogueWithoutInfoLines() throws {
        let s = try session("< 220 mx ESMTP\n> EHLO x\n< 250 mx\n> MAIL FROM:<a@example.net>\n< 550 5.7.1 no\n")
        #expect(s.format == "curl")
        #expect(s.failedStage == .mail)
    }
}

/// Port tests pasted instead of (or before) a session: PowerShell's Test-NetConnection and `nc -zv`.
@Suite struct PortTestTests {
    @Test func testNetConnectionRunsAreOneSessionEach() throws {
        let all = try sessions("""
        PS C:\\Users\\admin> Test-NetConnection smtp.office365.com -Port 587

        ComputerName     : smtp.office365.com
        RemoteAddress    : 52.97.150.2
        RemotePort       : 587
        InterfaceAlias   : Wi-Fi
        SourceAddress    : 192.168.1.20
        TcpTestSucceeded : True

        PS C:\\Users\\admin> Test-NetConnection mx.example.org -Port 25
        WARNING: TCP connect to (203.0.113.25 : 25) failed


        ComputerName           : mx.example.org
        RemoteAddress          : 203.0.113.25
        RemotePort             : 25
        InterfaceAlias         : Wi-Fi
        SourceAddress          : 192.168.1.20
        PingSucceeded          : True
        PingReplyDetails (RTT) : 21 ms
        TcpTestSucceeded       : False

        """)
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0.format == "telnet" && $0.attributes["connection-test"] == "Test-NetConnection" })
        #expect(all.allSatisfy { $0.exchanges.isEmpty })
        #expect(all[0].connected == true)
        #expect(all[0].server.host == "smtp.office365.com")
        #expect(all[0].server.address == "52.97.150.2")
        #expect(all[0].server.port == 587)
        #expect(all[1].connectFailure == .other)
        #expect(all[1].connectFailurePosition?.line == 11)
        #expect(all[1].server.host == "mx.example.org")
        #expect(all[1].server.port == 25)
    }

    @Test func aTestWithoutItsCommandLineIsDetected() throws {
        let all = try sessions("ComputerName     : mx.example.org\nRemotePort       : 25\nTcpTestSucceeded : False\n")
        #expect(all.count == 1)
        #expect(all.first?.format == "telnet")
        #expect(all.first?.connectFailure == .other)
        #expect((all.first?.formatConfidence ?? 0) >= 0.9)
    }

    @Test func ncZeroIOSuccessIsAPortTest() throws {
        let all = try sessions("Connection to mx.example.org 25 port [tcp/smtp] succeeded!\n")
        #expect(all.first?.connected == true)
        #expect(all.first?.exchanges.isEmpty == true)
        #expect(all.first?.server.host == "mx.example.org")
        #expect(all.first?.server.port == 25)
    }

    @Test func aWindowsPromptWithoutSpaceStillNamesTheServer() throws {
        let all = try sessions("C:\\Users\\me>telnet mx.example.org 25\nConnecting To mx.example.org...Could not open connection to the host, on port 25: Connect failed\n")
        #expect(all.first?.server.host == "mx.example.org")
        #expect(all.first?.server.port == 25)
        // Windows telnet prints the same words for a refusal and a timeout.
        #expect(all.first?.connectFailure == .other)
    }
}
