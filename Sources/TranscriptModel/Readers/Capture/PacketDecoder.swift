/// One end of a TCP connection: an IPv4 or IPv6 address and a port.
struct TCPEndpoint: Hashable, Sendable {
    /// IPv4 addresses are stored in the low 32 bits of `lo` with `v6 == false`.
    var hi: UInt64
    var lo: UInt64
    var port: UInt16
    var v6: Bool

    var addressString: String {
        if !v6 {
            let a = UInt32(truncatingIfNeeded: lo)
            return "\(a >> 24).\((a >> 16) & 0xFF).\((a >> 8) & 0xFF).\(a & 0xFF)"
        }
        var groups: [UInt16] = []
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: hi >> UInt64(shift))) }
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: lo >> UInt64(shift))) }
        // RFC 5952: compress the longest run (length >= 2) of zero groups.
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8, groups[j] == 0 { j += 1 }
                if j - i > bestLen, j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
    }

    var description: String { v6 ? "[\(addressString)]:\(port)" : "\(addressString):\(port)" }
}

/// TCP flag bits.
struct TCPFlags: OptionSet, Sendable {
    let rawValue: UInt8
    static let fin = TCPFlags(rawValue: 0x01)
    static let syn = TCPFlags(rawValue: 0x02)
    static let rst = TCPFlags(rawValue: 0x04)
    static let psh = TCPFlags(rawValue: 0x08)
    static let ack = TCPFlags(rawValue: 0x10)
}

/// A decoded TCP segment. `payload` points into the packet buffer (valid until the next packet).
struct TCPSegment {
    var source: TCPEndpoint
    var destination: TCPEndpoint
    var seq: UInt32
    var ack: UInt32
    var flags: TCPFlags
    var window: UInt16
    var payload: UnsafeRawBufferPointer
    /// Payload length the IP header declares; more than `payload.count` when the snap length cut it.
    var declaredLength: Int
}

/// Link, IP and TCP header decoding. Every read is bounds-checked: packets are hostile.
enum PacketDecoder {
    enum Result {
        case tcp(TCPSegment)
        /// A fragment of an IPv4 datagram carrying TCP, for `IPv4Reassembler`.
        case ipv4Fragment(IPv4Fragment)
        /// An IPv6 fragment: not reassembled; the first one's TCP header is still read.
        case fragment(first: TCPSegment?)
        case other
        case unsupportedLink
    }

    static func supports(linkType: Int32) -> Bool {
        switch linkType {
        case 0, 1, 12, 14, 101, 108, 113, 228, 229, 276: return true
        default: return false
        }
    }

    @inline(__always)
    static func be16(_ d: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(d[o]) << 8 | UInt16(d[o + 1])
    }

    @inline(__always)
    static func be32(_ d: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(d[o]) << 24 | UInt32(d[o + 1]) << 16 | UInt32(d[o + 2]) << 8 | UInt32(d[o + 3])
    }

    static func decode(linkType: Int32, _ d: UnsafeRawBufferPointer, wireLength: Int) -> Result {
        switch linkType {
        case 1:    // Ethernet, with any number of 802.1Q / 802.1ad / QinQ tags
            guard d.count >= 14 else { return .other }
            var type = be16(d, 12)
            var off = 14
            var tags = 0
            while type == 0x8100 || type == 0x88A8 || type == 0x9100, tags < 8 {
                guard d.count >= off + 4 else { return .other }
                type = be16(d, off + 2)
                off += 4
                tags += 1
            }
            return network(type: type, d, at: off, wireLength: wireLength)
        case 113:  // Linux cooked v1: protocol at 14, header 16
            guard d.count >= 16 else { return .other }
            return network(type: be16(d, 14), d, at: 16, wireLength: wireLength)
        case 276:  // Linux cooked v2: protocol at 0, header 20
            guard d.count >= 20 else { return .other }
            return network(type: be16(d, 0), d, at: 20, wireLength: wireLength)
        case 12, 14, 101:   // raw IP: version nibble decides
            guard d.count >= 1 else { return .other }
            return network(type: d[0] >> 4 == 6 ? 0x86DD : 0x0800, d, at: 0, wireLength: wireLength)
        case 228: return network(type: 0x0800, d, at: 0, wireLength: wireLength)
        case 229: return network(type: 0x86DD, d, at: 0, wireLength: wireLength)
        case 0, 108:  // BSD null (host byte order) / loopback (network byte order): 4-byte address family
            guard d.count >= 4 else { return .other }
            let le = UInt32(d[0]) | UInt32(d[1]) << 8 | UInt32(d[2]) << 16 | UInt32(d[3]) << 24
            let be = be32(d, 0)
            let family = min(le, be)
            switch family {
            case 2: return network(type: 0x0800, d, at: 4, wireLength: wireLength)
            case 10, 23, 24, 28, 30: return network(type: 0x86DD, d, at: 4, wireLength: wireLength)
            default: return .other
            }
        default:
            return .unsupportedLink
        }
    }

