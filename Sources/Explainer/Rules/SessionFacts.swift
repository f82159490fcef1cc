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
        guard ASCIIText.isASCII(name) else { return isNotFQDNUnicode(name) }
        // Same tests on bytes: ASCII lower-cases one byte to one byte.
        var u = Array(name.utf8)[...]
        let trim: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x5B || $0 == 0x5D || $0 == 0x3C || $0 == 0x3E }
        while let f = u.first, trim(f) { u = u.dropFirst() }
        while let l = u.last, trim(l) { u = u.dropLast() }
        let n = u.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
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
            ok = ok && ASCIIText.decimal(part, upTo: 255)
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
        let l = u.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
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

/// Byte-level versions of the rules' text tests. They hold for ASCII text only; callers check
/// `isASCII` first and keep the `String` version (Unicode case mapping, grapheme clusters) for the rest.
enum ASCIIText {
    static func isASCII(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { b in
            var i = 0
            let n = b.count
            // Eight bytes at a time: any high bit means non-ASCII.
            while i + 8 <= n {
                if UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
            while i < n { if b[i] >= 0x80 { return false }; i += 1 }
            return true
        }
    }

    /// What `Int(String(part)).map { (0...max).contains($0) } ?? false` says, without making the string.
    static func decimal(_ part: ArraySlice<UInt8>, upTo max: Int) -> Bool {
        var digits = part[...]
        var negative = false
        if let f = digits.first, f == 0x2B || f == 0x2D {
            negative = f == 0x2D
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return false }
        var v = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return false }
            v = v * 10 + Int(d - 0x30)
            if v > max { return false }   // digits only grow the value (and past Int.max `Int` says nil)
        }
        return !negative || v == 0
    }

    /// What `Int(String(part))` says, without making the string: an optional sign, then decimal digits,
    /// within `Int`'s range.
    static func int(_ part: ArraySlice<UInt8>) -> Int? {
        var digits = part[...]
        var negative = false
        if let f = digits.first, f == 0x2B || f == 0x2D {
            negative = f == 0x2D
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var m: UInt64 = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return nil }
            let (times10, o1) = m.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d - 0x30))
            guard !o1, !o2 else { return nil }
            m = sum
        }
        if negative { return m <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- m) : nil }
        return m <= UInt64(Int.max) ? Int(m) : nil
    }

    /// The first space-separated word (`split(separator: " ").first`).
    static func firstWord(_ s: String) -> Substring {
        guard isASCII(s) else { return s.split(separator: " ", maxSplits: 1).first ?? "" }
        let u = s.utf8
        guard let start = u.firstIndex(where: { $0 != 0x20 }) else { return "" }
        return s[start..<(u[start...].firstIndex(of: 0x20) ?? u.endIndex)]
    }

    /// Occurrences of one ASCII character.
    static func count(_ byte: UInt8, in s: String) -> Int {
        var n = 0
        for b in s.utf8 where b == byte { n += 1 }
        return n
    }

    /// `s.uppercased().hasPrefix(prefix)` for an upper-case ASCII `prefix`.
    static func hasPrefixIgnoringCase(_ s: String, _ prefix: String) -> Bool {
        guard isASCII(s) else { return s.uppercased().hasPrefix(prefix) }
        let p = prefix.utf8
        guard s.utf8.count >= p.count else { return false }
        return zip(s.utf8, p).allSatisfy { ($0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0) == $1 }
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
