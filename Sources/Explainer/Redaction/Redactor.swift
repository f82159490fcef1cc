import Foundation
import TranscriptModel

/// `--redact none|credentials|personal`.
public enum RedactionMode: String, Sendable, CaseIterable, Comparable {
    /// Nothing is removed (the user asked to see everything, e.g. to debug their own login).
    case none
    /// Default: AUTH payloads, decoded user names and passwords, and password-looking arguments.
    case credentials
    /// Also address local parts, client IP addresses and host names, message subjects, names and bodies,
    /// with stable placeholders, so a report can go to a third party.
    case personal

    private var rank: Int { self == .none ? 0 : self == .credentials ? 1 : 2 }
    public static func < (a: RedactionMode, b: RedactionMode) -> Bool { a.rank < b.rank }
}

/// Removes secrets (and, in `personal` mode, personal data) from an explained session before any renderer
/// sees it, so every format is covered at once. One `Redactor` is one report: the same address, IP or
/// subject always gets the same placeholder across all the sessions it is applied to.
public struct Redactor: Sendable {
    public let mode: RedactionMode
    private let table = PlaceholderTable()

    public init(mode: RedactionMode) { self.mode = mode }

    public func apply(_ x: ExplainedSession) -> ExplainedSession {
        guard mode != .none else { return x }
        // Most sessions hold no secret: one read-only look at every printed string spares rebuilding them all.
        if mode == .credentials, !Self.mayHoldCredentials(x) { return x }
        var x = x
        var s = x.session
        // Credentials the parser kept (`--redact none` at parse time, or a reader that did not redact);
        // what they were is remembered so evidence and notes quoting them are cleaned too.
        var secrets: [String] = []
        for i in s.exchanges.indices {
            guard var c = s.exchanges[i].command, Self.holdsAuthPayload(c) else { continue }
            if c.verb == "AUTH-RESPONSE" {
                secrets.append(c.raw)
                secrets.append(c.argument)
                c.argument = Redaction.placeholder
                c.raw = Redaction.placeholder
                c.redacted = true
            } else if let mech = c.authMechanism {
                secrets.append(contentsOf: c.argument.split(separator: " ").dropFirst().map(String.init))
                c.argument = "\(mech) \(Redaction.placeholder)"
                c.raw = "AUTH \(mech) \(Redaction.placeholder)"
                c.redacted = true
            }
            s.exchanges[i].command = c
        }
        let scrub = Scrubber(mode: mode, table: table, session: s,
                             secrets: secrets.filter { $0.count >= 3 && $0 != Redaction.placeholder })
        for i in s.lines.indices {
            if s.lines[i].role == .client, let e = s.lines[i].exchange, e >= 0, e < s.exchanges.count,
               let c = s.exchanges[e].command, c.verb == "AUTH-RESPONSE" || c.verb == "AUTH", c.redacted {
                s.lines[i].text = c.raw
            }
        }

        // Every string the renderers print.
        s.client.host = s.client.host.map { scrub.host($0) }
        s.client.address = s.client.address.map(scrub.text)
        s.client.heloName = s.client.heloName.map(scrub.text)
        s.server.host = s.server.host.map(scrub.text)
        s.server.heloName = s.server.heloName.map(scrub.text)
        for i in s.exchanges.indices {
            if var c = s.exchanges[i].command {
                c.raw = scrub.text(c.raw)
                c.argument = scrub.text(c.argument)
                c.address = c.address.map(scrub.text)
                c.parameters = c.parameters.map { .init(key: $0.key, value: $0.value.map(scrub.text)) }
                s.exchanges[i].command = c
            }
            s.exchanges[i].reply = s.exchanges[i].reply.map(scrub.reply)
        }
        for i in s.transactions.indices {
            var t = s.transactions[i]
            t.sender = t.sender.map(scrub.text)
            t.senderReply = t.senderReply.map(scrub.reply)
            t.finalReply = t.finalReply.map(scrub.reply)
            t.recipients = t.recipients.map { .init(address: scrub.text($0.address), accepted: $0.accepted, reply: $0.reply.map(scrub.reply)) }
            if var m = t.message {
                m.headers = m.headers.map { .init(name: $0.name, value: scrub.header($0.name, $0.value)) }
                t.message = m
            }
            s.transactions[i] = t
        }
        for i in s.notes.indices { s.notes[i].text = scrub.text(s.notes[i].text) }
        var inBody = false
        for i in s.lines.indices {
            let l = s.lines[i]
            if l.role == .content {
                if l.text.isEmpty { inBody = true; continue }
                s.lines[i].text = scrub.contentLine(l.text, inBody: inBody)
            } else {
                if l.role == .client || l.role == .server { inBody = false }
                s.lines[i].text = scrub.text(l.text)
            }
        }
        for k in Array(s.attributes.keys) where k != HTMLInput.addressesHiddenAttribute {
            s.attributes[k] = s.attributes[k].map(scrub.text)
        }
        if var tls = s.tls {
            tls.subject = tls.subject.map(scrub.text)
            s.tls = tls
        }
        s.history?.mapText(scrub.text)
        x.session = s

        x.summary = scrub.text(x.summary)
        for i in x.findings.indices {
            var f = x.findings[i]
            f.title = scrub.text(f.title)
            f.explanation = scrub.text(f.explanation)
            f.actions = f.actions.map(scrub.text)
            f.evidence = f.evidence.map { Evidence(position: $0.position, text: scrub.text($0.text)) }
            f.blocklist = f.blocklist.map(scrub.blocklist)
            f.reference = f.reference.map(scrub.text)
            x.findings[i] = f
        }
        for k in Array(x.replies.keys) {
            guard var e = x.replies[k] else { continue }
            e.codeMeaning = scrub.text(e.codeMeaning)
            if var c = e.classification {
                c.title = scrub.text(c.title)
                c.explanation = scrub.text(c.explanation)
                c.actions = c.actions.map(scrub.text)
                c.blocklist = c.blocklist.map(scrub.blocklist)
                c.reference = c.reference.map(scrub.text)
                e.classification = c
            }
            x.replies[k] = e
        }
        return x
    }

