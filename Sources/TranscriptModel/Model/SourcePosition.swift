import Foundation

/// Where an event came from, so every finding can point at its evidence.
public struct SourcePosition: Sendable, Hashable, Codable {
    /// Input name as given on the command line (`-` for stdin).
    public var input: String {
        get { name.string }
        set { name = InputName(newValue) }
    }
    /// A position is copied into every command, reply, line and note, on several threads: a path longer than
    /// a small string would make each copy a shared reference count to bump.
    private var name: InputName
    // The optional numbers are stored without their flags (a position is in every command, reply, line and
    // note, and copied often): 56 bytes instead of 88, about 3% of a log run's CPU. `Int.min` and one NaN
    // pattern stand for nil; neither is a line, packet, sequence number or time a reader makes.
    private var lineValue: Int
    private var packetValue: Int
    private var timeValue: Double
    private var sequenceValue: Int

    private static let noInt = Int.min
    /// A signalling NaN with a payload arithmetic never makes; any other NaN is kept as a value.
    private static let noTimeBits: UInt64 = 0x7FF4_5345_504F_5300

    @inline(__always) private static func pack(_ v: Int?) -> Int { v ?? noInt }
    @inline(__always) private static func unpack(_ v: Int) -> Int? { v == noInt ? nil : v }

    /// 1-based line number in the input (transcripts, logs).
    public var line: Int? {
        @inline(__always) get { Self.unpack(lineValue) }
        set { lineValue = Self.pack(newValue) }
    }
    /// 1-based packet number (captures).
    public var packet: Int? {
        @inline(__always) get { Self.unpack(packetValue) }
        set { packetValue = Self.pack(newValue) }
    }
    /// Seconds since the Unix epoch, when the input carries time (logs, captures, timestamped debug output).
    public var time: Double? {
        @inline(__always) get { timeValue.bitPattern == Self.noTimeBits ? nil : timeValue }
        set { timeValue = newValue ?? Double(bitPattern: Self.noTimeBits) }
    }
    /// Logs read together (`maillog.1 maillog`): the line's place in the merged, time-ordered stream. Nil for
    /// a single input, where `line` is the order.
    public var sequence: Int? {
        @inline(__always) get { Self.unpack(sequenceValue) }
        set { sequenceValue = Self.pack(newValue) }
    }

    public init(input: String, line: Int? = nil, packet: Int? = nil, time: Double? = nil, sequence: Int? = nil) {
        self.init(name: InputName(input), line: line, packet: packet, time: time, sequence: sequence)
    }

    /// A position in an input whose name is already looked up (readers make one per line).
    init(name: InputName, line: Int? = nil, packet: Int? = nil, time: Double? = nil, sequence: Int? = nil) {
        self.name = name
        lineValue = Self.pack(line)
        packetValue = Self.pack(packet)
        timeValue = time ?? Double(bitPattern: Self.noTimeBits)
        sequenceValue = Self.pack(sequence)
    }

    /// Reading order: the merged sequence when there is one, else the line (or packet) number.
    @inline(__always)
    public var order: Int {
        sequenceValue != Self.noInt ? sequenceValue : lineValue != Self.noInt ? lineValue : packetValue != Self.noInt ? packetValue : 0
    }

    /// Short human form: `line 12`, `packet 7`; logs read merged name the file: `maillog.1 line 12`.
    public var label: String {
        if let line {
            if sequence != nil { return "\(input.split(separator: "/").last.map(String.init) ?? input) line \(line)" }
            return "line \(line)"
        }
        if let packet { return "packet \(packet)" }
        return "-"
    }
}

extension SourcePosition {
    public static func == (a: SourcePosition, b: SourcePosition) -> Bool {
        a.line == b.line && a.packet == b.packet && a.time == b.time && a.sequence == b.sequence && a.name == b.name
    }

    public func hash(into h: inout Hasher) {
        h.combine(input)
        h.combine(line)
        h.combine(packet)
        h.combine(time)
        h.combine(sequence)
    }

    private enum CodingKeys: String, CodingKey { case input, line, packet, time, sequence }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(input: try c.decode(String.self, forKey: .input),
                  line: try c.decodeIfPresent(Int.self, forKey: .line),
                  packet: try c.decodeIfPresent(Int.self, forKey: .packet),
                  time: try c.decodeIfPresent(Double.self, forKey: .time),
                  sequence: try c.decodeIfPresent(Int.self, forKey: .sequence))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        try c.encodeIfPresent(line, forKey: .line)
        try c.encodeIfPresent(packet, forKey: .packet)
        try c.encodeIfPresent(time, forKey: .time)
        try c.encodeIfPresent(sequence, forKey: .sequence)
    }
}

/// An input's name: a small string as it is, a longer one as its number in a process-wide table (so copying
/// it is copying a number). The table holds a bounded number of names (the web page names uploads after
/// their files); past that, names are kept as strings.
struct InputName: Sendable, Equatable {
    private enum Storage: Sendable { case string(String), number(UInt32) }
    private let storage: Storage

    init(_ s: String) {
        // 15 UTF-8 bytes fit in a String's own storage: no reference to count.
        if s.utf8.count <= 15 { storage = .string(s); return }
        storage = InputNameTable.shared.number(s).map(Storage.number) ?? .string(s)
    }

    var string: String {
        switch storage {
        case .string(let s): return s
        case .number(let n): return InputNameTable.shared.name(n)
        }
    }

    static func == (a: InputName, b: InputName) -> Bool {
        switch (a.storage, b.storage) {
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        default: return a.string == b.string
        }
    }
}

/// The name a reader last made positions for: it rarely changes, so the shared table is asked once per name,
/// not once per line.
struct InputNameCache {
    private var last: (string: String, name: InputName)?

    mutating func callAsFunction(_ s: String) -> InputName {
        if let last, last.string == s { return last.name }
        let n = InputName(s)
        last = (s, n)
        return n
    }
}

final class InputNameTable: @unchecked Sendable {
    static let shared = InputNameTable()
    static let capacity = 4_096
    private let lock = NSLock()
    private var numbers: [String: UInt32] = [:]
    private var names: [String] = []

    func number(_ s: String) -> UInt32? {
        lock.lock()
        defer { lock.unlock() }
        if let n = numbers[s] { return n }
        guard names.count < Self.capacity else { return nil }
        let n = UInt32(names.count)
        names.append(s)
        numbers[s] = n
        return n
    }

    func name(_ n: UInt32) -> String {
        lock.lock()
        defer { lock.unlock() }
        return names[Int(n)]
    }
}
