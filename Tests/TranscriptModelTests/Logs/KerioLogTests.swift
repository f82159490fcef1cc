import Foundation
import Testing
@testable import TranscriptModel

/// Kerio Connect's security log: one refusal per line.
@Suite struct KerioLogTests {
    @Test func refusalsInKeriosSentences() throws {
        let log = """
        [17/Jun/2011 17:00:45] Attempt to deliver to unknown recipient <a@example.com>, from <b@example.net>, IP address 192.0.2.1
        [18/Jan/2014 05:47:17] IP address 192.0.2.2 found in DNS blacklist SpamCop, mail from <c@example.net> to <a@example.com>
        [18/Jan/2014 06:41:25] SMTP Spam attack detected from 192.0.2.3, client closed connection before SMTP greeting
        [17/May/2017 19:44:25] Client with IP address 192.0.2.4 has no reverse DNS entry, connection rejected before SMTP greeting
        [17/May/2017 19:45:27] Administration login into Web Administration from 192.0.2.5 failed: IP address not allowed
        [18/May/2017 07:25:15] Failed SMTP login from 192.0.2.6 with SASL method CRAM-MD5.

        """
        let s = try sessions(log, name: "kerio-\(UUID().uuidString)")
        #expect(s.allSatisfy { $0.format == "kerio-log" && $0.direction == .inbound })
        #expect(s.map { $0.client.address } == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.6"])
        #expect(s.map(\.failedStage) == [.rcpt, .rcpt, .connect, .greeting, .auth])
        #expect(s[0].transactions.first?.recipients.first?.address == "a@example.com")
        #expect(s[0].transactions.first?.sender == "b@example.net")
        // The list's name is in the reply, where the blocklist rules read it.
        #expect(s[1].exchanges.last?.reply?.text.contains("SpamCop") == true)
        #expect(s[2].exchanges.isEmpty)
        #expect(s[4].exchanges.contains { $0.command?.verb == "AUTH" && $0.command?.argument == "CRAM-MD5" })
        // A local time of day, the year from the line.
        var clock = LogClock()
        #expect(s[0].start?.time == clock.local(2011, 6, 17, 17, 0, 45))
    }

    @Test func detection() {
        let kerio = ["[17/Jun/2011 17:00:45] Relay attempt from IP address 192.0.2.7, mail from <a@example.net> to <b@example.org> rejected"]
            .map { Array($0.utf8)[...] }
        #expect(FormatDetector.choose(prefix: kerio)?.reader.formatID == "kerio-log")
        #expect(KerioLogReader.score(["[17/Jun/2011 17:00:45] Administration login failed"].map { Array($0.utf8)[...] }) == 0)
    }
}
