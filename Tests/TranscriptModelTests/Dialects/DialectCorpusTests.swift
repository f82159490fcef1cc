import Foundation
import Testing
@testable import TranscriptModel

/// Every corpus transcript (../shared/corpus/transcripts and the real-mta swaks.txt files) is recognised as its
/// dialect and gets the verdict written down in scripts/conformance.d/transcripts-expected.tsv.
@Suite struct DialectCorpusTests {
    struct Row: Sendable, CustomStringConvertible {
        var path: String
        var formats: Set<String>
        var outcomes: Set<String>
        var stages: Set<String>
        var description: String { path }
    }

    static let rows: [Row] = {
        let url = repoRoot.appendingPathComponent("scripts/conformance.d/transcripts-expected.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        func set(_ s: Substring) -> Set<String> { Set(s.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }) }
        return text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 4 else { return nil }
            return Row(path: String(f[0]), formats: set(f[1]), outcomes: set(f[2]), stages: set(f[3]))
        }
    }()

    @Test func tableCoversTheCorpus() throws {
        #expect(Self.rows.count >= 70)
        guard let corpus = sharedCorpus else { return }
        let root = corpus.appendingPathComponent("transcripts")
        let listed = Set(Self.rows.map(\.path))
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.path)
        for folder in folders where !folder.hasSuffix(".md") {
            for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path) {
                #expect(listed.contains("transcripts/\(folder)/\(file)"), "no expected row for \(folder)/\(file)")
            }
        }
    }

    @Test(arguments: rows)
    func verdict(row: Row) throws {
        guard let corpus = sharedCorpus else { return }
        let url = corpus.appendingPathComponent(row.path)
        let bytes = try [UInt8](Data(contentsOf: url))
        var all: [Session] = []
        let info = try InputDriver.read(name: row.path, bytes: bytes) { all.append($0) }
        #expect(row.formats.contains(info.format), "\(row.path): detected \(info.format)")
        let s = try #require(all.first, "\(row.path): no session")
        #expect(row.formats.contains(s.format), "\(row.path): format \(s.format)")
        #expect(row.outcomes.contains(s.outcome.rawValue), "\(row.path): outcome \(s.outcome.rawValue)")
        #expect(row.stages.contains(s.failedStage?.rawValue ?? "none"), "\(row.path): failedStage \(s.failedStage?.rawValue ?? "none")")
    }
}

/// Detection: each dialect's files (corpus and samples) are taken for that dialect and never for another.
@Suite struct DialectDetectionTests {
    /// (file, expected format) for every sample of every dialect folder (expected.tsv's fifth column).
    static let samples: [String] = {
        let root = repoRoot.appendingPathComponent("samples")
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
        var out: [String] = []
        for folder in folders.sorted() {
            let tsv = root.appendingPathComponent("\(folder)/expected.tsv")
            guard let text = try? String(contentsOf: tsv, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard f.count >= 3 else { continue }
                let format = f.count >= 5 ? String(f[4]) : folder
                // Only transcript dialects (captures and MTA logs have their own tests).
                guard dialectIDs.contains(format) else { continue }
                out.append("\(folder)/\(f[0])\t\(format)")
            }
        }
        return out
    }()

    @Test func everyDialectHasASample() {
        let formats = Set(Self.samples.map { String($0.split(separator: "\t")[1]) })
        for id in FormatDetector.formatIDs where Self.dialectIDs.contains(id) {
            #expect(formats.contains(id), "no sample for \(id)")
        }
    }

    static let dialectIDs: Set<String> = ["telnet", "swaks", "openssl", "sendmail", "curl", "smtplib", "phpmailer",
                                          "nodemailer", "javamail", "msmtp", "mailkit", "rfc", "exchange",
                                          "postfix-verbose", "exim", "hmailserver", "iis-smtp", "client-error", "bounce",
                                          "esp-event", "postfix-queue", "exchange-queue", "sendmail-queue", "exim-queue", "exchange-trace",
                                          "message-headers", "dmarc-report", "tls-report", "feedback-report", "dns", "report-mail"]

    @Test func everyDialectIsRegistered() {
        for id in Self.dialectIDs { #expect(FormatDetector.formatIDs.contains(id), "\(id) not registered") }
    }

    @Test(arguments: samples)
    func sampleIsDetected(entry: String) throws {
        let parts = entry.split(separator: "\t").map(String.init)
        let url = repoRoot.appendingPathComponent("samples/\(parts[0])")
        let bytes = try [UInt8](Data(contentsOf: url))
        let info = try InputDriver.read(name: parts[0], bytes: bytes) { _ in }
        #expect(info.format == parts[1], "\(parts[0]): detected \(info.format), expected \(parts[1])")
        #expect(!info.fallback, "\(parts[0]): fell back to the unmarked reading")
    }

    /// Every corpus file scored by every dialect: the right one wins, and no other dialect scores as high.
    @Test func corpusFilesAreNotClaimedByOtherDialects() throws {
        guard let corpus = sharedCorpus else { return }
        for row in DialectCorpusTests.rows {
            let bytes = try [UInt8](Data(contentsOf: corpus.appendingPathComponent(row.path)))
            let prefix = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(FormatDetector.prefixLines)
                .map { $0.last == 0x0D ? $0.dropLast() : $0 }
            let choice = try #require(FormatDetector.choose(prefix: Array(prefix)))
            #expect(row.formats.contains(choice.reader.formatID), "\(row.path): chose \(choice.reader.formatID)")
            for r in FormatDetector.lineReaders where !row.formats.contains(r.formatID) {
                #expect(r.score(Array(prefix)) < choice.confidence, "\(row.path): \(r.formatID) scores as high as the right dialect")
            }
        }
    }
}
