import Foundation

/// One `Received:` field: one hop of the message's path, a server (`by`) that took the message from a client
/// (`from`). Every MTA words it a little differently (RFC 5321 §4.4 sets only the clauses):
/// - Postfix, Sendmail, Gmail: `from HELO (rdns [ip]) by host (software) with ESMTPS id QID for <rcpt>; date`,
///   TLS in a comment (`(using TLSv1.3 with cipher ...)`, `(version=TLS1_3 cipher=...)`);
/// - Exim: `from rdns ([ip] helo=HELO) by host with esmtps (TLS1.3) tls CIPHER (Exim 4.96)
///   (envelope-from <s>) id 1abc-000123-AB for rcpt; date`;
/// - Microsoft: `from HELO (ip) by host (ip) with Microsoft SMTP Server (version=TLS1_2, cipher=...) id 15.20...`;
/// - qmail: `from unknown (HELO name) (ip) by host with SMTP; date`;
/// - Courier: `from HELO (rdns [ip]) (AUTH: LOGIN bob, TLS: TLSv1.3,256bits,CIPHER) by host with ESMTPSA; date`.
struct ReceivedHop: Sendable {
    var helo: String?
    /// The client's name from reverse DNS, as the receiving server looked it up.
    var reverseName: String?
    /// The server wrote `unknown` (or only the address) where the reverse name goes.
    var noReverseName = false
    var address: String?
    var by: String?
    var byAddress: String?
    var software: String?
    /// The `with` clause: `ESMTPS`, `ESMTPSA`, `LMTP`, `HTTPS`, `Microsoft SMTP Server`, ...
    var protocolName: String?
    var id: String?
    var recipient: String?
    var envelopeFrom: String?
    var tlsVersion: String?
    var cipher: String?
    var authenticated = false
    var time: Double?
    /// Exim wrote `from [ip] (helo=...)`: no reverse name.
    private var eximBareAddress = false
    var firstLine: Int
    var text: String

    /// An SMTP-family hop (SMTP, ESMTP*, LMTP*, Microsoft SMTP Server) with a client named: a session to rebuild.
    var isSMTP: Bool {
        guard helo != nil || address != nil || reverseName != nil else { return false }
        guard let p = protocolName?.uppercased() else { return true }
        return p.contains("SMTP") || p.contains("LMTP")
    }

    var isLMTP: Bool { protocolName?.uppercased().hasPrefix("LMTP") ?? false }

    /// RFC 3848: `ESMTPS` / `ESMTPSA` mean TLS, `ESMTPA` / `ESMTPSA` authentication.
    var usedTLS: Bool {
        if tlsVersion != nil || cipher != nil { return true }
        guard let p = protocolName?.uppercased(), p.contains("SMTP") || p.contains("LMTP") else { return false }
        let suffix = p.split(separator: "MTP").last.map(String.init) ?? ""
        return suffix.hasPrefix("S")
    }

    var usedAuth: Bool {
        if authenticated { return true }
        guard let p = protocolName?.uppercased(), p.contains("MTP") else { return false }
        return (p.split(separator: "MTP").last.map(String.init) ?? "").contains("A")
    }

