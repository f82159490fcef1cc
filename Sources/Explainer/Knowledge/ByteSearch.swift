#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Substring tests on UTF-8 bytes. The knowledge table tests dozens of lower-cased phrases against every
/// reply; Foundation's Unicode-aware `contains` made that the slowest step of explaining a log.
enum ByteSearch {
    static func contains(_ text: String, _ needle: String) -> Bool {
        var t = text, n = needle
        return t.withUTF8 { h in
            n.withUTF8 { p in
                guard p.count > 0 else { return true }
                guard h.count >= p.count, let hb = h.baseAddress, let pb = p.baseAddress else { return false }
                // memchr for the first byte, memcmp for the rest (Glibc's memmem needs _GNU_SOURCE).
                let last = h.count - p.count
                var i = 0
                while i <= last {
                    guard let hit = memchr(hb + i, Int32(pb[0]), last - i + 1) else { return false }
                    let at = UnsafeRawPointer(hit) - UnsafeRawPointer(hb)
                    if memcmp(hb + at, pb, p.count) == 0 { return true }
                    i = at + 1
                }
                return false
            }
        }
    }

    static func containsAny(_ text: String, _ needles: [String]) -> Bool {
        needles.contains { contains(text, $0) }
    }
}