    /// An AUTH response, or an `AUTH <mechanism> <initial response>`, whose payload is still in clear.
    static func holdsAuthPayload(_ c: Command) -> Bool {
        switch c.verb {
        case "AUTH-RESPONSE":
            return c.argument != "*" && !c.argument.isEmpty && c.argument != Redaction.placeholder
        case "AUTH":
            return c.authMechanism != nil && c.argument.split(separator: " ").count > 1
                && !c.argument.hasSuffix(Redaction.placeholder)
        default:
            return false
        }
    }

    /// Whether `apply` in `credentials` mode could change anything: an AUTH command, or any string it rewrites
    /// that names auth/pass/secret/token (`Scrubber.mayHoldSecret`). Covers the same strings as `apply`.
    static func mayHoldCredentials(_ x: ExplainedSession) -> Bool {
        let s = x.session
        let hit = Scrubber.mayHoldSecret
        func any(_ t: String?) -> Bool { t.map(hit) ?? false }
        func any(_ r: Reply?) -> Bool { r?.lines.contains(where: hit) ?? false }
        func any(_ b: Blocklist?) -> Bool { b.map { any($0.listedAddress) || hit($0.lookupURL) } ?? false }
        if any(s.client.host) || any(s.client.address) || any(s.client.heloName) || any(s.server.host)
            || any(s.server.heloName) || any(s.tls?.subject) || hit(x.summary) { return true }
        // Index loops read elements in place; `for e in array` copies each one.
        for i in s.exchanges.indices {
            if let c = s.exchanges[i].command {
                // A bare `AUTH LOGIN` (all a log shows) holds nothing.
                if Self.holdsAuthPayload(c) { return true }
                if hit(c.raw) || hit(c.argument) || any(c.address) || c.parameters.contains(where: { any($0.value) }) { return true }
            }
            if any(s.exchanges[i].reply) { return true }
        }
        for i in s.transactions.indices {
            if any(s.transactions[i].sender) || any(s.transactions[i].senderReply) || any(s.transactions[i].finalReply) { return true }
            if s.transactions[i].recipients.contains(where: { hit($0.address) || any($0.reply) }) { return true }
            if s.transactions[i].message?.headers.contains(where: { hit($0.value) }) ?? false { return true }
        }
        if s.notes.contains(where: { hit($0.text) }) || s.lines.contains(where: { hit($0.text) }) { return true }
        if s.attributes.contains(where: { $0.key != HTMLInput.addressesHiddenAttribute && hit($0.value) }) { return true }
        if var h = s.history {
            var found = false
            h.mapText { found = found || hit($0); return $0 }
            if found { return true }
        }
        for f in x.findings {
            if hit(f.title) || hit(f.explanation) || f.actions.contains(where: hit) || any(f.blocklist) || any(f.reference)
                || f.evidence.contains(where: { hit($0.text) }) { return true }
        }
        for e in x.replies.values {
            if hit(e.codeMeaning) { return true }
            if let c = e.classification, hit(c.title) || hit(c.explanation) || c.actions.contains(where: hit)
                || any(c.blocklist) || any(c.reference) { return true }
        }
        return false
    }

