import Foundation
import Testing
@testable import TranscriptModel

/// qmail's logs: qmail-send deliveries, and qmail-smtpd's side through tcpserver, rblsmtpd and chkuser.
@Suite struct QmailLogTests {
    func run(_ text: String) throws -> [Session] {
        try sessions(text + "\n", name: "qmail-\(UUID().uuidString)")
    }

    /// A multilog TAI64N label for a Unix time.
    static func tai(_ unix: Int) -> String { String(format: "@%016llx%08x", 0x4000_0000_0000_000A + UInt64(unix), 0) }

    @Test func stampsOfEveryLogger() {
        var clock = LogClock()
        let t = LogClock.utc(2026, 11, 30, 9, 14, 5)
        let multilog = QmailLine.stamp(Array("\(Self.tai(t)) new msg 1".utf8)[...], clock: &clock)
        #expect(multilog?.0 == Double(t))
        #expect(multilog.map { Bytes.string($0.1) } == "new msg 1")
        let splogger = QmailLine.stamp(Array("1157520813.485077 rblsmtpd: x".utf8)[...], clock: &clock)
        #expect(splogger.map { abs($0.0 - 1157520813.485077) < 1e-6 } == true)
        #expect(QmailLine.stamp(Array("2026-11-30 09:14:05.123456789 end msg 1".utf8)[...], clock: &clock) != nil)
        // Not a stamp: a Postfix queue id, a short number.
        #expect(QmailLine.stamp(Array("@4000 x".utf8)[...], clock: &clock) == nil)
        #expect(QmailLine.stamp(Array("12345.6 x".utf8)[...], clock: &clock) == nil)
    }

    @Test func reportsNameTheirStep() {
        let rcpt = QmailReport.parse(Array("192.0.2.25_does_not_like_recipient./Remote_host_said:_550_5.1.1_<bob_smith@example.org>..._User_unknown/Giving_up_on_192.0.2.25./".utf8)[...])
        #expect(rcpt.kind == .reply(step: "RCPT TO"))
        #expect(rcpt.host == "192.0.2.25")
        // The underscore inside the address is the address's own.
        #expect(rcpt.reply == "550 5.1.1 <bob_smith@example.org>... User unknown")
        let greeting = QmailReport.parse(Array("Connected_to_192.0.2.9_but_greeting_failed./Remote_host_said:_554_No_SMTP_service_here/".utf8)[...])
        #expect(greeting.kind == .reply(step: "greeting"))
        #expect(greeting.host == "192.0.2.9")
        // A multi-line reply: codes dropped, a `/` in a URL kept, empty lines gone.
        let gmail = QmailReport.parse(Array("(sam@gmail.com)_192.0.2.27_failed_after_I_sent_the_message./Remote_host_said:_550-5.7.26_Unauthenticated./550-5.7.26_/550_5.7.26_See_https://support.google.com/mail/answer/81126_-_gsmtp/".utf8)[...])
        #expect(gmail.kind == .reply(step: "end of DATA"))
        #expect(gmail.host == "192.0.2.27")
        #expect(gmail.reply == "550 5.7.26 Unauthenticated. See https://support.google.com/mail/answer/81126 - gsmtp")
        let noConnection = QmailReport.parse(Array("Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/".utf8)[...])
        #expect(noConnection.kind == .unreachable(.other, explained: false))
        #expect(noConnection.dsn == "4.4.1")
        #expect(noConnection.text == "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)")
        let died = QmailReport.parse(Array("Connected_to_192.0.2.3_but_connection_died._(#4.4.2)/".utf8)[...])
        #expect(died.kind == .connectionDied)
        #expect(died.host == "192.0.2.3")
        let local = QmailReport.parse(Array("Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/".utf8)[...])
        #expect(local.kind == .own)
        #expect(local.dsn == "5.1.1")
    }