    init?(_ field: HeaderField) {
        firstLine = field.firstLine
        text = field.value
        let tokens = HeaderToken.split(field.value)
        var clause = ""
        var dateWords: [String] = []
        var afterSemicolon = false
        var sawFrom = false
        var fromComments = 0
        for (i, t) in tokens.enumerated() {
            if afterSemicolon {
                if case .word(let w) = t { dateWords.append(w) }
                continue
            }
            switch t {
            case .semicolon:
                afterSemicolon = true
            case .word(let w):
                let lw = w.lowercased()
                if ["from", "by", "via", "with", "id", "for"].contains(lw), clause != "with" || lw != "with" {
                    // `with Microsoft SMTP Server`: the clause's words run on to the next keyword.
                    clause = lw
                    continue
                }
                take(word: w, clause: clause, previous: i > 0 ? tokens[i - 1] : nil)
                if clause == "from" { sawFrom = true }
            case .comment(let c):
                if clause == "from" && sawFrom {
                    // qmail gives two: `(HELO name) (ip)`.
                    if fromComments == 0 || (address == nil && Self.bareAddress(c) != nil) { readClient(c) }
                    fromComments += 1
                } else if clause == "by" && by != nil && software == nil && byAddress == nil {
                    // `(Postfix)`, `(8.17.1/8.17.1)`, `(10.13.2.150)`; not `(mx1.example.org [127.0.0.1])`.
                    if let ip = Self.bareAddress(c) { byAddress = ip } else if !Self.isTLS(c), !c.contains("[") { software = c }
                }
                readComment(c)
            }
        }
        time = MailDate.parse(dateWords.joined(separator: " "))
        if let h = helo, h.hasPrefix("["), h.hasSuffix("]"), software?.hasPrefix("Exim") == true {
            // Exim: `from [192.0.2.1] (helo=...)`: no reverse name; the address in brackets.
            if address == nil { address = Self.stripIPv6Tag(String(h.dropFirst().dropLast())) }
            noReverseName = true
            helo = nil
        }
        if let sw = software, sw.hasPrefix("Exim"), !eximBareAddress, reverseName == nil, helo != nil {
            // Exim names the client by its reverse name (`[ip]` without one); the HELO, when the same, is not repeated.
            reverseName = helo
            noReverseName = false
        } else if let sw = software, sw.first?.isNumber == true, sw.contains("/") {
            // Sendmail: `(8.17.1/8.17.1)`, its version and its configuration's.
            software = "Sendmail " + (sw.split(separator: "/").first.map(String.init) ?? sw)
        }
        // Microsoft's `id 15.20.8207.18` is the server's build, not a queue id.
        if protocolName?.hasPrefix("Microsoft") == true {
            if software == nil { software = "Microsoft SMTP Server" }
            if id?.first?.isNumber == true { id = nil }
        }
        guard by != nil || helo != nil || address != nil else { return nil }
    }

    private mutating func take(word w: String, clause: String, previous: HeaderToken?) {
        switch clause {
        case "from":
            if helo == nil { helo = w.hasSuffix(".") ? String(w.dropLast()) : w }
        case "by":
            if by == nil { by = w.hasSuffix(".") ? String(w.dropLast()) : w }
        case "with":
            if let p = protocolName {
                // Exim: `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`.
                if previous == .word("tls") || (p.lowercased().hasPrefix("esmtp") && w.hasPrefix("TLS_")) {
                    cipher = w
                } else if w.lowercased() != "tls", p.utf8.count < 60, !p.lowercased().hasPrefix("esmtp") {
                    protocolName = p + " " + w
                }
            } else {
                protocolName = w
            }
        case "id":
            if id == nil { id = w }
        case "for":
            if recipient == nil {
                var r = w
                if r.hasPrefix("<") { r.removeFirst() }
                if r.hasSuffix(";") { r.removeLast() }
                if r.hasSuffix(">") { r.removeLast() }
                if r.contains("@") { recipient = r }
            }
        default:
            break
        }
    }

    /// The TCP-info comment after `from`: `rdns [ip]`, `unknown [ip]`, `[ip]`, a bare `ip`, `HELO name`,
    /// Exim's `[ip] helo=name` or `[ip]:port`, Sendmail's `rdns [ip] (may be forged)`.
    private mutating func readClient(_ c: String) {
        let words = c.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = words.first?.uppercased(), first == "HELO" || first == "EHLO", words.count >= 2 {
            // qmail: `from unknown (HELO name) (ip)`: the first word is the reverse name.
            if let h = helo { reverseName = h == "unknown" ? nil : h; noReverseName = h == "unknown" }
            helo = words[1]
            return
        }
        if let ip = Self.bareAddress(c) {
            if address == nil { address = ip }
            return
        }
        for w in words {
            if w.hasPrefix("["), let close = w.firstIndex(of: "]") {
                address = Self.stripIPv6Tag(String(w[w.index(after: w.startIndex)..<close]))
            } else if w.lowercased().hasPrefix("helo=") {
                // Exim: the from-word was the reverse name; the HELO is here.
                let name = String(w.dropFirst(5))
                if let h = helo {
                    if h.hasPrefix("["), h.hasSuffix("]") {
                        if address == nil { address = Self.stripIPv6Tag(String(h.dropFirst().dropLast())) }
                        eximBareAddress = true
                    } else {
                        reverseName = h
                    }
                }
                helo = name
            } else if reverseName == nil, address == nil, w.contains("."), !w.hasPrefix("(") {
                let name = w.hasSuffix(".") ? String(w.dropLast()) : w
                if name.lowercased() != "unknown" { reverseName = name }
            } else if w.lowercased() == "unknown", address == nil {
                noReverseName = true
            }
        }
        // `([ip])` or `(unknown [ip])`: looked up, no name (Exim's `host ([ip])` is undone once its software is known).
        if address != nil, reverseName == nil { noReverseName = true }
    }

