/// The pieces every error-message reader shares: what a line's words mean (`ErrorMarker`), the faults they
/// name (`ClientProblem`), the step a quoted reply answered (`ErrorStep`), the family a reader reads
/// (`ErrorMessageKind`), and lower-casing that keeps byte offsets (`LowerLine`).

/// A fault the library reports that is not (only) a server reply. Raw values are the `client-problem`
/// session attribute.
public enum ClientProblem: String, Sendable, CaseIterable {
    /// The client and server disagree on implicit TLS (465) versus STARTTLS (587/25).
    case tlsModeMismatch = "tls-mode-mismatch"
    /// The client did not accept the server's certificate.
    case certificateRejected = "certificate-rejected"
    /// The TLS handshake failed for another reason (protocol versions, ciphers, alerts).
    case tlsHandshake = "tls-handshake"
    /// The client wanted STARTTLS; the server's EHLO reply did not offer it.
    case starttlsNotOffered = "starttls-not-offered"
    /// The client wanted to log in; the server's EHLO reply did not offer AUTH.
    case authNotOffered = "auth-not-offered"
    /// The client library itself refused to send the password over an unencrypted connection.
    case plaintextAuthRefused = "plaintext-auth-refused"
    /// The application has no user name or password configured.
    case credentialsMissing = "credentials-missing"
    /// Connected, but no 220 greeting arrived.
    case noGreeting = "no-greeting"
    /// The server closed the connection without a reply the library could show.
    case serverClosed = "server-closed"
    /// The library gave up waiting for a reply.
    case clientTimeout = "client-timeout"
    /// The library refused an address before anything was sent.
    case addressInvalid = "address-invalid"

    /// When several are named (an outer and a nested exception), the more specific one is kept.
    var rank: Int { Self.allCases.firstIndex(of: self)! }
}

/// The step a server reply answered, as far as the error message says.
enum ErrorStep: Sendable, Equatable {
    case greeting
    /// A command verb line (`AUTH`, `MAIL FROM`, `RCPT TO`, `DATA`, `.` for the end of the message).
    case command(String)
    case unknown
}

struct ErrorMarker: Sendable {
    enum Meaning: Sendable {
        /// A server reply follows the needle (code first, a Python tuple or dict, or text without a code).
        case reply(ErrorStep)
        /// The server reply is on the next lines (a bounce's "The response from the remote server was:").
        case replyFollows(ErrorStep)
        /// The library says the command failed but shows no reply.
        case failed(String, code: Int)
        case problem(ClientProblem)
        case connect(ConnectFailure)
        /// Names the command only: a stack frame or an error object's field.
        case command(String)
    }

    let needle: [UInt8]
    let meaning: Meaning
    /// The library or server that prints these words; nil for words many print. Only rows naming one make
    /// an input read as an error message (a telnet paste saying "Connection refused" is still a telnet paste).
    let library: String?

    /// The needle must open the line (after its indentation), not stand anywhere in it.
    let atStart: Bool
    /// Only a reply with a code counts after this needle (it is too short to say much on its own: `#`).
    let needsCode: Bool
    /// The reply announced by a `replyFollows` row may be text alone (its code is then assumed).
    let textReply: Bool
    /// What the line wraps the reply in and closes it with, removed from its end (Exchange's ` ##`).
    let trailer: String?

    init(_ needle: String, _ meaning: Meaning, _ library: String? = nil, atStart: Bool = false, needsCode: Bool = false,
         textReply: Bool = false, trailer: String? = nil) {
        self.needle = Array(needle.utf8)
        self.meaning = meaning
        self.library = library
        self.atStart = atStart
        self.needsCode = needsCode
        self.textReply = textReply
        self.trailer = trailer
    }

    /// Where the needle ends in the line, if the line has it (where the row wants it).
    func end(in lower: LowerLine) -> Int? {
        guard atStart else { return lower.end(of: needle) }
        let start = lower.bytes.firstIndex { !Bytes.isBlank($0) } ?? lower.bytes.endIndex
        return lower.bytes[start...].starts(with: needle) ? start + needle.count : nil
    }
}

