/// A reader for a line-oriented input family (a transcript dialect, an MTA log format).
///
/// The driver splits the input into lines (LF, with a trailing CR removed) and feeds them one by one;
/// the reader turns them into calls on `SessionBuilder`s and emits each `Session` as soon as it is
/// finished, so memory follows the number of open sessions, not the input size.
public protocol LineReader: SendableMetatype {
    /// Stable id used in the JSON `format` field and accepted by `--input-format`.
    static var formatID: String { get }
    /// One-line human description for `--help` and the README.
    static var summary: String { get }
    /// How likely it is that an input starting with these lines is this format, 0...1.
    /// Called with at most `FormatDetector.prefixLines` lines; must be cheap.
    static func score(_ prefix: [ArraySlice<UInt8>]) -> Double

    init(input: String)
    /// One line without its line terminator. `number` is 1-based.
    mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void)
    /// The input ended: close every open session.
    mutating func finish(emit: (Session) -> Void)
    /// From now on, sessions that are costly to build may be emitted as placeholders (`Session.isPending`,
    /// see `PendingBuild`). Readers that build cheaply ignore it.
    mutating func deferBuilding()
    /// Following a live log (`--follow`): no line came for another `seconds` of wall time (calls in a row
    /// add up). The log's clock has moved on by as much, so what waits on log time (held sessions, idle
    /// timeouts) may close now instead of when the next line comes. Readers that keep nothing open by time
    /// ignore it.
    mutating func idle(seconds: Double, emit: (Session) -> Void)
    /// Lines longer than this are cut (at least the input options' limit). A reader of documents that come
    /// as one long line (minified JSON) asks for more.
    static var maxLineBytes: Int { get }
}

extension LineReader {
    public mutating func deferBuilding() {}
    public mutating func idle(seconds: Double, emit: (Session) -> Void) {}
    public static var maxLineBytes: Int { 0 }
}
