import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// Replies whose cause is not what their stage suggests: the wording must name the real cause.
@Suite struct DiagnosisWordingTests {
    private let banner = "220 mx.example.com ESMTP Postfix\n"
    private let ehlo = "EHLO client.example.net\n250 mx.example.com\n"

    /// Each reply (no command known) gets the reason and a title naming the words given.
    private func expectReadings(_ cases: [(Int, String, Reason, String)], withSteps: Bool = false) {
        for (code, text, reason, words) in cases {
            let c = ReplyKnowledge.classify(ReplyQuery(code: code, enhanced: nil, text: text, command: nil))
            #expect(c.reason == reason, "\(text)")
            #expect(c.title.contains(words), "\(text): \(c.title)")
            if withSteps { #expect(!c.actions.isEmpty) }
        }
    }

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

    @Test func malformedAddressIsNotAnUnknownUser() throws {
        let x = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
                            + "RCPT TO: b@example.com\n501 5.1.3 Bad recipient address syntax\n")
        let f = try #require(x.findings.first { $0.exchanges.contains(3) })
        #expect(f.reason == .syntaxerror)
        #expect(f.title.hasSuffix("The address is malformed"))
        #expect(!f.actions.contains { $0.contains("current address") })
        let exim = ReplyKnowledge.classify(ReplyQuery(code: 501, enhanced: nil,
                                                      text: "<carol@example.net: '>' missing at end of address", command: "RCPT"))
        #expect(exim.title == "The address is malformed")
    }

    @Test func authNotOfferedIsNotAWrongPassword() throws {
        let x = try explain(banner + ehlo + "AUTH PLAIN AGFsaWNlAHNlY3JldA==\n503 5.5.1 Error: authentication not enabled\n")
        #expect(!ids(x).contains("auth-failed"))
        let f = try #require(x.findings.first { $0.exchanges.contains(2) })
        #expect(f.reason == .securityerror)
        #expect(f.title == "The server does not offer AUTH on this connection")
        #expect(f.actions.contains { $0.contains("STARTTLS") })
        // A refused password stays an authentication failure.
        let wrong = try explain(banner + ehlo + "AUTH PLAIN AGFsaWNlAHNlY3JldA==\n535 5.7.8 Error: authentication failed: authentication failure\n")
        #expect(ids(wrong).contains("auth-failed"))
    }

    @Test func secondMailFromIsAnOrderProblem() throws {
        for text in ["503 sender already given", "503 5.5.1 Error: nested MAIL command", "500 Please identify yourself with HELO."] {
            let c = ReplyKnowledge.classify(ReplyQuery(code: Int(text.prefix(3)), enhanced: nil,
                                                       text: String(text.dropFirst(4)), command: "MAIL"))
            #expect(c.title == "The commands came in the wrong order", "\(text)")
        }
    }

    @Test func setupProblemsAreNamedNotTheirGenericClass() throws {
        let cases: [(Int, String, Reason, String)] = [
            (550, "5.7.1 Message rejected due to SPF policy: sender 203.0.113.5 not permitted", .authfailure, "sender authentication"),
            (535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", .securityerror, "SMTP AUTH is turned off"),
            (550, "5.7.1 Client does not have permissions to send as this sender", .securityerror, "may not send as"),
            (454, "4.7.0 TLS not available due to local problem", .securityerror, "cannot start TLS"),
            (450, "4.1.8 <bounce@nonexistent.example>: Sender address rejected: Domain not found", .rejected, "sender's domain does not exist"),
            (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient j@example.com not found by SMTP address lookup", .userunknown, "recipient was not found"),
        ]
        expectReadings(cases, withSteps: true)
    }

    @Test func providerAuthRefusalKeepsTheProvidersWords() throws {
        let x = try explain(banner + ehlo + "AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
                            + "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.\n")
        let f = try #require(x.findings.first { $0.id == "auth-failed" })
        #expect(f.title == "Microsoft 365: SMTP AUTH is turned off for this tenant or mailbox")
        #expect(!f.title.contains("password not accepted"))
        #expect(f.actions.first?.contains("Authenticated SMTP") == true)
    }

    @Test func serverSideChecksAreNamed() throws {
        let cases: [(Int, String, Reason, String)] = [
            (451, "Could not complete sender verify callout", .rejected, "could not verify the sender"),
            (550, "Sender verify failed", .rejected, "could not verify the sender"),
            (450, "4.1.1 <u@example.com>: Recipient address rejected: unverified address: Address verification in progress", .systemerror, "could not yet check the recipient"),
            (550, "5.1.1 <u@example.com>: Recipient address rejected: undeliverable address: verification failed", .userunknown, "recipient does not exist"),
            (421, "4.7.0 mx.example.com Error: too many errors", .syntaxerror, "too many errors"),
            (421, "too many nonmail commands (last was \"vrfy\")", .syntaxerror, "non-mail commands"),
            (451, "4.3.0 <u@example.com>: Temporary lookup failure", .systemerror, "could not look something up"),
            (504, "5.5.2 <foo>: Recipient address rejected: need fully-qualified address", .syntaxerror, "lacks a full domain"),
            (554, "5.5.0 Rejecting commands due to pre-greeting traffic", .syntaxerror, "before the server's reply"),
        ]
        expectReadings(cases)
        // "verification failed" about a signature is sender authentication, not a recipient check.
        let dkim = ReplyKnowledge.classify(ReplyQuery(code: 554, enhanced: nil, text: "5.7.1 Rejected: DKIM signature verification failed", command: nil))
        #expect(dkim.reason == .authfailure)
    }

    @Test func aRowForTheCauseIsNotRepeatedByTheGenericOne() throws {
        let x = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
                            + "RCPT TO:<b@example.com>\n450 4.2.0 <b@example.com>: Recipient address rejected: Greylisted, see https://postgrey.example.com/\n")
        let f = try #require(x.findings.first { $0.id == "greylisted" })
        #expect(f.actions.filter { $0.contains("retries automatically") }.count == 1)
        #expect(!f.explanation.contains("greylisting"))   // the knowledge base's own sentence, not appended
        // A provider's words still add to a row of the same cause.
        let m = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
                            + "RCPT TO:<b@example.org>\n550 5.7.64 TenantAttribution; Relay Access Denied\n")
        let r = try #require(m.findings.first { $0.id == "relay-denied" })
        #expect(r.explanation.count > 200)
    }