    private static func network(type: UInt16, _ d: UnsafeRawBufferPointer, at off: Int, wireLength: Int) -> Result {
        let lost = wireLength - d.count   // bytes the snap length cut off the end
        switch type {
        case 0x0800:
            guard d.count >= off + 20, d[off] >> 4 == 4 else { return .other }
            let ihl = Int(d[off] & 0x0F) * 4
            guard ihl >= 20, d.count >= off + ihl else { return .other }
            let total = Int(be16(d, off + 2))
            guard d[off + 9] == 6 else { return .other }
            let fragField = be16(d, off + 6)
            let moreFragments = fragField & 0x2000 != 0
            let fragOffset = fragField & 0x1FFF
            var src = TCPEndpoint(hi: 0, lo: UInt64(be32(d, off + 12)), port: 0, v6: false)
            var dst = TCPEndpoint(hi: 0, lo: UInt64(be32(d, off + 16)), port: 0, v6: false)
            // Total length may be 0 with TSO captures; then trust the capture.
            let ipEnd = total >= ihl ? off + total : d.count + max(lost, 0)
            if moreFragments || fragOffset != 0 {
                let start = off + ihl
                let capturedEnd = min(d.count, ipEnd)
                let payload = start < capturedEnd ? UnsafeRawBufferPointer(rebasing: d[start..<capturedEnd])
                    : UnsafeRawBufferPointer(start: nil, count: 0)
                return .ipv4Fragment(IPv4Fragment(source: src, destination: dst, id: be16(d, off + 4), proto: d[off + 9],
                                                  offset: Int(fragOffset) * 8, more: moreFragments, payload: payload,
                                                  declaredLength: max(0, ipEnd - start)))
            }
            if let seg = tcp(d, at: off + ihl, end: ipEnd, src: &src, dst: &dst) { return .tcp(seg) }
            return .other
        case 0x86DD:
            guard d.count >= off + 40, d[off] >> 4 == 6 else { return .other }
            let payloadLength = Int(be16(d, off + 4))
            var next = d[off + 6]
            var src = TCPEndpoint(hi: UInt64(be32(d, off + 8)) << 32 | UInt64(be32(d, off + 12)),
                               lo: UInt64(be32(d, off + 16)) << 32 | UInt64(be32(d, off + 20)), port: 0, v6: true)
            var dst = TCPEndpoint(hi: UInt64(be32(d, off + 24)) << 32 | UInt64(be32(d, off + 28)),
                               lo: UInt64(be32(d, off + 32)) << 32 | UInt64(be32(d, off + 36)), port: 0, v6: true)
            let ipEnd = payloadLength > 0 ? off + 40 + payloadLength : d.count + max(lost, 0)
            var p = off + 40
            var fragmented = false
            var firstFragment = true
            var hops = 0
            while hops < 16 {
                hops += 1
                switch next {
                case 6:
                    let seg = firstFragment ? tcp(d, at: p, end: ipEnd, src: &src, dst: &dst) : nil
                    if fragmented { return .fragment(first: seg) }
                    if let seg { return .tcp(seg) }
                    return .other
                case 0, 43, 60, 135, 139, 140:   // hop-by-hop, routing, destination options, mobility, HIP, shim6
                    guard d.count >= p + 2 else { return .other }
                    next = d[p]
                    p += (Int(d[p + 1]) + 1) * 8
                case 44:   // fragment
                    guard d.count >= p + 8 else { return .other }
                    next = d[p]
                    let fo = be16(d, p + 2)
                    fragmented = true
                    firstFragment = fo >> 3 == 0
                    if !firstFragment { return .fragment(first: nil) }
                    p += 8
                case 51:   // authentication header
                    guard d.count >= p + 2 else { return .other }
                    next = d[p]
                    p += (Int(d[p + 1]) + 2) * 4
                default:
                    return .other
                }
            }
            return .other
        default:
            return .other
        }
    }

    /// The TCP segment at `off`; `ipEnd`: where the IP payload ends (past `d.count` when the capture cut it).
    static func tcp(_ d: UnsafeRawBufferPointer, at off: Int, end ipEnd: Int,
                            src: inout TCPEndpoint, dst: inout TCPEndpoint) -> TCPSegment? {
        guard d.count >= off + 20 else { return nil }
        let dataOffset = Int(d[off + 12] >> 4) * 4
        guard dataOffset >= 20 else { return nil }
        src.port = be16(d, off)
        dst.port = be16(d, off + 2)
        let seq = be32(d, off + 4)
        let ack = be32(d, off + 8)
        let flags = TCPFlags(rawValue: d[off + 13] & 0x1F)
        let window = be16(d, off + 14)
        let payloadStart = off + dataOffset
        let declared = max(0, ipEnd - payloadStart)
        let capturedEnd = min(d.count, ipEnd)
        let payload: UnsafeRawBufferPointer
        if payloadStart < capturedEnd {
            payload = UnsafeRawBufferPointer(rebasing: d[payloadStart..<capturedEnd])
        } else {
            payload = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return TCPSegment(source: src, destination: dst, seq: seq, ack: ack, flags: flags, window: window,
                          payload: payload, declaredLength: max(declared, payload.count))
    }
}
