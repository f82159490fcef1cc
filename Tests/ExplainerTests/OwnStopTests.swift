import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// Deliveries an MTA stopped on its own, with no reply from another server to quote: local and virtual
/// mailbox deliveries, routing failures, DANE lookups and checks, mail loops.
@Suite struct OwnStopTests {
    @Test func postfixLocalDeliveryAfterAcceptance() throws {
        let all = try explainedLogSample("postfix-local-failures.log")
        #expect(all.count == 6)
        // Accepted in SMTP, then the mbox was at mailbox_size_limit: not a success.
        let inbound = all[0]
        #expect(inbound.session.outcome == .delivered)
        let f = try #require(inbound.findings.first)
        #expect(f.id == "mailbox-delivery-failed")
        #expect(f.severity == .error)
        #expect(f.reason == .mailboxfull)
        #expect(f.title == "Accepted, then delivery to bob@mail.example.org failed: the mailbox file reached the mail server's size limit")
        #expect(f.explanation.contains("(postfix/local): cannot update mailbox /var/mail/bob"))
        #expect(f.explanation.hasSuffix("The message was returned to its sender."))
        #expect(f.actions.contains { $0.contains("mailbox_size_limit") })
        #expect(f.evidence.first?.text.contains("status=bounced") == true)
        #expect(inbound.primaryReason == .mailboxfull)
        #expect(inbound.summary == "Accepted, then delivery to bob@mail.example.org failed: the mailbox file reached the mail server's size limit (queue id 4QcF1A2bC3).")

        // A virtual delivery over quota, without its SMTP session in the log: deferred, so a warning.
        let virtual = all[1]
        #expect(virtual.session.direction == .inbound)
        #expect(virtual.findings.first?.id == "mailbox-delivery-failed")
        #expect(virtual.findings.first?.severity == .warning)
        #expect(virtual.summary == "Not delivered yet (the server retries): Delivery to carol@example.org failed: the recipient's mailbox is full.")
        #expect(virtual.session.transactions.first?.sender == "reports@example.org")
    }

    @Test func postfixOwnStopsAreNotUnreachableServers() throws {
        let all = try explainedLogSample("postfix-local-failures.log")
        // `relay=none ... (TLSA lookup error ...)` from smtp, then from the error transport on the retry.
        for s in all[2...3] {
            #expect(s.session.outcome == .incomplete)
            #expect(s.session.connectFailure == nil)
            #expect(s.session.attributes["mta-reason"] == "TLSA lookup error for mx1.secure.example:25")
            #expect(s.findings.first?.id == "mta-gave-up")
            #expect(s.findings.first?.title == "The sender could not look up the MX's TLSA records (DANE)")
            #expect(s.primaryReason == .failedstarttls)
        }
        // The error transport's line goes out at once; the smtp attempt when its process moves on.
        #expect(all[2].session.attributes["service"] == "postfix/error")
        #expect(all[3].session.attributes["service"] == "postfix/smtp")
        #expect(all[3].session.notes.contains { $0.text.contains("warning: TLSA lookup error") })
        // The MX points back here.
        #expect(all[4].findings.first?.title == "Mail loops back to the sending server")
        #expect(all[4].summary == "Incomplete: Mail loops back to the sending server.")
    }

    @Test func eximRoutingAndDANE() throws {
        let all = try explainedLogSample("exim-routing-and-dane.log")
        #expect(all.count == 4)
        // `** bob@shop.exampel R=dnslookup: Unrouteable address`: a session, no longer "no SMTP session found".
        #expect(all[0].session.attributes["mta-reason"] == "Unrouteable address")
        #expect(all[0].session.transactions.first?.sender == "alice@example.com")
        #expect(all[0].session.transactions.first?.recipients.map(\.address) == ["bob@shop.exampel"])
        #expect(all[0].primaryReason == .hostunknown)
        // A local transport over quota joins the inbound session that brought the message (held, as the
        // deferred message is not `Completed`, until the log ends).
        let inbound = try #require(all.last)
        #expect(inbound.session.direction == .inbound)
        #expect(inbound.findings.first?.id == "mailbox-delivery-failed")
        #expect(inbound.findings.first?.explanation.contains("(Exim local_delivery)") == true)
        #expect(inbound.session.transactions.first?.recipients.map(\.address) == ["dave@example.com"])
        // The DANE lookup failed before any connection: the host from the `H=` line, no invented dialogue.
        let dane = all[1]
        #expect(dane.session.exchanges.isEmpty)
        #expect(dane.session.server.host == "mx.partner.example")
        #expect(dane.session.server.address == "192.0.2.25")
        #expect(dane.session.notes.contains { $0.text.hasSuffix("dane:fail <dnssec-invalid>") })
        #expect(dane.findings.first?.title == "The sender could not look up the MX's TLSA records (DANE)")
        // The certificate did not match the TLSA records: the STARTTLS failure says why.
        let mismatch = all[2]
        #expect(mismatch.session.failedStage == .starttls)
        let f = try #require(mismatch.findings.first { $0.id == "starttls-failed" })
        #expect(f.title == "The MX's certificate does not match its TLSA records (DANE)")
        #expect(f.evidence.contains { $0.text.contains("DANE attempt failed") })
        #expect(mismatch.summary == "Disconnected at STARTTLS: The MX's certificate does not match its TLSA records (DANE).")
    }

