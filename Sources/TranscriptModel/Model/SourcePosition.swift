/// Where an event came from, so every finding can point at its evidence.
public struct SourcePosition: Sendable, Hashable, Codable {
    /// Input name as given on the command line (`-` for stdin).
    public var input: String
    /// 1-based line number in the input (transcripts, logs).
    public var line: Int?
    /// 1-based packet number (captures).
    public var packet: Int?
    /// Seconds since the Unix epoch, when the input carries time (logs, captures, timestamped debug output).
    public var time: Double?

    public init(input: String, line: Int? = nil, packet: Int? = nil, time: Double? = nil) {
        self.input = input
        self.line = line
        self.packet = packet
        self.time = time
    }

    /// Short human form: `line 12`, `packet 7`.
    public var label: String {
        if let line { return "line \(line)" }
        if let packet { return "packet \(packet)" }
        return "-"
    }
}
