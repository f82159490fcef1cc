import Foundation
import Testing
@testable import TranscriptModel

@Suite("Capture: IPv4 fragment reassembly")
struct CaptureFragmentTests {
    typealias T = CaptureTestSupport

    static let ehlo = "EHLO fragmented.example.net\r\n"   // TCP header 20 + 29 bytes = 49

    static func session(_ fragment: (inout Conversation) -> Void) throws -> RecordingSink.Output {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        fragment(&c)
        c.server("250 mx\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        c.close()
        let out = try T.record(c.writer)
        guard out.count == 1 else { throw TestError("expected one session, got \(out.count)") }
        return out[0]
    }

    @Test func fragmentsOutOfOrderAreReassembled() throws {
        let out = try Self.session { c in
            c.fragmented(fromClient: true, Self.ehlo, pieces: [(40, 100), (16, 24), (0, 16)])
        }
        #expect(out.dialogue == ["S: 220 mx ESMTP", "C: EHLO fragmented.example.net", "S: 250 mx", "C: QUIT", "S: 221 bye"])
        #expect(!out.events.contains("GAP"))
        #expect(out.notes.contains { $0.contains("arrived in 3 fragments and were reassembled") })
        // The line's evidence is the packet that completed the datagram (the third fragment).
        let i = try #require(out.events.firstIndex(of: "C: EHLO fragmented.example.net"))
        #expect(out.positions[i].packet == 7)
    }

    @Test func overlappingFragmentsKeepTheFirstCopy() throws {
        // Bytes 24..<32 of the segment (" fragmen") are sent twice; the second copy says "XXXXXXXX".
        func overwrite(_ i: Int, _ piece: inout [UInt8]) {
            guard i == 1 else { return }
            for k in 0..<8 { piece[k] = 0x58 }
        }
        let firstWins = try Self.session { c in
            c.fragmented(fromClient: true, Self.ehlo, pieces: [(0, 32), (24, 16), (40, 100)], edit: overwrite)
        }
        #expect(firstWins.dialogue.contains("C: EHLO fragmented.example.net"))
        // The other way round the altered copy came first, so it is the one kept.
        let alteredFirst = try Self.session { c in
            c.fragmented(fromClient: true, Self.ehlo, pieces: [(0, 24), (24, 16), (16, 16), (40, 100)], edit: overwrite)
        }
        #expect(alteredFirst.dialogue.contains("C: EHLOXXXXXXXXted.example.net"))
    }

    @Test func missingFragmentIsNotedAndTheRestStillRead() throws {
        let out = try Self.session { c in
            c.fragmented(fromClient: true, Self.ehlo, pieces: [(0, 32)])   // the tail never arrives
        }
        #expect(out.notes.contains { $0.contains("1 IP fragment(s) of this connection were not reassembled") })
        #expect(out.events.contains("GAP"))
        #expect(out.dialogue.suffix(3) == ["S: 250 mx", "C: QUIT", "S: 221 bye"])
        #expect(!out.notes.contains { $0.contains("retransmitted") }, "\(out.notes)")
    }

    @Test func snapLengthCutFragmentCompletesWithAGap() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        // Written by hand: the last fragment's frame is cut by the snap length.
        let text = Array(Self.ehlo.utf8)
        let tcp = Frames.tcp(srcPort: c.clientPort, dstPort: c.serverPort, seq: c.cseq, ack: c.sseq, flags: 0x18, payload: text)
        let first = Frames.ipv4(src: c.clientIP, dst: c.serverIP, payload: Array(tcp[0..<40]), flagsFragment: 0x2000, id: 9)
        let last = Frames.ipv4(src: c.clientIP, dst: c.serverIP, payload: Array(tcp[40...]), flagsFragment: 5, id: 9)
        c.writer.add(time: c.time + 0.01, frame: Frames.ethernet(first, v6: false))
        c.writer.add(time: c.time + 0.01, frame: Frames.ethernet(last, v6: false), snap: 14 + 20 + 3)
        c.time += 0.01
        c.cseq += UInt32(text.count)
        c.server("250 mx\r\n")
        c.close()
        let out = try T.record(c.writer)
        try #require(out.count == 1)
        #expect(out[0].notes.contains { $0.contains("were reassembled") })
        #expect(out[0].events.contains("GAP"))
        #expect(out[0].dialogue.last == "S: 250 mx")
    }

    // MARK: - The reassembler's limits

