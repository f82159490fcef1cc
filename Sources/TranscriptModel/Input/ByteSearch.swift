/// `contains` and `range(of:)` on strings, searching their UTF-8 bytes.
///
/// With Foundation imported, `s.contains("x")` and `s.range(of: "x")` resolve to Foundation's
/// `StringProtocol` methods, which on Linux go through `NSString` and `CFStringFind`: microseconds a call,
/// and readers and rules make them on every line and reply. These concrete overloads win over the generic
/// ones wherever this module is imported, and find the same matches for what we search for (needles are
/// protocol and log phrases; a match of valid UTF-8 in valid UTF-8 starts on a scalar boundary). What
/// differs, a needle equal to its text only under Unicode canonical equivalence, does not occur in them.
/// The empty needle keeps Foundation's answer (not found).
extension String {
    public func contains(_ other: String) -> Bool {
        ByteSearch.offsets(of: other, in: utf8) != nil
    }

    public func range(of other: String) -> Range<String.Index>? {
        ByteSearch.range(of: other, in: utf8)
    }
}

extension Substring {
    public func contains(_ other: String) -> Bool {
        ByteSearch.offsets(of: other, in: utf8) != nil
    }

    public func range(of other: String) -> Range<String.Index>? {
        ByteSearch.range(of: other, in: utf8)
    }
}

enum ByteSearch {
    /// Byte offsets of the first occurrence of `needle` in `hay`; nil when absent or `needle` is empty.
    @inline(__always)
    static func offsets<U: BidirectionalCollection>(of needle: String, in hay: U) -> Range<Int>?
    where U.Element == UInt8 {
        var needle = needle
        func find(_ h: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
            needle.withUTF8 { n in
                guard n.count > 0, let nb = n.baseAddress, let hb = h.baseAddress,
                      let p = memfind(hb, h.count, nb, n.count) else { return nil }
                let start = hb.distance(to: p)
                return start..<(start + n.count)
            }
        }
        // A string without contiguous UTF-8 (bridged) is copied first.
        return hay.withContiguousStorageIfAvailable(find) ?? Array(hay).withUnsafeBufferPointer(find)
    }

    /// The first occurrence of `needle` in a string's or substring's UTF-8, as string indices.
    static func range<U: BidirectionalCollection>(of needle: String, in hay: U) -> Range<String.Index>?
    where U.Element == UInt8, U.Index == String.Index {
        guard let o = offsets(of: needle, in: hay) else { return nil }
        let lo = hay.index(hay.startIndex, offsetBy: o.lowerBound)
        return lo..<hay.index(lo, offsetBy: o.count)
    }
}
