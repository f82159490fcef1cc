/// Reads the clear-text start of a TLS stream (one direction): record framing, and the ClientHello or
/// ServerHello inside the first handshake records. Everything after is only counted.
struct TLSHandshakeWatcher {
    struct Hello: Sendable, Equatable {
        var isServer: Bool
        /// Record/legacy version, or the supported_versions choice (server) / highest offer (client).
        var version: UInt16
        var offeredVersions: [UInt16] = []
        var cipher: UInt16?
        var serverName: String?
        /// client_random or server_random: the key log is indexed by the client's.
        var random: [UInt8] = []
    }

    private var header: [UInt8] = []
    private var recordType: UInt8 = 0
    private var remaining = 0
    private var handshake: [UInt8] = []
    private(set) var hello: Hello?
    private(set) var alert: (level: UInt8, description: UInt8)?
    private(set) var records = 0
    /// Application-data records: the encrypted dialogue itself.
    private(set) var applicationRecords = 0
    private(set) var bytes: Int64 = 0
    private(set) var malformed = false
    /// Application data or ChangeCipherSpec seen: the rest is encrypted.
    private(set) var encrypted = false
    private static let handshakeLimit = 1 << 16

    /// True when `b` starts a TLS handshake record (`16 03 0x`), or, when TLS is expected (after a 220 to
    /// STARTTLS), any TLS record (an alert `15 03 0x` refusing the handshake).
    static func looksLikeTLS(_ b: UnsafeRawBufferPointer, expected: Bool = false) -> Bool {
        guard let f = b.first, f == 0x16 || (expected && f >= 0x14 && f <= 0x17) else { return false }
        if b.count >= 2 { return b[1] == 0x03 }
        return true
    }

    /// Feed stream bytes. Returns true when this call completed the hello.
    @discardableResult
    mutating func feed(_ b: UnsafeRawBufferPointer) -> Bool {
        bytes += Int64(b.count)
        if malformed { return false }
        let hadHello = hello != nil
        var i = 0
        while i < b.count {
            if remaining == 0 {
                // Record header, possibly split across segments.
                let need = 5 - header.count
                let take = min(need, b.count - i)
                header.append(contentsOf: b[i..<(i + take)])
                i += take
                if header.count < 5 { break }
                recordType = header[0]
                remaining = Int(header[3]) << 8 | Int(header[4])
                let validType = recordType >= 20 && recordType <= 24
                if !validType || header[1] != 3 || remaining > 18432 { malformed = true; return false }
                header.removeAll(keepingCapacity: true)
                records += 1
                if recordType == 20 || recordType == 23 { encrypted = true }
                if recordType == 23 { applicationRecords += 1 }
                if remaining == 0 { continue }
            }
            let take = min(remaining, b.count - i)
            if recordType == 22, hello == nil, !encrypted, handshake.count < Self.handshakeLimit {
                handshake.append(contentsOf: b[i..<(i + take)])
                parseHandshake()
            } else if recordType == 21, alert == nil, remaining == 2, take == 2 {
                // A 2-byte alert record is clear text (encrypted ones are longer).
                alert = (b[i], b[i + 1])
            }
            remaining -= take
            i += take
        }
        return !hadHello && hello != nil
    }

    private mutating func parseHandshake() {
        let h = handshake
        guard h.count >= 4 else { return }
        let type = h[0]
        let length = Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
        guard h.count >= 4 + length else { return }
        guard type == 1 || type == 2 else { malformed = hello == nil; return }
        hello = Self.parseHello(h[4..<(4 + length)], isServer: type == 2)
        if hello == nil { malformed = true }
        handshake = []   // only the hello was wanted
    }

