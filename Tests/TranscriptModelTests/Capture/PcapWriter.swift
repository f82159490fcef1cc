import Foundation
@testable import TranscriptModel

/// Writes classic pcap files from packets built in code, for reassembly and link-type tests.
struct PcapWriter {
    private(set) var bytes: [UInt8] = []
    let linkType: UInt32
    let bigEndian: Bool
    let nanoseconds: Bool

    init(linkType: UInt32 = 1, bigEndian: Bool = false, nanoseconds: Bool = false) {
        self.linkType = linkType
        self.bigEndian = bigEndian
        self.nanoseconds = nanoseconds
        put32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        put16(2); put16(4)
        put32(0); put32(0)
        put32(262_144)
        put32(linkType)
    }

    private mutating func put16(_ v: UInt16) {
        if bigEndian { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] } else { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    }
    private mutating func put32(_ v: UInt32) {
        let b = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        bytes += bigEndian ? b : b.reversed()
    }

    /// One frame; `snap` cuts the captured bytes (the wire length stays the frame's).
    mutating func add(time: Double, frame: [UInt8], snap: Int? = nil) {
        let sec = UInt32(time.rounded(.down))
        let frac = time - Double(sec)
        put32(sec)
        put32(UInt32((frac * (nanoseconds ? 1e9 : 1e6)).rounded()))
        let captured = min(frame.count, snap ?? frame.count)
        put32(UInt32(captured))
        put32(UInt32(frame.count))
        bytes += frame[0..<captured]
    }

    func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func writeTemp(_ name: String = "t.pcap") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try write(to: path)
        return path
    }

    /// Removes what `writeTemp` made (its directory, with any file a test put beside it).
    static func removeTemp(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}

/// Header builders (checksums left zero: readers must not depend on them).
enum Frames {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func tcp(srcPort: UInt16, dstPort: UInt16, seq: UInt32, ack: UInt32, flags: UInt8,
                    window: UInt16 = 65535, payload: [UInt8]) -> [UInt8] {
        var h = be16(srcPort) + be16(dstPort) + be32(seq) + be32(ack)
        h += [0x50, flags] + be16(window) + [0, 0, 0, 0]
        return h + payload
    }

    static func ipv4(src: [UInt8], dst: [UInt8], payload: [UInt8], options: [UInt8] = [],
                     flagsFragment: UInt16 = 0x4000, id: UInt16 = 1) -> [UInt8] {
        let ihl = 20 + options.count
        var h: [UInt8] = [0x40 | UInt8(ihl / 4), 0]
        h += be16(UInt16(ihl + payload.count)) + be16(id) + be16(flagsFragment) + [64, 6, 0, 0]
        return h + src + dst + options + payload
    }

    /// IPv6 with optional extension headers (each given as (type, 8-byte-multiple body)).
    static func ipv6(src: [UInt8], dst: [UInt8], payload: [UInt8], extensions: [(UInt8, [UInt8])] = []) -> [UInt8] {
        var chain: [UInt8] = []
        let types = extensions.map(\.0) + [6]
        for (i, e) in extensions.enumerated() {
            var body = e.1
            body[0] = types[i + 1]
            chain += body
        }
        var h: [UInt8] = [0x60, 0, 0, 0]
        h += be16(UInt16(chain.count + payload.count)) + [types[0], 64]
        return h + src + dst + chain + payload
    }

    static func ethernet(_ ip: [UInt8], v6: Bool, vlans: [UInt16] = []) -> [UInt8] {
        var f: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        for (i, v) in vlans.enumerated() {
            f += be16(i == 0 && vlans.count > 1 ? 0x88A8 : 0x8100) + be16(v)
        }
        f += be16(v6 ? 0x86DD : 0x0800)
        f += ip
        while f.count < 60 { f.append(0) }   // Ethernet padding: must not become payload
        return f
    }
}

/// A scripted TCP connection between a client and a server, written packet by packet.
struct Conversation {
    var writer: PcapWriter
    var clientIP: [UInt8] = [192, 0, 2, 10]
    var serverIP: [UInt8] = [198, 51, 100, 25]
    var clientPort: UInt16 = 40000
    var serverPort: UInt16 = 25
    var v6 = false
    var vlans: [UInt16] = []
    /// Next sequence numbers.
    var cseq: UInt32
    var sseq: UInt32
    var time = 1_700_000_000.0
    var step = 0.010
    var linkFrame: ((_ ip: [UInt8], _ v6: Bool) -> [UInt8])?