    @Test func failedTLSHandshakeIsNamedFromTheClientsLine() throws {
        let swaks = "=== Trying mx.example.com:25...\n=== Connected to mx.example.com.\n<-  220 mx.example.com ESMTP Postfix\n"
            + " -> EHLO client.example.net\n<-  250-mx.example.com\n<-  250-STARTTLS\n<-  250 SIZE 10240000\n"
            + " -> STARTTLS\n<-  220 2.0.0 Ready to start TLS\n"
            + "*** TLS startup failed (connect(): error:0A000086:SSL routines::certificate verify failed)\n"
        let x = try explain(swaks)
        #expect(x.findings.first?.id == "starttls-failed")
        #expect(x.summary == "Disconnected at STARTTLS: STARTTLS was offered but did not work.")
        #expect(x.findings.first?.explanation.contains("did not accept the server's certificate") == true)
        // `--tls-optional`: swaks goes on in clear text and the server, still waiting for a handshake, hangs up.
        // That is not a server dropping MAIL FROM (a blocklist), nor a client skipping EHLO after TLS.
        let optional = try explain(swaks + "*** STARTTLS attempted but failed\n -> MAIL FROM:<a@example.net>\n"
                                   + "*** Remote host closed connection unexpectedly.\n")
        #expect(optional.session.failedStage == .starttls)
        #expect(ids(optional).isDisjoint(with: ["disconnect-after-mail", "no-ehlo-after-starttls", "disconnected"]))
        #expect(optional.findings.first?.id == "starttls-failed")
        // A session whose TLS worked says nothing of the kind.
        let ok = try explain(swaks.replacingOccurrences(of: "*** TLS startup failed (connect(): error:0A000086:SSL routines::certificate verify failed)\n",
                                                        with: "=== TLS started with cipher TLSv1.3:TLS_AES_256_GCM_SHA384:256\n ~> EHLO client.example.net\n<~  250 mx.example.com\n"))
        #expect(!ids(ok).contains("starttls-failed"))
    }

