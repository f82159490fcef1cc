import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ExplainServer

/// The repository's samples folder, found from this file's path.
let samplesDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("samples")

func sample(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: samplesDirectory.appendingPathComponent(path)))
}

func sampleExists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: samplesDirectory.appendingPathComponent(path).path)
}

/// A server with test-friendly options whose log lines are kept (and not printed).
func makeServer(_ tweak: (inout ServeOptions) -> Void = { _ in }) throws -> ExplainServer {
    var options = ServeOptions(host: "127.0.0.1", port: 0)
    tweak(&options)
    return try ExplainServer(options: options, log: { _ in })
}

/// A multipart/form-data body as a browser sends it.
struct MultipartBody {
    let boundary = "----smtpexplainTestBoundary7MA4YWxkTrZu0gW"
    var data: [UInt8] = []

    mutating func field(_ name: String, _ value: String) {
        data += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func file(_ name: String, filename: String, _ bytes: [UInt8], type: String = "application/octet-stream") {
        data += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        data += bytes
        data += Array("\r\n".utf8)
    }

    var body: ByteBuffer {
        var b = ByteBuffer(bytes: data)
        b.writeString("--\(boundary)--\r\n")
        return b
    }

    var headers: HTTPFields { [.contentType: "multipart/form-data; boundary=\(boundary)"] }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    var sessions: [[String: Any]] { json["sessions"] as? [[String: Any]] ?? [] }
    var errors: [[String: Any]] { json["errors"] as? [[String: Any]] ?? [] }
}
