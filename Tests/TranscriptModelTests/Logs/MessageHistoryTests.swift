import Foundation
import Testing
@testable import TranscriptModel

/// `MessageHistory` and the log readers' message stories.
@Suite struct MessageHistoryTests {
    @Test func keepsTheFirstAndLastAttemptsAndCountsTheRest() {
        var h = MessageHistory(queueID: "Q")
        for n in 1...10 {
            var a = MessageHistory.Attempt(number: n, time: Double(n * 100), status: n == 10 ? .sent : .deferred)
            a.reply = n == 10 ? "250 ok" : "451 later"
            h.add(a, recipient: "r@example.org")
            // A second recipient with the same result in the same attempt joins the entry.
            h.add(a, recipient: "s@example.org")
        }
        #expect(h.attempts.map(\.number) == [1, 2, 3, 8, 9, 10])
        #expect(h.attemptCount == 10)
        #expect(h.entryCount == 10)
        #expect(h.omittedAttempts == 4)
        #expect(h.deferrals == 9)
        #expect(h.attempts.allSatisfy { $0.recipientCount == 2 && $0.recipients == ["r@example.org", "s@example.org"] })
        #expect(h.firstDeferral?.number == 1)
        #expect(h.lastDeferral?.number == 9)
        #expect(h.span == 900)
        #expect(h.isChain)
    }

    @Test func oneDeliveredAttemptIsNoStory() throws {
        let log = """
        Jun  3 10:40:58 mail postfix/qmgr[1]: 776E41855DB2: from=<a@example.com>, size=10, nrcpt=1 (queue active)
        Jun  3 10:40:59 mail postfix/smtp[9890]: 776E41855DB2: to=<b@example.org>, relay=mx.example.org[192.0.2.44]:25, delay=1.9, delays=0/0/1.5/0.37, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)
        Jun  3 10:40:59 mail postfix/qmgr[1]: 776E41855DB2: removed

        """
        let s = try sessions(log, name: "one-\(UUID().uuidString)")
        #expect(s.count == 1)
        #expect(s[0].history == nil)
    }

    @Test func aRetryChainSilentForDaysIsStillOneStory() throws {
        // Real Postfix lines (lightmeter's test corpus): retries days apart, then `status=expired`.
        guard let corpus = sharedCorpus else { return }
        let url = corpus.appendingPathComponent("logs/lightmeter-controlcenter/test_files/postfix_logs/individual_files/18_expired.log")
        guard let data = try? Data(contentsOf: url) else { return }
        var out: [Session] = []
        _ = try InputDriver.read(name: "18_expired-\(UUID().uuidString)", bytes: Array(data)) { out.append($0) }
        let carriers = out.filter { $0.history?.queueID == "23EBE3D5C0" }
        #expect(carriers.count == 1)
        let h = try #require(carriers.first?.history)
        #expect(h.attemptCount == 5)
        #expect(h.attempts.map(\.number) == [1, 2, 3, 4, 5])
        #expect(h.attempts.allSatisfy { $0.status == .deferred && $0.reply?.hasPrefix("452 4.1.1") == true && $0.inReplyTo == "RCPT TO" })
        #expect(h.attempts.map(\.delay) == [2, 2071, 411_573, 425_973, 440_374])
        #expect(h.received?.size == 312_343)
        #expect(h.received?.client == "h-3857624469d1756194e464[239.58.50.50]")
        #expect(h.end?.outcome == .expired)
        #expect(h.end?.detail == "returned to sender; non-delivery notification A7E673C067")
        #expect(carriers.first?.attributes["attempt"] == "5")
    }

    @Test func aChainCutByTheEndOfTheLogIsToldAsPending() throws {
        let log = """
        Nov 28 10:00:00 mx postfix/qmgr[1]: 1A2B3C4D5E: from=<a@example.com>, size=10, nrcpt=1 (queue active)
        Nov 28 10:00:01 mx postfix/smtp[11]: 1A2B3C4D5E: to=<b@example.org>, relay=mx.example.org[192.0.2.44]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.2.2, status=deferred (host mx.example.org[192.0.2.44] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))
        Nov 28 10:05:01 mx postfix/qmgr[1]: 1A2B3C4D5E: from=<a@example.com>, size=10, nrcpt=1 (queue active)
        Nov 28 10:05:02 mx postfix/smtp[12]: 1A2B3C4D5E: to=<b@example.org>, relay=mx.example.org[192.0.2.44]:25, delay=302, delays=301/0/0.5/0.5, dsn=4.2.2, status=deferred (host mx.example.org[192.0.2.44] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))

        """
        let s = try sessions(log, name: "cut-\(UUID().uuidString)")
        #expect(s.count == 3)
        #expect(s.prefix(2).allSatisfy { $0.history == nil && $0.outcome == .deferred })
        let story = s[2]
        #expect(story.isMessageStory)
        #expect(story.outcome == .deferred)
        #expect(story.failedStage == .rcpt)
        #expect(story.history?.end?.outcome == .pending)
        #expect(story.history?.deferrals == 2)
        #expect(story.transactions.first?.queueID == "1A2B3C4D5E")
    }
}