    init(linkType: UInt32 = 1, clientISN: UInt32 = 1000, serverISN: UInt32 = 5000) {
        writer = PcapWriter(linkType: linkType)
        cseq = clientISN
        sseq = serverISN
    }

    /// `snap`: frame bytes kept in the capture (Ethernet+IPv4+TCP headers are 54).
    mutating func packet(fromClient: Bool, seq: UInt32, ack: UInt32, flags: UInt8, payload: [UInt8] = [],
                         window: UInt16 = 65535, snap: Int? = nil, advance: Double? = nil) {
        time += advance ?? step
        let t = Frames.tcp(srcPort: fromClient ? clientPort : serverPort, dstPort: fromClient ? serverPort : clientPort,
                           seq: seq, ack: ack, flags: flags, window: window, payload: payload)
        let (src, dst) = fromClient ? (clientIP, serverIP) : (serverIP, clientIP)
        let ip = v6 ? Frames.ipv6(src: src, dst: dst, payload: t) : Frames.ipv4(src: src, dst: dst, payload: t)
        let frame = linkFrame?(ip, v6) ?? Frames.ethernet(ip, v6: v6, vlans: vlans)
        writer.add(time: time, frame: frame, snap: snap)
    }

    mutating func handshake() {
        packet(fromClient: true, seq: cseq, ack: 0, flags: 0x02)
        packet(fromClient: false, seq: sseq, ack: cseq &+ 1, flags: 0x12)
        cseq &+= 1; sseq &+= 1
        packet(fromClient: true, seq: cseq, ack: sseq, flags: 0x10)
    }

    /// Send data in order; returns the segment's (seq, bytes) for replays.
    @discardableResult
    mutating func client(_ text: String, advance: Double? = nil) -> (UInt32, [UInt8]) {
        send(fromClient: true, Array(text.utf8), advance: advance)
    }

    @discardableResult
    mutating func server(_ text: String, advance: Double? = nil) -> (UInt32, [UInt8]) {
        send(fromClient: false, Array(text.utf8), advance: advance)
    }

    @discardableResult
    mutating func send(fromClient: Bool, _ bytes: [UInt8], advance: Double? = nil) -> (UInt32, [UInt8]) {
        let seq = fromClient ? cseq : sseq
        packet(fromClient: fromClient, seq: seq, ack: fromClient ? sseq : cseq, flags: 0x18, payload: bytes, advance: advance)
        if fromClient { cseq &+= UInt32(bytes.count) } else { sseq &+= UInt32(bytes.count) }
        return (seq, bytes)
    }

    /// Advance the sequence number without writing the packet (lost from the capture).
    @discardableResult
    mutating func lose(fromClient: Bool, _ text: String) -> (UInt32, [UInt8]) {
        let bytes = Array(text.utf8)
        let seq = fromClient ? cseq : sseq
        if fromClient { cseq &+= UInt32(bytes.count) } else { sseq &+= UInt32(bytes.count) }
        time += step
        return (seq, bytes)
    }

    mutating func replay(fromClient: Bool, _ seg: (UInt32, [UInt8])) {
        packet(fromClient: fromClient, seq: seg.0, ack: fromClient ? sseq : cseq, flags: 0x18, payload: seg.1)
    }

    /// Sends `text` as one TCP segment cut into IPv4 fragments: `pieces` are (offset, length) ranges of the
    /// TCP segment (header included), written in the given order (overlaps and gaps allowed); `edit` may
    /// change a piece's bytes. The sequence number advances as if the segment was sent whole.
    mutating func fragmented(fromClient: Bool, _ text: String, pieces: [(Int, Int)], id: UInt16 = 77,
                             edit: ((Int, inout [UInt8]) -> Void)? = nil) {
        let bytes = Array(text.utf8)
        let seq = fromClient ? cseq : sseq
        let segment = Frames.tcp(srcPort: fromClient ? clientPort : serverPort, dstPort: fromClient ? serverPort : clientPort,
                                 seq: seq, ack: fromClient ? sseq : cseq, flags: 0x18, payload: bytes)
        let (src, dst) = fromClient ? (clientIP, serverIP) : (serverIP, clientIP)
        time += step
        for (i, (offset, length)) in pieces.enumerated() {
            let end = min(segment.count, offset + length)
            var piece = Array(segment[offset..<end])
            edit?(i, &piece)
            let more: UInt16 = end < segment.count ? 0x2000 : 0
            let ip = Frames.ipv4(src: src, dst: dst, payload: piece, flagsFragment: more | UInt16(offset / 8), id: id)
            writer.add(time: time, frame: Frames.ethernet(ip, v6: false))
        }
        if fromClient { cseq &+= UInt32(bytes.count) } else { sseq &+= UInt32(bytes.count) }
    }

