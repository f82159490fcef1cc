/// A small streaming JSON writer with a fixed key order, so the output is stable byte for byte.
/// It writes UTF-8 bytes: JSON Lines of a gigabyte log go through here, so no per-character `String` work.
/// The bytes live in one buffer the writer owns (no array uniqueness check per append); it is not copyable,
/// so two writers never share it.
public struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// The bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
    public var output: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }
    /// Bit `d` set: the open container at depth `d` already holds an element (the next one needs a comma).
    /// The renderers nest a few levels; 64 is far beyond them.
    private var filled: UInt64 = 0
    private var depth = 0
    private var pendingKey = false

    /// A session's line is usually 5–20 KB: start big enough to grow once at most.
    public init() {
        capacity = 16 << 10
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    @inline(__always)
    private mutating func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    private mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }

    private mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        if let p = b.baseAddress { append(p, b.count) }
    }

    public mutating func beginObject() { value(); append(0x7B); open() }
    public mutating func endObject() { depth -= 1; append(0x7D) }
    public mutating func beginArray() { value(); append(0x5B); open() }
    public mutating func endArray() { depth -= 1; append(0x5D) }

    private mutating func open() {
        depth += 1
        precondition(depth < 64, "JSON nested deeper than the renderers ever write")
        filled &= ~(1 << UInt64(depth))
    }

    /// One of our own key names: plain ASCII by construction, copied as it is.
    public mutating func key(_ k: StaticString) {
        separate()
        let n = k.utf8CodeUnitCount
        reserve(n + 3)
        base[count] = 0x22
        (base + count + 1).update(from: k.utf8Start, count: n)
        base[count + n + 1] = 0x22
        base[count + n + 2] = 0x3A
        count += n + 3
        pendingKey = true
    }

    /// A key that comes from the input or the data (header, parameter and attribute names): escaped.
    public mutating func key(name k: String) {
        separate()
        quote(k)
        append(0x3A)
        pendingKey = true
    }

    /// A comma before every element but the first of its container.
    @inline(__always)
    private mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth)
        if filled & bit != 0 { append(0x2C) }
        filled |= bit
    }

    private mutating func value() {
        if pendingKey { pendingKey = false; return }
        separate()
    }

    private mutating func raw(_ s: StaticString) { append(s.utf8Start, s.utf8CodeUnitCount) }

    private mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    /// Decimal digits straight into the buffer (no `String` per number).
    private mutating func digits(_ i: Int) {
        if i < 0 { append(0x2D) }
        var m = i.magnitude
        var n = 1
        var t = m / 10
        while t > 0 { n += 1; t /= 10 }
        reserve(n)
        var k = count + n
        repeat { k -= 1; base[k] = UInt8(truncatingIfNeeded: m % 10) + 0x30; m /= 10 } while m > 0
        count += n
    }

    public mutating func string(_ s: String?) {
        value()
        if let s { quote(s) } else { raw("null") }
    }
    public mutating func int(_ i: Int?) {
        value()
        if let i { digits(i) } else { raw("null") }
    }
    public mutating func double(_ d: Double?) {
        value()
        guard let d, d.isFinite else { raw("null"); return }
        if d == d.rounded() && abs(d) < 1e15 { digits(Int(d)) } else { raw(String(d)) }
    }
    public mutating func bool(_ b: Bool?) {
        value()
        if let b { raw(b ? "true" : "false") } else { raw("null") }
    }
    public mutating func null() { value(); raw("null") }

    public mutating func field(_ k: StaticString, _ s: String?) { key(k); string(s) }
    public mutating func field(_ k: StaticString, _ i: Int?) { key(k); int(i) }
    public mutating func field(_ k: StaticString, _ b: Bool?) { key(k); bool(b) }
    public mutating func field(_ k: StaticString, _ d: Double?) { key(k); double(d) }
    public mutating func field(name k: String, _ s: String?) { key(name: k); string(s) }
    public mutating func field(name k: String, _ i: Int?) { key(name: k); int(i) }
    public mutating func field(_ k: StaticString, strings: [String]) {
        key(k)
        beginArray()
        for s in strings { string(s) }
        endArray()
    }

    /// JSON string escaping; every control character is escaped (C0, DEL, C1, and U+2028/2029 which some
    /// JavaScript parsers treat as line ends), so output is also terminal-safe. Runs of plain bytes are copied
    /// at once.
    private mutating func quote(_ s: String) {
        var s = s
        s.withUTF8 { u in
            // Room for the common case (nothing to escape) at once.
            reserve(u.count + 2)
            base[count] = 0x22
            count += 1
            let n = u.count
            var start = 0
            var i = 0
            let p = u.baseAddress
            while i < n {
                // Most text needs nothing: skip eight bytes at a time while none of them may need escaping.
                if let p {
                    while i + 8 <= n, !Self.mayNeedEscape(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) { i += 8 }
                    if i >= n { break }
                }
                let b = u[i]
                if !Self.special[Int(b)] { i += 1; continue }
                var escape: String? = nil
                var width = 1
                switch b {
                case 0x22: escape = "\\\""
                case 0x5C: escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x00..<0x20, 0x7F: escape = Self.hex(UInt32(b))
                case 0xC2 where i + 1 < n && (0x80...0x9F).contains(u[i + 1]):
                    escape = Self.hex(UInt32(u[i + 1])); width = 2
                case 0xE2 where i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9):
                    escape = Self.hex(0x2000 | UInt32(u[i + 2] - 0x80)); width = 3
                default: break
                }
                if var escape {
                    if start < i { append(UnsafeBufferPointer(rebasing: u[start..<i])) }
                    escape.withUTF8 { append($0) }
                    i += width
                    start = i
                } else {
                    i += 1
                }
            }
            if start < n { append(UnsafeBufferPointer(rebasing: u[start..<n])) }
            append(0x22)
        }
    }

    /// Whether any of eight bytes may need escaping: below 0x20, `"`, `\\`, or 0x7F and above (DEL, and every
    /// non-ASCII byte, a superset of the C1 and U+2028/2029 lead bytes). A yes is checked byte by byte.
    @inline(__always)
    static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let control = (w &- ones &* 0x20) & ~w & highs              // a byte < 0x20
        let upper = ((w &+ ones) | w) & highs                       // a byte >= 0x7F
        let q = w ^ (ones &* 0x22), bs = w ^ (ones &* 0x5C)
        let quote = (q &- ones) & ~q & highs                        // a byte == '"'
        let backslash = (bs &- ones) & ~bs & highs                  // a byte == '\\'
        return control | upper | quote | backslash != 0
    }

    /// Bytes that may need escaping: C0 controls, `"`, `\\`, DEL, and the lead bytes of C1 controls (0xC2) and
    /// of U+2028/2029 (0xE2).
    static let special: [Bool] = (0..<256).map { b in b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xC2 || b == 0xE2 }

    private static func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
}
