import Foundation

/// How much of one log input a reader understood. Log readers never drop a line silently: every line is
/// either understood (used to rebuild a session, or a known mail line kept as evidence), ignored (another
/// program's line, not mail), or unrecognised (a mail program's line whose shape the reader does not know;
/// the first ones are kept for `--verbose`).
public struct LogReaderStats: Sendable, Hashable {
    public struct Sample: Sendable, Hashable {
        public var line: Int
        public var text: String
        /// The file, when several logs were read merged.
        public var input: String?
    }

    public var input: String
    public var format: String
    public var lines = 0
    /// SMTP/MTA lines the reader used.
    public var understood = 0
    /// Lines of programs that are not mail software (cron, kernel, ...).
    public var ignored = 0
    /// Mail lines whose shape the reader does not know.
    public var unrecognised = 0
    /// The first `LogReaderStats.sampleLimit` unrecognised lines.
    public var unrecognisedSamples: [Sample] = []
    public var sessions = 0
    /// Sessions closed early because a bound on open sessions or queue ids was reached.
    public var evicted = 0

    public static let sampleLimit = 200

    public init(input: String, format: String) {
        self.input = input
        self.format = format
    }

    /// SMTP-related lines (understood + unrecognised).
    public var mailLines: Int { understood + unrecognised }

    mutating func unrecognised(_ line: ArraySlice<UInt8>, number: Int, input: String? = nil) {
        unrecognised += 1
        if unrecognisedSamples.count < Self.sampleLimit {
            unrecognisedSamples.append(Sample(line: number, text: Bytes.string(line.prefix(600)), input: input))
        }
    }

    /// One line for `--verbose`: `log-stats: mail.log postfix-log lines=N understood=N ignored=N unrecognised=N sessions=N`.
    public var summaryLine: String {
        "log-stats: \(input) \(format) lines=\(lines) understood=\(understood) ignored=\(ignored) unrecognised=\(unrecognised) sessions=\(sessions)" + (evicted > 0 ? " evicted=\(evicted)" : "")
    }
}

/// Where log readers leave their per-input statistics (readers are created by the input driver, so the CLI
/// cannot hold them). Thread-safe. `take(input:)` returns and forgets an input's statistics.
public final class LogStatsRegistry: @unchecked Sendable {
    public static let shared = LogStatsRegistry()
    private let lock = NSLock()
    private var stats: [String: LogReaderStats] = [:]
    private var order: [String] = []

    public func record(_ s: LogReaderStats) {
        lock.lock(); defer { lock.unlock() }
        if stats[s.input] == nil { order.append(s.input) }
        stats[s.input] = s
        if order.count > 10_000 { let old = order.removeFirst(); stats[old] = nil }
    }

    public func stats(for input: String) -> LogReaderStats? {
        lock.lock(); defer { lock.unlock() }
        return stats[input]
    }

    public func take(input: String) -> LogReaderStats? {
        lock.lock(); defer { lock.unlock() }
        order.removeAll { $0 == input }
        return stats.removeValue(forKey: input)
    }

    /// Every recorded input, in the order first seen.
    public func all() -> [LogReaderStats] {
        lock.lock(); defer { lock.unlock() }
        return order.compactMap { stats[$0] }
    }
}
