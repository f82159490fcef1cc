import Foundation
import Testing
@testable import TranscriptModel

/// samples/logs: every file is detected as its log format and gives the sessions in expected.tsv, in order.
@Suite struct LogSamplesTests {
    static let dir = repoRoot.appendingPathComponent("samples/logs")

    static func describe(_ s: Session) -> String {
        "\(s.direction?.rawValue ?? "-")\t\(s.outcome.rawValue)\t\(s.failedStage?.rawValue ?? "none")"
    }

    @Test func samplesMatchExpected() throws {
        let expected = try String(contentsOf: Self.dir.appendingPathComponent("expected.tsv"), encoding: .utf8)
        var want: [String: (format: String, rows: [String])] = [:]
        for line in expected.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5 else { continue }
            var e = want[f[0]] ?? (f[1], [])
            e.rows.append([f[2], f[3], f[4]].joined(separator: "\t"))
            want[f[0]] = e
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.dir.path)
            .filter { !$0.hasSuffix(".md") && !$0.hasSuffix(".tsv") }.sorted()
        #expect(files.count >= 8)
        for name in files {
            let data = try Data(contentsOf: Self.dir.appendingPathComponent(name))
            var got: [Session] = []
            _ = try InputDriver.read(name: name, bytes: Array(data)) { got.append($0) }
            let rows = got.map(Self.describe)
            guard let w = want[name] else { Issue.record("\(name): not in expected.tsv; got \(rows)"); continue }
            #expect(got.allSatisfy { $0.format == w.format }, "\(name): format \(got.map(\.format))")
            #expect(rows == w.rows, "\(name): got \(rows)")
            let stats = LogStatsRegistry.shared.take(input: name)
            #expect(stats?.unrecognised == 0, "\(name): \(stats?.unrecognisedSamples.map(\.text) ?? [])")
        }
    }
}