    @Test func aMistypedMailFromFixedOnTheNextLineIsNotTheVerdict() throws {
        let x = try explain(banner + ehlo + "MAIL FROM <a@example.net>\n501 5.5.4 Syntax: MAIL FROM:<address>\n"
                            + "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\nRCPT TO <b@example.com>\n501 5.5.4 Syntax: RCPT TO:<address>\nQUIT\n221 Bye\n")
        #expect(x.session.failedStage == .rcpt)
        let f = try #require(x.findings.first)
        #expect(f.title == "Recipient refused — The command was written in the wrong form")
        #expect(f.actions.first?.contains("RCPT TO:<") == true)
        // A refused sender address that did parse is not got past by another sender.
        let y = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n553 5.7.1 <a@example.net>: Sender address rejected: not owned by user\n"
                            + "MAIL FROM:<other@example.net>\n250 2.1.0 Ok\nQUIT\n221 Bye\n")
        #expect(y.session.failedStage == .mail)
    }

    @Test func sClientRenegotiateOnACapitalRIsTheToolsTrap() throws {
        let head = "$ openssl s_client -starttls smtp -crlf -connect mx.example.com:25\nCONNECTED(00000003)\n---\n"
            + "SSL handshake has read 2417 bytes and written 402 bytes\n---\nread R BLOCK\n"
            + "EHLO client.example.net\n250-mx.example.com\n250 PIPELINING\nMAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
        let x = try explain(head + "RCPT TO:<b@example.com>\nRENEGOTIATING\n"
                            + "40A7023A767F0000:error:0A00010A:SSL routines:can_renegotiate:wrong ssl version:../ssl/ssl_lib.c:2287:\n")
        #expect(x.session.format == "openssl")
        #expect(x.findings.first?.id == "s-client-renegotiate")
        #expect(!ids(x).contains("disconnected"))
        #expect(!ids(x).contains("lossy-paste"))   // s_client's own STARTTLS lost nothing
        #expect(x.findings.first?.actions.first?.contains("lower case") == true)
        // Typed in lower case, the same session goes on and says nothing of the kind.
        let y = try explain(head + "rcpt to:<b@example.com>\n250 2.1.5 Ok\nquit\n221 2.0.0 Bye\n")
        #expect(!ids(y).contains("s-client-renegotiate"))
    }

    @Test func noValidRecipientsAtDataPointsBackToTheRecipients() throws {
        for command in ["DATA", "."] {
            let c = ReplyKnowledge.classify(ReplyQuery(code: 554, enhanced: "5.5.1", text: "Error: no valid recipients", command: command))
            #expect(c.title == "No recipient was accepted, so the message has nowhere to go", "\(command)")
            #expect(c.reason == .userunknown)   // what bounce analyzers call it
        }
        // A bounce text without its command keeps the bounce reading.
        let bounce = ReplyKnowledge.classify(ReplyQuery(code: 554, enhanced: nil, text: "no valid recipients", command: nil))
        #expect(bounce.title == "The recipient address does not exist")
    }

    @Test func aOneSidedCaptureSaysSoAndNothingAboutTheMissingSide() throws {
        let own = ReportSamplesTests.samples.appendingPathComponent("pcap/relay-denied-client-side-only.pcap")
        // A shared-corpus capture whose client also talks before any (uncaptured) greeting.
        let shared = ReportSamplesTests.samples.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/corpus/pcap/arkime/tests/pcap/smtp-subject-multi-nospace.pcap")
        for url in [own, shared] where FileManager.default.fileExists(atPath: url.path) {
            var out: [Session] = []
            _ = try InputDriver.read(path: url.path) { out.append($0.resolved()) }
            let x = Explainer().explain(try #require(out.first))
            #expect(x.findings.first?.id == "capture-one-sided", "\(url.lastPathComponent)")
            for quiet in ["pregreet", "disconnected", "lossy-paste", "reached-data"] {
                #expect(!ids(x).contains(quiet), "\(url.lastPathComponent): \(quiet)")
            }
        }
    }

    @Test func microsoftLoginRefusedByPolicyIsNotAMissingLogin() throws {
        // Microsoft 365 folds the failed login (535 5.7.139) into the 530 5.7.57 at MAIL FROM: the client did
        // log in, so "configure authentication" would send the admin the wrong way.
        let x = try explain(banner + ehlo + "MAIL FROM:<a@example.net>\n530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully.\nQUIT\n221 Bye\n")
        let f = try #require(x.findings.first { $0.exchanges.contains(2) })
        #expect(f.id == "auth-required")
        #expect(f.title == "Microsoft 365: the login was refused by the tenant's sign-in rules")
        #expect(!f.actions.contains { $0.hasPrefix("Configure the client to authenticate") })
    }

    @Test func heloReplyDoesNotClaimExtensions() {
        #expect(ReplyKnowledge.codeMeaning(250, command: "HELO").contains("HELO lists no extensions"))
        #expect(ReplyKnowledge.codeMeaning(250, command: "EHLO").contains("listed the SMTP extensions"))
    }

    @Test func aPostfixReasonOfItsOwnIsTheVerdictNotAReachedData() throws {
        let log = """
        Dec  5 10:00:01 mail postfix/qmgr[900]: 6E8F21C0A3: from=<alice@example.net>, size=2931, nrcpt=1 (queue active)
        Dec  5 10:00:03 mail postfix/smtp[903]: 6E8F21C0A3: to=<dave@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=5.4.6, status=bounced (mail for example.org loops back to myself)
        Dec  5 10:00:04 mail postfix/smtp[904]: 7E8F21C0A3: to=<erin@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.example.org[198.51.100.25])

        """
        let x = try all(log, name: "maillog")
        #expect(x.count == 2)
        #expect(x.allSatisfy { !$0.findings.contains { $0.id == "reached-data" } })
        #expect(x[0].findings.first?.id == "mta-gave-up")
        #expect(x[0].findings.first?.reason == .systemerror)
        #expect(x[0].summary == "Incomplete: Mail loops back to the sending server.")
        #expect(x[1].findings.first?.id == "client-starttls-not-offered")
        #expect(x[1].findings.first?.evidence.first?.text.contains("TLS is required") == true)
    }

    @Test func anMTAsOwnSentenceIsQuotedWithOneFullStop() throws {
        // qmail's sentences end with a full stop (Exchange's and Postfix's do not): quoted, not doubled.
        let log = "@400000006b0d3e6705f5e100 starting delivery 10: msg 7 to remote b@example.net\n"
            + "@400000006b0d3e6705f5e100 delivery 10: deferral: Connected_to_192.0.2.50_but_connection_died._(#4.4.2)/\n"
        let x = try all(log, name: "current")
        let f = try #require(x.first?.findings.first { $0.id == "mta-gave-up" })
        #expect(f.explanation.hasSuffix("In the sending server's words: Connected to 192.0.2.50 but connection died. (#4.4.2)."))
        #expect(f.title == "The receiving server's connection broke in the middle of the dialogue")
        #expect(f.reason == .networkerror)
        #expect(x.first?.session.server.address == "192.0.2.50")
        let tls = try all("@400000006b0d3e6705f5e100 delivery 9: deferral: TLS_connect_failed:_error:1416F086:SSL_routines:certificate_verify_failed;_connected_to_192.0.2.51./\n", name: "current")
        #expect(tls.first?.session.server.address == "192.0.2.51")
        #expect(tls.first?.findings.first?.explanation.contains("connected to 192.0.2.51.") == true)
        #expect(tls.first?.findings.first?.explanation.contains("..") == false)
    }

    @Test func anExpiryWithoutItsAttemptsSaysWhereToLook() throws {
        // The one line an admin finds for a message that never arrived: its attempts are in older logs.
        let x = try all("Oct  3 12:39:14 mailhost postfix/qmgr[24086]: B54DA300087: from=<billing@example.com>, status=expired, returned to sender\n",
                        name: "maillog")
        #expect(x.count == 1)
        let f = try #require(x.first?.findings.first)
        #expect(f.id == "message-expired-unseen")
        #expect(f.reason == .expired)
        #expect(f.actions.first?.contains("zgrep B54DA300087") == true)
        #expect(x[0].summary.contains("no delivery attempt in this log"))
        #expect(x[0].session.transactions.first?.sender == "billing@example.com")
    }

    @Test func aPortTestSaysWhatItProvedAndWhatToTestNext() throws {
        let open = try all("ComputerName     : smtp.example.com\nRemotePort       : 587\nTcpTestSucceeded : True\n")
        #expect(open.first?.summary == "Incomplete: The port is open, but the input holds no SMTP dialogue.")
        let nc = try all("Connection to mx.example.org 25 port [tcp/smtp] succeeded!\n")
        #expect(nc.first?.findings.first?.id == "port-test-open")
        let closed = try all("WARNING: TCP connect to (203.0.113.25 : 25) failed\nComputerName : mx.example.org\nTcpTestSucceeded : False\n")
        #expect(closed.first?.findings.first?.id == "connect-failed")
        #expect(closed.first?.findings.first?.evidence.first?.text == "WARNING: TCP connect to (203.0.113.25 : 25) failed")
        #expect(closed.first?.findings.first?.explanation.contains("ping") == false)
        // With a ping result, the finding says whether the host is up.
        let pinged = try all("WARNING: TCP connect to (203.0.113.25 : 25) failed\nComputerName : mx.example.org\nPingSucceeded : True\nTcpTestSucceeded : False\n")
        #expect(pinged.first?.session.attributes["ping"] == "answered")
        #expect(pinged.first?.findings.first?.explanation.contains("The host answered ping, so it is up") == true)
        let silent = try all("WARNING: TCP connect to (203.0.113.25 : 25) failed\nWARNING: Ping to 203.0.113.25 failed with status: TimedOut\nComputerName : mx.example.org\nPingSucceeded : False\nTcpTestSucceeded : False\n")
        #expect(silent.first?.findings.first?.explanation.contains("did not answer ping either") == true)
    }
}
