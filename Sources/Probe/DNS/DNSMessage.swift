#if canImport(Glibc)
import Glibc
#endif

/// A resource record type. A struct rather than an enum so unknown types survive decoding.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(rawValue: 1)
    public static let ns = DNSType(rawValue: 2)
    public static let cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6)
    public static let ptr = DNSType(rawValue: 12)
    public static let mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16)
    public static let aaaa = DNSType(rawValue: 28)
    public static let tlsa = DNSType(rawValue: 52)

    public var description: String {
        switch self {
        case .a: return "A"
        case .ns: return "NS"
        case .cname: return "CNAME"
        case .soa: return "SOA"
        case .ptr: return "PTR"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        case .tlsa: return "TLSA"
        default: return "TYPE\(rawValue)"
        }
    }
}

/// Response codes (RFC 1035 4.1.1) by their usual names.
public enum DNSRCode {
    public static func name(_ code: UInt8) -> String {
        switch code {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        default: return "RCODE\(code)"
        }
    }
}

public struct DNSQuestion: Hashable, Sendable {
    /// Domain name without the trailing dot; the root is ".".
    public var name: String
    public var type: DNSType
    public var klass: UInt16

    public init(name: String, type: DNSType, klass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.klass = klass
    }
}

public enum DNSRData: Hashable, Sendable {
    case a(String)
    case aaaa(String)
    case mx(preference: UInt16, exchange: String)
    case ptr(String)
    case cname(String)
    case ns(String)
    case soa(mname: String, rname: String)
    case other([UInt8])
}

public struct DNSRecord: Hashable, Sendable {
    public var name: String
    public var type: DNSType
    public var klass: UInt16
    public var ttl: UInt32
    public var data: DNSRData

    public init(name: String, type: DNSType, klass: UInt16 = 1, ttl: UInt32 = 300, data: DNSRData) {
        self.name = name
        self.type = type
        self.klass = klass
        self.ttl = ttl
        self.data = data
    }

    public static func a(_ name: String, _ ip: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name, type: .a, ttl: ttl, data: .a(ip))
    }
    public static func aaaa(_ name: String, _ ip: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name, type: .aaaa, ttl: ttl, data: .aaaa(ip))
    }
    public static func mx(_ name: String, _ preference: UInt16, _ exchange: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name, type: .mx, ttl: ttl, data: .mx(preference: preference, exchange: exchange))
    }
    public static func ptr(_ name: String, _ target: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name, type: .ptr, ttl: ttl, data: .ptr(target))
    }
    public static func cname(_ name: String, _ target: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name, type: .cname, ttl: ttl, data: .cname(target))
    }
}

public enum DNSWireError: Error, Equatable, Sendable {
    case truncated
    case badLabel
    case nameTooLong
    case pointerLoop
    case badRData(String)
    case badAddress(String)
}

