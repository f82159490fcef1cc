import Foundation
import Explainer
import TranscriptModel

/// `--keep DIR`: each submitted input is written there as received, with its JSON result beside it, readable
/// by the server's user only. Without the flag nothing is written anywhere.
struct KeepFolder: Sendable {
    let path: String

    /// Creates the folder if needed; throws a message when it cannot be used.
    init(path: String) throws {
        var isDir: ObjCBool = false
        let fm = FileManager.default
        if !fm.fileExists(atPath: path, isDirectory: &isDir) {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
        } else if !isDir.boolValue {
            throw RequestProblem(status: .internalServerError, message: "--keep \(path): not a directory")
        }
        guard fm.isWritableFile(atPath: path) else {
            throw RequestProblem(status: .internalServerError, message: "--keep \(path): not writable")
        }
        self.path = path
    }

    /// `20261129T061502Z-3f9a1c-1-pasted-text.txt` and `20261129T061502Z-3f9a1c.json`.
    func store(_ submission: Submission, result: ExplainResult) -> [String] {
        let stamp = Self.stamp()
        let id = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var written: [String] = []
        for (i, input) in submission.inputs.enumerated() {
            let file = "\(stamp)-\(id)-\(i + 1)-\(Self.safe(input.name))"
            if write(Data(input.bytes), to: file) { written.append(file) }
        }
        let json = JSONRenderer.document(result.sessions, errors: result.errors)
        let file = "\(stamp)-\(id).json"
        if write(Data(json.utf8), to: file) { written.append(file) }
        return written
    }

    private func write(_ data: Data, to file: String) -> Bool {
        let full = (path as NSString).appendingPathComponent(file)
        return FileManager.default.createFile(atPath: full, contents: data, attributes: [.posixPermissions: 0o600])
    }

    static func safe(_ name: String) -> String {
        let mapped = name.unicodeScalars.map { u -> Character in
            (u.properties.isAlphabetic && u.isASCII) || ("0"..."9").contains(u) || u == "." || u == "-" || u == "_"
                ? Character(u) : "-"
        }
        var s = String(mapped.prefix(80))
        while s.hasPrefix(".") || s.hasPrefix("-") { s.removeFirst() }
        return s.isEmpty ? "input" : s
    }

    static func stamp() -> String {
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday,
                      tmv.tm_hour, tmv.tm_min, tmv.tm_sec)
    }
}
