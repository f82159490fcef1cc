/// Small byte helpers shared by readers: inputs are bytes, and we only make `String`s for what we keep.
public enum Bytes {
    public static let lf: UInt8 = 0x0A
    public static let cr: UInt8 = 0x0D
    public static let space: UInt8 = 0x20
    public static let tab: UInt8 = 0x09

    @inlinable
    public static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inlinable
    public static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }
    /// ASCII letter.
    public static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    /// ASCII letter or digit.
    public static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }

    /// Drop leading and trailing blanks (spaces, tabs) and a trailing CR.
    @inlinable
    public static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = s.startIndex
        var hi = s.endIndex
        while lo < hi, isBlank(s[lo]) { lo += 1 }
        while hi > lo, isBlank(s[hi - 1]) || s[hi - 1] == cr { hi -= 1 }
        return s[lo..<hi]
    }

    /// Drop trailing blanks and CR only (content keeps its leading white space).
    @inlinable
    public static func trimmedTrailing(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var hi = s.endIndex
        while hi > s.startIndex, isBlank(s[hi - 1]) || s[hi - 1] == cr { hi -= 1 }
        return s[s.startIndex..<hi]
    }

    /// ASCII case-insensitive prefix test; `prefix` must be lower-case ASCII.
    @inlinable
    public static func hasPrefix(_ s: ArraySlice<UInt8>, lowercased prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard s.count >= n else { return false }
        let p = prefix.utf8Start
        var i = s.startIndex
        for k in 0..<n {
            var b = s[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if b != p[k] { return false }
            i += 1
        }
        return true
    }

    /// ASCII case-insensitive search; `needle` must be lower-case ASCII.
    public static func contains(_ s: ArraySlice<UInt8>, lowercased needle: StaticString) -> Bool {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard !n.isEmpty, s.count >= n.count else { return n.isEmpty }
        let first = n[0]
        var i = s.startIndex
        let last = s.endIndex - n.count
        while i <= last {
            var b = s[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if b == first {
                var k = 1
                while k < n.count {
                    var c = s[i + k]
                    if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                    if c != n[k] { break }
                    k += 1
                }
                if k == n.count { return true }
            }
            i += 1
        }
        return false
    }

    /// Byte-exact substring test on two strings' UTF-8 (see `ByteSearch`); unlike `String.contains`, an empty
    /// needle is found.
    public static func contains(_ text: String, _ needle: String) -> Bool {
        needle.isEmpty || ByteSearch.offsets(of: needle, in: text.utf8) != nil
    }

    /// ASCII letters lower-cased, other bytes unchanged (so offsets stay those of the input).
    public static func asciiLowercased<S: Sequence>(_ s: S) -> [UInt8] where S.Element == UInt8 {
        s.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    /// ASCII letters upper-cased, other bytes unchanged, as a `String` (protocol keywords and mechanisms).
    /// Written straight into the string: a keyword fits a small string, so nothing is allocated. Invalid
    /// UTF-8 is repaired as `String(decoding:as:)` repairs it.
    public static func asciiUppercased<C: Collection>(_ s: C) -> String where C.Element == UInt8 {
        String(unsafeUninitializedCapacity: s.count) { out in
            var i = 0
            for b in s {
                out[i] = b >= 0x61 && b <= 0x7A ? b & 0xDF : b
                i += 1
            }
            return i
        }
    }

    /// The value of one hexadecimal digit (either case); nil for any other byte.
    @inlinable
    public static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// Bytes as two lower-case hexadecimal digits each.
    public static func hex<S: Sequence>(_ b: S, separator: String = "") -> String where S.Element == UInt8 {
        b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: separator)
    }

    /// Decode as UTF-8, replacing invalid sequences (inputs are hostile; never trap).
    @inlinable
    public static func string(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

    /// Parse a non-negative decimal integer; nil when not all digits or too long.
    public static func integer<C: Collection>(_ s: C) -> Int? where C.Element == UInt8 {
        guard !s.isEmpty, s.count <= 18 else { return nil }
        var v = 0
        for b in s {
            guard isDigit(b) else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return v
    }
}
