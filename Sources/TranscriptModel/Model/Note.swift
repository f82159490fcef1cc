/// A line that is not SMTP dialogue but tells us something: a tool's own message (`Trying ...`,
/// `Connection closed by foreign host.`), a log line the session was built from, a TCP event.
public struct Note: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// The client tool's own informational line.
        case tool
        /// An error the client tool printed (swaks `***`, curl `curl: (55)`, exceptions).
        case error
        /// A log line this session was rebuilt from.
        case log
        /// A TCP-level event seen in a capture.
        case tcp
        /// TLS handshake facts.
        case tls
        /// DNS lookup output.
        case dns
        /// A shell prompt or command line.
        case shell
        /// Text we could not place (kept, never dropped silently).
        case unparsed
    }
    public var kind: Kind
    public var text: String
    public var position: SourcePosition

    public init(kind: Kind, text: String, position: SourcePosition) {
        self.kind = kind
        self.text = text
        self.position = position
    }
}

/// Why no connection was made.
public enum ConnectFailure: String, Sendable, Codable {
    case refused
    case timedOut = "timed-out"
    case noRoute = "no-route"
    case networkUnreachable = "network-unreachable"
    case nameNotResolved = "name-not-resolved"
    case other
}

/// Who closed the connection.
public enum Closer: String, Sendable, Codable {
    case server, client, unknown
}
