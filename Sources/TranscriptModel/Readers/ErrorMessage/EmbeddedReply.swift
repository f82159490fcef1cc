/// A server reply quoted inside a library's error message, in the forms libraries print it:
/// `535-5.7.8 text` (code first, more lines may follow), `535: 5.7.3 text` (MailKit), `(535, b'text')`
/// (Python), `{'rcpt': (550, b'text'), ...}` (Python, per recipient), or the text alone (.NET, Thunderbird,
/// PHPMailer), whose code must then be assumed.
struct EmbeddedReply: Sendable, Equatable {
    var code: Int?
    /// Reply text lines without the code.
    var lines: [String]
    /// The recipient or sender the reply is about, when the error names it.
    var address: String?
    /// The last line ended in `ddd-`: the reply goes on in the next lines of the input.
    var continues = false

    static let maxLines = 20

    /// Every reply in `text` (several for Python's per-recipient dict); empty when there is none.
    static func parse(_ text: Substring) -> [EmbeddedReply] {
        var t = text.drop { $0 == " " || $0 == "\t" }
        if t.first == "{" { return pythonDict(t) }
        if t.first == "(", let r = pythonTuple(t.dropFirst()) { return [r] }
        // Ruby on Rails prints `Net::SMTPFatalError (550 ...`, others `Error: 550 ...`.
        t = t.drop { $0 == " " || $0 == "(" || $0 == ":" }
        if let r = codeFirst(t) { return [r] }
        return textOnly(t).map { [$0] } ?? []
    }

    /// `535 5.7.8 text`, `535-...` (continued), `535: text`, `535` alone.
    static func codeFirst(_ t: Substring) -> EmbeddedReply? {
        guard let (code, rest, sep) = leadingCode(t) else { return nil }
        // A multi-line reply quoted on one line (`550-5.7.1 a 550-5.7.1 b 550 5.7.1 c`, as Postfix bounces
        // and logs quote Gmail): unfolded the way the log readers do it, and complete.
        if sep == "-", rest.contains(" \(code) ") || rest.contains(" \(code)-") {
            let unfolded = Bytes.string(LogBytes.unfoldReply(Array(t.utf8)[...])[...])
            if let (_, text, _) = leadingCode(Substring(unfolded)) { return EmbeddedReply(code: code, lines: [String(text)]) }
        }
        var r = EmbeddedReply(code: code, lines: [String(rest.trimmingLeading())])
        r.continues = sep == "-"
        return r
    }

    /// A line of a reply that goes on: `535 5.7.8 more text` after `535-...`. Nil when the line is not one.
    mutating func takeContinuation(_ line: Substring) -> Bool {
        guard continues, lines.count < Self.maxLines,
              let (code, rest, sep) = Self.leadingCode(line.drop { $0 == " " || $0 == "\t" }), code == self.code
        else { return false }
        lines.append(String(rest.trimmingLeading()))
        continues = sep == "-"
        return true
    }

    /// `ddd` followed by a blank, `-`, `:` or the end; the separator and the rest.
    static func leadingCode(_ t: Substring) -> (Int, Substring, Character?)? {
        let u = Array(t.utf8.prefix(4))
        guard u.count >= 3, (0x32...0x35).contains(u[0]), Bytes.isDigit(u[1]), Bytes.isDigit(u[2]) else { return nil }
        let code = Int(u[0] - 48) * 100 + Int(u[1] - 48) * 10 + Int(u[2] - 48)
        var rest = t.dropFirst(3)
        guard let sep = rest.first else { return (code, rest, nil) }
        guard sep == " " || sep == "-" || sep == ":" else { return nil }
        rest = rest.dropFirst()
        if sep == ":", rest.first == " " { rest = rest.dropFirst() }
        return (code, rest, sep)
    }

