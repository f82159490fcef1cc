import Foundation
import Testing
@testable import TranscriptModel
@testable import Explainer

/// JSON and the brief text line show no transcript, so the CLI does not build transcript lines for them
/// (`Limits.transcript`). Whatever the input, leaving them out must not change one byte of either.
@Suite struct TranscriptLinesTests {
    static func explained(_ url: URL, transcript: Bool) throws -> [ExplainedSession] {
        var limits = SessionBuilder.Limits()
        limits.transcript = transcript
        var out: [Session] = []
        _ = try SessionBuilder.$defaultLimits.withValue(limits) {
            try InputDriver.read(path: url.path) { out.append($0.resolved()) }
        }
        return out.map { Redactor(mode: .credentials).apply(Explainer().explain($0)) }
    }

    @Test func jsonIsTheSameWithoutTranscriptLines() throws {
        let pcaps = try FileManager.default.contentsOfDirectory(at: ReportSamplesTests.samples.appendingPathComponent("pcap"),
                                                                includingPropertiesForKeys: nil)
            .filter { ["pcap", "pcapng"].contains($0.pathExtension) }
        var withLines = 0
        for f in ReportSamplesTests.files() + pcaps {
            let full = try Self.explained(f, transcript: true)
            let bare = try Self.explained(f, transcript: false)
            let same = JSONRenderer.document(full) == JSONRenderer.document(bare)   // (a Bool: the documents are long)
            #expect(same, "\(f.lastPathComponent)")
            let brief = TextRenderer(brief: true)
            #expect(full.map { brief.briefLine($0) } == bare.map { brief.briefLine($0) }, "\(f.lastPathComponent)")
            #expect(bare.allSatisfy { $0.session.lines.isEmpty }, "\(f.lastPathComponent)")
            withLines += full.filter { !$0.session.lines.isEmpty }.count
        }
        // The comparison means something only if the full build had lines to leave out.
        #expect(withLines > 100)
    }

    /// A telnet that does not echo: the commands are inferred and shown just before the replies that imply
    /// them. Each reply keeps its meaning and findings under it; the lossy-paste note is marked once.
    @Test func repliesAfterInferredCommandsKeepTheirMeaning() throws {
        let url = ReportSamplesTests.samples.appendingPathComponent("telnet/windows-telnet-no-echo-relay-denied.txt")
        let x = try Self.explained(url, transcript: true)
        let text = TextRenderer().render(try #require(x.first), number: 1, of: 1)
        let lines = text.split(separator: "\n").map(String.init)
        let rcpt = try #require(lines.firstIndex { $0.contains("C: RCPT TO:<bob@gmail.com>") })
        #expect(lines[rcpt + 1].contains("S: 554 5.7.1"))
        #expect(lines[rcpt + 2].contains("→ 554 5.7.1"))
        #expect(lines[rcpt + 3].contains("[error] relay-denied"))
        #expect(lines.filter { $0.contains("→ [info] lossy-paste") }.count == 1)
        // JSON still lists the note at every step it names.
        let ex = try #require(x.first)
        #expect(ex.session.exchanges.indices.filter { ex.findingIDs(forExchange: $0).contains("lossy-paste") }.count > 1)
    }
}
