import Foundation
import Testing
@testable import TranscriptModel

/// The `server.log` and `swaks-server.log` of every real-MTA scenario (../shared/corpus/real-mta) must give the
/// scenario's outcome and failed stage from expected.tsv.
@Suite struct RealMTALogTests {
    /// Read expected.tsv: scenario → (outcomes, stages).
    static func expectations() -> [(String, [String], [String])] {
        guard let corpus = sharedCorpus,
              let text = try? String(contentsOf: corpus.appendingPathComponent("real-mta/expected.tsv"), encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") { return nil }
            let f = line.split(separator: "\t").map(String.init)
            guard f.count >= 3 else { return nil }
            return (f[0], f[1].split(separator: "|").map(String.init), f[2].split(separator: "|").map(String.init))
        }
    }

    @Test func serverLogVerdicts() throws {
        let all = Self.expectations()
        guard !all.isEmpty, let corpus = sharedCorpus else { return }
        var checked = 0
        for (scenario, outcomes, stages) in all {
            for file in ["server.log", "swaks-server.log"] {
                let url = corpus.appendingPathComponent("real-mta/\(scenario)/\(file)")
                guard let data = try? Data(contentsOf: url), !data.isEmpty else { continue }
                let got = try sessions(String(decoding: data, as: UTF8.self), name: "\(scenario)/\(file)")
                let inbound = got.filter { $0.direction == .inbound }
                #expect(inbound.count == 1, "\(scenario)/\(file): \(inbound.count) inbound sessions")
                guard let s = inbound.first else { continue }
                #expect(outcomes.contains(s.outcome.rawValue), "\(scenario)/\(file): outcome \(s.outcome.rawValue)")
                #expect(stages.contains(s.failedStage?.rawValue ?? "none"), "\(scenario)/\(file): stage \(s.failedStage?.rawValue ?? "none")")
                checked += 1
            }
        }
        #expect(checked >= 20)
    }
}
