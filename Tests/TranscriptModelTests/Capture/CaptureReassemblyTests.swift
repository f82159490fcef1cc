import Foundation
import Testing
@testable import TranscriptModel

@Suite("Capture: TCP reassembly and SMTP framing")
struct CaptureReassemblyTests {
    typealias T = CaptureTestSupport

    /// A plain delivered session, used as the base of several cases.
    static func plainSession(_ c: inout Conversation) {
        c.handshake()
        c.server("220 mx.example.com ESMTP Postfix\r\n", advance: 0.120)
        c.client("EHLO client.example.org\r\n")
        c.server("250-mx.example.com\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
        c.client("MAIL FROM:<a@example.org>\r\n")
        c.server("250 2.1.0 Ok\r\n")
        c.client("RCPT TO:<b@example.com>\r\n")
        c.server("250 2.1.5 Ok\r\n")
        c.client("DATA\r\n")
        c.server("354 End data with <CR><LF>.<CR><LF>\r\n")
        c.client("Subject: hi\r\n\r\nhello\r\n.\r\n")
        c.server("250 2.0.0 Ok: queued as ABC123\r\n", advance: 0.050)
        c.client("QUIT\r\n")
        c.server("221 2.0.0 Bye\r\n")
        c.close()
    }

    static let plainDialogue = [
        "S: 220 mx.example.com ESMTP Postfix", "C: EHLO client.example.org", "S: 250-mx.example.com",
        "S: 250-PIPELINING", "S: 250 CHUNKING", "C: MAIL FROM:<a@example.org>", "S: 250 2.1.0 Ok",
        "C: RCPT TO:<b@example.com>", "S: 250 2.1.5 Ok", "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>",
        "C: Subject: hi", "C: ", "C: hello", "C: .", "S: 250 2.0.0 Ok: queued as ABC123", "C: QUIT",
        "S: 221 2.0.0 Bye",
    ]

    @Test func inOrderSessionWithTimings() throws {
        var c = Conversation()
        Self.plainSession(&c)
        let out = try T.record(c.writer)
        try #require(out.count == 1)
        #expect(out[0].dialogue == Self.plainDialogue)
        #expect(out[0].events.first == "CONNECTING 198.51.100.25:25")
        #expect(out[0].events[1] == "CONNECTED")
        #expect(out[0].events.last == "CLOSED server")
        #expect(out[0].attributes["banner-delay-ms"] == "130")
        #expect(out[0].attributes["connect-rtt-ms"] == "10")
        #expect(out[0].attributes["reply-latency-ms"]?.hasPrefix("EHLO:10 MAIL:10 RCPT:10 DATA:10 .:50") == true)
        #expect(out[0].client.address == "192.0.2.10")
        #expect(out[0].server.port == 25)

        let sessions = try T.sessions(c.writer)
        try #require(sessions.count == 1)
        let s = sessions[0]
        #expect(s.format == "pcap")
        #expect(s.outcome == .delivered)
        #expect(s.transactions.first?.delivered == true)
        #expect(s.transactions.first?.recipients.map(\.address) == ["b@example.com"])
        #expect(s.attributes["banner-delay-ms"] == "130")
        #expect(s.closedBy == .server)
    }

    @Test func outOfOrderSegmentsAreReordered() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250 mx\r\n")
        let mail = c.lose(fromClient: true, "MAIL FROM:<a@x>\r\n")
        c.client("RCPT TO:<b@y>\r\n")   // arrives first
        c.replay(fromClient: true, mail)
        c.server("250 ok\r\n250 ok\r\n")
        c.close()
        let out = try T.record(c.writer)
        try #require(out.count == 1)
        #expect(out[0].dialogue == ["S: 220 mx ESMTP", "C: EHLO x", "S: 250 mx", "C: MAIL FROM:<a@x>",
                                    "C: RCPT TO:<b@y>", "S: 250 ok", "S: 250 ok"])
        #expect(out[0].attributes["tcp-out-of-order"] == "1")
        #expect(!out[0].events.contains("GAP"))
    }

    @Test func retransmissionIsDeliveredOnce() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        let ehlo = c.client("EHLO x\r\n")
        c.replay(fromClient: true, ehlo)
        c.server("250 mx\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].dialogue == ["S: 220 mx ESMTP", "C: EHLO x", "S: 250 mx"])
        #expect(out[0].attributes["tcp-retransmissions"] == "1")
        #expect(out[0].notes.contains { $0.contains("1 retransmitted segment") })
    }

    @Test func overlapFirstCopyWinsAndConflictIsNoted() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        let seq = c.cseq
        // "MAIL FROM:<a@x>\r\n" sent as [0,10) then a conflicting copy of [5,17).
        let full = Array("MAIL FROM:<a@x>\r\n".utf8)
        c.packet(fromClient: true, seq: seq, ack: c.sseq, flags: 0x18, payload: Array(full[0..<10]))
        var evil = Array(full[5..<17])
        evil[0] = UInt8(ascii: "X")   // byte 5 differs from the first copy ('F')
        c.packet(fromClient: true, seq: seq + 5, ack: c.sseq, flags: 0x18, payload: evil)
        c.cseq = seq + UInt32(full.count)
        c.server("250 ok\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].dialogue == ["S: 220 mx ESMTP", "C: MAIL FROM:<a@x>", "S: 250 ok"])
        #expect(out[0].notes.contains { $0.contains("carried different bytes") })
    }

    @Test func overlapAmongHeldSegmentsFirstCopyWins() throws {
        var s = TCPStream()
        var got: [UInt8] = []
        func run(_ seq: UInt32, _ text: String) {
            Array(text.utf8).withUnsafeBytes { b in
                s.segment(seq: seq, payload: b, declaredLength: b.count, fin: false, packet: 1, time: 0) { ev in
                    if case .data(let d, _, _) = ev { got += d }
                }
            }
        }
        s.syn(isn: 99)
        run(105, "56789")      // held
        run(103, "34XYZ")      // overlaps held [105,108): held bytes win
        run(100, "012")        // fills the hole
        #expect(String(decoding: got, as: UTF8.self) == "0123456789")
        #expect(s.conflicts == 1)
    }

    @Test func sequenceWraparound() throws {
        var c = Conversation(clientISN: 0xFFFF_FFF0, serverISN: 0xFFFF_FFFA)
        Self.plainSession(&c)
        let out = try T.record(c.writer)
        #expect(out[0].dialogue == Self.plainDialogue)
        #expect(!out[0].events.contains("GAP"))
    }

    @Test func wraparoundWithReorderingAcrossTheBoundary() throws {
        var s = TCPStream()
        var got: [UInt8] = []
        s.syn(isn: 0xFFFF_FFFD)   // first data byte at 0xFFFFFFFE
        func run(_ seq: UInt32, _ text: String) {
            Array(text.utf8).withUnsafeBytes { b in
                s.segment(seq: seq, payload: b, declaredLength: b.count, fin: false, packet: 1, time: 0) { ev in
                    if case .data(let d, _, _) = ev { got += d }
                }
            }
        }
        run(0x0000_0002, "EFG")   // after the wrap, early
        run(0xFFFF_FFFE, "ABCD")  // 0xFFFFFFFE..0x00000001
        #expect(String(decoding: got, as: UTF8.self) == "ABCDEFG")
    }

    @Test func lostSegmentAckedBecomesGapAndResyncs() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250 mx\r\n")
        c.client("MAIL FROM:<a@x>\r\n")
        c.server("250 sender ok\r\n")
        c.lose(fromClient: true, "RCPT TO:<b@y>\r\n")
        c.server("250 rcpt ok\r\n")     // its ACK covers the lost bytes
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        c.client("x\r\n.\r\n")
        c.server("250 queued\r\n")
        c.close()
        let out = try T.record(c.writer)
        let d = out[0].events.filter { $0.hasPrefix("C: ") || $0.hasPrefix("S: ") || $0 == "GAP" }
        #expect(d == ["S: 220 mx ESMTP", "C: EHLO x", "S: 250 mx", "C: MAIL FROM:<a@x>", "S: 250 sender ok",
                      "GAP", "S: 250 rcpt ok", "C: DATA", "S: 354 go", "C: x", "C: .", "S: 250 queued"])
        #expect(out[0].attributes["tcp-missing-bytes"] == "15")
    }

    @Test func gapInsideALineDiscardsThePartialLine() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("MAIL FROM:<a@x>\r\nRCPT TO:<b")
        c.lose(fromClient: true, "@y>\r\nRCPT TO:<c@y>\r\nRCP")
        c.client("T TO:<d@y>\r\nDATA\r\n")   // held, then given up at close / ACK
        c.server("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
        c.close()
        let out = try T.record(c.writer)
        let d = out[0].events.filter { $0.hasPrefix("C: ") || $0 == "GAP" }
        #expect(d == ["C: MAIL FROM:<a@x>", "GAP", "C: DATA"])
    }

    @Test func snapLengthCutPayloadIsAGap() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        let text = Array("EHLO a-very-long-client-name.example.org\r\n".utf8)
        c.packet(fromClient: true, seq: c.cseq, ack: c.sseq, flags: 0x18, payload: text, snap: 54 + 10)
        c.cseq += UInt32(text.count)
        c.client("MAIL FROM:<a@x>\r\n")
        c.server("250 ok\r\n250 ok\r\n")
        c.close()
        let out = try T.record(c.writer)
        let d = out[0].events.filter { $0.hasPrefix("C: ") || $0 == "GAP" }
        #expect(d == ["GAP", "C: MAIL FROM:<a@x>"])
    }

    @Test func resetRightAfterMailFrom() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250 mx\r\n")
        c.client("MAIL FROM:<spam@x>\r\n")
        c.rst(fromClient: false)
        let out = try T.record(c.writer)
        #expect(out[0].events.last == "CLOSED server reset")
        #expect(out[0].notes.contains { $0.contains("right after MAIL FROM") })
        #expect(out[0].notes.contains { $0.contains("still waited for a reply (MAIL)") })
        let s = try T.sessions(c.writer)
        #expect(s[0].closedByReset)
        #expect(s[0].outcome == .disconnected)
    }

    @Test func synWithoutAnswerIsATimeout() throws {
        var c = Conversation()
        c.packet(fromClient: true, seq: 1, ack: 0, flags: 0x02)
        c.packet(fromClient: true, seq: 1, ack: 0, flags: 0x02, advance: 1)
        c.packet(fromClient: true, seq: 1, ack: 0, flags: 0x02, advance: 2)
        let out = try T.record(c.writer)
        try #require(out.count == 1)
        #expect(out[0].events.contains { $0.hasPrefix("FAILED timed-out: no answer to SYN (sent 3 times over 3 s)") })
        let s = try T.sessions(c.writer)
        #expect(s[0].connectFailure == .timedOut)
        #expect(s[0].outcome == .unreachable)
    }

    @Test func synAnsweredByResetIsRefused() throws {
        var c = Conversation()
        c.packet(fromClient: true, seq: 1, ack: 0, flags: 0x02)
        c.packet(fromClient: false, seq: 0, ack: 2, flags: 0x14)
        let s = try T.sessions(c.writer)
        try #require(s.count == 1)
        #expect(s[0].connectFailure == .refused)
        #expect(s[0].outcome == .unreachable)
    }

    @Test func pipelinedBatchInOneSegmentPairsReplies() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250-mx\r\n250 PIPELINING\r\n")
        c.client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n")
        c.server("250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n")
        c.client("Subject: s\r\n\r\nbody\r\n.\r\n")
        c.server("250 queued\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        c.close()
        let s = try T.sessions(c.writer)
        let t = try #require(s.first?.transactions.first)
        #expect(t.recipients.map(\.address) == ["b@y", "c@y"])
        #expect(t.recipients.map(\.accepted) == [false, true])
        #expect(t.delivered)
        #expect(s[0].outcome == .delivered)
    }

    @Test func starttlsStopsLineParsingAndReportsHellos() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250-mx\r\n250 STARTTLS\r\n")
        c.client("STARTTLS\r\n")
        c.server("220 2.0.0 Ready to start TLS\r\n")
        c.send(fromClient: true, T.clientHello(sni: "mx.example.com"))
        c.send(fromClient: false, T.serverHello())
        c.send(fromClient: true, [0x17, 0x03, 0x03, 0x00, 0x06] + Array("EHLO\r\n".utf8))
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].dialogue == ["S: 220 mx ESMTP", "C: EHLO x", "S: 250-mx", "S: 250 STARTTLS", "C: STARTTLS",
                                    "S: 220 2.0.0 Ready to start TLS"])
        #expect(out[0].events.contains("TLS TLSv1.3 TLS_AES_256_GCM_SHA384 sni=mx.example.com"))
        let s = try T.sessions(c.writer)
        #expect(s[0].tlsStarted)
        #expect(s[0].tls?.version == "TLSv1.3")
        #expect(s[0].tls?.serverName == "mx.example.com")
    }

    @Test func refusedStarttlsContinuesInPlainText() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("STARTTLS\r\n")
        c.server("454 4.7.0 TLS not available\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].dialogue.suffix(2) == ["C: QUIT", "S: 221 bye"])
    }

    @Test func implicitTLSOnPort465() throws {
        var c = Conversation()
        c.serverPort = 465
        c.handshake()
        c.send(fromClient: true, T.clientHello(sni: "smtp.example.com"))
        c.send(fromClient: false, T.serverHello())
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].events.contains("TLS TLSv1.3 TLS_AES_256_GCM_SHA384 sni=smtp.example.com implicit"))
        #expect(out[0].dialogue.isEmpty)
        let s = try T.sessions(c.writer)
        #expect(s[0].tls?.implicit == true)
        #expect(s[0].tlsStarted)
    }

    @Test func bdatChunkIsContentNotCommands() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250-mx\r\n250 CHUNKING\r\n")
        c.client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n")
        c.server("250 ok\r\n250 ok\r\n")
        let chunk = "Subject: t\r\n\r\nRCPT TO:<evil@z>\r\nQUIT\r\n"
        c.client("BDAT \(chunk.utf8.count) LAST\r\n" + chunk.prefix(20))
        c.client(String(chunk.dropFirst(20)) + "QUIT\r\n")
        c.server("250 2.0.0 queued\r\n221 bye\r\n")
        c.close()
        let out = try T.record(c.writer)
        let cmds = out[0].events.filter { $0.hasPrefix("C: ") }
        #expect(cmds == ["C: EHLO x", "C: MAIL FROM:<a@x>", "C: RCPT TO:<b@y>", "C: BDAT \(chunk.utf8.count) LAST", "C: QUIT"])
        let s = try T.sessions(c.writer)
        let t = try #require(s.first?.transactions.first)
        #expect(t.recipients.map(\.address) == ["b@y"])
        #expect(t.delivered)
        #expect(t.message?.header("Subject") == "t")
        #expect(s[0].quitSent)
    }

    @Test func midStreamStartWithoutSYN() throws {
        var c = Conversation()
        c.client("MAIL FROM:<a@x>\r\n")
        c.server("250 ok\r\n")
        c.client("QUIT\r\n")
        c.server("221 bye\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].dialogue == ["C: MAIL FROM:<a@x>", "S: 250 ok", "C: QUIT", "S: 221 bye"])
        #expect(out[0].notes.contains { $0.contains("no SYN seen") })
    }

    @Test func smtpOnAnOddPortFoundByContent() throws {
        var c = Conversation()
        c.serverPort = 8025
        Self.plainSession(&c)
        var other = Conversation(clientISN: 7, serverISN: 9)
        other.serverPort = 8080
        other.clientPort = 41000
        let out = try T.record(c.writer)
        #expect(out.count == 1)
        #expect(out[0].dialogue == Self.plainDialogue)
    }

    @Test func nonSMTPFlowIsIgnored() throws {
        var c = Conversation()
        c.serverPort = 80
        c.handshake()
        c.client("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        c.server("HTTP/1.1 200 OK\r\n\r\n")
        c.close()
        #expect(try T.record(c.writer).isEmpty)
    }

    /// A server that stops reading for 2.5 s in the middle of the message (packets 7 and 8 close and reopen
    /// its window).
    static func zeroWindowConversation() -> Conversation {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        c.client("line\r\n")
        c.ack(fromClient: false, window: 0)
        c.ack(fromClient: false, window: 65535, advance: 2.5)
        c.client(".\r\n")
        c.server("250 ok\r\n")
        c.close()
        return c
    }

    @Test func zeroWindowStallIsNoted() throws {
        let c = Self.zeroWindowConversation()
        let out = try T.record(c.writer)
        #expect(out[0].notes.contains { $0.contains("zero receive window for 2500 ms") })
        #expect(out[0].attributes["tcp-zero-window-ms"] == "2500")
    }

    /// Found by fuzzing: a zero window lasting longer than `Int.max` milliseconds (pcapng's 64-bit times).
    @Test func zeroWindowPastIntRangeIsNotATrap() throws {
        let c = Self.zeroWindowConversation()
        // The packets after the zero-window ack come 2^60 seconds later.
        let zeroAt = 7
        let ng = c.writer.pcapng { n, s in n > zeroAt ? s + (1 << 60) : s }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-zw-\(getpid()).pcapng").path
        try Data(ng).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let out = try T.record(path: path)
        #expect(out.count == 1)
        #expect(out.first?.attributes["tcp-zero-window-ms"] == String(Int.max))
        #expect(out.first?.events.contains { $0.contains("zero receive window for \(Int.max) ms") } == true)
    }

    @Test func largeSegmentsRetransmittedWithoutAckSuggestMTUBlackHole() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        let big = String(repeating: "x", count: 1400) + "\r\n"
        let seg = c.client(big)
        c.replay(fromClient: true, seg)
        c.replay(fromClient: true, seg)
        c.replay(fromClient: true, seg)
        c.rst(fromClient: false)
        let out = try T.record(c.writer)
        #expect(out[0].notes.contains { $0.contains("path-MTU black hole") })
    }

    @Test func finWithReplyPendingIsNoted() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.fin(fromClient: false)
        c.fin(fromClient: true)
        let out = try T.record(c.writer)
        #expect(out[0].notes.contains { $0.contains("server closed the connection while 1 command(s) still waited for a reply (EHLO)") })
    }

    @Test func perFlowBufferLimitGivesUpTheHole() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        c.lose(fromClient: true, "lost\r\n")
        for _ in 0..<20 { c.client(String(repeating: "y", count: 1000) + "\r\n") }
        c.client(".\r\n")
        c.server("250 ok\r\n")
        c.close()
        let out = try T.record(c.writer, options: CaptureOptions(maxBufferPerFlow: 8192))
        #expect(out[0].events.contains("GAP"))
        #expect(out[0].dialogue.last == "S: 250 ok")
    }

    @Test func idleFlowClosedByCaptureTime() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        // Another connection 100 s later: the first one times out before it is seen.
        c.clientPort = 40001
        c.time += 100
        c.cseq = 1
        c.sseq = 2
        c.handshake()
        let path = try c.writer.writeTemp()
        defer { PcapWriter.removeTemp(path) }
        var order: [String] = []
        _ = try CaptureReader(input: path, options: CaptureOptions(idleTimeout: 30))
            .run(path: path, sink: RecordingSink.self) { order.append($0.client.port.map(String.init) ?? "") }
        #expect(order == ["40000", "40001"])
    }

    @Test func tooManyFlowsAreBounded() throws {
        var w = PcapWriter()
        var t = 1_700_000_000.0
        for i in 0..<500 {
            t += 0.001
            let tcp = Frames.tcp(srcPort: UInt16(20000 + i), dstPort: 25, seq: 1, ack: 0, flags: 0x02, payload: [])
            w.add(time: t, frame: Frames.ethernet(Frames.ipv4(src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: tcp), v6: false))
        }
        let out = try T.record(w, options: CaptureOptions(maxFlows: 50))
        #expect(out.count == 500)   // every attempt is still reported, early ones closed early
    }

    @Test func portReuseWithNewSYNStartsANewSession() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 first ESMTP\r\n")
        // No FIN/RST captured; the same ports connect again with a new ISN.
        c.cseq = 900_000
        c.sseq = 700_000
        c.handshake()
        c.server("220 second ESMTP\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(out.map(\.dialogue) == [["S: 220 first ESMTP"], ["S: 220 second ESMTP"]])
    }

    @Test func captureEndingMidConnectionIsNoted() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        let out = try T.record(c.writer)
        #expect(out[0].notes.contains { $0.contains("capture ends while the connection is still open") })
        #expect(!out[0].events.contains { $0.hasPrefix("CLOSED") })
    }

    @Test func ackSeenBeforeTheDataItCoversIsNoGap() throws {
        // Captures merged from two interfaces (or rebuilt) can show the ACK first.
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        let body = c.lose(fromClient: true, "line one\r\nline two\r\n")
        c.ack(fromClient: false)            // acknowledges the body not yet seen
        c.replay(fromClient: true, body)    // ... which shows up now
        c.client(".\r\n")
        c.server("250 ok\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(!out[0].events.contains("GAP"))
        #expect(out[0].dialogue.suffix(4) == ["C: line one", "C: line two", "C: .", "S: 250 ok"])
    }

    @Test func ipv4FragmentsAreReassembled() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        // The client's EHLO split into two IP fragments: the first carries the TCP header.
        let text = Array("EHLO fragmented.example\r\n".utf8)
        let tcp = Frames.tcp(srcPort: c.clientPort, dstPort: c.serverPort, seq: c.cseq, ack: c.sseq, flags: 0x18, payload: text)
        let first = Frames.ipv4(src: c.clientIP, dst: c.serverIP, payload: Array(tcp[0..<32]), flagsFragment: 0x2000)
        let second = Frames.ipv4(src: c.clientIP, dst: c.serverIP, payload: Array(tcp[32...]), flagsFragment: 32 / 8)
        c.time += 0.01
        c.writer.add(time: c.time, frame: Frames.ethernet(first, v6: false))
        c.writer.add(time: c.time, frame: Frames.ethernet(second, v6: false))
        c.cseq += UInt32(text.count)
        c.server("250 mx\r\n")
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].dialogue == ["S: 220 mx ESMTP", "C: EHLO fragmented.example", "S: 250 mx"])
        #expect(out[0].notes.contains { $0.contains("1 IP datagram(s) of this connection arrived in 2 fragments and were reassembled") })
        #expect(!out[0].events.contains("GAP"))
        #expect(out[0].attributes["ip-fragmented-datagrams"] == "1")
    }

    @Test func totalBufferLimitForcesHolesOut() throws {
        // Ten connections each holding out-of-order data behind a hole; a tiny total budget.
        var w = PcapWriter()
        var convs: [Conversation] = []
        for k in 0..<10 {
            var c = Conversation(clientISN: UInt32(1000 * k), serverISN: 5000)
            c.clientPort = UInt16(41000 + k)
            c.writer = w
            c.handshake()
            c.server("220 mx ESMTP\r\n")
            c.client("DATA\r\n")
            c.server("354 go\r\n")
            c.lose(fromClient: true, "lost line\r\n")
            for _ in 0..<12 { c.client(String(repeating: "z", count: 1000) + "\r\n") }
            w = c.writer
            convs.append(c)
        }
        for k in 0..<10 {
            var c = convs[k]
            c.writer = w
            c.client(".\r\n")
            c.server("250 ok\r\n")
            c.close()
            w = c.writer
        }
        let out = try T.record(w, options: CaptureOptions(totalBuffer: 1 << 16))
        #expect(out.count == 10)
        for o in out {
            #expect(o.events.contains("GAP"))
            #expect(o.dialogue.last == "S: 250 ok")
        }
    }

    @Test func tlsAlertDuringHandshakeIsNoted() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("STARTTLS\r\n")
        c.server("220 2.0.0 Ready to start TLS\r\n")
        c.send(fromClient: true, T.clientHello(sni: "mx.example.com"))
        c.send(fromClient: false, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])   // fatal protocol_version
        c.close()
        let out = try T.record(c.writer)
        #expect(out[0].notes.contains { $0.contains("server sent TLS alert 70 (fatal) during the handshake") })
        #expect(out[0].notes.contains { $0.contains("did not complete") })
        #expect(out[0].events.contains("CLOSED server"))
    }

    @Test(arguments: 0..<20)
    func shuffledAndDuplicatedSegmentsGiveTheSameDialogue(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed))
        var c = Conversation(clientISN: UInt32.max - UInt32(seed * 37), serverISN: UInt32(seed * 1000))
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("EHLO x\r\n")
        c.server("250 mx\r\n")
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        var body = ""
        for k in 0..<40 { body += "line \(k) " + String(repeating: "b", count: k * 7) + "\r\n" }
        body += ".\r\n"
        // Cut the body into random pieces, "send" them all, then write them shuffled, some twice,
        // some overlapping their neighbour.
        let bytes = Array(body.utf8)
        var pieces: [(UInt32, [UInt8])] = []
        var at = 0
        while at < bytes.count {
            let n = min(bytes.count - at, Int(rng.next() % 97) + 1)
            pieces.append(c.lose(fromClient: true, String(decoding: bytes[at..<(at + n)], as: UTF8.self)))
            at += n
        }
        var order = Array(pieces.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for i in order {
            c.replay(fromClient: true, pieces[i])
            if rng.next() % 5 == 0 { c.replay(fromClient: true, pieces[i]) }
            if rng.next() % 7 == 0, i + 1 < pieces.count {
                // Overlap: this piece plus the start of the next one.
                let extra = pieces[i + 1].1.prefix(3)
                c.replay(fromClient: true, (pieces[i].0, pieces[i].1 + extra))
            }
        }
        c.server("250 queued\r\n")
        c.close()
        let out = try T.record(c.writer)
        let expected = ["S: 220 mx ESMTP", "C: EHLO x", "S: 250 mx", "C: DATA", "S: 354 go"]
            + body.split(separator: "\r\n", omittingEmptySubsequences: false).dropLast().map { "C: " + $0 }
            + ["S: 250 queued"]
        #expect(out.first?.dialogue == expected)
        #expect(out.first?.events.contains("GAP") == false)
        #expect(out.first?.notes.contains { $0.contains("different bytes") } == false)
    }

    @Test func bareLineFeedsInDataAreReported() throws {
        var c = Conversation()
        c.handshake()
        c.server("220 mx ESMTP\r\n")
        c.client("MAIL FROM:<a@x>\r\n")
        c.server("250 ok\r\n")
        c.client("RCPT TO:<b@y>\r\n")
        c.server("250 ok\r\n")
        c.client("DATA\r\n")
        c.server("354 go\r\n")
        c.client("Subject: x\r\n\r\nfirst\nsecond\r\n\n.\r\nmore\r\n.\r\n")
        c.server("250 ok\r\n")
        c.close()
        let out = try T.record(c.writer)
        let marks = out[0].events.filter { $0.hasPrefix("BARELF") || $0 == "C: ." }
        #expect(marks == ["BARELF", "BARELF", "BARELF-DOT", "C: .", "C: ."])
        let s = try T.sessions(c.writer)
        #expect(s.first?.transactions.first?.message?.smugglingPattern != nil)
        #expect(s.first?.transactions.first?.message?.bareLFLines == 3)
    }

    @Test func ftpGreetingIsNotSMTP() throws {
        var c = Conversation()
        c.serverPort = 2100
        c.handshake()
        c.server("220 ProFTPD Server ready.\r\n")
        c.client("USER anonymous\r\n")
        c.server("331 Password required\r\n")
        c.close()
        #expect(try T.record(c.writer).isEmpty)
    }
}

/// Small deterministic generator for the shuffle tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
