/// One line of server reply syntax: `250-PIPELINING`, `550 5.1.1 <a@b>: User unknown`, `220`.
public struct ReplyLine: Sendable, Hashable {
    public var code: Int
    /// `-` separator: more lines of the same reply follow.
    public var continues: Bool
    /// Text after the code and separator.
    public var text: String

    /// Reply syntax: three digits (2xx-5xx), then a space, a dash or the end of the line.
    /// Leading blanks are tolerated (stray indentation from copy-paste).
    public static func parse(_ line: ArraySlice<UInt8>) -> ReplyLine? {
        var s = line
        while let f = s.first, Bytes.isBlank(f) { s = s.dropFirst() }
        guard s.count >= 3 else { return nil }
        let i = s.startIndex
        let d0 = s[i], d1 = s[i + 1], d2 = s[i + 2]
        guard d0 >= 0x32 && d0 <= 0x35, Bytes.isDigit(d1), Bytes.isDigit(d2) else { return nil }
        let code = Int(d0 - 0x30) * 100 + Int(d1 - 0x30) * 10 + Int(d2 - 0x30)
        if s.count == 3 { return ReplyLine(code: code, continues: false, text: "") }
        let sep = s[i + 3]
        guard sep == Bytes.space || sep == 0x2D || sep == Bytes.tab || sep == Bytes.cr else { return nil }
        let text = Bytes.trimmedTrailing(s[(i + 4)...])
        return ReplyLine(code: code, continues: sep == 0x2D, text: Bytes.string(text))
    }

    /// True for bytes that have reply syntax, without building the text.
    public static func matches(_ line: ArraySlice<UInt8>) -> Bool {
        var s = line
        while let f = s.first, Bytes.isBlank(f) { s = s.dropFirst() }
        guard s.count >= 3 else { return false }
        let i = s.startIndex
        guard s[i] >= 0x32 && s[i] <= 0x35, Bytes.isDigit(s[i + 1]), Bytes.isDigit(s[i + 2]) else { return false }
        if s.count == 3 { return true }
        let sep = s[i + 3]
        return sep == Bytes.space || sep == 0x2D || sep == Bytes.tab || sep == Bytes.cr
    }

    /// Split a leading RFC 3463 enhanced status code (`5.7.1 `) off a reply text.
    /// The class digit must agree with the reply code's class, as RFC 2034 requires.
    public static func splitEnhanced(_ text: String, code: Int) -> (enhanced: String?, rest: String) {
        let u = Array(text.utf8)
        var i = 0
        func digits(max: Int) -> Bool {
            let start = i
            while i < u.count, Bytes.isDigit(u[i]), i - start < max { i += 1 }
            return i > start
        }
        guard u.count >= 5, u[0] == 0x32 || u[0] == 0x34 || u[0] == 0x35 else { return (nil, text) }
        i = 1
        guard i < u.count, u[i] == 0x2E else { return (nil, text) }
        i += 1
        guard digits(max: 3), i < u.count, u[i] == 0x2E else { return (nil, text) }
        i += 1
        guard digits(max: 3) else { return (nil, text) }
        guard i == u.count || u[i] == Bytes.space || u[i] == Bytes.tab else { return (nil, text) }
        let enhanced = String(decoding: u[0..<i], as: UTF8.self)
        var j = i
        while j < u.count, Bytes.isBlank(u[j]) { j += 1 }
        return (enhanced, String(decoding: u[j...], as: UTF8.self))
    }
}
