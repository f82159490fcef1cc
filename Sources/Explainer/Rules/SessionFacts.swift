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
    /// A capture holding one direction only ("client only", "server only"): the other side's silence proves nothing.
    public let capturedOneSide: String?
    /// Rebuilt from message headers, a DMARC report or an ARF feedback report: the only sessions the header
    /// rules read (a cheap gate for the millions of log sessions).
    public let fromHeaders: Bool
    /// Rebuilt from an SMTP TLS report: the only sessions the TLS-report rules read.
    public let fromTLSReport: Bool
    /// Rebuilt from an ARF feedback report (a complaint, a DMARC failure report).
    public let fromFeedback: Bool
    /// The reader named a fault itself (looked up once for the rule tables that need one).
    let hasClientProblem: Bool
    let hasESPProblem: Bool

    init(_ session: Session) {
        self.session = session
        self.dns = DNSView(session)
        self.capturedOneSide = session.attributes["capture-sides"]
        self.fromHeaders = session.format == MessageHeaderReader.formatID || session.format == DMARCReportReader.formatID
            || session.format == FeedbackReportReader.formatID
        self.fromTLSReport = session.format == TLSReportReader.formatID
        self.fromFeedback = session.format == FeedbackReportReader.formatID
        self.hasClientProblem = session.attributes["client-problem"] != nil
        self.hasESPProblem = session.attributes["esp-problem"] != nil
        self.lastCommandIndex = session.exchanges.lastIndex { $0.command != nil }
        self.serverDropped = session.closedBy != nil && session.closedBy != .client && !session.quitSent
    }

    public var exchanges: [Exchange] { session.exchanges }

    /// The session can trigger rules of this scope.
    func inScope(_ scope: SessionRule.Scope) -> Bool {
        switch scope {
        case .any: return true
        case .headers: return fromHeaders
        case .tlsReport: return fromTLSReport
        case .feedback: return fromFeedback
        case .clientProblem: return hasClientProblem
        case .espProblem: return hasESPProblem
        case .dnsFacts: return !dns.facts.isEmpty
        case .dnsRecords: return dns.records != nil
        case .addressTest: return session.format == AddressTestReader.formatID
        case .mtaConfig: return session.format == MTAConfigReader.formatID
        }
    }

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
        // After a failed TLS handshake the server hung up on bytes it could not read, not on the command.
        if let k = session.tlsFailedExchange, k < i { return nil }
        if let r = session.exchanges[i].reply, r.isFailure { return nil }
        // A closing reply of its own (421 on an idle timeout or shutdown) explains the hang-up.
        if session.exchanges[(i + 1)...].contains(where: { $0.reply?.isFailure == true }) { return nil }
        return i
    }

    /// A name that is not a public fully qualified host name.
    public static func isNotFQDN(_ name: String) -> String? {
        guard ASCIIText.isASCII(name) else { return isNotFQDNUnicode(name) }
        // Same tests on bytes: ASCII lower-cases one byte to one byte.
        var u = Array(name.utf8)[...]
        let trim: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x5B || $0 == 0x5D || $0 == 0x3C || $0 == 0x3E }
        while let f = u.first, trim(f) { u = u.dropFirst() }
        while let l = u.last, trim(l) { u = u.dropLast() }
        let n = Bytes.asciiLowercased(u)
        if n.isEmpty { return "empty" }
        if n.allSatisfy({ $0 == 0x2A }) { return "masked" }
        func has(suffix: String) -> Bool { n.count >= suffix.utf8.count && n.suffix(suffix.utf8.count).elementsEqual(suffix.utf8) }
        if n.elementsEqual("localhost".utf8) || n.starts(with: "localhost.".utf8) { return "localhost" }
        if has(suffix: ".local") || has(suffix: ".localdomain") || has(suffix: ".lan") || has(suffix: ".internal")
            || has(suffix: ".corp") || has(suffix: ".home") {
            return "internal"
        }
        if isIPLiteral(bytes: n[...]) { return "address" }
        if !n.contains(0x2E) { return "bare" }
        return nil
    }

    /// `isNotFQDN` for text beyond ASCII, where case mapping and characters need the `String` rules.
    static func isNotFQDNUnicode(_ name: String) -> String? {
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
        if ASCIIText.isASCII(n) { return isIPLiteral(bytes: Array(n.utf8)[...]) }
        let parts = n.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) { return true }
        return n.contains(":") && n.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
            || n.hasPrefix("ipv6:")
    }

    /// `isIPLiteral` on ASCII bytes: four dot-separated numbers 0-255 (empty parts skipped, a sign allowed,
    /// as `Int(_:)` reads them), or hex digits, colons and dots with a colon, or an `ipv6:` literal.
    static func isIPLiteral(bytes n: ArraySlice<UInt8>) -> Bool {
        var parts = 0, ok = true
        for part in n.split(separator: 0x2E) {
            parts += 1
            if parts > 4 { break }
            ok = ok && ASCIIText.int(part).map { (0...255).contains($0) } ?? false
        }
        if parts == 4, ok { return true }
        let isHex: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
        return n.contains(0x3A) && n.allSatisfy { isHex($0) || $0 == 0x3A || $0 == 0x2E }
            || n.starts(with: "ipv6:".utf8)
    }

    /// RFC 1918, loopback, link-local, CGNAT and IPv6 local ranges.
    public static func isPrivateAddress(_ a: String) -> Bool {
        guard ASCIIText.isASCII(a) else { return isPrivateAddressUnicode(a) }
        let u = Array(a.utf8)
        let p = u.split(separator: 0x2E).compactMap(ASCIIText.int)
        if p.count == 4 {
            switch (p[0], p[1]) {
            case (10, _), (127, _), (192, 168), (169, 254): return true
            case (172, 16...31), (100, 64...127): return true
            default: return false
            }
        }
        let l = Bytes.asciiLowercased(u)
        return l.elementsEqual("::1".utf8) || l.starts(with: "fe80:".utf8) || l.starts(with: "fc".utf8)
            || l.starts(with: "fd".utf8)
    }

    /// `isPrivateAddress` for text beyond ASCII.
    static func isPrivateAddressUnicode(_ a: String) -> Bool {
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
