import Foundation
import Testing
@testable import TranscriptModel

@Suite("Capture: containers, link types, IP")
struct CaptureLinkTests {
    typealias T = CaptureTestSupport

    static func shortSession(_ c: inout Conversation) {
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250 mx\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        c.close()
    }
    static let dialogue = ["S: 220 mx ESMTP", "C: EHLO x", "S: 250 mx", "C: QUIT", "S: 221 bye"]

    static func check(_ c: Conversation, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let out = try T.record(c.writer)
        #expect(out.count == 1, sourceLocation: sourceLocation)
        #expect(out.first?.dialogue == dialogue, sourceLocation: sourceLocation)
    }

    @Test func ethernetWithQinQTags() throws {
        var c = Conversation()
        c.vlans = [100, 200]
        Self.shortSession(&c)
        try Self.check(c)
    }

    @Test func ipv6WithExtensionHeaders() throws {
        var c = Conversation()
        c.v6 = true
        c.clientIP = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        c.serverIP = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x25]
        c.linkFrame = { ip, _ in
            // Re-wrap with a hop-by-hop and a destination-options header in front of TCP.
            let payloadLen = Int(ip[4]) << 8 | Int(ip[5])
            let tcp = Array(ip[40..<(40 + payloadLen)])
            let v6 = Frames.ipv6(src: Array(ip[8..<24]), dst: Array(ip[24..<40]), payload: tcp,
                                 extensions: [(0, [0, 0, 1, 4, 0, 0, 0, 0]), (60, [0, 0, 1, 4, 0, 0, 0, 0])])
            return Frames.ethernet(v6, v6: true)
        }
        Self.shortSession(&c)
        let out = try T.record(c.writer)
        #expect(out.first?.dialogue == Self.dialogue)
        #expect(out.first?.client.address == "2001:db8::1")
    }

    @Test func ipv4WithOptions() throws {
        var c = Conversation()
        c.linkFrame = { ip, _ in
            let tcp = Array(ip[20...])
            return Frames.ethernet(Frames.ipv4(src: Array(ip[12..<16]), dst: Array(ip[16..<20]), payload: tcp,
                                               options: [1, 1, 1, 0]), v6: false)
        }
        Self.shortSession(&c)
        try Self.check(c)
    }

    @Test func linuxCookedV1() throws {
        var c = Conversation(linkType: 113)
        c.linkFrame = { ip, v6 in [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0] + Frames.be16(v6 ? 0x86DD : 0x0800) + ip }
        Self.shortSession(&c)
        try Self.check(c)
    }

    @Test func linuxCookedV2() throws {
        var c = Conversation(linkType: 276)
        c.linkFrame = { ip, v6 in Frames.be16(v6 ? 0x86DD : 0x0800) + [0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0] + ip }
        Self.shortSession(&c)
        try Self.check(c)
    }

    @Test func rawIP() throws {
        var c = Conversation(linkType: 101)
        c.linkFrame = { ip, _ in ip }
        Self.shortSession(&c)
        try Self.check(c)
    }

    @Test func bsdNullBothByteOrders() throws {
        var c = Conversation(linkType: 0)
        c.linkFrame = { ip, _ in [2, 0, 0, 0] + ip }
        Self.shortSession(&c)
        try Self.check(c)
        var d = Conversation(linkType: 0)
        d.linkFrame = { ip, _ in [0, 0, 0, 2] + ip }
        Self.shortSession(&d)
        try Self.check(d)
    }

    @Test func bigEndianAndNanosecondPcap() throws {
        var c = Conversation()
        c.writer = PcapWriter(linkType: 1, bigEndian: true, nanoseconds: true)
        Self.shortSession(&c)
        try Self.check(c)
        let out = try T.record(c.writer)
        #expect(out.first?.attributes["connect-rtt-ms"] == "10")
    }

    @Test func gzipCompressedCapture() throws {
        var c = Conversation()
        Self.shortSession(&c)
        let path = try c.writer.writeTemp("x.pcap")
        defer { PcapWriter.removeTemp(path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-k", path]
        try p.run()
        p.waitUntilExit()
        let out = try T.record(path: path + ".gz")
        #expect(out.first?.dialogue == Self.dialogue)
    }

    @Test func damagedGzipIsAnError() throws {
        var c = Conversation()
        Self.shortSession(&c)
        let path = try c.writer.writeTemp("x.pcap")
        defer { PcapWriter.removeTemp(path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-k", path]
        try p.run()
        p.waitUntilExit()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
        bytes = Array(bytes.prefix(bytes.count - 30))
        try Data(bytes).write(to: URL(fileURLWithPath: path + ".gz"))
        #expect(throws: CaptureError.self) { _ = try T.record(path: path + ".gz") }
    }

    @Test func bpfFilter() throws {
        var c = Conversation()
        Self.shortSession(&c)
        #expect(try T.record(c.writer, options: CaptureOptions(filter: "tcp port 25")).count == 1)
        #expect(try T.record(c.writer, options: CaptureOptions(filter: "tcp port 587")).isEmpty)
        #expect(throws: CaptureError.self) { _ = try T.record(c.writer, options: CaptureOptions(filter: "this is not bpf")) }
    }

    @Test func notACaptureIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("junk.pcap").path
        try Data("220 hello\r\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: CaptureError.self) { _ = try T.record(path: path) }
        #expect(throws: CaptureError.self) { _ = try T.record(path: dir.appendingPathComponent("missing.pcap").path) }
    }

    @Test func truncatedFileErrorNamesThePacket() throws {
        var c = Conversation()
        Self.shortSession(&c)
        let path = try c.writer.writeTemp()
        defer { PcapWriter.removeTemp(path) }
        var bytes = c.writer.bytes
        bytes.removeLast(10)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var sessions = 0
        do {
            _ = try CaptureReader(input: path).run(path: path, sink: RecordingSink.self) { _ in sessions += 1 }
            Issue.record("no error")
        } catch let e as CaptureError {
            #expect(e.packet != nil)
            #expect(e.description.contains(path))
        }
        #expect(sessions == 1)   // what was read is still reported
    }

    @Test func hostileBytesNeverCrash() throws {
        // Random frames with plausible headers: the reader must neither crash nor hang.
        var w = PcapWriter()
        var rng = SystemRandomNumberGenerator()
        for i in 0..<3000 {
            var tcp = Frames.tcp(srcPort: UInt16.random(in: 20...30, using: &rng), dstPort: 25,
                                 seq: UInt32.random(in: 0...UInt32.max, using: &rng), ack: UInt32.random(in: 0...UInt32.max, using: &rng),
                                 flags: UInt8.random(in: 0...0x3F, using: &rng),
                                 payload: (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            if i % 7 == 0 { tcp[12] = UInt8.random(in: 0...255, using: &rng) }
            var ip = Frames.ipv4(src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: tcp)
            if i % 11 == 0 { ip[2] = UInt8.random(in: 0...255, using: &rng) }
            if i % 13 == 0 { ip[0] = UInt8.random(in: 0...255, using: &rng) }
            w.add(time: 1_700_000_000 + Double(i) * 0.001, frame: Frames.ethernet(ip, v6: false),
                  snap: i % 5 == 0 ? Int.random(in: 0...80, using: &rng) : nil)
        }
        _ = try T.record(w)
        _ = try T.sessions(w)
    }

    @Test func looksLikeCapture() {
        #expect(CaptureReader.looksLikeCapture([0xD4, 0xC3, 0xB2, 0xA1]))
        #expect(CaptureReader.looksLikeCapture([0xA1, 0xB2, 0xC3, 0xD4]))
        #expect(CaptureReader.looksLikeCapture([0x4D, 0x3C, 0xB2, 0xA1]))
        #expect(CaptureReader.looksLikeCapture([0xA1, 0xB2, 0x3C, 0x4D]))
        #expect(CaptureReader.looksLikeCapture([0x0A, 0x0D, 0x0D, 0x0A]))
        #expect(CaptureReader.looksLikeCapture([0x1F, 0x8B, 0x08, 0x00]))
        #expect(!CaptureReader.looksLikeCapture(Array("220 mx ESMTP".utf8)))
        #expect(!CaptureReader.looksLikeCapture([]))
    }

    @Test func tlsHelloParsing() {
        let ch = T.clientHello(sni: "mx.example.com")
        var w = TLSHandshakeWatcher()
        // Fed one byte at a time: records split anywhere.
        for b in ch { [b].withUnsafeBytes { _ = w.feed($0) } }
        #expect(w.hello?.serverName == "mx.example.com")
        #expect(w.hello?.offeredVersions == [0x0304, 0x0303])
        var s = TLSHandshakeWatcher()
        T.serverHello().withUnsafeBytes { _ = s.feed($0) }
        #expect(s.hello?.version == 0x0304)
        #expect(s.hello?.cipher == 0x1302)
        #expect(s.encrypted)
    }
}
