import Foundation
import Testing
@testable import TranscriptModel

/// Every example line in ../shared/corpus/logs/SHAPES.md is understood by the reader of its MTA (read in
/// place; the Exchange protocol-log and IIS lines belong to the transcript dialects and are skipped).
@Suite struct LogShapesTests {
    @Test func everyShapeUnderstood() throws {
        guard let url = sharedCorpus?.appendingPathComponent("logs/SHAPES.md"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        var format: String?
        var checked = 0
        var misses: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("## ") {
                if line.contains("Postfix") { format = "postfix-log" }
                else if line.contains("Exim") { format = "exim-log" }
                else if line.contains("Sendmail") { format = "sendmail-log" }
                else if line.contains("OpenSMTPD") { format = "opensmtpd-log" }
                else if line.contains("Exchange") { format = "exchange-tracking" }
                else { format = nil }
                continue
            }
            guard let format, line.hasPrefix("  `"), line.hasSuffix("`") else { continue }
            let example = String(line.dropFirst(3).dropLast())
            if format == "exchange-tracking" && !example.contains(",SMTP,") && !example.contains(",HAREDIRECTFAIL,") { continue }
            if format == "exchange-tracking" && (example.contains(",<,") || example.contains(",>,") || example.contains(",+,") || example.contains(",*,")) { continue }
            var st: LogReaderStats?
            let name = "shape-\(checked)"
            _ = try InputDriver.read(name: name, bytes: Array(example.utf8), options: InputOptions(forcedFormat: format)) { _ in }
            st = LogStatsRegistry.shared.take(input: name)
            checked += 1
            if st?.understood != 1 { misses.append("[\(format)] \(example.prefix(160))") }
        }
        for m in misses { print("shape miss: \(m)") }
        #expect(checked >= 100)
        #expect(misses.isEmpty, "\(misses.count) shapes not understood")
    }
}
