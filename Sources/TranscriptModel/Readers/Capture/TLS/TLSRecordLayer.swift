/// One direction's byte stream cut into TLS records. At most one record is buffered (5-byte header plus
/// the largest fragment TLS allows), so memory stays bounded whatever the stream announces.
struct TLSRecordLayer {
    struct Record {
        var type: UInt8
        var version: UInt16
        var fragment: [UInt8]
        /// The 5 header bytes as sent: TLS 1.3 authenticates them (the AEAD's additional data).
        var header: [UInt8] {
            [type, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(fragment.count >> 8), UInt8(fragment.count & 0xFF)]
        }
    }

    /// TLS 1.2 allows 2^14 + 2048 bytes of ciphertext per record (TLS 1.3 less); longer is not TLS.
    static let maxFragment = (1 << 14) + 2048

    private var header: [UInt8] = []
    private var fragment: [UInt8] = []
    private var need = 0
    /// Set when framing is lost (bad header); nothing more is cut after it.
    private(set) var failure: String?
    private(set) var records = 0

    var bufferedBytes: Int { header.count + fragment.count }

    /// Cuts records out of `b`; `record` is called for each complete one.
    mutating func feed(_ b: UnsafeRawBufferPointer, _ record: (Record) -> Void) {
        var i = 0
        while i < b.count, failure == nil {
            if header.count < 5 {
                let take = min(5 - header.count, b.count - i)
                header.append(contentsOf: b[i..<(i + take)])
                i += take
                guard header.count == 5 else { return }
                let type = header[0]
                need = Int(header[3]) << 8 | Int(header[4])
                if type < 20 || type > 24 || header[1] != 3 {
                    failure = "bytes that are not a TLS record header (\(Bytes.hex(header, separator: " ")))"
                    return
                }
                if need > Self.maxFragment {
                    failure = "a TLS record of \(need) bytes, more than TLS allows (\(Self.maxFragment))"
                    return
                }
                fragment.reserveCapacity(need)
            }
            let take = min(need - fragment.count, b.count - i)
            fragment.append(contentsOf: b[i..<(i + take)])
            i += take
            if fragment.count == need {
                let r = Record(type: header[0], version: UInt16(header[1]) << 8 | UInt16(header[2]), fragment: fragment)
                header.removeAll(keepingCapacity: true)
                fragment = []
                records += 1
                record(r)
            }
        }
    }

}

/// Handshake messages cut from the handshake content of successive records (a message may span records,
/// a record may hold several). Only the bodies a caller asks for are kept, up to `maxKept` bytes; the rest
/// (certificate chains) are skipped as they stream by.
struct TLSHandshakeMessages {
    static let maxKept = 1 << 16

    private var header: [UInt8] = []
    private var remaining = 0
    private var type: UInt8 = 0
    private var keep = false
    private var body: [UInt8] = []

    var bufferedBytes: Int { header.count + body.count }

    /// `wanted(type)`: keep that message's body. `message(type, body)`: a complete message (body empty
    /// when not kept, cut at `maxKept`).
    mutating func feed(_ bytes: ArraySlice<UInt8>, wanted: (UInt8) -> Bool, _ message: (UInt8, [UInt8]) -> Void) {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if header.count < 4 {
                let take = min(4 - header.count, bytes.endIndex - i)
                header.append(contentsOf: bytes[i..<(i + take)])
                i += take
                guard header.count == 4 else { return }
                type = header[0]
                remaining = Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
                keep = wanted(type)
                body = []
                if remaining == 0 { complete(message); continue }
            }
            let take = min(remaining, bytes.endIndex - i)
            if keep, body.count < Self.maxKept {
                body.append(contentsOf: bytes[i..<(i + min(take, Self.maxKept - body.count))])
            }
            remaining -= take
            i += take
            if remaining == 0 { complete(message) }
        }
    }

    private mutating func complete(_ message: (UInt8, [UInt8]) -> Void) {
        let b = body
        header.removeAll(keepingCapacity: true)
        body = []
        message(type, b)
    }
}