    @Test func qmailSendDeliveries() throws {
        let t0 = LogClock.utc(2026, 11, 30, 9, 0, 0)
        func l(_ dt: Int, _ m: String) -> String { "\(Self.tai(t0 + dt)) \(m)" }
        let log = [
            l(0, "new msg 2883611"),
            l(0, "info msg 2883611: bytes 5120 from <news@example.com> qp 30240 uid 508"),
            l(1, "starting delivery 2: msg 2883611 to remote jo@example.net"),
            l(2, "delivery 2: deferral: 203.0.113.7_does_not_like_recipient./Remote_host_said:_451_4.7.1_Greylisted,_try_again_later/Giving_up_on_203.0.113.7./"),
            l(3, "new msg 2883630"),
            l(3, "info msg 2883630: bytes 902 from <root@example.com> qp 30390 uid 0"),
            l(3, "starting delivery 3: msg 2883630 to local example.com-nobody@example.com"),
            l(4, "delivery 3: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/"),
            l(4, "bounce msg 2883630 qp 30392"),
            l(4, "end msg 2883630"),
            l(5, "starting delivery 4: msg 2883611 to remote jo@example.net"),
            l(6, "delivery 4: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"),
            l(400, "starting delivery 5: msg 2883611 to remote jo@example.net"),
            l(401, "delivery 5: success: 203.0.113.7_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued_as_7Hh2K/"),
            l(401, "status: local 0/10 remote 0/20"),
            l(401, "end msg 2883611"),
        ].joined(separator: "\n")
        let s = try run(log)
        #expect(s.allSatisfy { $0.format == "qmail-log" })
        #expect(s.map(\.outcome) == [.deferred, .rejected, .unreachable, .delivered, .delivered])
        // Greylisted at RCPT, the reply placed where qmail-remote says, the sender from `info msg`.
        #expect(s[0].failedStage == .rcpt)
        #expect(s[0].server.address == "203.0.113.7")
        #expect(s[0].transactions.first?.sender == "news@example.com")
        #expect(s[0].transactions.first?.recipients.first?.address == "jo@example.net")
        #expect(s[0].attributes["queue-id"] == "2883611")
        // A local mailbox that does not exist: qmail's words, its code.
        #expect(s[1].attributes["mta-reason"] == "Sorry, no mailbox here by that name. (#5.1.1)")
        #expect(s[1].attributes["dsn"] == "5.1.1")
        #expect(s[1].attributes["service"] == "local")
        // No connection, qmail does not say why.
        #expect(s[2].connectFailure == .other)
        #expect(s[2].connectFailureUnexplained)
        #expect(s[2].server.host == "example.net")
        // The attempt, then the message's story: two deferrals, then delivered.
        #expect(s[3].transactions.first?.delivered == true)
        #expect(s[4].history?.attempts.map(\.status) == [.deferred, .deferred, .sent])
        #expect(s[4].history?.end?.outcome == .delivered)
    }

    @Test func qmailSmtpdRefusals() throws {
        let t0 = LogClock.utc(2026, 11, 30, 10, 0, 0)
        func l(_ dt: Int, _ m: String) -> String { "\(Self.tai(t0 + dt)) \(m)" }
        let log = [
            l(0, "tcpserver: status: 1/40"),
            l(0, "tcpserver: pid 41022 from 203.0.113.45"),
            l(0, "tcpserver: ok 41022 mail.example.com:192.0.2.10:25 bad.example.net:203.0.113.45::52144"),
            l(0, "rblsmtpd: 203.0.113.45 pid 41022: 451 https://www.spamhaus.org/query/ip/203.0.113.45"),
            l(9, "tcpserver: end 41022 status 0"),
            l(10, "tcpserver: pid 41030 from 198.51.100.77"),
            l(10, "CHKUSER accepted rcpt: from <news@example.net::> remote <relay.example.net:relay.example.net:198.51.100.77> rcpt <a@example.com> : found existing recipient"),
            l(11, "CHKUSER rejected rcpt: from <news@example.net::> remote <relay.example.net:relay.example.net:198.51.100.77> rcpt <j.doe@example.com> : not existing recipient"),
            l(11, "CHKUSER rejected rcpt: from <news@example.net::> remote <relay.example.net:relay.example.net:198.51.100.77> rcpt <k.doe@example.com> : not existing recipient"),
            l(12, "tcpserver: end 41030 status 0"),
            l(20, "tcpserver: pid 41041 from 192.0.2.200"),
            l(20, "tcpserver: deny 41041 mail.example.com:192.0.2.10:25 :192.0.2.200::61022"),
        ].joined(separator: "\n")
        let s = try run(log)
        #expect(s.count == 3)
        // rblsmtpd answered instead of qmail-smtpd: refused from MAIL on, the client named by tcpserver.
        #expect(s[0].outcome == .deferred)
        #expect(s[0].failedStage == .mail)
        #expect(s[0].client.address == "203.0.113.45")
        #expect(s[0].client.host == "bad.example.net")
        #expect(s[0].exchanges.last?.reply?.code == 451)
        // Two refused recipients of one connection (no pid on chkuser's lines: found by address).
        #expect(s[1].failedStage == .rcpt)
        #expect(s[1].client.heloName == "relay.example.net")
        #expect(s[1].transactions.first?.recipients.map(\.address) == ["j.doe@example.com", "k.doe@example.com"])
        #expect(s[1].exchanges.filter { $0.reply?.code == 550 }.count == 2)
        #expect(s[1].notes.contains { $0.text.contains("tcpserver: end 41030") })
        // tcprules denied the client: closed before a greeting.
        #expect(s[2].attributes["tcpserver"] == "deny")
        #expect(s[2].exchanges.isEmpty)
    }

