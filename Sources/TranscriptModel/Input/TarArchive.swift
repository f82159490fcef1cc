#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file in a tar archive.
struct TarMember {
    var name: String
    var size: Int
    /// A regular file (directories, links and devices carry no log).
    var isFile: Bool
}

/// Reads a tar archive (POSIX ustar, GNU long names, pax extended headers) member by member from a byte
/// stream, as `tar czf logs.tar.gz /var/log/mail.log*` makes for a ticket. Headers are checked (magic and
/// checksum); a damaged one stops the archive with an error naming its position.
struct TarReader<S: ByteSource> {
    private var input: ExactReader<S>
    /// Bytes of the current member's data not yet read or skipped, then its padding.
    private var remaining = 0
    private var padding = 0

    init(source: S) { input = ExactReader(source: source) }

    /// A 512-byte block that is a ustar header with a valid checksum.
    static func isHeader(_ block: some Collection<UInt8>) -> Bool {
        let b = Array(block.prefix(512))
        guard b.count == 512, b[257..<262].elementsEqual("ustar".utf8) else { return false }
        guard let stored = octal(b[148..<156]) else { return false }
        var sum = 0
        for (i, c) in b.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(c) }
        return sum == stored
    }

    /// The next member's header (the data of the one before skipped), nil at the archive's end.
    mutating func next(name: String) throws -> TarMember? {
        try skipRest(name: name)
        var longName: String?
        var paxPath: String?
        while true {
            let at = input.position
            guard let block = try input.read(512, name: name) else { return nil }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            guard Self.isHeader(block) else {
                throw InputError(input: name, position: "byte \(at)", message: "tar: damaged header")
            }
            guard let size = Self.size(block[124..<136]), size >= 0 else {
                throw InputError(input: name, position: "byte \(at)", message: "tar: damaged size field")
            }
            let type = block[156]
            switch type {
            case 0x4C, 0x78: // GNU long name ('L'), pax extended header ('x'): they name the next member
                guard size <= 1 << 20 else { throw InputError(input: name, position: "byte \(at)", message: "tar: extended header too long") }
                let data = try readData(size, name: name)
                if type == 0x4C { longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self) }
                else { paxPath = Self.paxPath(data) ?? paxPath }
                continue
            default:
                var memberName = Self.field(block[0..<100])
                let prefix = Self.field(block[345..<500])
                if !prefix.isEmpty { memberName = prefix + "/" + memberName }
                remaining = size
                padding = (512 - size % 512) % 512
                // '0' and NUL are regular files; '7' (contiguous) is one too.
                let isFile = type == 0x30 || type == 0 || type == 0x37
                return TarMember(name: paxPath ?? longName ?? memberName, size: isFile ? size : 0, isFile: isFile)
            }
        }
    }

    /// The current member's data, chunk by chunk.
    mutating func data(name: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        try input.stream(remaining, name: name, body)
        remaining = 0
    }

    private mutating func skipRest(name: String) throws {
        try input.stream(remaining + padding, name: name) { _ in }
        remaining = 0
        padding = 0
    }

    private mutating func readData(_ size: Int, name: String) throws -> [UInt8] {
        var out: [UInt8] = []
        try input.stream(size + (512 - size % 512) % 512, name: name) { out += $0 }
        return Array(out.prefix(size))
    }

    private static func field(_ b: ArraySlice<UInt8>) -> String {
        String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Octal digits, space or NUL padded.
    private static func octal(_ b: ArraySlice<UInt8>) -> Int? {
        var v = 0
        var seen = false
        for c in b {
            if c == 0 || c == 0x20 { if seen { break } else { continue } }
            guard (0x30...0x37).contains(c), v < Int.max >> 4 else { return nil }
            v = v * 8 + Int(c - 0x30)
            seen = true
        }
        return seen ? v : nil
    }

    /// Octal, or GNU's base-256 for files of 8 GiB and more (high bit set).
    private static func size(_ b: ArraySlice<UInt8>) -> Int? {
        guard let first = b.first, first & 0x80 != 0 else { return octal(b) ?? 0 }
        var v = Int(first & 0x7F)
        for c in b.dropFirst() {
            guard v < Int.max >> 9 else { return nil }
            v = v << 8 | Int(c)
        }
        return v
    }

    /// `path=` of a pax header's `LENGTH key=value\n` records.
    private static func paxPath(_ data: [UInt8]) -> String? {
        var path: String?
        for record in data.split(separator: 0x0A) {
            guard let space = record.firstIndex(of: 0x20) else { continue }
            let kv = record[(space + 1)...]
            if kv.starts(with: "path=".utf8) { path = String(decoding: kv.dropFirst(5), as: UTF8.self) }
        }
        return path
    }
}

/// Exact byte counts out of a chunked source.
struct ExactReader<S: ByteSource> {
    var source: S
    private var buffer: [UInt8] = []
    private var offset = 0
    /// Bytes handed out or skipped so far.
    private(set) var position = 0

    init(source: S) { self.source = source }

    /// `n` bytes; nil when the source ended before the first of them.
    mutating func read(_ n: Int, name: String) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(n)
        while out.count < n {
            if offset >= buffer.count {
                guard let chunk = try source.next(name: name) else {
                    if out.isEmpty { return nil }
                    throw InputError(input: name, position: "byte \(position)", message: "tar: archive ends early (truncated file)")
                }
                buffer = chunk
                offset = 0
                continue
            }
            let take = min(n - out.count, buffer.count - offset)
            out += buffer[offset..<(offset + take)]
            offset += take
            position += take
        }
        return out
    }

    /// `n` bytes passed on as they come.
    mutating func stream(_ n: Int, name: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        var left = n
        while left > 0 {
            if offset >= buffer.count {
                guard let chunk = try source.next(name: name) else {
                    throw InputError(input: name, position: "byte \(position)", message: "tar: archive ends early (truncated file)")
                }
                buffer = chunk
                offset = 0
                continue
            }
            let take = min(left, buffer.count - offset)
            try body(buffer[offset..<(offset + take)])
            offset += take
            position += take
            left -= take
        }
    }
}