    /// Every session of one report, with placeholders shared across them.
    public func apply(_ xs: [ExplainedSession]) -> [ExplainedSession] { xs.map { apply($0) } }

    /// Placeholder for one value (tests, other renderers): `kind` is `user`, `ip`, `host` or `subject`.
    public func placeholder(_ kind: String, for value: String) -> String { table.placeholder(kind, value) }
}

/// Value -> placeholder, numbered per kind in order of first appearance. Shared by copies of one Redactor.
final class PlaceholderTable: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: String] = [:]
    private var counts: [String: Int] = [:]

    func placeholder(_ kind: String, _ value: String) -> String {
        let key = kind + "\u{0}" + value.lowercased()
        lock.lock()
        defer { lock.unlock() }
        if let p = map[key] { return p }
        let n = (counts[kind] ?? 0) + 1
        counts[kind] = n
        let p = kind == "ip" ? "ip\(n)" : kind == "subject" ? "[subject \(n)]" : kind == "host" ? "host\(n).invalid"
            : kind == "name" ? "[name \(n)]" : "\(kind)\(n)"
        map[key] = p
        return p
    }
}

/// The string rewrites for one session.
struct Scrubber {
    let mode: RedactionMode
    let table: PlaceholderTable
    /// Exact strings replaced everywhere (subjects, the client's host name), longest first.
    let exact: [(String, String)]
    /// Addresses never masked: the server's own.
    let keepIPs: Set<String>

    init(mode: RedactionMode, table: PlaceholderTable, session s: Session, secrets: [String] = []) {
        self.mode = mode
        self.table = table
        var exact: [(String, String)] = secrets.map { ($0, Redaction.placeholder) }
        var keep: Set<String> = []
        if mode == .personal {
            for t in s.transactions {
                if let subj = t.message?.header("Subject")?.trimmingCharacters(in: .whitespaces), subj.count >= 3 {
                    exact.append((subj, table.placeholder("subject", subj)))
                }
            }
            // Only a real name is replaced everywhere: `unknown` or `localhost` would hit ordinary words.
            if let h = s.client.host, h.contains("."), h.count >= 4, h != s.client.heloName, Self.ipv4(in: h).isEmpty,
               !["localhost", "localhost.localdomain"].contains(h.lowercased()) {
                exact.append((h, table.placeholder("host", h)))
            }
            if let a = s.server.address { keep.insert(a.lowercased()) }
        }
        self.exact = exact.sorted { $0.0.count > $1.0.count }
        self.keepIPs = keep
    }

    func text(_ s: String) -> String {
        var s = s
        for (v, p) in exact where s.contains(v) { s = s.replacingOccurrences(of: v, with: p) }
        s = credentials(s)
        guard mode == .personal, !s.isEmpty else { return s }
        s = ips(s)
        s = emails(s)
        return s
    }

    func host(_ s: String) -> String {
        guard mode == .personal, s.contains("."), s.lowercased() != "localhost.localdomain" else { return text(s) }
        return table.placeholder("host", s)
    }

    func reply(_ r: Reply) -> Reply {
        var r = r
        r.lines = r.lines.map(text)
        return r
    }

    func blocklist(_ b: Blocklist) -> Blocklist {
        var b = b
        b.listedAddress = b.listedAddress.map(text)
        b.lookupURL = text(b.lookupURL)
        return b
    }

    static let nameHeaders: Set<String> = ["from", "to", "cc", "bcc", "reply-to", "sender", "return-path",
                                           "delivered-to", "resent-from", "resent-to"]