    @Test func spamdykeOnAPleskHost() throws {
        let log = """
        Dec  6 09:12:01 mail spamdyke[28014]: DENIED_RBL_MATCH from: promo@offers.example to: anna@example.com origin_ip: 203.0.113.80 origin_rdns: dyn.example.net auth: (unknown) encryption: (none) reason: 554_Refused._Your_IP_address_is_listed_in_the_RBL_at_zen.spamhaus.org
        Dec  6 09:12:01 mail spamdyke[28014]: DENIED_RBL_MATCH from: promo@offers.example to: ben@example.com origin_ip: 203.0.113.80 origin_rdns: dyn.example.net auth: (unknown) encryption: (none) reason: 554_Refused._Your_IP_address_is_listed_in_the_RBL_at_zen.spamhaus.org
        Dec  6 09:13:40 mail spamdyke[28020]: DENIED_GRAYLISTED from: news@lists.example.org to: anna@example.com origin_ip: 198.51.100.12 origin_rdns: mail.lists.example.org auth: (unknown)
        Dec  6 09:14:10 mail spamdyke[28033]: ALLOWED from: friend@example.org to: anna@example.com origin_ip: 198.51.100.40 origin_rdns: mx.example.org auth: (unknown)
        Dec  6 09:15:00 mail qmail-queue-handlers[28040]: from=friend@example.org
        """
        let s = try run(log)
        #expect(s.count == 2)
        // One connection (one pid), two recipients refused with spamdyke's quoted reply.
        #expect(s[0].client.address == "203.0.113.80")
        #expect(s[0].client.host == "dyn.example.net")
        #expect(s[0].transactions.first?.sender == "promo@offers.example")
        #expect(s[0].transactions.first?.recipients.map(\.address) == ["anna@example.com", "ben@example.com"])
        #expect(s[0].exchanges.last?.reply?.text.contains("zen.spamhaus.org") == true)
        // No reply quoted: the verdict's code, marked as not logged.
        #expect(s[1].outcome == .deferred)
        #expect(s[1].exchanges.last?.reply?.code == 451)
        #expect(s[1].exchanges.last?.reply?.text.contains("reply not logged") == true)
        let stats = LogStatsRegistry.shared.take(input: s[0].input)
        #expect(stats?.unrecognised == 0)
        #expect(stats?.ignored == 1)   // Plesk's handler line
    }

    @Test func detection() {
        let qmail = ["@400000006b0d3e6705f5e100 new msg 2883611",
                     "@400000006b0d3e6705f5e100 info msg 2883611: bytes 5120 from <a@example.com> qp 1 uid 2"]
            .map { Array($0.utf8)[...] }
        #expect(FormatDetector.choose(prefix: qmail)?.reader.formatID == "qmail-log")
        let postfix = ["Jun  3 10:40:58 mail postfix/qmgr[1]: 776E41855DB2: from=<a@example.com>, size=10, nrcpt=1 (queue active)"]
            .map { Array($0.utf8)[...] }
        #expect(QmailLogReader.score(postfix) == 0)
        // A syslog line tagged by another program is not qmail's, whatever its words.
        let other = ["Jun  3 10:40:58 mail app[1]: delivery 2: failure: x"].map { Array($0.utf8)[...] }
        #expect(QmailLogReader.score(other) == 0)
    }
}
