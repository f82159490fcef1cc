import Foundation
import Testing
@testable import TranscriptModel

/// Rspamd's verdict lines, on their own (rspamd.log) and joined to Postfix's sessions (one syslog).
@Suite struct RspamdLogTests {
    static let reject = "2026-12-06 08:01:14 #1733(rspamd_proxy) <a1b2c3>; proxy; rspamd_task_write_log: id: <m1@sender.example>, qid: <4QbC1M2xYz>, ip: 198.51.100.7, user: alice, from: <news@sender.example>, (default: T (reject): [18.42/15.00] [RBL_SPAMHAUS_ZEN(7.00){7.100.51.198.zen.spamhaus.org:127.0.0.3;},BAYES_SPAM(5.10){99.99%;},DMARC_POLICY_REJECT(2.00){sender.example : No valid SPF, No valid DKIM;reject;},MIME_GOOD(-0.10){text/plain;}]), len: 18231, time: 2981.2ms, dns req: 41, digest: <6c0f>, rcpts: <bob@example.com>,<carol@example.com>, mime_rcpts: <bob@example.com>"

    @Test func aVerdictLine() throws {
        let b = Array(Self.reject.utf8)[...]
        let k = try #require(LogBytes.find(b, RspamdLogReader.marker))
        let v = try #require(RspamdLogReader.verdict(b[(k + RspamdLogReader.marker.utf8CodeUnitCount)...]))
        #expect(v.messageID == "m1@sender.example")
        #expect(v.queueID == "4QbC1M2xYz")
        #expect(v.ip == "198.51.100.7")
        #expect(v.user == "alice")
        #expect(v.sender == "news@sender.example")
        #expect(v.recipients == ["bob@example.com", "carol@example.com"])
        #expect(v.isSpam)
        #expect(v.action == "reject")
        #expect(v.score == "18.42" && v.threshold == "15.00")
        // Options with commas and semicolons stay inside their symbol.
        #expect(v.symbols.map(\.name) == ["RBL_SPAMHAUS_ZEN", "BAYES_SPAM", "DMARC_POLICY_REJECT", "MIME_GOOD"])
        #expect(v.symbols[2].options == "sender.example : No valid SPF, No valid DKIM;reject;")
        #expect(v.attributes["spam-symbols"] == "RBL_SPAMHAUS_ZEN 7 {7.100.51.198.zen.spamhaus.org:127.0.0.3;}; BAYES_SPAM 5.1 {99.99%;}; DMARC_POLICY_REJECT 2 {sender.example : No valid SPF, No valid DKIM;reject;}")
    }

    @Test func brokenScoresAreNotVerdicts() {
        // Found by fuzzing: a `]` before the `/` of the score, a `/` right after the bracket.
        for body in ["id: <a>, (default: T (reject): [5]/1", "x (default: F (no action): [/]", "(default: T (reject): [1/", "(default: T (reject"] {
            #expect(RspamdLogReader.verdict(Array(body.utf8)[...]) == nil, "\(body)")
        }
    }

