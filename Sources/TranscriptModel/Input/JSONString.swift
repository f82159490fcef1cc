/// A JSON string literal decoded from bytes: the one decoder behind the journald reader (`JournalJSON`) and
/// the email-service event parser (`JSONParser`).
enum JSONString {
    /// The literal whose opening quote is at `start`: its bytes with escapes decoded (`\uD83D\uDE00` pairs
    /// joined, lone surrogates as U+FFFD) and the index after the closing quote. `strict` refuses what JSON
    /// does not allow (raw control bytes, unknown escapes); otherwise they pass through as they are.
    static func decode(_ s: ArraySlice<UInt8>, at start: Int, strict: Bool) -> ([UInt8], Int)? {
        var out: [UInt8] = []
        var i = start + 1
        while i < s.endIndex {
            let c = s[i]
            i += 1
            if c == 0x22 { return (out, i) }
            if strict, c < 0x20 { return nil }
            guard c == 0x5C, i < s.endIndex else { out.append(c); continue }
            let e = s[i]
            i += 1
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var u = hex4(s, i) else { return nil }
                i += 4
                // A character outside the BMP is two escapes.
                if (0xD800..<0xDC00).contains(u), i + 6 <= s.endIndex, s[i] == 0x5C, s[i + 1] == 0x75,
                   let low = hex4(s, i + 2), (0xDC00..<0xE000).contains(low) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(u) ?? "\u{FFFD}")).utf8)
            case 0x22, 0x5C, 0x2F: out.append(e)
            default:
                if strict { return nil }
                out.append(e)
            }
        }
        return nil
    }

    private static func hex4(_ s: ArraySlice<UInt8>, _ i: Int) -> UInt32? {
        guard i + 4 <= s.endIndex else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            guard let d = Bytes.hexValue(s[k]) else { return nil }
            v = v << 4 | UInt32(d)
        }
        return v
    }
}
