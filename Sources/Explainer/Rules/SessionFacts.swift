import TranscriptModel

/// Derived facts about a session that several rules ask for, computed once.
public struct SessionFacts: Sendable {
    public let session: Session

    /// Index of the last exchange that has a command (not counting inferred `.`), if any.
    public let lastCommandIndex: Int?
    /// The server (or the network) ended the connection without the client having sent QUIT.
    public let serverDropped: Bool
    /// DNS facts and notes (from a dig/nslookup paste), read once for all the DNS rules.
    let dns: DNSView

    init(_ session: Session) {
        self.session = session
        self.dns = DNSView(session)
        self.lastCommandIndex = session.exchanges.lastIndex { $0.command != nil }
        self.serverDropped = session.closedBy != nil && session.closedBy != .client && !session.quitSent
    }

    public var exchanges: [Exchange] { session.exchanges }

    public func evidence(_ i: Int) -> [Evidence] {
        let ex = session.exchanges[i]
        var out: [Evidence] = []
        if let c = ex.command { out.append(Evidence(position: c.position, text: c.raw)) }
        if let r = ex.reply {
            out.append(Evidence(position: r.position, text: "\(r.code) \(r.enhanced.map { $0 + " " } ?? "")\(r.lines.first ?? "")"))
        }
        return out
    }

    public var closeEvidence: [Evidence] {
        if let p = session.closePosition {
            let text = session.notes.last { $0.position == p }?.text ?? "connection closed"
            return [Evidence(position: p, text: text)]
        }
        return []
    }

    /// The connection was dropped right after `verbs` was sent (unanswered or answered positively)
    /// with no other command after it.
    public func droppedRightAfter(_ verbs: Set<String>) -> Int? {
        guard serverDropped, let i = lastCommandIndex, let c = session.exchanges[i].command,
              verbs.contains(c.verb) else { return nil }
        if let r = session.exchanges[i].reply, r.isFailure { return nil }
        return i
    }

    /// A name that is not a public fully qualified host name.
    public static func isNotFQDN(_ name: String) -> String? {
        let n = name.trimmingCharacters(in: [" ", "[", "]", "<", ">"]).lowercased()
        if n.isEmpty { return "empty" }
        if n.allSatisfy({ $0 == "*" }) { return "masked" }
        if n == "localhost" || n.hasPrefix("localhost.") { return "localhost" }
        if n.hasSuffix(".local") || n.hasSuffix(".localdomain") || n.hasSuffix(".lan") || n.hasSuffix(".internal")
            || n.hasSuffix(".corp") || n.hasSuffix(".home") {
            return "internal"
        }
        if isIPLiteral(n) { return "address" }
        if !n.contains(".") { return "bare" }
        return nil
    }

    public static func isIPLiteral(_ n: String) -> Bool {
        let parts = n.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) { return true }
        return n.contains(":") && n.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
            || n.hasPrefix("ipv6:")
    }

    /// RFC 1918, loopback, link-local, CGNAT and IPv6 local ranges.
    public static func isPrivateAddress(_ a: String) -> Bool {
        let p = a.split(separator: ".").compactMap { Int($0) }
        if p.count == 4 {
            switch (p[0], p[1]) {
            case (10, _), (127, _), (192, 168), (169, 254): return true
            case (172, 16...31), (100, 64...127): return true
            default: return false
            }
        }
        let l = a.lowercased()
        return l == "::1" || l.hasPrefix("fe80:") || l.hasPrefix("fc") || l.hasPrefix("fd")
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
