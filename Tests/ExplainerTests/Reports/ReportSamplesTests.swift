import Foundation
import Testing
@testable import TranscriptModel
@testable import Explainer

/// Every sample renders to HTML that libxml2 reads without errors, and to Markdown, with no secret shown.
/// With `SMTPEXPLAIN_REPORT_DIR` set, the HTML reports are also written there (for looking at them).
@Suite struct ReportSamplesTests {
    static let samples: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

    static func files() -> [URL] {
        guard let e = FileManager.default.enumerator(at: samples, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }
            .filter { !["md", "tsv", "pcap", "pcapng", "cap", "gz"].contains($0.pathExtension) && !$0.hasDirectoryPath }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.path < $1.path }
    }

    /// Only the HTML sample looks like HTML: detection must not take any other input away from its reader.
    @Test func onlyHTMLSamplesLookLikeHTML() throws {
        for f in Self.files() {
            guard let data = FileManager.default.contents(atPath: f.path) else { continue }
            let html = HTMLInput.looksLikeHTML(Array(data.prefix(64 * 1024)))
            #expect(html == f.lastPathComponent.contains("html"), "\(f.lastPathComponent)")
        }
    }

    /// The shared corpus (when present): no transcript or log is mistaken for HTML unless it is HTML, and
    /// every real-MTA transcript renders to libxml2-clean HTML.
    @Test func sharedCorpus() throws {
        let corpus = Self.samples.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")
        guard let e = FileManager.default.enumerator(at: corpus, includingPropertiesForKeys: nil) else { return }
        var html: [String] = []
        for case let f as URL in e where !f.hasDirectoryPath && !["pcap", "pcapng", "gz", "tsv", "md"].contains(f.pathExtension) {
            guard let data = FileManager.default.contents(atPath: f.path), data.count < 4 << 20 else { continue }
            if HTMLInput.looksLikeHTML(Array(data.prefix(64 * 1024))) { html.append(f.path) }
            if f.path.contains("real-mta"), f.lastPathComponent == "transcript.txt" {
                var sessions: [Session] = []
                guard (try? InputDriver.read(path: f.path, emit: { sessions.append($0) })) != nil else { continue }
                let page = HTMLRenderer.document(sessions.map { Explainer().explain($0) }, title: "x")
                #expect(parseHTML(page).errors.isEmpty, "\(f.path)")
            }
        }
        #expect(html.allSatisfy { $0.lowercased().contains("htm") }, "\(html)")
    }

    @Test func everySampleRenders() throws {
        let files = Self.files()
        #expect(files.count > 10)
        let out = ProcessInfo.processInfo.environment["SMTPEXPLAIN_REPORT_DIR"]
        for f in files {
            var sessions: [Session] = []
            guard (try? InputDriver.read(path: f.path, emit: { sessions.append($0) })) != nil else { continue }
            let xs = sessions.map { Explainer().explain($0) }
            let name = f.deletingPathExtension().lastPathComponent
            let html = HTMLRenderer.document(xs, title: name)
            let parsed = parseHTML(html)
            #expect(parsed.errors.isEmpty, "\(f.lastPathComponent): \(parsed.errors.prefix(3))")
            #expect(!parsed.elements.contains("script"))
            let md = MarkdownRenderer.document(xs)
            // Personal redaction never breaks a report.
            let redacted = HTMLRenderer.document(xs.map(Redactor(mode: .personal).apply), title: name)
            #expect(parseHTML(redacted).errors.isEmpty)
            #expect(!md.isEmpty)
            if let out {
                let dir = f.deletingLastPathComponent().lastPathComponent
                try? html.write(toFile: "\(out)/\(dir)-\(name).html", atomically: true, encoding: .utf8)
                try? md.write(toFile: "\(out)/\(dir)-\(name).md", atomically: true, encoding: .utf8)
                let personal = xs.map(Redactor(mode: .personal).apply)
                try? MarkdownRenderer.document(personal).write(toFile: "\(out)/\(dir)-\(name).personal.md", atomically: true, encoding: .utf8)
            }
        }
    }
}
