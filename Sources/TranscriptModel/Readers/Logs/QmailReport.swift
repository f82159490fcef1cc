/// What qmail-send logs after `delivery N: success|deferral|failure:`: the report of qmail-remote or
/// qmail-local, with spaces written as `_` and line ends as `/`:
///
///     192.0.2.25_does_not_like_recipient./Remote_host_said:_550_5.1.1_<bob@example.org>..._User_unknown/Giving_up_on_192.0.2.25./
///     Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/
///     Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/
///
/// qmail-remote names the step it failed at in its own fixed words, so the reply is placed where it belongs.
struct QmailReport {
    enum Kind: Equatable {
        /// The receiving server's reply, at `step` (in Postfix's words, which the relay replay reads:
        /// `greeting`, `HELO`, `MAIL FROM`, `RCPT TO`, `DATA`, `end of DATA`).
        case reply(step: String)
        /// Connected, then the connection broke; qmail does not say at which step.
        case connectionDied
        /// No server was reached (`explained` is false when qmail does not say why).
        case unreachable(ConnectFailure, explained: Bool)
        /// qmail's own words, no reply to quote (local delivery, a configuration problem).
        case own
    }

    var kind: Kind
    /// The server qmail-remote talked to (an address).
    var host: String?
    /// The reply, unfolded to one line (`550 5.1.1 text`).
    var reply: String?
    /// The report as one line of text.
    var text: String
    /// qmail's own status code, `(#4.4.1)`.
    var dsn: String?

    /// qmail-remote's sentences that name a step. `Connected to HOST but ...` or `HOST ...`.
    static let steps: [(words: String, step: String)] = [
        (" accepted message.", "end of DATA"),
        (" does not like recipient.", "RCPT TO"),
        (" failed on DATA command.", "DATA"),
        (" failed after I sent the message.", "end of DATA"),
        (" but greeting failed.", "greeting"),
        (" but my name was rejected.", "HELO"),
        (" but sender was rejected.", "MAIL FROM"),
    ]

    /// qmail-remote's own sentences for a server it never reached, and for one that went away.
    static let failures: [(words: String, kind: Kind)] = [
        ("wasn't able to establish an SMTP connection", .unreachable(.other, explained: false)),
        ("couldn't find any host named", .unreachable(.nameNotResolved, explained: true)),
        ("couldn't find any host by that name", .unreachable(.nameNotResolved, explained: true)),
        ("CNAME lookup failed temporarily", .unreachable(.nameNotResolved, explained: true)),
        ("couldn't find a mail exchanger or IP address", .unreachable(.nameNotResolved, explained: true)),
        (" but connection died.", .connectionDied),
    ]

    static func parse(_ raw: ArraySlice<UInt8>) -> QmailReport {
        let s = decode(raw)
        var head = s
        var reply: String?
        if let said = s.range(of: "/Remote host said: ") ?? s.range(of: "Remote host said: ") {
            head = String(s[..<said.lowerBound])
            var r = s[said.upperBound...]
            if let g = r.range(of: "/Giving up on ") { r = r[..<g.lowerBound] }
            while r.hasSuffix("/") { r = r.dropLast() }
            reply = unfold(r)
        }
        while head.hasSuffix("/") { head.removeLast() }
        head = head.replacingOccurrences(of: "/", with: " ")
        // A patch logs the recipient first: `(bob@example.org) 192.0.2.25 accepted message.`
        if head.hasPrefix("("), let close = head.firstIndex(of: ")") {
            head = String(head[head.index(after: close)...]).trimmingCharacters(in: [" "])
        }
        var report = QmailReport(kind: .own, host: nil, reply: reply, text: head, dsn: nil)
        if let reply { report.text += " Remote host said: " + reply }
        if let o = head.range(of: "(#"), let c = head[o.upperBound...].firstIndex(of: ")") {
            let code = head[o.upperBound..<c]
            if code.count <= 9, code.allSatisfy({ $0.isNumber || $0 == "." }) { report.dsn = String(code) }
        }
        if let step = steps.first(where: { head.contains($0.words) }) {
            report.kind = .reply(step: step.step)
            report.host = host(in: head, before: step.words)
            // A step named but no reply shown (a patched qmail): qmail's sentence is all there is.
            if reply == nil { report.kind = .own }
        } else if let f = failures.first(where: { head.contains($0.words) }) {
            report.kind = f.kind
            if f.kind == .connectionDied { report.host = host(in: head, before: f.words) }
        } else if let c = head.range(of: "; connected to ") {
            // The TLS patch: `TLS connect failed: ...; connected to 192.0.2.50.`
            let h = head[c.upperBound...].prefix { $0 != " " }
            report.host = h.hasSuffix(".") ? String(h.dropLast()) : String(h)
        }
        return report
    }

    /// `Connected to 192.0.2.25 but ...` or `192.0.2.25 does not ...` → `192.0.2.25`.
    static func host(in head: String, before words: String) -> String? {
        guard let w = head.range(of: words) else { return nil }
        var h = head[..<w.lowerBound]
        if let c = h.range(of: "Connected to ") { h = h[c.upperBound...] }
        let t = h.trimmingCharacters(in: [" "])
        return t.isEmpty || t.contains(" ") ? nil : t
    }

    /// `_` back to spaces (not inside `<address>`, where an underscore is more likely its own), `/` kept.
    static func decode(_ raw: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var inAddress = false
        for b in raw {
            if b == 0x3C { inAddress = true } else if b == 0x3E { inAddress = false }
            out.append(b == 0x5F && !inAddress ? Bytes.space : b)
        }
        return Bytes.string(out[...])
    }

    /// A multi-line reply logged as `550-5.1.1 a/550-5.1.1 b/550 5.1.1 c` → `550 5.1.1 a b c`. A `/` not
    /// followed by a reply code is the reply's own (a URL); empty lines drop out.
    static func unfold(_ r: Substring) -> String {
        var lines: [Substring] = []
        var start = r.startIndex
        var i = r.startIndex
        while i < r.endIndex {
            if r[i] == "/", EmbeddedReply.leadingCode(r[r.index(after: i)...]) != nil {
                lines.append(r[start..<i])
                start = r.index(after: i)
            }
            i = r.index(after: i)
        }
        lines.append(r[start...])
        guard let first = lines.first, let (code, _, _) = EmbeddedReply.leadingCode(first) else { return String(r) }
        var enhanced: Substring?
        var texts: [Substring] = []
        for line in lines {
            var t = line.dropFirst(min(4, line.count)).drop { $0 == " " }
            let word = t.prefix { $0 != " " }
            if word.split(separator: ".").count == 3, word.allSatisfy({ $0.isNumber || $0 == "." }) {
                if enhanced == nil { enhanced = word }
                if word == enhanced { t = t.dropFirst(word.count).drop { $0 == " " } }
            }
            let trimmed = t.trimmingCharacters(in: [" "])
            if !trimmed.isEmpty { texts.append(Substring(trimmed)) }
        }
        return "\(code)" + (enhanced.map { " \($0)" } ?? "") + (texts.isEmpty ? "" : " " + texts.joined(separator: " "))
    }
}
