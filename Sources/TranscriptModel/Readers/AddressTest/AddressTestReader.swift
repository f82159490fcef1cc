import Foundation

/// Reads an MTA's own routing test of an address, pasted as admins run it before any mail is sent:
/// Exim's `exim -bt ADDRESS` (and `-bv`, with or without `-v`) and Sendmail's `sendmail -bv ADDRESS`. Each
/// tested address is a session without SMTP: where the MTA would send it (router, transport, hosts), or why
/// it would not (`is undeliverable: Unrouteable address`), as `address-test-*` attributes for the address
/// test rules.
public struct AddressTestReader: LineReader {
    public static let formatID = "address-test"
    public static let summary = "Address routing tests: exim -bt / -bv, sendmail -bv"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        for line in prefix where line.count < 2_048 {
            let s = Bytes.string(Bytes.trimmed(line))
            // Only words the test alone prints: an address on a line of its own is in many inputs.
            if command(s) != nil || (s.hasPrefix("router = ") && s.contains(", transport = "))
                || [" is undeliverable: ", " cannot be resolved at this time: ", " failed to verify: ", "... deliverable: mailer "]
                    .contains(where: { s.contains($0) }) && Self.result(s) != nil {
                return 0.93
            }
        }
        return 0
    }

    /// One tested address and what the MTA said about it.
    struct Result {
        enum Kind: String { case routed, undeliverable, deferred }
        var address: String
        var kind: Kind
        var reason: String?
        var router: String?
        var transport: String?
        var hosts: [String] = []
        var parents: [String] = []
        var target: String?
        /// The lines about this address (number, text): its result and the indented details.
        var lines: [(Int, String)] = []
    }

    private let input: String
    private var tool = "exim"
    private var commandLine: (Int, String)?
    private var current: Result?
    /// Lines before the first result line (`R: dnslookup for ...` under `-v`): they belong to it.
    private var preamble: [(Int, String)] = []

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let raw = Bytes.string(line.prefix(2_048))
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return }
        if let t = Self.command(s) {
            close(emit)
            tool = t
            commandLine = (number, s)
            preamble = []
            return
        }
        if var r = Self.result(s) {
            close(emit)
            r.lines = preamble + [(number, s)]
            preamble = []
            current = r
            return
        }
        let indented = raw.first == " " || raw.first == "\t"
        if indented, current != nil {
            current!.lines.append((number, s))
            if s.hasPrefix("<-- ") {
                current!.parents.append(String(s.dropFirst(4)))
            } else if s.hasPrefix("router = ") {
                for part in s.components(separatedBy: ", ") {
                    if part.hasPrefix("router = ") { current!.router = String(part.dropFirst(9)) }
                    if part.hasPrefix("transport = ") { current!.transport = String(part.dropFirst(12)) }
                }
            } else if s.hasPrefix("host "), current!.hosts.count < 32 {
                current!.hosts.append(String(s.dropFirst(5)))
            }
            return
        }
        // `R: dnslookup for alice@example.com` (-v) and anything else: kept with the address it is about.
        if current != nil {
            if current!.lines.count < 200 { current!.lines.append((number, s)) }
        } else if commandLine != nil, preamble.count < 200 {
            preamble.append((number, s))
        }
    }

    public mutating func finish(emit: (Session) -> Void) {
        close(emit)
    }

    private mutating func close(_ emit: (Session) -> Void) {
        guard let r = current else { return }
        current = nil
        var b = SessionBuilder(input: input, format: Self.formatID)
        // The command goes with the first address it tested (one command may test several).
        if let (n, c) = commandLine { b.note(c, kind: .tool, at: SourcePosition(input: input, line: n)) }
        commandLine = nil
        for (n, text) in r.lines { b.note(text, kind: .log, at: SourcePosition(input: input, line: n)) }
        var a: [String: String] = ["address-test-tool": tool, "address-test-address": r.address,
                                   "address-test-result": r.kind.rawValue]
        a["address-test-reason"] = r.reason
        a["address-test-router"] = r.router
        a["address-test-transport"] = r.transport
        a["address-test-target"] = r.target
        if !r.hosts.isEmpty { a["address-test-hosts"] = r.hosts.joined(separator: "; ") }
        if !r.parents.isEmpty { a["address-test-parents"] = r.parents.joined(separator: " ") }
        b.attributes = a
        var s = b.finish()
        s.direction = .outbound
        emit(s)
    }

    /// `exim -bt a@b`, `exim4 -v -bt a@b`, `sendmail -bv a@b` (after a shell prompt or not): the tool.
    static func command(_ s: String) -> String? {
        let words = ShellPrompt.command(in: s).split(separator: " ")
        guard let first = words.first?.split(separator: "/").last.map(String.init) else { return nil }
        let tool = first == "sudo" && words.count > 1 ? String(words[1].split(separator: "/").last ?? "") : first
        let flags = words.dropFirst().filter { $0.hasPrefix("-") }
        switch tool {
        case "exim", "exim4": return flags.contains { $0 == "-bt" || $0 == "-bv" } ? "exim" : nil
        case "sendmail": return flags.contains("-bv") ? "sendmail" : nil
        default: return nil
        }
    }

    /// A result line: Exim's `ADDR is undeliverable: WHY`, `ADDR cannot be resolved at this time: WHY`,
    /// `ADDR verified`, `ADDR failed to verify: WHY`, `ADDR -> /var/mail/x`, an address alone (routing details
    /// follow, indented); Sendmail's `ADDR... deliverable: mailer esmtp, host H, user U` and `ADDR... WHY`.
    static func result(_ s: String) -> Result? {
        for (marker, kind) in [(" is undeliverable: ", Result.Kind.undeliverable), (" failed to verify: ", .undeliverable),
                               (" cannot be resolved at this time: ", .deferred), (" cannot be verified: ", .deferred)] {
            if let r = s.range(of: marker), isAddress(s[..<r.lowerBound]) {
                return Result(address: String(s[..<r.lowerBound]), kind: kind, reason: String(s[r.upperBound...]))
            }
        }
        if s.hasSuffix(" verified"), isAddress(s.dropLast(9)) {
            return Result(address: String(s.dropLast(9)), kind: .routed)
        }
        if let r = s.range(of: " -> "), isAddress(s[..<r.lowerBound]) {
            var x = Result(address: String(s[..<r.lowerBound]), kind: .routed)
            x.target = String(s[r.upperBound...])
            return x
        }
        if let r = s.range(of: "... "), isAddress(s[..<r.lowerBound]) {
            let rest = s[r.upperBound...]
            let address = String(s[..<r.lowerBound])
            if rest.hasPrefix("deliverable: ") {
                var x = Result(address: address, kind: .routed)
                for part in rest.dropFirst(13).components(separatedBy: ", ") {
                    if part.hasPrefix("mailer ") { x.transport = String(part.dropFirst(7)) }
                    if part.hasPrefix("host ") {
                        let h = part.dropFirst(5)
                        x.hosts.append(String(h.hasSuffix(".") ? h.dropLast() : h))
                    }
                }
                return x
            }
            let deferred = rest.hasPrefix("deferred")
            return Result(address: address, kind: deferred ? .deferred : .undeliverable, reason: String(rest))
        }
        if s.contains("@"), isAddress(s[...]), !s.contains(" ") { return Result(address: s, kind: .routed) }
        return nil
    }

    /// `alice@example.com`, `<alice@example.com>`, a bare local part: no blanks, printable.
    static func isAddress(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 320, s.first != "-", s.first != "#", s.first != "$" else { return false }
        return s.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != "|" && $0 != "(" && $0 != ")" && $0 != "=" }
    }
}
