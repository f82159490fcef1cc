import ArgumentParser
import Explainer
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, jsonl, html, markdown
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// `auto`: only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    func enabled(fd: Int32 = 1) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
            if let t = getenv("TERM"), String(cString: t) == "dumb" { return false }
            return isatty(fd) == 1
        }
    }
}

enum RedactChoice: String, ExpressibleByArgument, CaseIterable {
    case credentials, personal, none

    var mode: RedactionMode {
        switch self {
        case .credentials: return .credentials
        case .personal: return .personal
        case .none: return .none
        }
    }
}

/// Buffered output (standard output, or `--output FILE`): one write per few KB rather than per line.
struct Output {
    private var buffer: [UInt8] = []
    private var fd: Int32 = 1

    init() { buffer.reserveCapacity(1 << 16) }

    /// Write to a file instead of standard output; a file that cannot be created is a usage error.
    init(path: String?) throws {
        self.init()
        guard let path, path != "-" else { return }
        let f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard f >= 0 else {
            warn("smtpexplain: cannot write \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        fd = f
    }

    mutating func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, buffer.count - offset) }
            if n <= 0 { break }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Write to standard error unbuffered (fd 2 directly; the C `stderr` global is not concurrency-safe).
func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}

func warn(_ s: String) {
    writeStderr(Sanitizer.terminal(s) + "\n")
}

/// The explainer with the user's `--rules` in front of the built-in reply rules; a bad file is a usage error.
func makeExplainer(rulesFile: String?) throws -> Explainer {
    guard let rulesFile else { return Explainer() }
    do {
        let user = try UserRules.load(path: rulesFile)
        return Explainer(userRules: user)
    } catch let e as UserRules.LoadError {
        warn("smtpexplain: rules: \(e.description)")
        throw ExitCode(2)
    }
}
