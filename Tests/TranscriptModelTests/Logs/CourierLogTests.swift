import Foundation
import Testing
@testable import TranscriptModel

/// Courier MTA's syslog lines: esmtp attempts per recipient ended by their status line, courieresmtpd's refusals.
@Suite struct CourierLogTests {
    func run(_ text: String) throws -> [Session] {
        try sessions(text + "\n", name: "courier-\(UUID().uuidString)")
    }

    static let id = "0038C0A2.6753A41C.00005210"
    static func esmtp(_ time: String, _ rest: String) -> String {
        "Dec  6 \(time) mail courieresmtp: id=\(id),from=<news@example.com>,addr=<sam@example.net>\(rest)"
    }

    @Test func attemptsAndTheirStory() throws {
        let log = [
            "Dec  6 08:10:00 mail courierd: newmsg,id=\(Self.id): dns; localhost (localhost [127.0.0.1])",
            "Dec  6 08:10:00 mail courierd: started,id=\(Self.id),from=<news@example.com>,module=esmtp,host=example.net,addr=<sam@example.net>",
            Self.esmtp("08:10:01", ": 451-4.7.1 Greylisted, please"),
            Self.esmtp("08:10:01", ": 451 4.7.1 try again in 5 minutes"),
            Self.esmtp("08:10:01", ",size=5120,status: deferred"),
            "Dec  6 08:20:00 mail courierd: started,id=\(Self.id),from=<news@example.com>,module=esmtp,host=example.net,addr=<sam@example.net>",
            Self.esmtp("08:20:01", ": Connection timed out"),
            Self.esmtp("08:20:01", ",size=5120,status: deferred"),
            "Dec  6 08:40:00 mail courierd: started,id=\(Self.id),from=<news@example.com>,module=esmtp,host=example.net,addr=<sam@example.net>",
            Self.esmtp("08:40:02", ": 250 2.0.0 Ok: queued as 7Hh2K"),
            Self.esmtp("08:40:02", ",size=5120,success: delivered: mx.example.net [198.51.100.20]"),
            Self.esmtp("08:40:02", ",size=5120,status: success"),
            "Dec  6 08:40:02 mail courierd: completed,id=\(Self.id)",
        ].joined(separator: "\n")
        let s = try run(log)
        #expect(s.allSatisfy { $0.format == "courier-log" })
        #expect(s.map(\.outcome) == [.deferred, .unreachable, .delivered, .delivered])
        // The two lines of the reply are one reply; Courier does not say its step: placed, and said so.
        #expect(s[0].failedStage == .rcpt)
        #expect(s[0].exchanges.contains { $0.reply?.code == 451 && $0.reply?.text.contains("Greylisted, please try again in 5 minutes") == true })
        #expect(s[0].notes.contains { $0.text.contains("Courier does not say which step") })
        #expect(s[0].transactions.first?.sender == "news@example.com")
        #expect(s[1].connectFailure == .timedOut)
        #expect(s[1].server.host == "example.net")
        #expect(s[2].server.address == "198.51.100.20")
        #expect(s[3].history?.attempts.map(\.status) == [.deferred, .deferred, .sent])
    }

    @Test func refusalsOfClients() throws {
        let log = """
        Dec  6 08:00:02 mail courieresmtpd: error,relay=::ffff:198.51.100.23,from=<promo@offers.example>,to=<nobody@example.com>: 550 User unknown.
        Dec  6 08:02:10 mail courieresmtpd[26762]: error,relay=::ffff:192.0.2.3,port=43632,msg="535 Authentication failed.",cmd: AUTH LOGIN
        Dec  6 08:03:00 mail courierlocal: id=0038C0C3.6753A8B4.00005301,from=<root@example.com>,addr=<bob@example.com>,size=902,failure: Mailbox quota exceeded.
        """
        let s = try run(log)
        #expect(s.count == 3)
        #expect(s[0].client.address == "198.51.100.23")
        #expect(s[0].failedStage == .rcpt)
        #expect(s[0].exchanges.last?.reply?.code == 550)
        // The local failure is emitted as it happens; the AUTH refusal when its pid's session is closed.
        #expect(s[1].attributes["mta-reason"] == "Mailbox quota exceeded.")
        #expect(s[1].outcome == .rejected)
        #expect(s[2].failedStage == .auth)
        #expect(s[2].client.address == "192.0.2.3")
    }

    @Test func aFailedLoginsLastAnswerIsNotShown() throws {
        // Courier logs the last command of a failed login: the client's base64 answer to 334.
        let s = try run("Jul  3 23:07:20 mail courieresmtpd: error,relay=::ffff:192.0.2.9,msg=\"535 Authentication failed.\",cmd: aHVudGVyMg==")
        #expect(s.count == 1)
        #expect(s[0].failedStage == .auth)
        #expect(!s[0].notes.contains { $0.text.contains("aHVudGVyMg==") })
        #expect(!s[0].lines.contains { $0.text.contains("aHVudGVyMg==") })
        #expect(s[0].exchanges.first { $0.command?.verb == "AUTH" } != nil)
    }

    @Test func detection() {
        let courier = ["Dec  6 08:05:00 mail courierd: newmsg,id=0038C081.6753A2F0.000051A4: dns; localhost (localhost [127.0.0.1])"]
            .map { Array($0.utf8)[...] }
        #expect(FormatDetector.choose(prefix: courier)?.reader.formatID == "courier-log")
        let postfix = ["Jun  3 10:40:58 mail postfix/qmgr[1]: 776E41855DB2: removed"].map { Array($0.utf8)[...] }
        #expect(CourierLogReader.score(postfix) == 0)
    }
}