    static func fragment(id: UInt16, offset: Int, more: Bool, _ bytes: [UInt8], declared: Int? = nil,
                         _ body: (IPv4Fragment) -> Void) {
        bytes.withUnsafeBytes { b in
            body(IPv4Fragment(source: TCPEndpoint(hi: 0, lo: 0x0A00_0001, port: 0, v6: false),
                              destination: TCPEndpoint(hi: 0, lo: 0x0A00_0002, port: 0, v6: false),
                              id: id, proto: 6, offset: offset, more: more, payload: b,
                              declaredLength: declared ?? bytes.count))
        }
    }

    @Test func tableAndBytesStayBounded() {
        var r = IPv4Reassembler()
        r.maxDatagrams = 100
        r.maxBytes = 64 << 10
        var evicted = 0
        for id in 0..<1000 {
            Self.fragment(id: UInt16(id), offset: 0, more: true, [UInt8](repeating: 1, count: 1480)) { f in
                _ = r.add(f, packet: id, time: 0) { _ in evicted += 1 }
            }
            #expect(r.pendingDatagrams <= 100)
            #expect(r.bufferedBytes <= 64 << 10)
        }
        #expect(evicted >= 900)
        // Capture time passes: everything left is given up.
        var expired: [IPv4Reassembler.Datagram] = []
        r.expire(now: 31) { expired.append($0) }
        #expect(r.isEmpty && r.bufferedBytes == 0)
        #expect(expired.allSatisfy { !$0.complete && $0.bytes.count == 1480 })
    }

    @Test func impossibleFragmentsAreRefused() {
        var r = IPv4Reassembler()
        // "Ping of death": a fragment reaching past 64 KiB.
        Self.fragment(id: 1, offset: 65_528, more: false, [UInt8](repeating: 0, count: 100)) { f in
            #expect(r.add(f, packet: 1, time: 0) { _ in } == nil)
        }
        // A middle fragment whose length is not a multiple of 8.
        Self.fragment(id: 2, offset: 8, more: true, [UInt8](repeating: 0, count: 13)) { f in
            #expect(r.add(f, packet: 2, time: 0) { _ in } == nil)
        }
        #expect(r.refused == 2 && r.isEmpty)
        // Too many fragments for one datagram: given up, not kept growing.
        r.maxFragments = 16
        var given = 0
        for k in 0..<40 {
            Self.fragment(id: 3, offset: 8 * (k % 20), more: true, [UInt8](repeating: 0, count: 8)) { f in
                _ = r.add(f, packet: k, time: 0) { _ in given += 1 }
            }
        }
        #expect(given >= 2)
        #expect(r.pendingDatagrams <= 1)
    }

    @Test func datagramEndsWhereTheLastFragmentSays() throws {
        var r = IPv4Reassembler()
        var done: IPv4Reassembler.Datagram?
        // A middle fragment reaching beyond the end the last fragment later declares: clipped, not waited for.
        Self.fragment(id: 5, offset: 8, more: true, [UInt8](repeating: 2, count: 24)) { f in done = r.add(f, packet: 1, time: 0) { _ in } }
        Self.fragment(id: 5, offset: 16, more: false, [UInt8](repeating: 3, count: 4)) { f in done = r.add(f, packet: 2, time: 0) { _ in } }
        #expect(done == nil)
        Self.fragment(id: 5, offset: 0, more: true, [UInt8](repeating: 1, count: 8)) { f in done = r.add(f, packet: 3, time: 0) { _ in } }
        let d = try #require(done)
        #expect(d.complete)
        // Bytes 16..<20 came twice (the middle fragment, then the last): the first copy is kept.
        #expect(d.bytes == [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 2, count: 12))
        #expect(d.declaredLength == 20)
        #expect(r.isEmpty)
    }

    @Test func rangeHelpers() {
        #expect(IPv4Reassembler.merged([0..<8, 16..<24], 8..<16) == [0..<24])
        #expect(IPv4Reassembler.merged([0..<8, 32..<40], 16..<24) == [0..<8, 16..<24, 32..<40])
        #expect(IPv4Reassembler.merged([4..<8], 0..<2) == [0..<2, 4..<8])
        #expect(IPv4Reassembler.uncovered(0..<40, by: [8..<16, 24..<48]) == [0..<8, 16..<24])
        #expect(IPv4Reassembler.uncovered(10..<12, by: [0..<40]).isEmpty)
    }
}