    @Test func sendmailAndOpenSMTPDLocalDeliveries() throws {
        let sm = try explainedLogSample("sendmail-local-mailer.log")
        #expect(sm.count == 2)
        // procmail deferred, the SMTP side not in the log: a session of its own.
        #expect(sm[0].findings.first?.id == "mailbox-delivery-failed")
        #expect(sm[0].findings.first?.severity == .warning)
        #expect(sm[0].summary == "Not delivered yet (the server retries): Delivery to team@example.com failed: a local delivery program failed on the recipient's server.")
        // `stat=Service unavailable` says less than its dsn=5.2.2: read by the code.
        let accepted = sm[1]
        #expect(accepted.session.outcome == .delivered)
        #expect(accepted.primaryReason == .mailboxfull)
        #expect(accepted.findings.first?.explanation.contains("(Sendmail mailer local): Service unavailable") == true)
        let od = try explainedLogSample("opensmtpd-mda-failures.log")
        #expect(od.count == 2)
        #expect(od[0].session.client.address == "198.51.100.22")
        #expect(od[0].summary == "Accepted, then delivery to bob@example.com failed: the recipient's mailbox is full (queue id 3c4d5e6f).")
        #expect(od[0].findings.first?.explanation.contains("Disc quota exceeded") == true)
        // Without a status code, "unknown user" from the delivery agent itself is not a filter's word.
        #expect(od[1].primaryReason == .userunknown)
        #expect(od[1].session.transactions.first?.sender == "news@shop.example")
    }

    /// Exim's test suite: `hosts_require_dane` with no TLSA records, and lookups that were not DNSSEC.
    @Test func daneReasonsInEximsWords() {
        func title(_ text: String) -> String {
            ReplyKnowledge.classify(ReplyQuery(code: nil, enhanced: nil, text: text, command: nil)).title
        }
        #expect(title("DANE error: tlsa lookup FAIL") == "DANE is required for this destination, but it publishes no usable TLSA records")
        #expect(title("DANE error: danebroken6.test.ex lookup not DNSSEC") == "DANE was asked for, but the DNS answers were not DNSSEC-validated")
        #expect(title("DANE error: tlsa lookup DEFER") == "The sender could not look up the MX's TLSA records (DANE)")
        #expect(title("Server certificate not verified") == "The receiving server's certificate did not pass the sender's TLS policy")
        #expect(title("mail forwarding loop for bob@example.org") == "The message went round in a forwarding loop")
        #expect(title("host lookup did not complete") == "The DNS lookup for the recipient's domain did not finish")
        // RFC 8460's result words, as receivers quote them in their refusals.
        #expect(title("550 5.7.323 tlsa-invalid: The domain failed DANE validation") == "The MX's certificate does not match its TLSA records (DANE)")
        #expect(title("451 4.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail") == "TLS was required or failed")
        // A plain TLS failure is not called DANE.
        #expect(title("TLS session: (SSL_connect): error: certificate verify failed") == "TLS was required or failed")
    }