    func header(_ name: String, _ value: String) -> String {
        guard mode == .personal else { return text(value) }
        let n = name.lowercased()
        if n == "subject" { return table.placeholder("subject", value.trimmingCharacters(in: .whitespaces)) }
        if Self.nameHeaders.contains(n) {
            // Display names go; the (masked) addresses stay.
            let found = Self.addresses(in: value)
            return found.isEmpty ? table.placeholder("name", value) : found.map { "<\(text($0))>" }.joined(separator: ", ")
        }
        return text(value)
    }

    /// A line of message content: headers are masked like `header`, the body is hidden in `personal` mode.
    func contentLine(_ line: String, inBody: Bool) -> String {
        guard mode == .personal else { return text(line) }
        if line == "." { return line }
        if inBody { return "[message body hidden]" }
        if let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("\t") {
            let name = String(line[..<colon])
            if !name.contains(" ") {
                return name + ": " + header(name, String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            }
        }
        return text(line)
    }

    // MARK: - Credentials

    /// `AUTH PLAIN <payload>` in free text (tool and log lines), `PASS x`, `password=x`, `password: x`.
    /// Cheap byte scan run on every printed string: only a string naming auth/pass/pwd/secret/token is
    /// looked at word by word. Sixteen bytes at a time look for an anchor pair (pa, pw, ap, au, cr, ok, in
    /// any case): every key has one within its first four bytes (pass; pwd, -pw; -ap, api; auth; secret;
    /// token), so the keys are only compared near anchors.
    static func mayHoldSecret(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { b in
            let n = b.count
            guard n >= 3 else { return false }
            var unchecked = 0   // key starts below this were looked at
            func near(_ k: Int) -> Bool {
                var start = max(unchecked, k - 2)
                while start <= min(k, n - 3) {
                    if keyAt(b, start), wordAt(b, start) { return true }
                    start += 1
                }
                unchecked = max(unchecked, k + 1)
                return false
            }
            /// Anchors in the window at `w`, from position `from` on.
            func window(_ w: Int, from: Int) -> Bool {
                let (lo, hi) = anchorPairs(b.baseAddress! + w)
                return lo | hi != 0 && lanes(lo, hi, w, from: from)
            }
            func lanes(_ lo: UInt64, _ hi: UInt64, _ w: Int, from: Int) -> Bool {
                func half(_ m: UInt64, _ base: Int) -> Bool {
                    var m = m
                    while m != 0 {
                        let k = base + m.trailingZeroBitCount >> 3
                        m &= m - 1
                        if k >= from, near(k) { return true }
                    }
                    return false
                }
                return half(lo, w) || half(hi, w + 8)
            }
            var j = 0
            while j + 17 <= n {
                if window(j, from: j) { return true }
                j += 16
            }
            if j + 1 >= n { return false }
            // The last bytes: one more window, ending at the end, without the pairs already seen.
            if n >= 17 { return window(n - 17, from: j) }
            // A short string: one window over a copy padded with NULs (a NUL reads as a space, in no pair).
            var pad: (UInt64, UInt64, UInt64) = (0, 0, 0)
            let (lo, hi) = withUnsafeMutableBytes(of: &pad) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(b))
                return anchorPairs(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            return lo | hi != 0 && lanes(lo, hi, 0, from: 0)
        }
    }

    /// 0x01 in byte `k` of the pair of words: an anchor pair starts at byte `k` of the 17 bytes at `p`.
    @inline(__always)
    static func anchorPairs(_ p: UnsafePointer<UInt8>) -> (UInt64, UInt64) {
        typealias V = SIMD16<UInt8>
        let lower = V(repeating: 0x20)
        let a = UnsafeRawPointer(p).loadUnaligned(as: V.self) | lower
        let b = UnsafeRawPointer(p + 1).loadUnaligned(as: V.self) | lower
        func eq(_ v: V, _ c: UInt8) -> SIMDMask<SIMD16<Int8>> { v .== V(repeating: c) }
        let hit = (eq(a, 0x70) .& (eq(b, 0x61) .| eq(b, 0x77)))       // pa, pw
            .| (eq(a, 0x61) .& (eq(b, 0x70) .| eq(b, 0x75)))          // ap, au
            .| (eq(a, 0x63) .& eq(b, 0x72)) .| (eq(a, 0x6F) .& eq(b, 0x6B))   // cr, ok
        return unsafeBitCast(V().replacing(with: 1, where: hit), to: (UInt64, UInt64).self)
    }

    /// A key (ASCII case ignored) starts at `i`; needs `i + 3 <= b.count`.
    @inline(__always)
    static func keyAt(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let w = word(b, i), w3 = w & 0xFF_FFFF
        return w == 0x6874_7561 /* auth */ || w == 0x7373_6170 /* pass */ || w3 == 0x64_7770 /* pwd */
            || w3 == 0x70_612D /* -ap */ || w3 == 0x77_702D /* -pw */
            || (w == 0x7263_6573 /* secr */ && has(b, i, "secret")) || (w == 0x656B_6F74 /* toke */ && has(b, i, "token"))
            || (w3 == 0x69_7061 /* api */ && (has(b, i, "apikey") || has(b, i, "api_key")))
    }

    /// The space-separated word around `i` may hold a secret (`wordMayHoldSecret` with the words after it).
    static func wordAt(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var ws = i, we = i
        while ws > 0, b[ws - 1] != 0x20 { ws -= 1 }
        while we < b.count, b[we] != 0x20 { we += 1 }
        var ne = we + 1
        while ne < b.count, b[ne] != 0x20 { ne += 1 }
        let next = we < b.count ? UnsafeBufferPointer(rebasing: b[(we + 1)..<ne]) : nil
        let third = ne + 1 < b.count && b[ne + 1] != 0x20
        return wordMayHoldSecret(UnsafeBufferPointer(rebasing: b[ws..<we]), next: next, third: third)
    }

    /// Up to four bytes from `i`, each OR 0x20 (ASCII lower case), little-endian; bytes past the end are 0.
    @inline(__always)
    static func word(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        if i + 4 <= b.count { return UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt32.self) | 0x2020_2020 }
        var w: UInt32 = 0
        for k in 0..<(b.count - i) { w |= UInt32(b[i + k] | 0x20) << (8 * UInt32(k)) }
        return w
    }

