import Testing
@testable import TranscriptModel

/// A followed file or pipe (`--follow`): chunks as they are written, with empty chunks where the writer
/// paused.
private struct ScriptedLiveSource: ByteSource {
    var chunks: [[UInt8]]
    var isLive: Bool { true }
    mutating func next(name: String) throws -> [UInt8]? {
        chunks.isEmpty ? nil : chunks.removeFirst()
    }
}

@Suite struct LiveInputTests {
    static func noise(_ n: Int, from first: Int = 0) -> String {
        (first..<first + n).map { "Dec  7 10:00:\(String(format: "%02d", $0 % 60)) mx1 CRON[\($0 + 100)]: (root) CMD (run-parts /etc/cron.hourly)\n" }.joined()
    }
    static let postfix = """
    Dec  7 10:01:00 mx1 postfix/smtpd[2001]: connect from unknown[203.0.113.45]
    Dec  7 10:01:01 mx1 postfix/smtpd[2001]: NOQUEUE: reject: RCPT from unknown[203.0.113.45]: 554 5.7.1 <someone@example.org>: Relay access denied; from=<spam@example.net> to=<someone@example.org> proto=ESMTP helo=<x>
    Dec  7 10:01:01 mx1 postfix/smtpd[2001]: disconnect from unknown[203.0.113.45] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4

    """

    static func read(_ chunks: [String]) throws -> (info: InputInfo, sessions: [Session]) {
        var source = ScriptedLiveSource(chunks: chunks.map { Array($0.utf8) })
        var out: [Session] = []
        let info = try InputDriver.read(name: "syslog", source: &source, options: InputOptions()) { out.append($0) }
        return (info, out)
    }

    /// A whole syslog followed from its end: other programs' lines first, more than a detection prefix of
    /// them, then Postfix's. The Postfix reader reads them, with their own line numbers.
    @Test func followedSyslogWaitsForMailLines() throws {
        let r = try Self.read([Self.noise(30), "", Self.noise(500, from: 30), "", Self.postfix])
        #expect(r.info.format == "postfix-log")
        #expect(!r.info.fallback)
        #expect(r.sessions.count == 1)
        #expect(r.sessions.first?.outcome == .rejected)
        #expect(r.sessions.first?.start?.line == 531)
        #expect(r.info.lines == 533)
    }

    /// Mail lines in the same chunk as the noise before them.
    @Test func mailLinesInTheChunkOfTheNoise() throws {
        let r = try Self.read([Self.noise(3), "", Self.noise(2, from: 3) + Self.postfix])
        #expect(r.info.format == "postfix-log")
        #expect(r.sessions.first?.start?.line == 6)
    }

    /// A followed input that never shows a line any reader knows is read, when it ends, as before: an unmarked
    /// paste.
    @Test func noMailLinesAtAllFallsBackWhenTheInputEnds() throws {
        let r = try Self.read([Self.noise(5), "", Self.noise(5, from: 5)])
        #expect(r.info.fallback)
        #expect(r.info.lines == 10)
    }
}