    /// Exim logs the client's QUIT before the delivery process's result: the session waits for `Completed`,
    /// so a local delivery that failed after the client left is still part of its verdict.
    @Test func eximLocalFailureAfterQuitJoinsTheSession() throws {
        let log = """
        2026-12-06 12:00:01 [4101] 1wBcEa-000Abc-5E <= news@partner.example H=mail.partner.example [192.0.2.31] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=9210 id=n43@partner.example
        2026-12-06 12:00:01 [4101] SMTP connection from mail.partner.example [192.0.2.31] closed by QUIT
        2026-12-06 12:00:02 [4102] 1wBcEa-000Abc-5E ** erin@example.com R=localuser T=local_delivery: mailbox is full (MTA-imposed quota exceeded while writing to /var/mail/erin)
        2026-12-06 12:00:02 [4102] 1wBcEa-000Abc-5E Completed
        2026-12-06 12:00:05 [4103] 1wBcEb-000Abc-6F <= alerts@partner.example H=mail.partner.example [192.0.2.31] P=esmtps S=1200 id=n44@partner.example
        2026-12-06 12:00:05 [4103] SMTP connection from mail.partner.example [192.0.2.31] closed by QUIT
        2026-12-06 12:00:06 [4104] 1wBcEb-000Abc-6F => frank@example.com R=localuser T=local_delivery
        2026-12-06 12:00:06 [4104] 1wBcEb-000Abc-6F Completed
        2026-12-06 12:01:00 [4105] 1wBcEc-000Abc-7G <= shop@partner.example H=mail.partner.example [192.0.2.31] P=esmtps S=3100 id=n45@partner.example
        2026-12-06 12:01:00 [4105] SMTP connection from mail.partner.example [192.0.2.31] closed by QUIT
        2026-12-06 12:01:01 [4106] 1wBcEc-000Abc-7G == gina@remote.example R=dnslookup T=remote_smtp defer (-44) H=mx.remote.example [203.0.113.9]: SMTP error from remote mail server after RCPT TO:<gina@remote.example>: 451 4.7.1 Greylisted, try again later
        2026-12-06 12:20:00 [4107] 1wBcEd-000Abc-8H <= root@mail.example.com U=root P=local S=400 id=n46@mail.example.com
        2026-12-06 12:40:00 [4108] 1wBcEc-000Abc-7G == gina@remote.example R=dnslookup T=remote_smtp defer (-44) H=mx.remote.example [203.0.113.9]: SMTP error from remote mail server after RCPT TO:<gina@remote.example>: 451 4.7.1 Greylisted, try again later

        """
        let explainer = Explainer()
        var out: [ExplainedSession] = []
        _ = try InputDriver.read(name: "mainlog", bytes: Array(log.utf8)) { out.append(explainer.explain($0)) }
        let inbound = out.filter { $0.session.direction == .inbound }
        #expect(inbound.count == 3)
        let full = inbound[0]
        #expect(full.session.client.address == "192.0.2.31")
        #expect(full.session.outcome == .delivered)
        let f = try #require(full.findings.first)
        #expect(f.id == "mailbox-delivery-failed")
        #expect(f.severity == .error)
        #expect(full.primaryReason == .mailboxfull)
        #expect(full.session.notes.contains { $0.text.hasSuffix("1wBcEa-000Abc-5E Completed") })
        // No session of its own for the failed delivery.
        #expect(!out.contains { $0.session.attributes["mailbox-agent"] != nil && $0.session.client.address == nil })
        // Delivered after the QUIT: the delivery line is the session's evidence, nothing failed.
        #expect(inbound[1].findings.allSatisfy { $0.severity != .error && $0.severity != .warning })
        #expect(inbound[1].session.notes.contains { $0.text.contains("=> frank@example.com") })
        // A message waiting for a remote retry holds its session only so long (15 minutes of log time):
        // the session goes out before the retry 39 minutes later.
        #expect(inbound[2].session.attributes["queue-id"] == "1wBcEc-000Abc-7G")
        #expect(inbound[2].session.notes.contains { $0.text.contains("12:01:01") })
        #expect(!inbound[2].session.notes.contains { $0.text.contains("12:40:00") })
    }

    /// A session that brought several messages: the verdict names the one a router threw away, not the first.
    @Test func verdictNamesTheMessageItIsAbout() throws {
        let log = """
        2026-12-06 12:00:01 [4201] 1wBcFa-000Abc-1A <= alice@partner.example H=mail.partner.example [192.0.2.31] P=esmtp S=900 id=a1@partner.example
        2026-12-06 12:00:01 [4202] 1wBcFa-000Abc-1A => bob <bob@example.com> R=localuser T=local_delivery
        2026-12-06 12:00:01 [4202] 1wBcFa-000Abc-1A Completed
        2026-12-06 12:00:02 [4201] 1wBcFb-000Abc-2B <= alice@partner.example H=mail.partner.example [192.0.2.31] P=esmtp S=900 id=a2@partner.example
        2026-12-06 12:00:02 [4201] SMTP connection from mail.partner.example [192.0.2.31] closed by QUIT
        2026-12-06 12:00:02 [4203] 1wBcFb-000Abc-2B => :blackhole: <old-team@example.com> R=retired
        2026-12-06 12:00:02 [4203] 1wBcFb-000Abc-2B Completed

        """
        var out: [ExplainedSession] = []
        _ = try InputDriver.read(name: "mainlog", bytes: Array(log.utf8)) { out.append(Explainer().explain($0)) }
        let s = try #require(out.first { $0.session.direction == .inbound })
        #expect(s.session.transactions.count == 2)
        #expect(s.session.attributes["filter-queue-id"] == "1wBcFb-000Abc-2B")
        #expect(s.summary.hasPrefix("Accepted, then discarded by an Exim router (:blackhole:) (queue id 1wBcFb-000Abc-2B)"), "\(s.summary)")
        #expect(s.session.transactions.map { $0.recipients.map(\.address) } == [["bob@example.com"], ["old-team@example.com"]])
    }

    /// Retry times and queued-on-purpose SMTP deliveries are not failures of their own.
    @Test func eximNonAttemptsMakeNoSession() throws {
        let log = """
        2026-12-06 11:00:02 1wBcDe-000Abc-1A <= alice@example.com U=alice P=local S=1820
        2026-12-06 11:00:02 1wBcDe-000Abc-1A == bob@example.net R=r1 T=t1 defer (-53): Retry time not yet reached
        2026-12-06 11:00:02 1wBcDe-000Abc-1A == carol@example.net R=r1 T=t1 defer (0): SMTP delivery explicitly queued

        """
        var out: [Session] = []
        _ = try InputDriver.read(name: "mainlog", bytes: Array(log.utf8)) { out.append($0) }
        #expect(!out.contains { $0.attributes["mta-reason"] != nil })
    }
}