    /// `535, b'5.7.8 Username ...\n5.7.8  https://...')` (the `(` already read); a sender may follow.
    static func pythonTuple(_ t: Substring) -> EmbeddedReply? {
        let head = t.drop { $0 == " " }
        let digits = head.prefix { $0.isASCII && $0.isNumber }
        guard digits.count == 3, let code = Int(digits), head.dropFirst(3).first == "," else { return nil }
        var body = head.dropFirst(4).drop { $0 == " " }
        guard let bytes = PythonRepr.decode(Array(body.utf8)[...]) else { return nil }
        let lines = PythonRepr.lines(bytes).prefix(maxLines).map { Bytes.string($0) }
        var r = EmbeddedReply(code: code, lines: lines.isEmpty ? [""] : Array(lines))
        // SMTPSenderRefused: `(553, b'...', 'a@example.net')`
        body = body.dropFirst(Self.reprLength(body))
        if let q = body.firstIndex(where: { $0 == "'" || $0 == "\"" }) {
            let tail = body[body.index(after: q)...]
            if let end = tail.firstIndex(where: { $0 == "'" || $0 == "\"" }), tail[..<end].contains("@") {
                r.address = String(tail[..<end])
            }
        }
        return r
    }

    /// `{'bob@example.org': (550, b'5.1.1 ...'), 'carol@example.org': (450, b'...')}`
    static func pythonDict(_ t: Substring) -> [EmbeddedReply] {
        var out: [EmbeddedReply] = []
        var rest = t.dropFirst()
        while out.count < 100 {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let q = rest.first, q == "'" || q == "\"" else { break }
            let keyStart = rest.index(after: rest.startIndex)
            guard let keyEnd = rest[keyStart...].firstIndex(of: q) else { break }
            let address = String(rest[keyStart..<keyEnd])
            rest = rest[rest.index(after: keyEnd)...].drop { $0 == ":" || $0 == " " }
            guard rest.first == "(", var r = pythonTuple(rest.dropFirst()) else { break }
            r.address = address
            out.append(r)
            // Skip to the end of this tuple: past its literal, then the closing parenthesis.
            let body = rest.dropFirst().drop { $0 != "," }.dropFirst().drop { $0 == " " }
            let after = body.dropFirst(reprLength(body))
            guard let close = after.firstIndex(of: ")") else { break }
            rest = after[after.index(after: close)...]
        }
        return out
    }

    /// The length of a Python string literal at the start of `s` (`b'...'` with escapes), or 0.
    static func reprLength(_ s: Substring) -> Int {
        var i = s.startIndex
        var n = 0
        if i < s.endIndex, s[i] == "b" { i = s.index(after: i); n += 1 }
        guard i < s.endIndex, s[i] == "'" || s[i] == "\"" else { return 0 }
        let q = s[i]
        i = s.index(after: i); n += 1
        while i < s.endIndex {
            let c = s[i]
            i = s.index(after: i); n += 1
            if c == "\\", i < s.endIndex { i = s.index(after: i); n += 1; continue }
            if c == q { return n }
        }
        return n
    }

    /// Text without a code: `5.7.1 Unable to relay`, `bob@example.org: Recipient address rejected: ...`,
    /// PHPMailer's `a@example.net : MAIL FROM command failed,Sender address rejected,553,5.7.1`.
    static func textOnly(_ t: Substring) -> EmbeddedReply? {
        var text = t.trimmingLeading()
        // A line cut right after the lead-in says nothing.
        guard !text.isEmpty else { return nil }
        var r = EmbeddedReply(code: nil, lines: [])
        // PHPMailer keeps the code at the end: `...,553,5.7.1`.
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        if parts.count >= 3, let code = Int(parts[parts.count - 2]), (200...599).contains(code),
           parts[parts.count - 1].allSatisfy({ $0.isNumber || $0 == "." }) {
            r.code = code
            let enhanced = parts[parts.count - 1]
            let words = parts.dropLast(2).last.map(String.init) ?? ""
            r.lines = [enhanced.isEmpty ? words : "\(enhanced) \(words)"]
            if let at = text.firstIndex(of: ":"), text[..<at].contains("@") {
                r.address = text[..<at].trimmingCharacters(in: .whitespaces)
            }
            return r
        }
        // `bob@example.org: text` names the address first.
        if let colon = text.firstIndex(of: ":"), text[..<colon].contains("@"), !text[..<colon].contains(" ") {
            r.address = String(text[..<colon]).trimmingCharacters(in: ["<", ">"])
            text = text[text.index(after: colon)...].trimmingLeading()
            if let c = codeFirst(text) { var c = c; c.address = r.address; return c }
        }
        r.lines = [String(text)]
        return r
    }

