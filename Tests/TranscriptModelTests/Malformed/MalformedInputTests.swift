import Foundation
import Testing
@testable import TranscriptModel

/// Hostile input never crashes, hangs or grows memory without bound (issue: hostile input).
@Suite struct MalformedInputTests {
    static let folder = repoRoot.appendingPathComponent("Tests/Malformed")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { !$0.hasSuffix(".md") }.sorted()
    }

    @Test(arguments: files)
    func checkedInCaseIsReadWithoutCrash(file: String) throws {
        let bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent(file)))
        var sessions: [Session] = []
        do {
            _ = try InputDriver.read(name: file, bytes: bytes) { sessions.append($0) }
        } catch let e as InputError {
            // Only unusable input may fail, and then with a message naming it.
            #expect(e.description.hasPrefix(file))
            #expect(file == "empty.txt" || bytes.filter { $0 == 0 }.count * 10 > bytes.count, "\(file): \(e)")
            return
        } catch {
            // Readers of binary formats report their own errors; they must still name the input.
            #expect("\(error)".contains(file))
            return
        }
        for s in sessions {
            #expect(s.lines.count <= SessionBuilder.Limits().displayLines)
        }
    }

    @Test func hugeCommandCountInAPostfixTallyIsNotReplayedOneByOne() throws {
        let log = "Nov 28 09:00:00 mx postfix/smtpd[2211]: connect from mail.example.net[198.51.100.20]\n"
            + "Nov 28 09:00:01 mx postfix/smtpd[2211]: disconnect from mail.example.net[198.51.100.20] ehlo=1 mail=1 rcpt=0/331200000000 data=0/9000000000 quit=1 commands=3/331200000003\n"
        var sessions: [Session] = []
        _ = try InputDriver.read(name: "maillog", bytes: Array(log.utf8)) { sessions.append($0.resolved()) }
        let s = try #require(sessions.first)
        let rcpts = s.exchanges.filter { $0.command?.verb == "RCPT" }.count
        #expect(rcpts == PostfixLogReader.replayedCommandsPerVerb)
        #expect(s.exchanges.count < 3 * PostfixLogReader.replayedCommandsPerVerb)
        // The logged counts are still told as logged.
        #expect(s.attributes["commands"]?.contains("rcpt=0/331200000000") == true)
    }

    @Test func megabyteSingleLineIsCutNotKept() throws {
        var text = "220 mx.example.com ESMTP\nHELO c.example.net\n250 ok\nMAIL FROM:<"
        text += String(repeating: "a", count: 1 << 21) + "@example.net>\n250 ok\nQUIT\n221 bye\n"
        var sessions: [Session] = []
        let info = try InputDriver.read(name: "long", bytes: Array(text.utf8)) { sessions.append($0) }
        #expect(info.cutLines == 1)
        let s = try #require(sessions.first)
        #expect(s.lines.allSatisfy { $0.text.utf8.count < 10_000 })
        #expect(s.outcome == .incomplete)
    }

    @Test func hundredThousandContinuationLinesStayBounded() throws {
        var text = "220 mx.example.com ESMTP\nEHLO c.example.net\n"
        for i in 0..<100_000 { text += "250-CAPABILITY\(i)\n" }
        text += "250 OK\nQUIT\n221 bye\n"
        let s = try session(text)
        let ehlo = try #require(s.exchanges.first { $0.command?.verb == "EHLO" })
        #expect((ehlo.reply?.lines.count ?? 0) <= SessionBuilder.Limits().replyLines)
        #expect(s.lines.count <= SessionBuilder.Limits().displayLines)
        #expect(s.elidedLines > 0)
    }

    @Test func hundredThousandPipelinedCommandsStayBounded() throws {
        var text = "220 mx.example.com ESMTP\nEHLO c.example.net\n250-mx.example.com\n250 PIPELINING\n"
        for _ in 0..<100_000 { text += "NOOP\n" }
        for _ in 0..<100_000 { text += "250 2.0.0 Ok\n" }
        let s = try session(text)
        #expect(s.exchanges.count <= SessionBuilder.Limits().exchanges + 1)
        #expect(s.lines.count <= SessionBuilder.Limits().displayLines)
    }

    @Test func absurdBdatSizeDoesNotAllocate() throws {
        let s = try session("220 mx ESMTP\nEHLO c\n250 CHUNKING\nMAIL FROM:<a@b>\n250 ok\nRCPT TO:<c@d>\n250 ok\nBDAT 9223372036854775807 LAST\nxyz\n")
        #expect(s.transactions.first?.message?.chunked == true)
    }

    @Test func binaryGarbageIsOneClearError() {
        let junk = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect {
            _ = try InputDriver.read(name: "junk.bin", bytes: junk) { _ in }
        } throws: { error in
            "\(error)".contains("junk.bin")
        }
    }
}
