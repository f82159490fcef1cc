import Testing
@testable import TranscriptModel

/// Stories of messages that stay queued are let go after `storyIdleSeconds` of log time, in the sweep, not
/// only at the end of the log.
@Suite struct StorySweepTests {
    @Test func eximStoryIdleTooLongIsToldDuringTheRead() {
        var reader = EximLogReader(input: "t")
        reader.storyIdleSeconds = 3_600
        let lines = [
            "2026-03-02 10:00:00 1vXaA1-000Ab1-Q1 <= a@example.org H=c.example.org [192.0.2.10] P=esmtp S=900 id=1@example.org",
            "2026-03-02 10:00:01 1vXaA1-000Ab1-Q1 == b@remote.example R=dnslookup T=remote_smtp defer (-44) H=mx.remote.example [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<b@remote.example>: 451 4.7.1 Try again later",
            "2026-03-02 10:30:01 1vXaA1-000Ab1-Q1 == b@remote.example R=dnslookup T=remote_smtp defer (-44) H=mx.remote.example [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<b@remote.example>: 451 4.7.1 Try again later",
            "2026-03-02 13:00:00 1vXaB2-000Ab2-Q2 <= c@example.org H=c.example.org [192.0.2.10] P=esmtp S=900 id=2@example.org",
            "2026-03-02 13:00:01 1vXaB2-000Ab2-Q2 => d@remote.example R=dnslookup T=remote_smtp H=mx.remote.example [198.51.100.7] C=\"250 OK\"",
            "2026-03-02 13:00:01 1vXaB2-000Ab2-Q2 Completed",
        ]
        var during: [Session] = []
        for (i, l) in lines.enumerated() { reader.read(line: Array(l.utf8)[...], number: i + 1) { during.append($0) } }
        var after: [Session] = []
        reader.finish { after.append($0) }
        let stories = { (s: [Session]) in s.filter { $0.history != nil }.map { $0.attributes["queue-id"] } }
        // The retried message's story comes out when the 13:00 lines show it quiet for over an hour.
        #expect(stories(during) == ["1vXaA1-000Ab1-Q1"])
        #expect(during.first { $0.history != nil }?.outcome == .deferred)
        #expect(stories(after).isEmpty)
    }
}
