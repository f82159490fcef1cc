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
}
