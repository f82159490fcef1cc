/// A structured header value split into words, `(comments)` (nested, without the outer parentheses),
/// `<addresses>` (kept whole, with their brackets) and top-level `;` separators. Quoted strings stay in
/// their word. Received and Authentication-Results values are read this way.
enum HeaderToken: Sendable, Equatable {
    case word(String)
    case comment(String)
    case semicolon

    static let maxTokens = 400

    static func split(_ value: String) -> [HeaderToken] {
        var out: [HeaderToken] = []
        var word = ""
        var comment = ""
        var depth = 0
        var inQuote = false
        var inAngle = false
        func flush() {
            if !word.isEmpty, out.count < maxTokens { out.append(.word(word)) }
            word = ""
        }
        for ch in value {
            if depth > 0 {
                if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
                if depth == 0 {
                    if out.count < maxTokens { out.append(.comment(comment.trimmingSpaces)) }
                    comment = ""
                } else if comment.utf8.count < 2_000 {
                    comment.append(ch)
                }
                continue
            }
            if inQuote {
                word.append(ch)
                if ch == "\"" { inQuote = false }
                continue
            }
            if inAngle {
                word.append(ch)
                if ch == ">" { inAngle = false; flush() }
                continue
            }
            switch ch {
            case "(":
                flush()
                depth = 1
            case ";":
                flush()
                if out.count < maxTokens { out.append(.semicolon) }
            case " ", "\t":
                flush()
            case "\"":
                word.append(ch)
                inQuote = true
            case "<":
                flush()
                word.append(ch)
                inAngle = true
            default:
                if word.utf8.count < 1_000 { word.append(ch) }
            }
        }
        if depth > 0, out.count < maxTokens { out.append(.comment(comment.trimmingSpaces)) }
        flush()
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Dates in header fields (RFC 5322 §3.3): `Mon, 30 Nov 2026 08:12:44 -0800 (PST)`, with the obsolete
/// zone names and two-digit years the RFC still reads.
enum MailDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = ["ut": 0, "gmt": 0, "utc": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
                                       "mst": -7, "mdt": -6, "pst": -8, "pdt": -7]

    /// Seconds since the epoch, or nil when `text` holds no such date.
    static func parse(_ text: String) -> Double? {
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).prefix(12).map { $0.lowercased() }
        // Drop a leading day name and anything before the day of the month.
        while let w = words.first, Int(w) == nil { words.removeFirst() }
        guard words.count >= 4, let day = Int(words[0]), (1...31).contains(day),
              let month = months.firstIndex(of: String(words[1].prefix(3))), var year = Int(words[2]) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        guard (1970...9999).contains(year) else { return nil }
        let clock = words[3].split(separator: ":").map { Int($0) }
        guard clock.count >= 2, clock.count <= 3, let h = clock[0], let m = clock[1], h < 24, m < 60 else { return nil }
        let s = clock.count == 3 ? (clock[2] ?? 0) : 0
        guard s < 61 else { return nil }
        var offset = 0
        if words.count > 4 {
            let z = words[4]
            if let sign = z.first, sign == "+" || sign == "-", z.count == 5, let v = Int(z.dropFirst()) {
                offset = (v / 100 * 3600 + v % 100 * 60) * (sign == "-" ? -1 : 1)
            } else if let hours = zones[z] {
                offset = hours * 3600
            }
        }
        let days = Stamp.daysFromCivil(year, month + 1, day)
        return Double(days * 86400 + h * 3600 + m * 60 + s - offset)
    }
}