    mutating func ack(fromClient: Bool, window: UInt16 = 65535, advance: Double? = nil) {
        packet(fromClient: fromClient, seq: fromClient ? cseq : sseq, ack: fromClient ? sseq : cseq, flags: 0x10,
               window: window, advance: advance)
    }

    mutating func fin(fromClient: Bool) {
        packet(fromClient: fromClient, seq: fromClient ? cseq : sseq, ack: fromClient ? sseq : cseq, flags: 0x11)
        if fromClient { cseq &+= 1 } else { sseq &+= 1 }
    }

    mutating func rst(fromClient: Bool) {
        packet(fromClient: fromClient, seq: fromClient ? cseq : sseq, ack: fromClient ? sseq : cseq, flags: 0x14)
    }

    mutating func close() {
        fin(fromClient: false)
        fin(fromClient: true)
        ack(fromClient: false)
    }
}

/// Records what the flow layer tells its sink, as short strings.
struct RecordingSink: CaptureSink {
    struct Output {
        var events: [String]
        var attributes: [String: String]
        var client: Peer
        var server: Peer
        var positions: [SourcePosition]
        var dialogue: [String] { events.filter { $0.hasPrefix("C: ") || $0.hasPrefix("S: ") } }
        var notes: [String] { events.filter { $0.hasPrefix("NOTE") } }
    }
    var out: Output

    init(input: String, format: String) {
        out = Output(events: [], attributes: [:], client: Peer(), server: Peer(), positions: [])
    }
    mutating func setPeers(client: Peer, server: Peer) { out.client = client; out.server = server }
    mutating func client(_ line: ArraySlice<UInt8>, at: SourcePosition) { add("C: " + Bytes.string(line), at) }
    mutating func server(_ line: ArraySlice<UInt8>, at: SourcePosition) { add("S: " + Bytes.string(line), at) }
    mutating func content(_ line: ArraySlice<UInt8>, at: SourcePosition) { add("CONTENT: " + Bytes.string(line), at) }
    mutating func note(_ text: String, kind: Note.Kind, at: SourcePosition) { add("NOTE(\(kind.rawValue)): " + text, at) }
    mutating func bareLineFeed(dotLine: Bool, at: SourcePosition) { add(dotLine ? "BARELF-DOT" : "BARELF", at) }
    mutating func connecting(address: String, port: Int, at: SourcePosition) { add("CONNECTING \(address):\(port)", at) }
    mutating func connected(address: String, port: Int, at: SourcePosition) { add("CONNECTED", at) }
    mutating func connectFailed(_ failure: ConnectFailure, detail: String, at: SourcePosition) {
        add("FAILED \(failure.rawValue): \(detail)", at)
    }
    mutating func closed(by: Closer, reset: Bool, at: SourcePosition) { add("CLOSED \(by.rawValue)\(reset ? " reset" : "")", at) }
    mutating func gap(at: SourcePosition) { add("GAP", at) }
    mutating func tlsEstablished(_ facts: TLSFacts, at: SourcePosition) {
        add("TLS \(facts.version ?? "-") \(facts.cipher ?? "-") sni=\(facts.serverName ?? "-")\(facts.implicit ? " implicit" : "")", at)
    }
    mutating func finish(attributes: [String: String]) -> Output {
        out.attributes = attributes
        return out
    }
    private mutating func add(_ s: String, _ at: SourcePosition) {
        out.events.append(s)
        out.positions.append(at)
    }
}

enum CaptureTestSupport {
    static func record(_ w: PcapWriter, options: CaptureOptions = CaptureOptions()) throws -> [RecordingSink.Output] {
        let path = try w.writeTemp()
        defer { PcapWriter.removeTemp(path) }
        return try record(path: path, options: options)
    }