    @Test func eachVerdictIsASessionEndingAsItsActionSays() throws {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("samples/logs/rspamd.log"))
        var got: [Session] = []
        _ = try InputDriver.read(name: "rspamd.log", bytes: Array(data)) { got.append($0) }
        #expect(got.map(\.format) == Array(repeating: "rspamd-log", count: 4))
        #expect(got.map(\.outcome) == [.rejected, .delivered, .delivered, .deferred])
        let end = try #require(got[0].exchanges.last { $0.stage == .message }?.reply)
        #expect(end.code == 554)
        #expect(end.text.contains("reply not logged"))
        #expect(got[0].attributes["queue-id"] == "4QbC1M2xYz")
        #expect(got[0].transactions.first?.recipients.map(\.address) == ["bob@example.com"])
        #expect(got[2].attributes["spam-action"] == "add header")
        #expect(got[3].attributes["spam-greylisted"] == "yes")
        #expect(got[3].exchanges.last { $0.stage == .message }?.reply?.text.hasPrefix("Greylisted") == true)
        let stats = LogStatsRegistry.shared.take(input: "rspamd.log")
        #expect(stats?.understood == 4)
    }

    @Test func detection() {
        let own = [Self.reject, "2026-12-06 08:01:13 #1733(rspamd_proxy) <a1b2c3>; milter; rspamd_milter_process_command: got connection from 198.51.100.7:41822"]
            .map { Array($0.utf8)[...] }
        #expect(FormatDetector.choose(prefix: own)?.reader.formatID == "rspamd-log")
        // In a mail log with Postfix's lines, Postfix's reader takes it (and reads the verdicts).
        let mixed = try! String(contentsOf: repoRoot.appendingPathComponent("samples/logs/postfix-rspamd.log"), encoding: .utf8)
            .split(separator: "\n").map { Array($0.utf8)[...] }
        #expect(FormatDetector.choose(prefix: mixed)?.reader.formatID == "postfix-log")
    }

    @Test func postfixSessionsCarryTheVerdict() throws {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("samples/logs/postfix-rspamd.log"))
        var got: [Session] = []
        _ = try InputDriver.read(name: "postfix-rspamd.log", bytes: Array(data)) { got.append($0) }
        let rejected = try #require(got.first { $0.client.address == "198.51.100.7" })
        #expect(rejected.outcome == .rejected)
        #expect(rejected.attributes["spam-action"] == "reject")
        #expect(rejected.notes.contains { $0.text.contains("rspamd_task_write_log") })
        let tagged = try #require(got.first { $0.client.address == "203.0.113.44" })
        #expect(tagged.attributes["spam-action"] == "add header")
    }
}

/// SpamAssassin's spamd and amavis's tagged passes, joined to Postfix's sessions.
@Suite struct SpamAssassinResultTests {
    @Test func spamdResultLines() throws {
        let line = "spamd: result: Y 14 - BAYES_99,RCVD_IN_SBL_CSS,URIBL_BLACK scantime=1.8,size=22310,user=bob,uid=1001,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=45678,mid=<offer-3310@promo.example>,bayes=1.000000,autolearn=spam"
        let (mid, a) = try #require(SpamAssassinResult.parse(Array(line.utf8)[...]))
        #expect(mid == "offer-3310@promo.example")
        #expect(a["spam-filter"] == "spamassassin")
        #expect(a["spam-action"] == "tagged")
        #expect(a["spam-score"] == "14/5.0")
        #expect(a["spam-symbols"] == "BAYES_99; RCVD_IN_SBL_CSS; URIBL_BLACK")
        let clean = "spamd: result: . -1 - none scantime=0.6,size=4120,user=bob,uid=1001,required_score=5.0,mid=<m@x>"
        #expect(SpamAssassinResult.parse(Array(clean.utf8)[...])?.1["spam-action"] == "no action")
        #expect(SpamAssassinResult.parse(Array(clean.utf8)[...])?.1["spam-symbols"] == "")
        #expect(SpamAssassinResult.parse(Array("spamd: result: Y 14 - X scantime=1".utf8)[...]) == nil)
        #expect(SpamAssassinResult.parse(Array("spamd: clean message (-1.9/5.0) for bob:1001".utf8)[...]) == nil)
    }

    @Test func amavisTaggedPasses() {
        let tagged = "(01733-06) Passed SPAM {RelayedTaggedInbound}, [203.0.113.44]:5000 [203.0.113.44] <a@b> -> <c@d>, Queue-ID: 4QbX, Hits: 8.123, size: 1"
        #expect(SpamAssassinResult.amavisTagged(Array(tagged.utf8)[...])?["spam-score"] == "8.123")
        #expect(SpamAssassinResult.amavisTagged(Array("(01733-07) Passed CLEAN {RelayedInbound}, Queue-ID: 4QbY, Hits: -1".utf8)[...]) == nil)
    }

    @Test func theSessionThatBroughtItCarriesTheVerdict() throws {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("samples/logs/postfix-spamassassin.log"))
        var got: [Session] = []
        _ = try InputDriver.read(name: "postfix-spamassassin.log", bytes: Array(data)) { got.append($0) }
        let tagged = try #require(got.first { $0.client.address == "203.0.113.44" })
        #expect(tagged.attributes["spam-action"] == "tagged")
        #expect(tagged.notes.contains { $0.text.contains("spamd: result: Y 14") })
        let clean = try #require(got.first { $0.client.address == "198.51.100.60" })
        #expect(clean.attributes["spam-action"] == "no action")
    }
}
