/// A small streaming JSON writer with a fixed key order, so the output is stable byte for byte.
public struct JSONWriter {
    public private(set) var output = ""
    /// Elements written so far in each open container.
    private var counts: [Int] = [0]
    private var pendingKey = false

    public init() { output.reserveCapacity(4096) }

    public mutating func beginObject() { value(); output.append("{"); counts.append(0) }
    public mutating func endObject() { counts.removeLast(); output.append("}") }
    public mutating func beginArray() { value(); output.append("["); counts.append(0) }
    public mutating func endArray() { counts.removeLast(); output.append("]") }

    public mutating func key(_ k: String) {
        if counts[counts.count - 1] > 0 { output.append(",") }
        counts[counts.count - 1] += 1
        Self.quote(k, into: &output)
        output.append(":")
        pendingKey = true
    }

    private mutating func value() {
        if pendingKey { pendingKey = false; return }
        if counts[counts.count - 1] > 0 { output.append(",") }
        counts[counts.count - 1] += 1
    }

    public mutating func string(_ s: String?) {
        value()
        if let s { Self.quote(s, into: &output) } else { output.append("null") }
    }
    public mutating func int(_ i: Int?) { value(); output.append(i.map(String.init) ?? "null") }
    public mutating func double(_ d: Double?) {
        value()
        guard let d, d.isFinite else { output.append("null"); return }
        output.append(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d))
    }
    public mutating func bool(_ b: Bool?) { value(); output.append(b.map { $0 ? "true" : "false" } ?? "null") }
    public mutating func null() { value(); output.append("null") }

    public mutating func field(_ k: String, _ s: String?) { key(k); string(s) }
    public mutating func field(_ k: String, _ i: Int?) { key(k); int(i) }
    public mutating func field(_ k: String, _ b: Bool?) { key(k); bool(b) }
    public mutating func field(_ k: String, _ d: Double?) { key(k); double(d) }
    public mutating func field(_ k: String, strings: [String]) {
        key(k)
        beginArray()
        for s in strings { string(s) }
        endArray()
    }

    /// JSON string escaping; every control character is escaped, so output is also terminal-safe.
    static func quote(_ s: String, into out: inout String) {
        out.append("\"")
        for u in s.unicodeScalars {
            switch u {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value)
                    || (0x2028...0x2029).contains(u.value) {
                    let hex = String(u.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.append("\"")
    }
}