    /// Case-insensitive match of a lower-case ASCII literal at `i`.
    @inline(__always)
    static func has(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ lit: StaticString) -> Bool {
        let n = lit.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        let p = lit.utf8Start
        for k in 0..<n where (b[i + k] | 0x20) != p[k] && b[i + k] != p[k] { return false }
        return true
    }

    /// The words `credentials` acts on: `AUTH <mechanism>`, `PASS`, a flag, `key:` before a value, or
    /// `key=value`/`key:value` with a secret key. Prose ("SMTP AUTH on port 587", "check the password",
    /// "passed") and Postfix's `auth=0/1` skip the word-by-word pass. Must be true wherever `credentials`
    /// would replace something; strings are only built for the rare word that gets this far. `third`: a
    /// non-empty word follows `next` (an `AUTH <MECH>` without one has no payload to hide).
    static func wordMayHoldSecret(_ w: UnsafeBufferPointer<UInt8>, next: UnsafeBufferPointer<UInt8>?, third: Bool) -> Bool {
        guard let first = w.first else { return false }
        if first == 0x2D { return true }
        if w.count == 4, w[0] == 0x50, w[1] == 0x41, w[2] == 0x53, w[3] == 0x53 { return true }   // `PASS`
        var a = 0, z = w.count
        while a < z, wordEdge.contains(w[a]) || keyEdge.contains(w[a]) { a += 1 }
        while z > a, wordEdge.contains(w[z - 1]) || keyEdge.contains(w[z - 1]) { z -= 1 }
        let core = UnsafeBufferPointer(rebasing: w[a..<z])
        if core.count == 4, has(core, 0, "auth") {
            guard let next, third else { return false }
            return mechanisms.contains(Bytes.asciiUppercased(next))
        }
        if let sep = core.firstIndex(where: { $0 == 0x3D || $0 == 0x3A }) {
            let key = String(decoding: Bytes.asciiLowercased(core[..<sep]), as: UTF8.self)
            return secretKeys.contains(trim(key, keyEdge))
        }
        // `password: value` (the value is the next word).
        guard w[w.count - 1] == 0x3A, core.count <= 16 else { return false }
        return secretKeys.contains(String(decoding: Bytes.asciiLowercased(core), as: UTF8.self))
    }

