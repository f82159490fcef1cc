/// UTF-16 text turned into UTF-8 chunk by chunk, so the readers see the same bytes as for any other file.
/// Windows PowerShell 5 writes UTF-16 (little-endian, with a byte order mark) for `>` and `Out-File`: a
/// `Get-Queue | Format-List > queue.txt` or a redirected error arrives this way. A unit split between two
/// chunks (an odd byte, half a surrogate pair) is carried to the next; what is left unpaired at the end
/// becomes U+FFFD. Memory is one chunk.
struct UTF16Source<Inner: ByteSource>: ByteSource {
    var inner: Inner
    let order: UTF16Text.ByteOrder
    private var carry: UInt8?
    private var high: UInt16?
    private var started = false

    init(inner: Inner, order: UTF16Text.ByteOrder) {
        self.inner = inner
        self.order = order
    }

    mutating func next(name: String) throws -> [UInt8]? {
        while true {
            guard let chunk = try inner.next(name: name) else {
                defer { carry = nil; high = nil }
                return carry != nil || high != nil ? [0xEF, 0xBF, 0xBD] : nil
            }
            var out: [UInt8] = []
            out.reserveCapacity(chunk.count + chunk.count / 2)
            var i = chunk.startIndex
            if let c = carry, i < chunk.endIndex {
                unit(c, chunk[i], into: &out)
                carry = nil
                i += 1
            }
            while i + 1 < chunk.endIndex {
                unit(chunk[i], chunk[i + 1], into: &out)
                i += 2
            }
            if i < chunk.endIndex { carry = chunk[i] }
            if !out.isEmpty { return out }
        }
    }

    private mutating func unit(_ a: UInt8, _ b: UInt8, into out: inout [UInt8]) {
        let u = order == .bigEndian ? UInt16(a) << 8 | UInt16(b) : UInt16(b) << 8 | UInt16(a)
        // The byte order mark says which order; it is not text.
        if !started { started = true; if u == 0xFEFF { return } }
        if let h = high {
            high = nil
            if (0xDC00...0xDFFF).contains(u) {
                append(0x10000 + (UInt32(h - 0xD800) << 10) + UInt32(u - 0xDC00), to: &out)
                return
            }
            append(0xFFFD, to: &out)
        }
        switch u {
        case 0xD800...0xDBFF: high = u
        case 0xDC00...0xDFFF: append(0xFFFD, to: &out)
        default: append(UInt32(u), to: &out)
        }
    }

    private func append(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(v >> 6)); out.append(0x80 | UInt8(v & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(v >> 12)); out.append(0x80 | UInt8((v >> 6) & 0x3F)); out.append(0x80 | UInt8(v & 0x3F))
        default:
            out.append(0xF0 | UInt8(v >> 18)); out.append(0x80 | UInt8((v >> 12) & 0x3F))
            out.append(0x80 | UInt8((v >> 6) & 0x3F)); out.append(0x80 | UInt8(v & 0x3F))
        }
    }
}

/// Telling UTF-16 input from the rest.
enum UTF16Text {
    enum ByteOrder { case littleEndian, bigEndian }

    /// Whether the input's first bytes are UTF-16, and in which byte order: a byte order mark, or (without
    /// one) mostly ASCII text, every other byte zero.
    static func detect(_ prefix: [UInt8]) -> ByteOrder? {
        if prefix.count >= 2, prefix[0] == 0xFF, prefix[1] == 0xFE { return .littleEndian }
        if prefix.count >= 2, prefix[0] == 0xFE, prefix[1] == 0xFF { return .bigEndian }
        let n = min(prefix.count, 512) & ~1
        guard n >= 16 else { return nil }
        var zeroFirst = 0, zeroSecond = 0
        for i in stride(from: 0, to: n, by: 2) {
            if prefix[i] == 0 { zeroFirst += 1 }
            if prefix[i + 1] == 0 { zeroSecond += 1 }
        }
        // Mostly ASCII (a few other characters have both bytes set); a zero low byte is rare in text.
        if zeroSecond * 10 >= n / 2 * 9, zeroFirst == 0 { return .littleEndian }
        if zeroFirst * 10 >= n / 2 * 9, zeroSecond == 0 { return .bigEndian }
        return nil
    }
}
