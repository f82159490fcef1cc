/// Which sessions a support agent asked about: `--since/--until`, `--client`, `--sender`, `--recipient`,
/// `--queue-id`, `--only-failures`. All given criteria must hold. Address matching is case-insensitive;
/// a value starting with `@` matches the domain (`@example.com`), a client value ending in `.` or `:`
/// matches a prefix (`192.0.2.`), and a client value may also be a host name.
public struct SessionFilter: Sendable, Hashable {
    /// Unix time; a session matches when it overlaps [since, until]. Sessions without time always match.
    public var since: Double?
    public var until: Double?
    public var client: String?
    public var sender: String?
    public var recipient: String?
    public var queueID: String?
    /// Only sessions whose outcome is not `delivered`.
    public var onlyFailures: Bool

    public init(since: Double? = nil, until: Double? = nil, client: String? = nil, sender: String? = nil,
                recipient: String? = nil, queueID: String? = nil, onlyFailures: Bool = false) {
        self.since = since
        self.until = until
        self.client = client
        self.sender = sender
        self.recipient = recipient
        self.queueID = queueID
        self.onlyFailures = onlyFailures
    }

    public var isEmpty: Bool {
        since == nil && until == nil && client == nil && sender == nil && recipient == nil && queueID == nil && !onlyFailures
    }

    public func matches(_ s: Session) -> Bool {
        if onlyFailures && s.outcome == .delivered { return false }
        if since != nil || until != nil {
            let start = s.start?.time ?? s.end?.time
            let end = s.end?.time ?? start
            if let since, let end, end < since { return false }
            if let until, let start, start > until { return false }
        }
        if let c = client?.lowercased(), !c.isEmpty {
            let candidates = [s.client.address, s.client.host, s.client.heloName].compactMap { $0?.lowercased() }
            let prefix = c.hasSuffix(".") || c.hasSuffix(":")
            guard candidates.contains(where: { prefix ? $0.hasPrefix(c) : $0 == c }) else { return false }
        }
        if let want = sender?.lowercased() {
            let senders = s.transactions.compactMap { $0.sender?.lowercased() }
            let w = want == "<>" ? "" : want
            guard senders.contains(where: { Self.address($0, matches: w) }) else { return false }
        }
        if let want = recipient?.lowercased() {
            let rcpts = s.transactions.flatMap { $0.recipients.map { $0.address.lowercased() } }
            guard rcpts.contains(where: { Self.address($0, matches: want) }) else { return false }
        }
        if let q = queueID, !q.isEmpty {
            let ids = (s.attributes["queue-id"] ?? "").split(separator: " ").map(String.init)
                + s.transactions.compactMap(\.queueID)
            guard ids.contains(where: { $0.caseInsensitiveEquals(q) }) else { return false }
        }
        return true
    }

    static func address(_ a: String, matches want: String) -> Bool {
        if want.hasPrefix("@") { return a.hasSuffix(want) }
        if want.isEmpty { return a.isEmpty }
        return a == want || (!want.contains("@") && a.hasSuffix("@" + want))
    }
}
