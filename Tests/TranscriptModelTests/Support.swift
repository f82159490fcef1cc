import Foundation
import Testing
@testable import TranscriptModel

/// Read a transcript given as text through the driver, collecting every session.
func sessions(_ text: String, name: String = "test.txt", format: String? = nil) throws -> [Session] {
    var out: [Session] = []
    _ = try InputDriver.read(name: name, bytes: Array(text.utf8), options: InputOptions(forcedFormat: format)) {
        out.append($0)
    }
    return out
}

func session(_ text: String, format: String? = nil) throws -> Session {
    let all = try sessions(text, format: format)
    guard all.count == 1 else { throw TestError("expected one session, got \(all.count)") }
    return all[0]
}

/// The one session `text` holds, expected to be read as `format` (the caller's line is named on failure).
func onlySession(_ text: String, readAs format: String, sourceLine: Int) throws -> Session {
    let all = try sessions(text)
    #expect(all.count == 1, "line \(sourceLine): \(all.count) sessions")
    let s = try #require(all.first)
    #expect(s.format == format, "line \(sourceLine): detected \(s.format)")
    return s
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The shared corpus beside the repository, when present (`../shared/corpus`).
let sharedCorpus: URL? = {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let url = repo.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}()

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
