/// Turns a client line into a `Command`: verb, argument, MAIL/RCPT path and ESMTP parameters.
public enum CommandParser {
    /// Verbs a server understands (RFC 5321 and its extensions). Anything else is still a command,
    /// with stage `.other`.
    public static let knownVerbs: Set<String> = [
        "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN",
        "HELP", "STARTTLS", "AUTH", "ETRN", "TURN", "ATRN", "XCLIENT", "XFORWARD", "SEND", "SOML", "SAML",
    ]

    public static func stage(ofVerb verb: String) -> Stage {
        switch verb {
        case "HELO", "EHLO", "LHLO": return .helo
        case "STARTTLS": return .starttls
        case "AUTH", "AUTH-RESPONSE": return .auth
        case "MAIL", "SEND", "SOML", "SAML": return .mail
        case "RCPT": return .rcpt
        case "DATA": return .data
        case "BDAT", ".": return .message
        case "QUIT": return .quit
        default: return .other
        }
    }

    /// Apply backspace/DEL bytes and their caret forms (`^H`, `^?`) the way a terminal line editor would.
    /// Returns nil when the line holds none.
    public static func applyBackspaces(_ line: ArraySlice<UInt8>) -> [UInt8]? {
        // Nearly every line holds none: look before allocating the edited copy.
        guard line.contains(where: { $0 == 0x08 || $0 == 0x7F || $0 == 0x5E }) else { return nil }
        var found = false
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        var i = line.startIndex
        while i < line.endIndex {
            let b = line[i]
            if b == 0x08 || b == 0x7F {
                found = true
                if !out.isEmpty { out.removeLast() }
            } else if b == 0x5E, i + 1 < line.endIndex, line[i + 1] == 0x48 || line[i + 1] == 0x3F {
                found = true
                if !out.isEmpty { out.removeLast() }
                i += 1
            } else {
                out.append(b)
            }
            i += 1
        }
        return found ? out : nil
    }

    public static func parse(_ line: ArraySlice<UInt8>, at position: SourcePosition, inferred: Bool = false,
                             redact: Bool = true) -> Command {
        let raw = Bytes.trimmed(line)
        let edited = applyBackspaces(raw)
        let text: ArraySlice<UInt8> = edited.map { Bytes.trimmed($0[...]) } ?? raw
        let rawString = Bytes.string(raw)

        // Verb: up to the first blank (or ':' for `MAIL FROM:` typed as `MAIL:`-less forms).
        var end = text.startIndex
        while end < text.endIndex, !Bytes.isBlank(text[end]), text[end] != 0x3A { end += 1 }
        var verb = Bytes.string(text[text.startIndex..<end]).uppercased()
        if verb.utf8.count > 32 { verb = String(verb.prefix(32)) }
        var rest = text[end...]
        while let f = rest.first, Bytes.isBlank(f) { rest = rest.dropFirst() }

        var command = Command(verb: verb, argument: Bytes.string(rest), raw: rawString,
                              stage: stage(ofVerb: verb), inferred: inferred,
                              hadBackspace: edited != nil, position: position)
        switch verb {
        case "MAIL", "RCPT":
            parsePath(rest, keyword: verb == "MAIL" ? "from" : "to", into: &command)
        case "AUTH":
            parseAuth(rest, into: &command, redact: redact)
        default:
            break
        }
        return command
    }

    /// `FROM:<a@b> SIZE=10 BODY=8BITMIME` / `TO: a@b NOTIFY=NEVER`.
    private static func parsePath(_ arg: ArraySlice<UInt8>, keyword: String, into command: inout Command) {
        var s = arg
        // Skip the keyword (`FROM`/`TO`) and the colon, tolerating blanks around them.
        var k = s.startIndex
        while k < s.endIndex, s[k] != 0x3A, !Bytes.isBlank(s[k]) { k += 1 }
        let word = Bytes.string(s[s.startIndex..<k]).lowercased()
        guard word == keyword else { return }
        s = s[k...]
        while let f = s.first, Bytes.isBlank(f) { s = s.dropFirst() }
        // `MAIL FROM` alone: a command inferred by a reader that does not know the path. No path, not `FROM`.
        if s.isEmpty { command.argument = ""; return }
        guard s.first == 0x3A else { return }
        s = s.dropFirst()
        while let f = s.first, Bytes.isBlank(f) { s = s.dropFirst() }
        command.argument = Bytes.string(s)

        if s.first == 0x3C {   // '<'
            var e = s.startIndex + 1
            while e < s.endIndex, s[e] != 0x3E { e += 1 }
            let inner = s[(s.startIndex + 1)..<e]
            command.address = stripSourceRoute(Bytes.string(inner))
            command.addressBracketed = true
            s = e < s.endIndex ? s[(e + 1)...] : s[e...]
        } else {
            var e = s.startIndex
            while e < s.endIndex, !Bytes.isBlank(s[e]) { e += 1 }
            command.address = Bytes.string(s[s.startIndex..<e])
            command.addressBracketed = false
            s = s[e...]
        }
        for token in s.split(whereSeparator: Bytes.isBlank) {
            if let eq = token.firstIndex(of: 0x3D) {
                command.parameters.append(.init(key: Bytes.string(token[token.startIndex..<eq]).uppercased(),
                                                value: Bytes.string(token[(eq + 1)...])))
            } else {
                command.parameters.append(.init(key: Bytes.string(token).uppercased(), value: nil))
            }
            if command.parameters.count >= 16 { break }
        }
    }

    /// `@relay1,@relay2:user@host` (RFC 5321 source route, to be ignored) -> `user@host`.
    private static func stripSourceRoute(_ path: String) -> String {
        guard path.hasPrefix("@"), let colon = path.firstIndex(of: ":") else { return path }
        return String(path[path.index(after: colon)...])
    }

    /// `AUTH PLAIN <payload>`: keep the mechanism, hide the payload.
    private static func parseAuth(_ arg: ArraySlice<UInt8>, into command: inout Command, redact: Bool) {
        let parts = arg.split(whereSeparator: Bytes.isBlank)
        guard let mech = parts.first else { return }
        command.authMechanism = Bytes.string(mech).uppercased()
        if parts.count > 1, redact {
            command.argument = "\(command.authMechanism!) \(Redaction.placeholder)"
            command.raw = "AUTH \(command.authMechanism!) \(Redaction.placeholder)"
            command.redacted = true
        }
    }
}

/// Credential redaction applied at parse time, so secrets never enter the model.
public enum Redaction {
    public static let placeholder = "[redacted]"
}
