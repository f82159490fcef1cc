import TranscriptModel
import Foundation

/// One reply to classify: its basic code, enhanced code, text and the command it answered.
public struct ReplyQuery: Sendable, Hashable {
    public var code: Int?
    public var enhanced: String?
    public var text: String
    /// Upper-cased verb the reply answered: "CONNECT" (greeting), "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL",
    /// "RCPT", "DATA", "." (end of data), "BDAT", "RSET", "QUIT", "VRFY"; nil when unknown.
    public var command: String?

    public init(code: Int?, enhanced: String?, text: String, command: String?) {
        self.code = code
        self.enhanced = enhanced
        self.text = text
        self.command = command
    }

    /// Parses a free delivery text as MTAs write it in bounces and logs: a bare reply
    /// ("550 5.1.1 <a@b>: User unknown"), a Postfix quote ("host mx[1.2.3.4] said: 550 ... (in reply to RCPT TO
    /// command)"), an Exim quote ("SMTP error from remote mail server after RCPT TO:<x>: 550 ..."), a connection
    /// error ("connect to mx[1.2.3.4]:25: Connection timed out"), or a multi-line reply glued on one line.
    /// The code is the first reply code after the quoting MTA's own prefix; the enhanced code is the one right
    /// after it (or the first one anywhere); the command comes from the stage phrase the MTA wrote.
    public static func parse(_ line: String) -> ReplyQuery {
        // Cap hostile input: a reply line is never this long; keep the start, where code and stage are.
        let text = ReplyScanner.squeeze(line.utf8.count > 65_536 ? String(decoding: line.utf8.prefix(65_536), as: UTF8.self) : line)
        let scan = ReplyScanner.findReply(in: text)
        let command = ReplyScanner.command(in: text.lowercased())
            ?? (scan.code != nil || scan.enhanced != nil ? nil : ReplyScanner.connectionCommand(in: text.lowercased()))
        return ReplyQuery(code: scan.code, enhanced: scan.enhanced, text: text, command: command)
    }
}

