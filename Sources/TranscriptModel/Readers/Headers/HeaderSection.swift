/// One header field of a message, unfolded (continuation lines joined with a space).
struct HeaderField: Sendable {
    var name: String
    /// Lower-cased, for lookups.
    var key: String
    var value: String
    var firstLine: Int
    var lastLine: Int
}

/// The header section of a message as it arrives line by line: field lines (`Name: value`) and their
/// continuations, unfolded. Bounded: a hostile paste of endless fields or one endless field keeps the first
/// `maxFields` fields and `maxValueBytes` of each.
struct HeaderSection: Sendable {
    static let maxFields = 500
    static let maxValueBytes = 16_384

    private(set) var fields: [HeaderField] = []
    private var name: [UInt8] = []
    private var value: [UInt8] = []
    private var first = 0
    private var last = 0
    private(set) var truncated = false

    var isEmpty: Bool { fields.isEmpty && name.isEmpty }

    /// `Name: value` → the name's length, when `line` starts a field. A name is printable ASCII without
    /// a space or colon (RFC 5322 §2.2), so `Mon, 30 Nov 2026 08:12:44` is not one.
    static func fieldName(_ line: ArraySlice<UInt8>) -> Int? {
        var n = 0
        for b in line.prefix(78) {
            if b == 0x3A { return n > 0 ? n : nil }
            guard b > 0x20, b < 0x7F else { return nil }
            n += 1
        }
        return nil
    }

    static func isContinuation(_ line: ArraySlice<UInt8>) -> Bool {
        line.first.map(Bytes.isBlank) ?? false
    }

    /// A new field starts on this line.
    mutating func start(_ line: ArraySlice<UInt8>, nameLength n: Int, number: Int) {
        close()
        name = Array(line.prefix(n))
        append(Bytes.trimmed(line.dropFirst(n + 1)))
        first = number
        last = number
    }

    /// A folded line of the open field (or, in a paste that lost its indentation, a line that cannot be a field).
    mutating func continueField(_ line: ArraySlice<UInt8>, number: Int) {
        guard !name.isEmpty else { return }
        let t = Bytes.trimmed(line)
        guard !t.isEmpty else { return }
        if !value.isEmpty { append([Bytes.space][...]) }
        append(t)
        last = number
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>) {
        let room = Self.maxValueBytes - value.count
        if bytes.count > room { truncated = true }
        if room > 0 { value.append(contentsOf: bytes.prefix(room)) }
    }

    /// The open field is complete.
    mutating func close() {
        guard !name.isEmpty else { return }
        if fields.count < Self.maxFields {
            let n = Bytes.string(name[...])
            fields.append(HeaderField(name: n, key: n.lowercased(), value: Bytes.string(value[...]), firstLine: first, lastLine: last))
        } else {
            truncated = true
        }
        name.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
    }

    mutating func reset() {
        fields.removeAll()
        name.removeAll()
        value.removeAll()
        truncated = false
    }

    func first(_ key: String) -> HeaderField? { fields.first { $0.key == key } }
    func all(_ key: String) -> [HeaderField] { fields.filter { $0.key == key } }
}
