/// A parsed JSON document, for the small ones this project reads whole (an email service's event).
/// Objects keep the byte offset they start at, so an event can say on which line of the input it is.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)], offset: Int)

    /// The first member named `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members, _) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// A member down a path of keys: `event["delivery-status", "code"]`.
    subscript(path: String...) -> JSONValue? {
        var v: JSONValue? = self
        for k in path { v = v?[k] }
        return v
    }

    /// Strings as they are; numbers and booleans as JSON writes them (`550`, `1.5`, `true`).
    var string: String? {
        switch self {
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// A non-empty string, trimmed.
    var text: String? {
        guard let s = string?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        return s
    }

    var int: Int? {
        switch self {
        case .number(let d): return d.isFinite && abs(d) < 1e15 ? Int(d) : nil
        case .string(let s): return Int(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    var double: Double? {
        switch self {
        case .number(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .number(let d): return d != 0
        case .string(let s): return s == "true" ? true : s == "false" ? false : nil
        default: return nil
        }
    }

    var array: [JSONValue] {
        if case .array(let a) = self { return a }
        return []
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    var offset: Int? {
        if case .object(_, let o) = self { return o }
        return nil
    }
}

/// A strict JSON parser over bytes with a nesting limit, so hostile input costs bounded stack and time.
struct JSONParser {
    static let maxDepth = 64

    private let bytes: [UInt8]
    private var i = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The value filling `bytes` (blanks around it allowed), or nil when it is not one valid JSON value.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var p = JSONParser(bytes)
        guard let v = p.value(depth: 0) else { return nil }
        p.skipBlanks()
        return p.i == bytes.count ? v : nil
    }

    private mutating func skipBlanks() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) -> JSONValue? {
        guard depth < Self.maxDepth else { return nil }
        skipBlanks()
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case 0x7B: return object(depth: depth)
        case 0x5B: return array(depth: depth)
        case 0x22: return string().map(JSONValue.string)
        case 0x74: return literal("true", .bool(true))
        case 0x66: return literal("false", .bool(false))
        case 0x6E: return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString, _ v: JSONValue) -> JSONValue? {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { return nil }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        for k in 0..<n where bytes[i + k] != w[k] { return nil }
        i += n
        return v
    }

    private mutating func object(depth: Int) -> JSONValue? {
        let start = i
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        skipBlanks()
        if i < bytes.count, bytes[i] == 0x7D { i += 1; return .object(members, offset: start) }
        while true {
            skipBlanks()
            guard i < bytes.count, bytes[i] == 0x22, let key = string() else { return nil }
            skipBlanks()
            guard i < bytes.count, bytes[i] == 0x3A else { return nil }
            i += 1
            guard let v = value(depth: depth + 1) else { return nil }
            members.append((key, v))
            skipBlanks()
            guard i < bytes.count else { return nil }
            if bytes[i] == 0x2C { i += 1; continue }
            if bytes[i] == 0x7D { i += 1; return .object(members, offset: start) }
            return nil
        }
    }

    private mutating func array(depth: Int) -> JSONValue? {
        i += 1
        var items: [JSONValue] = []
        skipBlanks()
        if i < bytes.count, bytes[i] == 0x5D { i += 1; return .array(items) }
        while true {
            guard let v = value(depth: depth + 1) else { return nil }
            items.append(v)
            skipBlanks()
            guard i < bytes.count else { return nil }
            if bytes[i] == 0x2C { i += 1; continue }
            if bytes[i] == 0x5D { i += 1; return .array(items) }
            return nil
        }
    }

    private mutating func number() -> JSONValue? {
        let start = i
        while i < bytes.count, Bytes.isDigit(bytes[i]) || [0x2D, 0x2B, 0x2E, 0x65, 0x45].contains(bytes[i]) { i += 1 }
        guard i > start, i - start < 64, let d = Double(Bytes.string(bytes[start..<i])) else { return nil }
        return .number(d)
    }

    /// A string literal at `i` (the opening quote), escapes decoded; invalid UTF-8 becomes U+FFFD.
    private mutating func string() -> String? {
        guard let (out, end) = JSONString.decode(bytes[...], at: i, strict: true) else { return nil }
        i = end
        return String(decoding: out, as: UTF8.self)
    }
}