    func credentials(_ s: String) -> String {
        guard mode >= .credentials, !s.isEmpty, Self.mayHoldSecret(s) else { return s }
        // Words are slices of `s`; a new string is built only when something is replaced.
        let words = s.split(separator: " ", omittingEmptySubsequences: false)
        var replaced: [Int: String] = [:]
        var i = 0
        while i < words.count {
            let word = words[i]
            // Keys, flags and `AUTH` are short; a long word is only looked at for `key=value`.
            if word.utf8.count <= 32 {
                let w = Self.asciiLower(word)
                let bare = Self.trim(w, Self.wordEdge)
                // `AUTH <MECH> <payload>`: a base64-looking payload goes (prose naming a mechanism stays).
                if bare == "auth", i + 2 < words.count, Self.mechanisms.contains(words[i + 1].uppercased()),
                   Self.looksBase64(String(words[i + 2])) {
                    replaced[i + 2] = Redaction.placeholder
                    i += 3
                    continue
                }
                // `PASS secret` (POP3/IMAP-style command), `password: secret`, `--password secret`.
                if word == "PASS" || Self.passwordFlags.contains(w) || (w.hasSuffix(":") && Self.secretKeys.contains(bare)) {
                    if i + 1 < words.count, !words[i + 1].isEmpty, words[i + 1] != Redaction.placeholder {
                        replaced[i + 1] = Redaction.placeholder
                        i += 2
                        continue
                    }
                }
            }
            // `password=secret`, `pass="secret"`.
            if let eq = word.utf8.firstIndex(of: 0x3D), word.utf8.distance(from: word.utf8.startIndex, to: eq) <= 32 {
                let key = Self.trim(Self.asciiLower(word[..<eq]), Self.keyEdge)
                if Self.secretKeys.contains(key) {
                    replaced[i] = String(word[...eq]) + Redaction.placeholder
                }
            }
            i += 1
        }
        if replaced.isEmpty { return s }
        return words.indices.map { replaced[$0] ?? String(words[$0]) }.joined(separator: " ")
    }

    static let wordEdge = Set("\"'>:~<-*".utf8)
    static let keyEdge = Set("\"'-{,".utf8)
    static let passwordFlags: Set<String> = ["--password", "--auth-password", "-ap", "-pw", "--pass"]

    static func asciiLower(_ w: Substring) -> String {
        String(decoding: Bytes.asciiLowercased(w.utf8), as: UTF8.self)
    }

    static func trim(_ w: String, _ edge: Set<UInt8>) -> String {
        let u = Array(w.utf8)
        var a = 0, b = u.count
        while a < b, edge.contains(u[a]) { a += 1 }
        while b > a, edge.contains(u[b - 1]) { b -= 1 }
        return a == 0 && b == u.count ? w : String(decoding: u[a..<b], as: UTF8.self)
    }

    static func looksBase64(_ w: String) -> Bool {
        guard !w.isEmpty, w != Redaction.placeholder else { return false }
        if w == "=" { return true }
        guard w.utf8.count >= 4, w.utf8.allSatisfy({ isAlnum($0) || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D || $0 == 0x2D || $0 == 0x5F })
        else { return false }
        // Prose ("AUTH LOGIN instead") is lower case letters only; payloads mix case, digits or padding.
        let upper = w.utf8.contains { $0 >= 0x41 && $0 <= 0x5A }, lower = w.utf8.contains { $0 >= 0x61 && $0 <= 0x7A }
        return w.hasSuffix("=") || w.utf8.contains(where: isDigit) || (upper && lower)
    }

    static let mechanisms: Set<String> = ["PLAIN", "LOGIN", "XOAUTH2", "XOAUTH", "OAUTHBEARER", "CRAM-MD5",
                                          "DIGEST-MD5", "NTLM", "GSSAPI", "SCRAM-SHA-1", "SCRAM-SHA-256", "EXTERNAL"]
    static let secretKeys: Set<String> = ["password", "passwd", "pass", "pwd", "secret", "token", "access_token",
                                          "auth_token", "apikey", "api_key", "smtp_pass", "smtp_password", "auth-password"]

    // MARK: - IP addresses

    func ips(_ s: String) -> String {
        var out = s
        for ip in Self.ipv4(in: s) + Self.ipv6(in: s) where !keepIPs.contains(ip.lowercased()) {
            out = out.replacingOccurrences(of: ip, with: table.placeholder("ip", ip))
        }
        return out
    }

