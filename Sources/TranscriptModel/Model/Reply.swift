/// A complete server reply: one or more lines sharing a code (`250-...` continued, `250 ...` final).
public struct Reply: Sendable, Hashable {
    public var code: Int
    /// RFC 3463 enhanced status code at the start of the text (`5.7.1`), if any.
    public var enhanced: String?
    /// Text of each line, after the code, separator and (on lines that carry it) the enhanced code.
    public var lines: [String]
    /// Position of the first line.
    public var position: SourcePosition
    /// Position of the last line.
    public var endPosition: SourcePosition
    /// Synthesised from indirect evidence (a log line, a `354` implying `DATA`), not seen verbatim.
    public var inferred: Bool
    /// The reply never received its final (space-separated) line.
    public var truncated: Bool

    public init(code: Int, enhanced: String?, lines: [String], position: SourcePosition,
                endPosition: SourcePosition? = nil, inferred: Bool = false, truncated: Bool = false) {
        self.code = code
        self.enhanced = enhanced
        self.lines = lines
        self.position = position
        self.endPosition = endPosition ?? position
        self.inferred = inferred
        self.truncated = truncated
    }

    /// All text lines joined with a space: what classifiers read.
    public var text: String { lines.joined(separator: " ") }

    public enum Class: Int, Sendable { case positiveCompletion = 2, intermediate = 3, transient = 4, permanent = 5, unknown = 0 }
    public var replyClass: Class { Class(rawValue: code / 100) ?? .unknown }
    public var isPositive: Bool { code >= 200 && code < 400 }
    public var isFailure: Bool { code >= 400 && code < 600 }
}