    /// Append an indented line of a wrapped reply to its last line; false when there is nothing to add or
    /// the reply is long enough already.
    mutating func wrap(_ line: Substring) -> Bool {
        let t = line.trimmingLeading()
        guard !t.isEmpty, let last = lines.indices.last, lines[last].utf8.count < 4096 else { return false }
        lines[last] += (lines[last].isEmpty ? "" : " ") + t
        return true
    }

    /// Without the bounce's own note on which command the reply answered: `(in reply to RCPT TO command)`.
    func withoutInReplyTo() -> EmbeddedReply {
        guard let last = lines.indices.last, let r = lines[last].range(of: "(in reply to ", options: .caseInsensitive) else {
            return self
        }
        var copy = self
        copy.lines[last] = String(lines[last][..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
        return copy
    }

    /// The enhanced status code at the start of the first line (`5.7.1`), if any.
    var enhanced: String? {
        lines.first.flatMap { ReplyLine.splitEnhanced($0, code: code ?? 0).enhanced }
    }

    /// The first `<local@domain>` in the text (Postfix and others name the address they refuse).
    var bracketedAddress: String? {
        for l in lines {
            guard let open = l.firstIndex(of: "<"), let close = l[open...].firstIndex(of: ">") else { continue }
            let inner = l[l.index(after: open)..<close]
            if inner.contains("@"), !inner.contains(" ") { return String(inner) }
        }
        return nil
    }

    /// The command this reply most likely answered when the message quoting it does not say.
    func likelyVerb(code: Int) -> String? {
        let e = enhanced ?? ""
        let text = lines.joined(separator: " ").lowercased()
        // A positive reply quoted (a success DSN, Postfix's address verification report): what it accepted.
        if (200..<300).contains(code) {
            if e == "2.1.5" { return "RCPT TO" }
            if e == "2.1.0" { return "MAIL FROM" }
            return e == "2.0.0" || e == "2.6.0" || text.contains("queued as") || text.contains("queued mail") ? "." : nil
        }
        if [534, 535, 538].contains(code) || ["5.7.8", "5.7.139", "5.7.9"].contains(e) { return "AUTH" }
        if code == 530 || ["5.7.57", "5.7.60", "5.1.7", "5.1.8", "4.1.8"].contains(e) { return "MAIL FROM" }
        if text.contains("relay") || ["5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1", "5.2.2", "4.2.2", "5.4.1"].contains(e) {
            return "RCPT TO"
        }
        // Postfix names the address it refuses, and by default (smtpd_delay_reject) answers its client, HELO,
        // sender and blocklist checks at RCPT as well. Gmail answers for its own accounts (unknown, disabled,
        // over quota) at RCPT.
        if ["recipient address rejected", "sender address rejected", "blocked using ", "not listed in domino directory",
            "the email account that you tried to reach"]
            .contains(where: { text.contains($0) }) {
            return "RCPT TO"
        }
        // Content, size and sender-authentication (SPF, DKIM, DMARC) checks answer the end of the message.
        let words = text.replacingOccurrences(of: "spamhaus", with: "").replacingOccurrences(of: "spamcop", with: "")
        if code == 552 || e == "5.3.4" || e.hasPrefix("5.6.") || ["5.7.23", "5.7.26", "5.7.27"].contains(e)
            || ["spam", "dmarc", "dkim", "virus", "content"].contains(where: { words.contains($0) }) {
            return "."
        }
        return nil
    }

    /// The server's lines, as it sent them.
    func wireLines(code: Int) -> [String] {
        let n = lines.count
        return lines.enumerated().map { i, l in "\(code)\(i == n - 1 ? " " : "-")\(l)" }
    }
}

extension Substring {
    func trimmingLeading() -> Substring { drop { $0 == " " || $0 == "\t" } }
}