/// Byte-level helpers for reading reply texts. Pure functions; no regular expressions.
enum ReplyScanner {
    /// Collapses control characters and runs of white space into single spaces and trims.
    static func squeeze(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var pendingSpace = false
        for b in s.utf8 {
            if b <= 0x20 || b == 0x7F {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    struct Found { var code: Int?; var enhanced: String?; var replyStart: Int? }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Prefix markers after which the quoted remote reply starts (we skip the quoting MTA's words,
    /// host names and IPs before it).
    static let replyMarkers = ["said:", "said ", "]:", "<<<", "responded with failure:", "failed with:",
                               "error message: [", "responded as follows: [", "reason:"]

    /// Finds the reply code and enhanced status code in `text`.
    static func findReply(in text: String) -> Found {
        let bytes = Array(text.utf8)
        // Start after the last quoting marker that is followed by a code, if any; else at 0.
        let lower = Array(text.lowercased().utf8)
        var starts: [Int] = []
        for m in replyMarkers {
            let mb = Array(m.utf8)
            var i = 0
            while let r = indexOf(mb, in: lower, from: i) {
                starts.append(r + mb.count)
                i = r + 1
            }
        }
        starts.sort()
        var found = Found()
        for s in starts {
            if let c = firstCode(bytes, from: s, maxSkip: 4) {
                found.code = c.code
                found.replyStart = c.at
                break
            }
        }
        if found.code == nil, let c = firstCode(bytes, from: 0, maxSkip: Int.max) {
            found.code = c.code
            found.replyStart = c.at
        }
        // A greeting or other success line quoted before the failure ("220-host 421 4.2.1 ..."): the failure counts.
        if let c = found.code, c < 400, let at = found.replyStart {
            var i = at + 3
            while i < bytes.count {
                if let c2 = codeAt(bytes, i), c2 >= 400 { found.code = c2; found.replyStart = i; break }
                i += 1
            }
        }
        // Enhanced code right after the reply code, else the first one anywhere.
        if let at = found.replyStart {
            var j = at + 3
            // skip separators: space, '-', ':', quotes, '#', '(' and a repeated "550 " (e.g. "554 554 5.7.1")
            var guardCount = 0
            while j < bytes.count, guardCount < 12 {
                let b = bytes[j]
                if b == 0x20 || b == 0x2D || b == 0x3A || b == 0x27 || b == 0x22 || b == 0x23 || b == 0x28 || b == 0x5B {
                    j += 1; guardCount += 1; continue
                }
                if let c = codeAt(bytes, j), c >= 200 { j += 3; guardCount += 1; continue }
                break
            }
            if let e = enhancedAt(bytes, j) { found.enhanced = e }
        }
        if found.enhanced == nil {
            var i = found.replyStart ?? 0
            while i < bytes.count {
                if let e = enhancedAt(bytes, i) { found.enhanced = e; break }
                i += 1
            }
            if found.enhanced == nil, found.replyStart != nil {
                i = 0
                while i < bytes.count {
                    if let e = enhancedAt(bytes, i) { found.enhanced = e; break }
                    i += 1
                }
            }
        }
        return found
    }

    static func indexOf(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        var i = from
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] {
                var k = 1
                while k < needle.count, hay[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// A reply code starting at `i`: three digits 2xx-5xx, not glued to other digits, dots or '='.
    static func codeAt(_ b: [UInt8], _ i: Int) -> Int? {
        guard i + 3 <= b.count, b[i] >= 0x32, b[i] <= 0x35, isDigit(b[i + 1]), isDigit(b[i + 2]) else { return nil }
        if i > 0 {
            let p = b[i - 1]
            if isDigit(p) || p == 0x2E || p == 0x3D || p == 0x2F || p == 0x5F || (p >= 0x41 && p <= 0x5A) || (p >= 0x61 && p <= 0x7A) || p == 0x2D {
                return nil
            }
        }
        if i + 3 < b.count {
            let n = b[i + 3]
            // allowed after a code: space, '-', ':', ',', ')', ']', '\'', '>', '.' not followed by a digit
            if isDigit(n) { return nil }
            if n == 0x2E, i + 4 < b.count, isDigit(b[i + 4]) { return nil }
            if n == 0x3A, i > 0, b[i - 1] == 0x3A { return nil }   // a group inside an IPv6 address
            if !(n == 0x20 || n == 0x2D || n == 0x3A || n == 0x2C || n == 0x29 || n == 0x5D || n == 0x27 || n == 0x3E || n == 0x2E || n == 0x22) {
                return nil
            }
        }
        let code = Int(b[i] - 0x30) * 100 + Int(b[i + 1] - 0x30) * 10 + Int(b[i + 2] - 0x30)
        // Positive replies only with the codes servers really send; other 2xx/3xx numbers are usually not
        // reply codes ("X-Unix; 255" is an exit status).
        if code < 400, !knownPositive.contains(code) { return nil }
        return code
    }

    static let knownPositive: Set<Int> = [211, 214, 220, 221, 235, 250, 251, 252, 334, 354]

    static func firstCode(_ b: [UInt8], from: Int, maxSkip: Int) -> (code: Int, at: Int)? {
        var i = from
        var skipped = 0
        while i < b.count {
            if let c = codeAt(b, i) { return (c, i) }
            i += 1
            skipped += 1
            if skipped > maxSkip { return nil }
        }
        return nil
    }

    /// An enhanced status code "c.sss.ddd" starting at `i` (class 2, 4 or 5), not part of an IP address or version.
    static func enhancedAt(_ b: [UInt8], _ i: Int) -> String? {
        guard i < b.count, b[i] == 0x32 || b[i] == 0x34 || b[i] == 0x35 else { return nil }
        if i > 0 {
            let p = b[i - 1]
            if isDigit(p) || p == 0x2E || (p >= 0x41 && p <= 0x5A) || (p >= 0x61 && p <= 0x7A) { return nil }
        }
        var j = i + 1
        guard j < b.count, b[j] == 0x2E else { return nil }
        j += 1
        let s1 = j
        while j < b.count, isDigit(b[j]), j - s1 < 3 { j += 1 }
        guard j > s1, j < b.count, b[j] == 0x2E else { return nil }
        j += 1
        let s2 = j
        while j < b.count, isDigit(b[j]), j - s2 < 3 { j += 1 }
        guard j > s2 else { return nil }
        if j < b.count {
            let n = b[j]
            if isDigit(n) { return nil }
            if n == 0x2E, j + 1 < b.count, isDigit(b[j + 1]) { return nil }
        }
        return String(decoding: b[i..<j], as: UTF8.self)
    }

    /// Stage phrases written by MTAs around a quoted reply, mapped to the command the reply answered.
    /// Checked in order; the first phrase found wins.
    static let stagePhrases: [(String, String)] = [
        ("in reply to end of data", "."), ("after end of data", "."), ("did not like our final data", "."),
        ("failed after i sent the message", "."), ("for text command", "."), ("refused to accept your message (data)", "."),
        ("in reply to data command", "DATA"), ("after data", "DATA"), (">>> data", "DATA"), ("in reply to data", "DATA"),
        ("in reply to rcpt to", "RCPT"), ("after rcpt to", "RCPT"), ("did not like our rcpt to", "RCPT"),
        ("does not like recipient", "RCPT"), ("rcpt to:<", "RCPT"), ("after rcpt command", "RCPT"),
        ("following rcpt command", "RCPT"), ("smtp:rcpt", "RCPT"), ("[rcpt_to]", "RCPT"), ("rcpt to response", "RCPT"),
        ("in reply to mail from", "MAIL"), ("after mail from", "MAIL"), ("but sender was rejected", "MAIL"),
        ("mail from:<", "MAIL"), ("[mail_from]", "MAIL"), ("did not like our mail from", "MAIL"),
        ("in reply to starttls", "STARTTLS"), ("after starttls", "STARTTLS"),
        ("in reply to auth", "AUTH"), ("after auth", "AUTH"),
        ("in reply to ehlo", "EHLO"), ("after ehlo", "EHLO"), ("in reply to helo", "HELO"), ("after helo", "HELO"),
        ("but my name was rejected", "HELO"), ("performing the helo handshake", "HELO"),
        ("performing the ehlo handshake", "EHLO"),
        ("after initial connection", "CONNECT"), ("refused to talk to me", "CONNECT"),
        ("in reply to quit", "QUIT"), ("in reply to rset", "RSET"), ("in reply to bdat", "BDAT"),
    ]

    static func command(in lower: String) -> String? {
        var best: (pos: String.Index, cmd: String)?
        for (phrase, cmd) in stagePhrases {
            if let r = lower.range(of: phrase) {
                // the phrase nearest the end describes the reply (earlier ones may be part of a transcript)
                if best == nil || r.lowerBound > best!.pos { best = (r.lowerBound, cmd) }
            }
        }
        return best?.cmd
    }

    /// For texts without any reply code: a failure to connect happened before the greeting.
    static func connectionCommand(in lower: String) -> String? {
        let phrases = ["connect to ", "connection timed out", "connection refused", "no route to host",
                       "network is unreachable", "lost connection", "unable to connect"]
        return phrases.contains { Bytes.contains(lower, $0) } ? "CONNECT" : nil
    }

    /// IPv4 addresses in `text` in order of appearance.
    static func ipv4s(in text: String) -> [(ip: String, at: Int)] {
        let b = Array(text.utf8)
        var out: [(String, Int)] = []
        var i = 0
        while i < b.count {
            if isDigit(b[i]), i == 0 || !(isDigit(b[i - 1]) || b[i - 1] == 0x2E) {
                var j = i
                var parts = 0
                var ok = true
                while parts < 4 {
                    let s = j
                    while j < b.count, isDigit(b[j]), j - s < 4 { j += 1 }
                    let len = j - s
                    if len == 0 || len > 3 { ok = false; break }
                    let v = Int(String(decoding: b[s..<j], as: UTF8.self)) ?? 999
                    if v > 255 { ok = false; break }
                    parts += 1
                    if parts < 4 {
                        if j < b.count, b[j] == 0x2E { j += 1 } else { ok = false; break }
                    }
                }
                if ok, j < b.count, isDigit(b[j]) || (b[j] == 0x2E && j + 1 < b.count && isDigit(b[j + 1])) { ok = false }
                if ok {
                    out.append((String(decoding: b[i..<j], as: UTF8.self), i))
                    i = j
                    continue
                }
            }
            i += 1
        }
        return out
    }
}
