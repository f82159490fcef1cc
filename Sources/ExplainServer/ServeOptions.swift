import Foundation

/// Settings of `smtpexplain serve`, parsed by the CLI and given to `ExplainServer`.
public struct ServeOptions: Sendable {
    /// Address to bind; loopback unless the user says otherwise.
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Largest request body accepted, in bytes (413 beyond it).
    public var maxBody: Int
    /// Per-request time limit in seconds: reading the body and explaining it.
    public var timeout: Double
    /// Explain requests handled at once; more get 503 straight away.
    public var maxConcurrent: Int
    /// When set, every submitted input (and its JSON result) is written there; otherwise nothing is stored.
    public var keepDirectory: String?
    /// Sessions shown on the web page (the rest are counted); the JSON API returns up to `apiSessions`.
    public var pageSessions: Int
    public var apiSessions: Int
    /// A paste this long or shorter is shown again in the paste box with its result.
    public var echoPasteLimit: Int

    public init(host: String = "127.0.0.1", port: Int = 8025, maxBody: Int = 50 * 1_000_000,
                timeout: Double = 10, maxConcurrent: Int = 4, keepDirectory: String? = nil,
                pageSessions: Int = 100, apiSessions: Int = 10_000, echoPasteLimit: Int = 1 << 20) {
        self.host = host
        self.port = port
        self.maxBody = maxBody
        self.timeout = timeout
        self.maxConcurrent = maxConcurrent
        self.keepDirectory = keepDirectory
        self.pageSessions = pageSessions
        self.apiSessions = apiSessions
        self.echoPasteLimit = echoPasteLimit
    }

    /// The log's warning when the server is reachable from other machines; nil on loopback.
    public var exposureWarning: String? {
        guard !ServeOptions.isLoopback(host) else { return nil }
        return "WARNING: serving on \(host), which is not a loopback address: anyone who can reach this machine "
            + "on port \(port) can submit input and read the results. Use --host 127.0.0.1 unless that is intended."
    }

    /// True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        if h.hasPrefix("::ffff:") { h = String(h.dropFirst(7)) }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }),
              parts.allSatisfy({ (Int($0) ?? 256) <= 255 }) else { return false }
        return parts[0] == "127"
    }

    /// `50MB`, `512k`, `1GiB`, `1000` (bytes). Decimal units (k = 1000), binary with `i` (KiB = 1024).
    public static func parseSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
        var unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        if unit.hasSuffix("b") { unit.removeLast() }
        let scale: Double
        switch unit {
        case "": scale = 1
        case "k": scale = 1e3
        case "m": scale = 1e6
        case "g": scale = 1e9
        case "ki": scale = 1024
        case "mi": scale = 1024 * 1024
        case "gi": scale = 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * scale
        guard bytes.isFinite, bytes < Double(Int.max / 2) else { return nil }
        return Int(bytes)
    }

    /// `10s`, `500ms`, `2m`, `10` (seconds).
    public static func parseDuration(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits), value.isFinite, value >= 0 else { return nil }
        switch t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "", "s", "sec": return value
        case "ms": return value / 1000
        case "m", "min": return value * 60
        default: return nil
        }
    }

    /// `52428800` -> `50 MB` style text for messages.
    public static func describe(bytes: Int) -> String {
        if bytes >= 1_000_000, bytes % 1_000_000 == 0 { return "\(bytes / 1_000_000) MB" }
        if bytes >= 1_000, bytes % 1_000 == 0 { return "\(bytes / 1_000) kB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    static func describe(seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
        return "\(seconds) s"
    }
}
