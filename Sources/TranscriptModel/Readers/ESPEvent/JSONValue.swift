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
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == 0x22 { return String(decoding: out, as: UTF8.self) }
            if c < 0x20 { return nil }
            guard c == 0x5C else { out.append(c); continue }
            guard i < bytes.count else { return nil }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var u = hex4() else { return nil }
                // A surrogate pair is two escapes.
                if (0xD800..<0xDC00).contains(u), i + 6 <= bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 {
                    i += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(u) ?? "\u{FFFD}")).utf8)
            default: return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        i += 4
        return v
    }
}

/// Cuts a stream of lines into JSON documents: one per line (JSON Lines), or one spread over many lines
/// (pretty-printed, or an array of events). Text before a document's first brace is skipped (a log line's
/// prefix). A document over `maxBytes` is given up, so memory stays bounded on any input.
struct JSONDocuments {
    static let maxBytes = 8 << 20

    struct Document {
        var bytes: [UInt8]
        /// Line number of each line's first byte in `bytes`, in order.
        var lineStarts: [(offset: Int, line: Int)]
        /// It opened at the first byte of its line.
        var atLineStart = false
        /// The document was cut at `maxBytes` and is not complete.
        var truncated = false

        /// The input line of a byte offset in `bytes`.
        func line(at offset: Int) -> Int {
            var lo = 0, hi = lineStarts.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if lineStarts[mid].offset <= offset { lo = mid + 1 } else { hi = mid }
            }
            return lineStarts[max(0, lo - 1)].line
        }
    }

    private var current: Document?
    /// Inside a document that was given up: its bytes are counted through, not kept.
    private var skipping = false
    /// The given-up document opened at the start of a line, so one opening at the start of a line ends it
    /// (its own line may have been cut, and its depth can no longer be trusted).
    private var skippedAtLineStart = false
    private var depth = 0
    private var inString = false
    private var escaped = false

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Document) -> Void) {
        var i = line.startIndex
        // JSON Lines: an object that never closed (a cut line) must not swallow the next event. An object
        // opened at the start of a line inside another one opened the same way is taken as the next event
        // (pretty-printers indent nested values).
        if let c = current, !skipping, c.bytes.first == 0x7B, c.atLineStart, line.first == 0x7B {
            emit(c)
            current = nil
        }
        if skipping, skippedAtLineStart, line.first == 0x7B || line.first == 0x5B {
            skipping = false
        }
        while i < line.endIndex {
            if current == nil, !skipping {
                // Outside a document: wait for its first brace or bracket.
                while i < line.endIndex, line[i] != 0x7B, line[i] != 0x5B { i += 1 }
                guard i < line.endIndex else { return }
                current = Document(bytes: [], lineStarts: [(0, number)], atLineStart: i == line.startIndex)
                depth = 0
                inString = false
                escaped = false
            } else if current != nil, current!.lineStarts.last!.line != number {
                current!.bytes.append(0x0A)
                current!.lineStarts.append((current!.bytes.count, number))
            }
            let start = i
            var ended = false
            while i < line.endIndex {
                let c = line[i]
                i += 1
                if inString {
                    if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                    continue
                }
                switch c {
                case 0x22: inString = true
                case 0x7B, 0x5B: depth += 1
                case 0x7D, 0x5D: depth -= 1
                default: break
                }
                if depth <= 0 { ended = true; break }
            }
            if skipping {
                if ended { skipping = false }
                continue
            }
            if current!.bytes.count + (i - start) > Self.maxBytes {
                current!.truncated = true
                emit(current!)
                skippedAtLineStart = current!.atLineStart
                current = nil
                skipping = !ended
                continue
            }
            current!.bytes.append(contentsOf: line[start..<i])
            if ended {
                emit(current!)
                current = nil
            }
        }
    }

    mutating func finish(emit: (Document) -> Void) {
        if let c = current { emit(c) }
        current = nil
        skipping = false
    }
}
