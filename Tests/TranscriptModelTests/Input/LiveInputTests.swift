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

    /// A followed system log that never shows a mail server's line says so when it ends.
    @Test func noMailLinesAtAllIsNothingToExplain() throws {
        let r = try Self.read([Self.noise(5), "", Self.noise(5, from: 5)])
        #expect(r.info.format == "syslog")
        #expect(!r.info.fallback)
        #expect(r.info.lines == 10)
        #expect(r.sessions.count == 1)
        #expect(r.sessions.first?.notes.first?.text.contains("none of its 10 lines") == true)
    }

    // A file, read at once: a whole syslog whose first 200 lines (what detection looks at) are other programs'.

    static func readFile(_ text: String) throws -> (info: InputInfo, sessions: [Session]) {
        var out: [Session] = []
        let info = try InputDriver.read(name: "syslog", bytes: Array(text.utf8)) { out.append($0) }
        return (info, out)
    }

    @Test func syslogWithMailLinesAfterTheDetectionPrefix() throws {
        // In one chunk, with more lines after the mail lines than the window keeps.
        let r = try Self.readFile(Self.noise(240) + Self.postfix + Self.noise(700, from: 240))
        #expect(r.info.format == "postfix-log")
        #expect(r.sessions.count == 1)
        #expect(r.sessions.first?.outcome == .rejected)
        #expect(r.sessions.first?.start?.line == 241)
        #expect(r.info.lines == 943)
    }

    @Test func syslogWithoutMailLinesIsNothingToExplain() throws {
        let r = try Self.readFile(Self.noise(300))
        #expect(r.info.format == "syslog")
        #expect(r.sessions.count == 1)
        #expect(r.sessions.first?.outcome == .incomplete)
        #expect(r.sessions.first?.notes.first?.text.contains("none of its 300 lines") == true)
    }

    /// Lines far longer than the window: still scored, and the mail lines after them still found.
    @Test func longLinesInTheNoiseDoNotHideMailLines() throws {
        let long = "Dec  7 10:00:00 mx1 kernel: " + String(repeating: "x", count: 300_000) + "\n"
        let r = try Self.readFile(Self.noise(250) + long + long + Self.noise(10, from: 250) + Self.postfix)
        #expect(r.info.format == "postfix-log")
        #expect(r.sessions.first?.start?.line == 263)
    }

    /// A short input all inside the detection prefix is read as before: an unmarked paste.
    @Test func shortNonMailInputStaysAPaste() throws {
        let r = try Self.readFile(Self.noise(20))
        #expect(r.info.fallback)
    }
}