/// A DNS message (RFC 1035 section 4). Encoding writes names uncompressed; decoding follows compression
/// pointers (backwards only, bounded), checks every length against the buffer and never traps on any bytes.
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = true
    public var recursionAvailable = false
    /// AD: in an answer, the resolver validated it with DNSSEC; in a query, the client asks to be told so
    /// (RFC 6840 §5.7), which works without EDNS.
    public var authenticData = false
    public var rcode: UInt8 = 0
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authorities: [DNSRecord] = []
    public var additionals: [DNSRecord] = []

    public init(id: UInt16, questions: [DNSQuestion] = []) {
        self.id = id
        self.questions = questions
    }

    public static func query(id: UInt16, name: String, type: DNSType) -> DNSMessage {
        DNSMessage(id: id, questions: [DNSQuestion(name: name, type: type)])
    }

    public var rcodeName: String { DNSRCode.name(rcode) }

    // MARK: Encoding

    public func encode() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        put16(&out, id)
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode & 0x0F) << 11
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        flags |= UInt16(rcode & 0x0F)
        put16(&out, flags)
        for n in [questions.count, answers.count, authorities.count, additionals.count] {
            guard n <= 0xFFFF else { throw DNSWireError.badRData("too many records") }
            put16(&out, UInt16(n))
        }
        for q in questions {
            try Self.putName(&out, q.name)
            put16(&out, q.type.rawValue)
            put16(&out, q.klass)
        }
        for r in answers + authorities + additionals {
            try Self.putName(&out, r.name)
            put16(&out, r.type.rawValue)
            put16(&out, r.klass)
            put16(&out, UInt16(r.ttl >> 16))
            put16(&out, UInt16(r.ttl & 0xFFFF))
            var rdata: [UInt8] = []
            switch r.data {
            case .a(let ip): rdata = try Self.addressBytes(ip, family: AF_INET)
            case .aaaa(let ip): rdata = try Self.addressBytes(ip, family: AF_INET6)
            case .mx(let pref, let ex):
                put16(&rdata, pref)
                try Self.putName(&rdata, ex)
            case .ptr(let n), .cname(let n), .ns(let n): try Self.putName(&rdata, n)
            case .soa(let m, let rn):
                try Self.putName(&rdata, m)
                try Self.putName(&rdata, rn)
                for _ in 0..<10 { put16(&rdata, 0) }
                rdata[rdata.count - 1] = 60
            case .other(let b): rdata = b
            }
            guard rdata.count <= 0xFFFF else { throw DNSWireError.badRData("rdata too long") }
            put16(&out, UInt16(rdata.count))
            out += rdata
        }
        return out
    }

    private func put16(_ out: inout [UInt8], _ v: UInt16) {
        out.append(UInt8(v >> 8))
        out.append(UInt8(v & 0xFF))
    }

    static func putName(_ out: inout [UInt8], _ name: String) throws {
        var total = 1
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        if !trimmed.isEmpty {
            for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(label.utf8)
                guard !bytes.isEmpty, bytes.count <= 63 else { throw DNSWireError.badLabel }
                total += bytes.count + 1
                guard total <= 255 else { throw DNSWireError.nameTooLong }
                out.append(UInt8(bytes.count))
                out += bytes
            }
        }
        out.append(0)
    }

    static func addressBytes(_ ip: String, family: Int32) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 16)
        let ok = buf.withUnsafeMutableBytes { inet_pton(family, ip, $0.baseAddress) }
        guard ok == 1 else { throw DNSWireError.badAddress(ip) }
        return Array(buf.prefix(family == AF_INET ? 4 : 16))
    }

    // MARK: Decoding

    public static func decode(_ bytes: [UInt8]) throws -> DNSMessage {
        var r = Reader(bytes: bytes)
        var m = DNSMessage(id: try r.u16())
        let flags = try r.u16()
        m.isResponse = flags & 0x8000 != 0
        m.opcode = UInt8((flags >> 11) & 0x0F)
        m.authoritative = flags & 0x0400 != 0
        m.truncated = flags & 0x0200 != 0
        m.recursionDesired = flags & 0x0100 != 0
        m.recursionAvailable = flags & 0x0080 != 0
        m.authenticData = flags & 0x0020 != 0
        m.rcode = UInt8(flags & 0x0F)
        let qd = Int(try r.u16()), an = Int(try r.u16()), ns = Int(try r.u16()), ar = Int(try r.u16())
        // Each question takes at least 5 bytes and each record 11: counts beyond that are lies, caught by
        // the bounds checks below without allocating for them first.
        for _ in 0..<qd {
            let name = try r.name()
            m.questions.append(DNSQuestion(name: name, type: DNSType(rawValue: try r.u16()), klass: try r.u16()))
        }
        for _ in 0..<an { m.answers.append(try r.record()) }
        // A truncated answer may lack its tail sections: keep what is there.
        do {
            for _ in 0..<ns { m.authorities.append(try r.record()) }
            for _ in 0..<ar { m.additionals.append(try r.record()) }
        } catch where m.truncated {
        }
        return m
    }

    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        mutating func u8() throws -> UInt8 {
            guard pos < bytes.count else { throw DNSWireError.truncated }
            defer { pos += 1 }
            return bytes[pos]
        }

        mutating func u16() throws -> UInt16 {
            guard pos + 2 <= bytes.count else { throw DNSWireError.truncated }
            defer { pos += 2 }
            return UInt16(bytes[pos]) << 8 | UInt16(bytes[pos + 1])
        }

        mutating func u32() throws -> UInt32 {
            UInt32(try u16()) << 16 | UInt32(try u16())
        }

        /// A possibly compressed name at `pos`; `pos` moves past it (past the first pointer, if any).
        mutating func name() throws -> String {
            var p = pos
            var labels: [String] = []
            var total = 1
            var jumped = false
            var jumps = 0
            while true {
                guard p < bytes.count else { throw DNSWireError.truncated }
                let len = Int(bytes[p])
                if len & 0xC0 == 0xC0 {
                    guard p + 1 < bytes.count else { throw DNSWireError.truncated }
                    let target = (len & 0x3F) << 8 | Int(bytes[p + 1])
                    // Only backwards pointers: a loop is impossible, and the jump count bounds the work anyway.
                    guard target < p, jumps < 128 else { throw DNSWireError.pointerLoop }
                    if !jumped { pos = p + 2 }
                    jumped = true
                    jumps += 1
                    p = target
                    continue
                }
                guard len & 0xC0 == 0 else { throw DNSWireError.badLabel }
                p += 1
                if len == 0 {
                    if !jumped { pos = p }
                    break
                }
                guard p + len <= bytes.count else { throw DNSWireError.truncated }
                total += len + 1
                guard total <= 255 else { throw DNSWireError.nameTooLong }
                labels.append(Self.labelText(bytes[p..<p + len]))
                p += len
            }
            return labels.isEmpty ? "." : labels.joined(separator: ".")
        }

        /// Printable label text; dots, backslashes and unprintable bytes escaped as dig does (`\.`, `\000`).
        static func labelText(_ b: ArraySlice<UInt8>) -> String {
            var s = ""
            for c in b {
                switch c {
                case 0x2E, 0x5C: s += "\\" + String(UnicodeScalar(c))
                case 0x21...0x7E: s.unicodeScalars.append(UnicodeScalar(c))
                default:
                    let d = String(c)
                    s += "\\" + String(repeating: "0", count: 3 - d.count) + d
                }
            }
            return s
        }

        mutating func record() throws -> DNSRecord {
            let owner = try name()
            let type = DNSType(rawValue: try u16())
            let klass = try u16()
            let ttl = try u32()
            let length = Int(try u16())
            let start = pos
            let end = start + length
            guard end <= bytes.count else { throw DNSWireError.truncated }
            let data: DNSRData
            switch type {
            case .a:
                guard length == 4 else { throw DNSWireError.badRData("A of \(length) bytes") }
                data = .a(Self.address(bytes[start..<end], family: AF_INET))
            case .aaaa:
                guard length == 16 else { throw DNSWireError.badRData("AAAA of \(length) bytes") }
                data = .aaaa(Self.address(bytes[start..<end], family: AF_INET6))
            case .mx:
                let pref = try u16()
                data = .mx(preference: pref, exchange: try name())
            case .ptr: data = .ptr(try name())
            case .cname: data = .cname(try name())
            case .ns: data = .ns(try name())
            case .soa:
                let m = try name()
                data = .soa(mname: m, rname: try name())
            default:
                data = .other(Array(bytes[start..<end]))
            }
            // Names inside the rdata must end where the rdata says it ends.
            if case .other = data {} else if case .a = data {} else if case .aaaa = data {} else if case .soa = data {
                guard pos <= end else { throw DNSWireError.badRData("\(type) overruns its length") }
            } else {
                guard pos == end else { throw DNSWireError.badRData("\(type) does not fill its length") }
            }
            pos = end
            return DNSRecord(name: owner, type: type, klass: klass, ttl: ttl, data: data)
        }

        static func address(_ b: ArraySlice<UInt8>, family: Int32) -> String {
            var buf = [CChar](repeating: 0, count: 64)
            let src = Array(b)
            let ok = src.withUnsafeBytes { s in
                buf.withUnsafeMutableBufferPointer { inet_ntop(family, s.baseAddress, $0.baseAddress, 64) }
            }
            guard ok != nil else { return "?" }
            return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The reverse-lookup name of an address: `4.3.2.1.in-addr.arpa`, or nibbles under `ip6.arpa`.
    public static func reverseName(_ ip: String) -> String? {
        if let b = try? addressBytes(ip, family: AF_INET) {
            return b.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        }
        if let b = try? addressBytes(ip, family: AF_INET6) {
            let hex = Array("0123456789abcdef")
            var nibbles: [String] = []
            for byte in b.reversed() {
                nibbles.append(String(hex[Int(byte & 0x0F)]))
                nibbles.append(String(hex[Int(byte >> 4)]))
            }
            return nibbles.joined(separator: ".") + ".ip6.arpa"
        }
        return nil
    }

    /// The address family of a literal, or nil when it is not an address.
    public static func family(of ip: String) -> Int32? {
        if (try? addressBytes(ip, family: AF_INET)) != nil { return AF_INET }
        if (try? addressBytes(ip, family: AF_INET6)) != nil { return AF_INET6 }
        return nil
    }
}