/// One family of error messages: its format id and its marker tables. `ErrorMessageCore` reads any of them.
protocol ErrorMessageKind {
    static var formatID: String { get }
    static var summary: String { get }
    /// Rows whose needle is followed by the server's reply (or that say a command failed).
    static var replies: [ErrorMarker] { get }
    /// Rows naming a fault without a reply.
    static var problems: [ErrorMarker] { get }
    /// Rows naming the command a reply answered, or only who printed the message.
    static var commands: [ErrorMarker] { get }
    /// What the input is called in notes ("error message", "bounce").
    static var noun: String { get }
    /// The rows that name a library or server, indexed for detection (which scores every input).
    static var identifying: NeedleIndex { get }
    /// Status phrases printed instead of a reply code, and the code each stands for.
    static var statusPhrases: [(phrase: String, code: Int)] { get }
    /// A long reply goes on in the indented lines after it (bounces wrap their text).
    static var wrapsReplies: Bool { get }
    /// An input of nothing but a refusal (`550 5.1.1 <bob@example.org>: ... User unknown`, or Gmail's
    /// `5.7.8 Username and Password not accepted`), pasted from wherever it was shown, is read as this kind.
    static var readsBareReplies: Bool { get }
}

extension ErrorMessageKind {
    /// The text of the replies the message implies but does not show (the 250 to MAIL before a refused RCPT).
    static var notShown: String { " (not shown in the \(noun))" }
    static var statusPhrases: [(phrase: String, code: Int)] { [] }
    static var wrapsReplies: Bool { false }
    static var readsBareReplies: Bool { false }

    static func first(_ table: [ErrorMarker], in lower: LowerLine) -> (ErrorMarker, Int)? {
        for m in table {
            if let end = m.end(in: lower) { return (m, end) }
        }
        return nil
    }

    /// A row that names a library or server: the input is one of these messages.
    static func identifies(_ lower: LowerLine) -> Bool { identifying.matches(lower) }
}

/// A line lower-cased byte for byte (ASCII only), so offsets found in it are offsets in the line itself.
struct LowerLine {
    let raw: ArraySlice<UInt8>
    let bytes: [UInt8]

    init(_ raw: ArraySlice<UInt8>) {
        self.raw = raw
        self.bytes = Bytes.asciiLowercased(raw)
    }

    /// The offset just past the first occurrence of `needle`.
    func end(of needle: [UInt8]) -> Int? {
        LogBytes.find(bytes[...], bytes: needle).map { $0 + needle.count }
    }

    func end(of needle: String) -> Int? { end(of: Array(needle.utf8)) }
    func contains(_ needle: String) -> Bool { end(of: needle) != nil }
    func hasPrefix(_ p: String) -> Bool { bytes.starts(with: p.utf8) }

    /// The line's own text from a byte offset on.
    func original(from offset: Int) -> Substring {
        Substring(Bytes.string(raw.dropFirst(offset)))
    }
}

/// Needles grouped by their first byte, so that detection scans a line once for all of a family's rows.
struct NeedleIndex: Sendable {
    private var buckets: [[(needle: [UInt8], atStart: Bool)]] = Array(repeating: [], count: 256)

    init(_ markers: [ErrorMarker]) {
        for m in markers where !m.needle.isEmpty { buckets[Int(m.needle[0])].append((m.needle, m.atStart)) }
    }

    func matches(_ lower: LowerLine) -> Bool {
        let start = lower.bytes.firstIndex { !Bytes.isBlank($0) } ?? lower.bytes.endIndex
        return lower.bytes.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                for (n, atStart) in buckets[Int(p[i])] where (!atStart || i == start) && i + n.count <= p.count {
                    var k = 1
                    while k < n.count, p[i + k] == n[k] { k += 1 }
                    if k == n.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}