    static func parseHello(_ body: ArraySlice<UInt8>, isServer: Bool) -> Hello? {
        var r = TLSByteReader(body)
        guard let legacy = r.u16(), let random = r.bytes(32), let sidLen = r.u8(), r.skip(Int(sidLen)) else { return nil }
        var hello = Hello(isServer: isServer, version: legacy)
        hello.random = Array(random)
        if isServer {
            guard let cipher = r.u16(), r.skip(1) else { return nil }
            hello.cipher = cipher
        } else {
            guard let csLen = r.u16(), r.skip(Int(csLen)), let compLen = r.u8(), r.skip(Int(compLen)) else { return nil }
        }
        guard let extLen = r.u16(), var exts = r.sub(Int(extLen)) else { return hello }
        while let type = exts.u16(), let len = exts.u16(), var e = exts.sub(Int(len)) {
            switch type {
            case 0 where !isServer:   // server_name
                guard e.u16() != nil else { break }
                while let nameType = e.u8(), let n = e.u16(), let name = e.bytes(Int(n)) {
                    if nameType == 0 {
                        hello.serverName = String(decoding: name.prefix(255), as: UTF8.self)
                        break
                    }
                }
            case 43:   // supported_versions
                if isServer {
                    if let v = e.u16() { hello.version = v }
                } else if let n = e.u8() {
                    var k = 0
                    while k + 2 <= Int(n), let v = e.u16() {
                        // GREASE values (0x?A?A) are noise.
                        if v & 0x0F0F != 0x0A0A { hello.offeredVersions.append(v) }
                        k += 2
                    }
                }
            default:
                break
            }
        }
        if !isServer, hello.offeredVersions.isEmpty { hello.offeredVersions = [legacy] }
        if !isServer, let top = hello.offeredVersions.max() { hello.version = top }
        return hello
    }

    static func versionName(_ v: UInt16) -> String {
        switch v {
        case 0x0300: return "SSLv3"
        case 0x0301: return "TLSv1"
        case 0x0302: return "TLSv1.1"
        case 0x0303: return "TLSv1.2"
        case 0x0304: return "TLSv1.3"
        default: return "0x" + hex4(v)
        }
    }

    static func cipherName(_ c: UInt16) -> String {
        switch c {
        case 0x1301: return "TLS_AES_128_GCM_SHA256"
        case 0x1302: return "TLS_AES_256_GCM_SHA384"
        case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256"
        case 0xC02B: return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        case 0xC02C: return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        case 0xC02F: return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        case 0xC030: return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        case 0xCCA8: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        case 0xCCA9: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        case 0xC013: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
        case 0xC014: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
        case 0xC027: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"
        case 0xC028: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"
        case 0x009C: return "TLS_RSA_WITH_AES_128_GCM_SHA256"
        case 0x009D: return "TLS_RSA_WITH_AES_256_GCM_SHA384"
        case 0x009E: return "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"
        case 0x009F: return "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"
        case 0x002F: return "TLS_RSA_WITH_AES_128_CBC_SHA"
        case 0x0035: return "TLS_RSA_WITH_AES_256_CBC_SHA"
        case 0x0033: return "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"
        case 0x0039: return "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"
        case 0x000A: return "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
        case 0x0005: return "TLS_RSA_WITH_RC4_128_SHA"
        case 0x0004: return "TLS_RSA_WITH_RC4_128_MD5"
        default: return "0x" + hex4(c)
        }
    }

    static func hex4(_ v: UInt16) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

/// Bounds-checked big-endian reader over a byte slice.
struct TLSByteReader {
    var data: ArraySlice<UInt8>
    init(_ d: ArraySlice<UInt8>) { data = d }

    mutating func u8() -> UInt8? {
        guard let b = data.first else { return nil }
        data = data.dropFirst()
        return b
    }
    mutating func u16() -> UInt16? {
        guard data.count >= 2 else { return nil }
        let v = UInt16(data[data.startIndex]) << 8 | UInt16(data[data.startIndex + 1])
        data = data.dropFirst(2)
        return v
    }
    mutating func skip(_ n: Int) -> Bool {
        guard n >= 0, data.count >= n else { return false }
        data = data.dropFirst(n)
        return true
    }
    mutating func bytes(_ n: Int) -> ArraySlice<UInt8>? {
        guard n >= 0, data.count >= n else { return nil }
        let b = data.prefix(n)
        data = data.dropFirst(n)
        return b
    }
    mutating func sub(_ n: Int) -> TLSByteReader? {
        bytes(n).map { TLSByteReader($0) }
    }
}