    /// Dotted quads with every part 0...255, not part of a longer dotted number.
    static func ipv4(in s: String) -> [String] {
        var found: [String] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            guard isDigit(u[i]), i == 0 || !(isDigit(u[i - 1]) || u[i - 1] == 0x2E) else { i += 1; continue }
            var j = i, parts = 0, ok = true
            while parts < 4 {
                var k = j
                while k < u.count, isDigit(u[k]), k - j < 4 { k += 1 }
                if k == j || k - j > 3 || Int(String(decoding: u[j..<k], as: UTF8.self))! > 255 { ok = false; break }
                parts += 1
                j = k
                if parts < 4 { if j < u.count, u[j] == 0x2E { j += 1 } else { ok = false; break } }
            }
            if ok, parts == 4, !(j < u.count && (isDigit(u[j]) || (u[j] == 0x2E && j + 1 < u.count && isDigit(u[j + 1])))) {
                found.append(String(decoding: u[i..<j], as: UTF8.self))
                i = j
            } else {
                i += 1
            }
        }
        return found
    }

    /// IPv6 literals: hex groups with `::` or at least four colons, not a time of day.
    static func ipv6(in s: String) -> [String] {
        var found: [String] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            guard isHex(u[i]) || u[i] == 0x3A else { i += 1; continue }
            var j = i
            while j < u.count, isHex(u[j]) || u[j] == 0x3A || u[j] == 0x2E { j += 1 }
            var start = i
            // `IPv6:2001:db8::1` (RFC 5321 address literal): skip the tag.
            if start > 0, isAlnum(u[start - 1]) {
                if start >= 3, String(decoding: u[(start - 3)..<start], as: UTF8.self).lowercased() == "ipv",
                   u[start] == 0x36, start + 1 < j, u[start + 1] == 0x3A {
                    start += 2
                } else { i = j; continue }
            }
            var token = Array(u[start..<j])
            while let l = token.last, l == 0x2E || (l == 0x3A && !(token.count >= 2 && token[token.count - 2] == 0x3A)) { token.removeLast() }
            let colons = token.filter { $0 == 0x3A }.count
            let text = String(decoding: token, as: UTF8.self)
            let groups = text.split(separator: ":", omittingEmptySubsequences: true)
            if (text.contains("::") && colons >= 2 || colons >= 5), groups.allSatisfy({ $0.count <= 4 || $0.contains(".") }),
               text.contains(where: { $0.isLetter }) || text.contains("::") || colons >= 5 {
                found.append(text)
            }
            i = max(j, i + 1)
        }
        return found
    }

    // MARK: - Addresses

    /// Local parts become `userN` (per full address); role accounts stay, they identify no one.
    func emails(_ s: String) -> String {
        guard s.contains("@") else { return s }
        var out = s
        for a in Self.addresses(in: s) {
            guard let at = a.lastIndex(of: "@") else { continue }
            let local = String(a[..<at]), domain = String(a[a.index(after: at)...])
            if Self.roleAccounts.contains(local.lowercased()) || local.hasPrefix("user") && Int(local.dropFirst(4)) != nil { continue }
            let p = table.placeholder("user", a)
            out = out.replacingOccurrences(of: a, with: p + "@" + domain)
        }
        return out
    }

    static let roleAccounts: Set<String> = ["postmaster", "abuse", "mailer-daemon", "noreply", "no-reply", "hostmaster",
                                            "webmaster", "root", "security"]

    /// `local@domain` tokens (local part in RFC 5322 atom characters, domain with a dot or a bracket literal).
    static func addresses(in s: String) -> [String] {
        let u = Array(s.utf8)
        var found: [String] = []
        for (k, b) in u.enumerated() where b == 0x40 {
            var a = k
            while a > 0, isLocal(u[a - 1]) { a -= 1 }
            var z = k + 1
            while z < u.count, isAlnum(u[z]) || u[z] == 0x2D || u[z] == 0x2E || u[z] >= 0x80 { z += 1 }
            while z > k + 1, u[z - 1] == 0x2E { z -= 1 }
            while a < k, u[a] == 0x2E { a += 1 }
            guard a < k, z > k + 1 else { continue }
            let addr = String(decoding: u[a..<z], as: UTF8.self)
            if !found.contains(addr) { found.append(addr) }
        }
        return found.sorted { $0.count > $1.count }
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }
    static func isLocal(_ b: UInt8) -> Bool {
        isAlnum(b) || b >= 0x80 || "!#$%&'*+/=?^_`{|}~.-".utf8.contains(b)
    }
}
