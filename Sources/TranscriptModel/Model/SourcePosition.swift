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
    /// Logs read together (`maillog.1 maillog`): the line's place in the merged, time-ordered stream. Nil for
    /// a single input, where `line` is the order.
    public var sequence: Int?

    public init(input: String, line: Int? = nil, packet: Int? = nil, time: Double? = nil, sequence: Int? = nil) {
        self.input = input
        self.line = line
        self.packet = packet
        self.time = time
        self.sequence = sequence
    }

    /// Reading order: the merged sequence when there is one, else the line (or packet) number.
    @inline(__always)
    public var order: Int { sequence ?? line ?? packet ?? 0 }

    /// Short human form: `line 12`, `packet 7`; logs read merged name the file: `maillog.1 line 12`.
    public var label: String {
        if let line {
            if sequence != nil { return "\(input.split(separator: "/").last.map(String.init) ?? input) line \(line)" }
            return "line \(line)"
        }
        if let packet { return "packet \(packet)" }
        return "-"
    }
}