    /// Comments anywhere: TLS, authentication, the envelope sender, the MTA's name.
    private mutating func readComment(_ c: String) {
        let lc = c.lowercased()
        if Self.isTLS(c) {
            if tlsVersion == nil { tlsVersion = Self.tlsVersion(c) }
            if cipher == nil {
                for key in ["cipher=", "with cipher "] {
                    if let r = c.range(of: key, options: .caseInsensitive) {
                        let v = c[r.upperBound...].prefix { $0 != " " && $0 != "," && $0 != ")" }
                        if !v.isEmpty { cipher = String(v) }
                        break
                    }
                }
                // Courier: `TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384`.
                if cipher == nil, let r = c.range(of: "TLS: ") {
                    cipher = c[r.upperBound...].split(separator: ",").dropFirst(2).first.map { String($0.prefix { $0 != " " && $0 != ")" }) }
                }
            }
        }
        if lc.hasPrefix("authenticated sender:") || lc.hasPrefix("authenticated bits") || lc.hasPrefix("auth: ")
            || lc.contains("authenticated as ") {
            authenticated = true
        }
        if lc.hasPrefix("envelope-from "), let open = c.firstIndex(of: "<"), let close = c.lastIndex(of: ">"), open < close {
            envelopeFrom = String(c[c.index(after: open)..<close])
        }
        if c.hasPrefix("Exim ") || c.hasPrefix("Postfix") || c.hasPrefix("Microsoft") { if software == nil || software!.isEmpty { software = c } }
    }

    static func isTLS(_ c: String) -> Bool {
        c.hasPrefix("TLS") || c.contains("version=TLS") || c.contains("using TLS") || c.contains("TLS: ")
            || c.contains("version=SSL")
    }

    /// `TLSv1.3`, from `TLS1_3`, `TLS1.3`, `TLSv1.3`, `version=TLSv1.2`.
    static func tlsVersion(_ c: String) -> String? {
        var rest = c[...]
        while let r = rest.range(of: "TLS") {
            var v = rest[r.upperBound...].prefix { $0 == "v" || $0 == "." || $0 == "_" || $0.isNumber }
            if v.hasPrefix("v") { v = v.dropFirst() }
            let digits = v.replacingOccurrences(of: "_", with: ".").trimmingCharacters(in: ["."])
            if let f = digits.first, f.isNumber { return "TLSv" + digits }
            rest = rest[r.upperBound...]
        }
        return nil
    }

    /// `198.51.100.23`, `2603:10b6:5:1c3::22`, `IPv6:2001:db8::1`: an address alone in a comment.
    static func bareAddress(_ c: String) -> String? {
        var t = c.trimmingSpaces
        if t.hasPrefix("["), t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        t = stripIPv6Tag(t)
        guard !t.isEmpty, t.utf8.count <= 45 else { return nil }
        let isV4 = t.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && t.allSatisfy { $0.isNumber || $0 == "." }
        let isV6 = t.contains(":") && t.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        return isV4 || isV6 ? t : nil
    }

    static func stripIPv6Tag(_ s: String) -> String {
        s.lowercased().hasPrefix("ipv6:") ? String(s.dropFirst(5)) : s
    }
}