    static func record(path: String, options: CaptureOptions = CaptureOptions()) throws -> [RecordingSink.Output] {
        var out: [RecordingSink.Output] = []
        _ = try CaptureReader(input: path, options: options).run(path: path, sink: RecordingSink.self) { out.append($0) }
        return out
    }

    static func sessions(_ w: PcapWriter, options: CaptureOptions = CaptureOptions()) throws -> [Session] {
        let path = try w.writeTemp()
        defer { PcapWriter.removeTemp(path) }
        var out: [Session] = []
        try CaptureReader(input: path, options: options).read(path: path) { out.append($0) }
        return out
    }

    /// `../shared` beside the repository root.
    static var sharedDirectory: String? {
        if let env = ProcessInfo.processInfo.environment["SMTPEXPLAIN_SHARED"] { return env }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }   // Capture, TranscriptModelTests, Tests, repo
        let shared = url.deletingLastPathComponent().appendingPathComponent("shared").path
        return FileManager.default.fileExists(atPath: shared) ? shared : nil
    }

    /// A minimal TLS 1.3 ClientHello record with SNI and supported_versions.
    static func clientHello(sni: String) -> [UInt8] {
        let name = Array(sni.utf8)
        var sniExt = Frames.be16(UInt16(name.count + 3)) + [0] + Frames.be16(UInt16(name.count)) + name
        sniExt = Frames.be16(0) + Frames.be16(UInt16(sniExt.count)) + sniExt
        let sv: [UInt8] = Frames.be16(43) + Frames.be16(5) + [4, 0x03, 0x04, 0x03, 0x03]
        let exts = sniExt + sv
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0]
        body += Frames.be16(4) + [0x13, 0x01, 0x13, 0x02] + [1, 0]
        body += Frames.be16(UInt16(exts.count)) + exts
        let hs: [UInt8] = [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [0x16, 0x03, 0x01] + Frames.be16(UInt16(hs.count)) + hs
    }

    /// A minimal TLS 1.3 ServerHello record choosing TLS_AES_256_GCM_SHA384, then a CCS and app data.
    static func serverHello() -> [UInt8] {
        let sv: [UInt8] = Frames.be16(43) + Frames.be16(2) + [0x03, 0x04]
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 9, count: 32) + [0]
        body += [0x13, 0x02, 0]
        body += Frames.be16(UInt16(sv.count)) + sv
        let hs: [UInt8] = [2, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        let ccs: [UInt8] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01]
        let app: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x05, 0x32, 0x35, 0x30, 0x20, 0x0A]   // "250 \n" encrypted, supposedly
        return [0x16, 0x03, 0x03] + Frames.be16(UInt16(hs.count)) + hs + ccs + app
    }
}

extension PcapWriter {
    /// The same packets as pcapng (little-endian) with whole-second timestamps, each packet's time given by
    /// `seconds(index, classicSeconds)`: 64-bit times a classic pcap cannot hold.
    func pcapng(seconds: (Int, UInt64) -> UInt64) -> [UInt8] {
        precondition(!bigEndian, "little-endian captures only")
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        func u32(_ i: Int) -> UInt32 { UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24 }
        var out = le32(0x0A0D_0D0A) + le32(28) + le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + le32(28)
        // Interface: this link type, if_tsresol = 10^0 (seconds), end of options.
        out += le32(1) + le32(32) + [UInt8(linkType & 0xFF), UInt8(linkType >> 8), 0, 0] + le32(262_144)
            + [9, 0, 1, 0, 0, 0, 0, 0] + [0, 0, 0, 0] + le32(32)
        var i = 24, n = 0
        while i + 16 <= bytes.count {
            let sec = UInt64(u32(i)), caplen = Int(u32(i + 8)), orig = u32(i + 12)
            let data = Array(bytes[(i + 16)..<(i + 16 + caplen)])
            let padded = data + [UInt8](repeating: 0, count: (4 - caplen % 4) % 4)
            let t = seconds(n, sec)
            let total = UInt32(32 + padded.count)
            out += le32(6) + le32(total) + le32(0) + le32(UInt32(t >> 32)) + le32(UInt32(t & 0xFFFF_FFFF))
                + le32(UInt32(caplen)) + le32(orig) + padded + le32(total)
            i += 16 + caplen
            n += 1
        }
        return out
    }
}
