/// Makes input text safe to print: control characters never reach a terminal raw.
public enum Sanitizer {
    /// C0 controls, DEL, C1 controls and the Unicode bidi overrides are shown escaped
    /// (`^H` for backspace, `\x1b` for the rest), so a pasted escape sequence cannot drive the terminal.
    public static func terminal(_ s: String) -> String {
        var needs = false
        for u in s.unicodeScalars where isUnsafe(u) { needs = true; break }
        guard needs else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if !isUnsafe(u) { out.append(u); continue }
            let text: String
            switch u.value {
            case 0x08: text = "^H"
            case 0x7F: text = "^?"
            case 0x09: text = "\\t"
            case 0x0D: text = "\\r"
            case 0x0A: text = "\\n"
            default:
                let hex = String(u.value, radix: 16)
                text = u.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
            out.append(contentsOf: text.unicodeScalars)
        }
        return String(out)
    }

    @inline(__always)
    static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x20 || v == 0x7F { return true }
        if v >= 0x80 && v <= 0x9F { return true }
        // Bidi embeddings/overrides/isolates can reorder what the reader sees.
        if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) { return true }
        return false
    }
}
