import Foundation

/// Runs the built `smtpexplain` binary (it sits beside the test bundle in the build folder).
struct BinaryRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("smtpexplain")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("smtpexplain")
    }()

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ args: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = repo
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        // Files rather than pipes: no reader threads, and large outputs cannot block the child.
        let dir = FileManager.default.temporaryDirectory
        let tag = "smtpexplain-e2e-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let inURL = dir.appendingPathComponent(tag + ".in")
        let outURL = dir.appendingPathComponent(tag + ".out")
        let errURL = dir.appendingPathComponent(tag + ".err")
        try (stdin ?? Data()).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { for u in [inURL, outURL, errURL] { try? FileManager.default.removeItem(at: u) } }
        p.standardInput = try FileHandle(forReadingFrom: inURL)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func json(_ args: [String], stdin: Data? = nil) throws -> [String: Any] {
        let r = try run(args + ["--format", "json"], stdin: stdin)
        guard let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw RunnerError("not a JSON object: \(r.stdout.prefix(200))")
        }
        return obj
    }
}

struct RunnerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
