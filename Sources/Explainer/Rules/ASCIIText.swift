import TranscriptModel

/// Byte-level versions of the rules' text tests. They hold for ASCII text only; callers check
/// `isASCII` first and keep the `String` version (Unicode case mapping, grapheme clusters) for the rest.
enum ASCIIText {
    static func isASCII(_ s: some StringProtocol) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { b in
            var i = 0
            let n = b.count
            // Eight bytes at a time: any high bit means non-ASCII.
            while i + 8 <= n {
                if UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
            while i < n { if b[i] >= 0x80 { return false }; i += 1 }
            return true
        } ?? s.utf8.allSatisfy { $0 < 0x80 }
    }

    /// What `Int(String(part))` says, without making the string: an optional sign, then decimal digits,
    /// within `Int`'s range.
    static func int(_ part: ArraySlice<UInt8>) -> Int? {
        var digits = part[...]
        var negative = false
        if let f = digits.first, f == 0x2B || f == 0x2D {
            negative = f == 0x2D
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var m: UInt64 = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return nil }
            let (times10, o1) = m.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d - 0x30))
            guard !o1, !o2 else { return nil }
            m = sum
        }
        if negative { return m <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- m) : nil }
        return m <= UInt64(Int.max) ? Int(m) : nil
    }

    /// The first space-separated word (`split(separator: " ").first`).
    static func firstWord(_ s: String) -> Substring {
        guard isASCII(s) else { return s.split(separator: " ", maxSplits: 1).first ?? "" }
        let u = s.utf8
        guard let start = u.firstIndex(where: { $0 != 0x20 }) else { return "" }
        return s[start..<(u[start...].firstIndex(of: 0x20) ?? u.endIndex)]
    }

    /// Bytes of `s` that are one of `bytes` (ASCII characters).
    static func count(_ bytes: UInt8..., in s: some StringProtocol) -> Int {
        var n = 0
        for b in s.utf8 where bytes.contains(b) { n += 1 }
        return n
    }

    /// `s.uppercased().hasPrefix(PREFIX)`, with the prefix given in lower case.
    static func hasPrefix(_ s: String, lowercased prefix: StaticString) -> Bool {
        guard isASCII(s) else { return s.uppercased().hasPrefix(prefix.description.uppercased()) }
        return Bytes.hasPrefix(ArraySlice(s.utf8.prefix(prefix.utf8CodeUnitCount)), lowercased: prefix)
    }
}
