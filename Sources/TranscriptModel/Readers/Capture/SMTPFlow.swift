#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ports where SMTP is expected without looking at the content.
enum SMTPPorts {
    static let all: Set<UInt16> = [25, 465, 587, 2525]
    static let implicitTLS: UInt16 = 465
}

/// Both ends of a TCP connection, in a fixed order whatever the direction of a packet.
struct TCPFlowKey: Hashable {
    var a: TCPEndpoint
    var b: TCPEndpoint

    init(_ x: TCPEndpoint, _ y: TCPEndpoint) {
        if (x.v6 ? 1 : 0, x.hi, x.lo, x.port) <= (y.v6 ? 1 : 0, y.hi, y.lo, y.port) {
            a = x; b = y
        } else {
            a = y; b = x
        }
    }
}

/// One direction's bytes cut into SMTP lines, BDAT chunks, or TLS records.
struct StreamFramer {
    enum Mode: Equatable {
        /// Undecided: TLS if the next byte opens a handshake record, lines otherwise.
        case sniff
        case lines
        case bdat(Int64)
        /// The rest of a BDAT chunk after a gap: skipped (the builder has left the chunk).
        case skip(Int64)
        /// An HTTP CONNECT request or response before the tunnelled SMTP: lines up to the blank one.
        case httpPreamble
        /// A SOCKS 5 handshake before the tunnelled SMTP: message `phase` (0 greeting, 1 request/reply).
        case socks(phase: Int)
        case tls
    }
    var mode: Mode = .sniff
    var partial: [UInt8] = []
    var partialOverflow = false
    var discardUntilLF = false
    var afterGap = false
    var tls = TLSHandshakeWatcher()
    var tlsLostSync = false
    /// The raw bytes are TLS being decrypted with the key log; `mode` frames the decrypted SMTP.
    var decrypting = false
    /// TLS bytes after framing was lost (counted, not parsed).
    var tlsUnparsedBytes: Int64 = 0
    /// The `.sniff` was armed by STARTTLS: a gap now means the TLS handshake lost bytes.
    var expectingTLS = false
    /// Encrypted dialogue went this way (application data, or TLS we lost track of) and was not decrypted
    /// to the end.
    var carriedEncryptedData: Bool { !decrypting && (tls.applicationRecords > 0 || tlsUnparsedBytes > 0) }
    var tlsBytes: Int64 { tls.bytes + tlsUnparsedBytes }
    var linesSeen = 0
    static let maxLine = 1 << 16
}

/// One queued piece of the conversation, waiting until the other direction cannot come before it.
struct CaptureFlowEvent {
    enum Kind {
        var cost: Int {
            switch self {
            case .line(let l, _), .content(let l): return l.count + 32
            default: return 32
            }
        }

        /// A line; `bareLF`: it ended in LF without CR.
        case line([UInt8], bareLF: Bool)
        case gap(Int64)
        /// BDAT chunk content, cut into lines.
        case content([UInt8])
        case tls(TLSFacts)
        case note(String, Note.Kind)
    }
    /// Ordering key: the completing packet, never decreasing within a direction.
    var key: Int
    var packet: Int
    var time: Double
    var kind: Kind
}

/// A TCP connection: reassembly of both directions, SMTP framing, TCP evidence, and the session sink.
final class CaptureFlow<Sink: CaptureSink> {
    enum Kind { case undecided, smtp, ignored }
    enum State { case synSent, established, closed }

    let input: String
    /// `input` as positions hold it, looked up once per connection.
    private let inputName: InputName
    let format: String
    /// Index 0: client to server; 1: server to client.
    var ends: [TCPEndpoint]
    var kind: Kind
    var state: State = .established
    var sink: Sink?
    var streams = [TCPStream(), TCPStream()]
    var splitters = [StreamFramer(), StreamFramer()]
    var queues: [[CaptureFlowEvent]] = [[], []]
    var heads = [0, 0]
    var lastKeys = [0, 0]
    var queuedBytes = 0
    var currentPacket = 0
    var lastUsage = 0
    /// Reused line buffer (no allocation per line).
    private var scratch: [UInt8] = []
    private var lastLineHadCR = false
    /// The previous message line ended in a bare LF.
    private var previousContentBareLF = false

    // Connection facts.
    var firstPacket = 0
    var firstTime = 0.0
    var lastTime = 0.0
    var packets = 0
    var synCount = 0
    var synPacket: Int?
    var synTime: Double?
    var lastSynTime: Double?
    var synAckPacket: Int?
    var synAckTime: Double?
    var fins: [(packet: Int, time: Double)?] = [nil, nil]
    var finOrder: [Int] = []
    var starttlsRequested = false
    var implicitTLS = false
    var clientHello: TLSHandshakeWatcher.Hello?
    var tlsReported = false
    /// IP fragments that could not be put back together, and datagrams that were.
    var fragments = 0
    var reassembledDatagrams = 0
    var reassembledFragments = 0
    var zeroWindowSince: [(packet: Int, time: Double)?] = [nil, nil]
    var zeroWindowTotal = 0.0
    var zeroWindowNotes = 0
    var midStream = false
    /// Why the reader stopped following a connection that never closed (idle, end of capture, limits).
    var endReason: String?
    /// SMTP carried through a proxy's tunnel (HTTP CONNECT, SOCKS 5), decided by the first bytes.
    var tunnel: String?
    /// Secrets for decrypting TLS (`--tls-keylog`), and the connection's decryption once TLS starts.
    var keyLog: TLSKeyLog?
    var decryptor: TLSDecryptor?

    // Conversation tracking, as events reach the sink (in order).
    var inData = false
    var awaitingDataReply = false
    var pendingCommands: [(verb: String, time: Double)] = []
    var pendingHead = 0
    var lastCommand: String?
    var lastReplyCode: Int?
    var greetingTime: Double?
    var dataStartTime: Double?
    var dataTransferMs: Int?
    var latencies: [(verb: String, ms: Int)] = []
    var maxLatency: (verb: String, ms: Int)?
    var lastDataTime: Double?

    init(input: String, format: String, client: TCPEndpoint, server: TCPEndpoint, kind: Kind) {
        self.input = input
        self.inputName = InputName(input)
        self.format = format
        self.ends = [client, server]
        self.kind = kind
    }

    func position(_ packet: Int, _ time: Double) -> SourcePosition {
        SourcePosition(name: inputName, packet: packet, time: time)
    }

    var usage: Int {
        streams[0].bufferedBytes + streams[1].bufferedBytes + splitters[0].partial.count + splitters[1].partial.count
            + queuedBytes + (decryptor?.bufferedBytes ?? 0) + (sink?.heldBytes ?? 0)
    }

    // MARK: - Sink creation

    func startSession() {
        guard sink == nil else { return }
        var s = Sink(input: input, format: format)
        s.setPeers(client: Peer(address: ends[0].addressString, port: Int(ends[0].port)),
                   server: Peer(address: ends[1].addressString, port: Int(ends[1].port)))
        if let p = synPacket, let t = synTime {
            s.connecting(address: ends[1].addressString, port: Int(ends[1].port), at: position(p, t))
        }
        if let p = synAckPacket, let t = synAckTime {
            s.connected(address: ends[1].addressString, port: Int(ends[1].port), at: position(p, t))
        } else if synPacket == nil {
            midStream = true
            s.note("the capture starts in the middle of this connection (no SYN seen)", kind: .tcp,
                   at: position(firstPacket, firstTime))
            s.connected(address: ends[1].addressString, port: Int(ends[1].port), at: position(firstPacket, firstTime))
        }
        sink = s
    }

    // MARK: - Packets

    /// A SYN that cannot belong to this connection (another ISN, or the connection was seen mid-stream
    /// and has carried data).
    func isNewConnection(isn: UInt32) -> Bool {
        let s = streams[0]
        guard s.started else { return false }
        if s.sawSYN { return s.base != isn &+ 1 }
        return s.deliveredBytes > 0 || streams[1].deliveredBytes > 0
    }

    func segment(_ seg: TCPSegment, fromClient: Bool, packet: Int, time: Double, emit: (Sink.Output) -> Void) {
        let d = fromClient ? 0 : 1
        currentPacket = packet
        packets += 1
        if packets == 1 { firstPacket = packet; firstTime = time }
        lastTime = time
        let flags = seg.flags

        if flags.contains(.syn) {
            if !flags.contains(.ack), d == 0 {
                synCount += 1
                if synPacket == nil { synPacket = packet; synTime = time; state = .synSent }
                lastSynTime = time
                withStream(0) { $0.syn(isn: seg.seq) }
            } else if flags.contains(.ack), d == 1 {
                if synAckPacket == nil {
                    synAckPacket = packet; synAckTime = time
                    if sink != nil, state == .synSent {
                        sink?.connected(address: ends[1].addressString, port: Int(ends[1].port), at: position(packet, time))
                    }
                }
                state = .established
                withStream(1) { $0.syn(isn: seg.seq) }
            }
        }

        if flags.contains(.rst) {
            reset(fromClient: fromClient, packet: packet, time: time, emit: emit)
            return
        }
        // The session (and its builder) is made on the first event, so bare SYNs stay cheap.
        if state == .synSent, !flags.contains(.syn) { state = .established }

        // Zero-window stalls: the advertiser stopped reading.
        if flags.contains(.ack), !flags.contains(.syn), !flags.contains(.fin) {
            if seg.window == 0 {
                if zeroWindowSince[d] == nil { zeroWindowSince[d] = (packet, time) }
            } else if let since = zeroWindowSince[d] {
                zeroWindowEnded(dir: d, since: since, packet: packet, time: time)
            }
        }

        if flags.contains(.ack) {
            withStream(1 - d) { s in
                // A segment carrying data (or FIN) shows its sender acted on what it acknowledged.
                s.acknowledged(seg.ack, settle: seg.declaredLength > 0 || flags.contains(.fin),
                               packet: packet, time: time) { self.streamEvent($0, dir: 1 - d) }
            }
        }
        if seg.declaredLength > 0 || flags.contains(.fin) {
            if seg.declaredLength > 0 { lastDataTime = time }
            withStream(d) { s in
                s.segment(seq: flags.contains(.syn) ? seg.seq &+ 1 : seg.seq, payload: seg.payload,
                          declaredLength: seg.declaredLength, fin: flags.contains(.fin),
                          packet: packet, time: time) { self.streamEvent($0, dir: d) }
            }
        }
        pump(force: false)
        if fins[0] != nil, fins[1] != nil {
            close(reset: false, closer: finOrder.first, packet: packet, time: time, emit: emit)
        }
    }

    func enforce(maxBuffer: Int) {
        for d in 0..<2 where streams[d].heldBytes > maxBuffer {
            withStream(d) { s in
                while s.heldBytes > maxBuffer / 2 {
                    s.skipHole(packet: currentPacket, time: lastTime) { self.streamEvent($0, dir: d) }
                }
            }
        }
        pump(force: false)
        if queuedBytes > maxBuffer { pump(force: true) }
    }

    /// Free memory under global pressure: stop waiting for holes and hand over what is queued.
    func relieve() {
        for d in 0..<2 {
            withStream(d) { s in
                s.flush(packet: currentPacket, time: lastTime) { self.streamEvent($0, dir: d) }
                s.dropRecent()
            }
        }
        pump(force: true)
        sink?.settle()
    }

    @inline(__always)
    private func withStream(_ d: Int, _ body: (inout TCPStream) -> Void) {
        // Moved out and back, not copied: the body's events call back into this flow.
        var s = TCPStream()
        swap(&s, &streams[d])
        body(&s)
        swap(&s, &streams[d])
    }

    private func zeroWindowEnded(dir d: Int, since: (packet: Int, time: Double), packet: Int, time: Double) {
        zeroWindowSince[d] = nil
        let ms = max(0, (time - since.time) * 1000)
        zeroWindowTotal += ms
        // A few milliseconds of zero window is ordinary flow control.
        guard ms >= 100, zeroWindowNotes < 3, kind != .ignored else { return }
        zeroWindowNotes += 1
        let who = d == 0 ? "client" : "server"
        let other = d == 0 ? "server" : "client"
        queue(d, packet: since.packet, time: since.time, .note(
            "the \(who) advertised a zero receive window for \(Int(saturating: ms)) ms (packets \(since.packet)-\(packet)): it stopped reading and the \(other) had to wait",
            .tcp))
    }

    // MARK: - Stream events

    func streamEvent(_ ev: StreamEvent, dir d: Int) {
        guard kind != .ignored else { return }
        switch ev {
        case .data(let b, let packet, let time):
            if kind == .undecided, tunnel == nil {
                decide(first: b, dir: d)
                if kind == .ignored { return }
                if kind == .smtp { startSession() }
            }
            feed(d, b, packet: packet, time: time)
        case .gap(let n, let packet, let time):
            if kind == .undecided { return }
            gap(d, bytes: n, packet: packet, time: time)
        case .fin(let packet, let time):
            if fins[d] == nil { fins[d] = (packet, time); finOrder.append(d) }
        }
    }

    /// A flow on another port: SMTP when the server greets with 220 or the client opens with EHLO/HELO.
    private func decide(first b: UnsafeRawBufferPointer, dir d: Int) {
        func prefix(_ n: Int) -> ArraySlice<UInt8> { ArraySlice(b.prefix(n)) }
        // FTP greets with 220 too: not on its port, and not when the banner says FTP.
        let firstLine = ArraySlice(b.prefix(while: { $0 != 0x0A }).prefix(512))
        let ftp = ends[1].port == 21 || Bytes.contains(firstLine, lowercased: "ftp")
        if d == 1, !ftp, b.count >= 4, b[0] == 0x32, b[1] == 0x32, b[2] == 0x30, b[3] == 0x20 || b[3] == 0x2D {
            kind = .smtp
        } else if d == 0, Bytes.hasPrefix(prefix(5), lowercased: "ehlo ") || Bytes.hasPrefix(prefix(5), lowercased: "helo ")
                    || Bytes.hasPrefix(prefix(5), lowercased: "lhlo ") {
            kind = .smtp
        } else if d == 0, Bytes.hasPrefix(prefix(8), lowercased: "connect ") {
            tunnel = "HTTP CONNECT proxy"
            splitters[0].mode = .httpPreamble
            splitters[1].mode = .httpPreamble
        } else if d == 0, b.count >= 3, b[0] == 5, b[1] >= 1, b[1] <= 16, Int(b[1]) + 2 <= b.count,
                  (0..<Int(b[1])).contains(where: { b[2 + $0] == 0 }) {
            tunnel = "SOCKS 5 proxy"
            splitters[0].mode = .socks(phase: 0)
            splitters[1].mode = .socks(phase: 0)
        } else {
            kind = .ignored
            releaseMemory()
        }
    }

    /// First bytes after a proxy handshake: SMTP (220 / EHLO / HELO), or not our business.
    private func decideAfterTunnel(_ b: UnsafeRawBufferPointer, dir d: Int) {
        let p = ArraySlice(b.prefix(5))
        let greeting = d == 1 && b.count >= 4 && b[0] == 0x32 && b[1] == 0x32 && b[2] == 0x30 && (b[3] == 0x20 || b[3] == 0x2D)
        let hello = d == 0 && (Bytes.hasPrefix(p, lowercased: "ehlo ") || Bytes.hasPrefix(p, lowercased: "helo "))
        if greeting || hello {
            kind = .smtp
            startSession()
        } else {
            kind = .ignored
            releaseMemory()
        }
    }

    /// Length of a SOCKS 5 message once enough of it is buffered (nil: need more bytes).
    private func socksLength(_ m: [UInt8], dir d: Int, phase: Int) -> Int? {
        if phase == 0 {
            if d == 1 { return 2 }
            guard m.count >= 2 else { return nil }
            return 2 + Int(m[1])
        }
        guard m.count >= 5 else { return nil }
        switch m[3] {
        case 1: return 4 + 4 + 2
        case 4: return 4 + 16 + 2
        case 3: return 4 + 1 + Int(m[4]) + 2
        default: return 4 + 2   // malformed: give up on it quickly
        }
    }

    private func socksTarget(_ m: [UInt8]) -> String? {
        guard m.count >= 10 else { return nil }
        let portAt = m.count - 2
        let port = Int(m[portAt]) << 8 | Int(m[portAt + 1])
        switch m[3] {
        case 1: return "\(m[4]).\(m[5]).\(m[6]).\(m[7]):\(port)"
        case 3: return String(decoding: m[5..<(5 + Int(m[4]))], as: UTF8.self) + ":\(port)"
        default: return "port \(port)"
        }
    }

    private func feed(_ d: Int, _ b: UnsafeRawBufferPointer, packet: Int, time: Double) {
        if splitters[d].decrypting {
            decrypt(d, b, packet: packet, time: time)
            return
        }
        frame(d, b, packet: packet, time: time)
    }

    /// Cuts a direction's bytes (clear text, or decrypted TLS) by the current mode.
    private func frame(_ d: Int, _ b: UnsafeRawBufferPointer, packet: Int, time: Double) {
        var i = 0
        let n = b.count
        while i < n {
            switch splitters[d].mode {
            case .httpPreamble:
                guard let lf = findLF(b, from: i) else {
                    appendPartial(d, UnsafeRawBufferPointer(rebasing: b[i...]))
                    return
                }
                appendPartial(d, UnsafeRawBufferPointer(rebasing: b[i..<lf]))
                var line = splitters[d].partial
                splitters[d].partial = []
                if line.last == 0x0D { line.removeLast() }
                i = lf + 1
                if line.isEmpty {
                    splitters[d].mode = .sniff
                } else if splitters[d].linesSeen == 0 {
                    splitters[d].linesSeen = -1   // only the request/status line is worth a note
                    let who = d == 0 ? "client to proxy" : "proxy"
                    queue(d, packet: packet, time: time, .note("\(tunnel ?? "proxy"): \(who): \(Bytes.string(line[...].prefix(200)))", .tool))
                }
            case .socks(let phase):
                let need = socksLength(splitters[d].partial, dir: d, phase: phase)
                if let need, splitters[d].partial.count >= need {
                    let m = splitters[d].partial
                    splitters[d].partial = []
                    if phase == 0 {
                        if d == 1, m.count >= 2, m[1] != 0 { kind = .ignored; releaseMemory(); return }   // auth needed: not followed
                        splitters[d].mode = .socks(phase: 1)
                    } else {
                        splitters[d].mode = .sniff
                        if d == 0, let target = socksTarget(m) {
                            queue(d, packet: packet, time: time, .note("\(tunnel ?? "proxy"): the client asked for \(target)", .tool))
                        } else if d == 1, m.count >= 2, m[1] != 0 {
                            queue(d, packet: packet, time: time, .note("\(tunnel ?? "proxy"): the proxy refused the connection (code \(m[1]))", .tool))
                        }
                    }
                    continue
                }
                let want = (need ?? (splitters[d].partial.count + 1)) - splitters[d].partial.count
                let take = min(max(want, 1), n - i)
                splitters[d].partial.append(contentsOf: b[i..<(i + take)])
                i += take
                if splitters[d].partial.count > 300 { kind = .ignored; releaseMemory(); return }
            case .sniff:
                if kind == .undecided {
                    decideAfterTunnel(UnsafeRawBufferPointer(rebasing: b[i...]), dir: d)
                    if kind == .ignored { return }
                }
                let rest = UnsafeRawBufferPointer(rebasing: b[i...])
                // Inside decrypted TLS a second TLS layer is not followed: the bytes are read as lines.
                if !splitters[d].decrypting, TLSHandshakeWatcher.looksLikeTLS(rest, expected: splitters[d].expectingTLS) {
                    splitters[d].mode = .tls
                    if splitters[0].linesSeen == 0, splitters[1].linesSeen == 0 { implicitTLS = true }
                } else {
                    splitters[d].mode = .lines
                }
            case .lines:
                if splitters[d].afterGap {
                    splitters[d].afterGap = false
                    if !plausibleLineStart(UnsafeRawBufferPointer(rebasing: b[i...]), dir: d) {
                        splitters[d].discardUntilLF = true
                    }
                }
                let lf = findLF(b, from: i)
                if splitters[d].discardUntilLF {
                    guard let lf else { return }
                    splitters[d].discardUntilLF = false
                    i = lf + 1
                    continue
                }
                guard let lf else {
                    appendPartial(d, UnsafeRawBufferPointer(rebasing: b[i...]))
                    return
                }
                let line = takeLine(d, UnsafeRawBufferPointer(rebasing: b[i..<lf]))
                i = lf + 1
                splitters[d].linesSeen += 1
                if d == 0 {
                    clientLine(line, bareLF: !lastLineHadCR, packet: packet, time: time)
                } else {
                    serverLine(line, packet: packet, time: time)
                }
            case .bdat(let remaining):
                let end = i + Int(min(remaining, Int64(n - i)))
                splitters[d].mode = .bdat(remaining - Int64(end - i))
                while i < end {
                    if let lf = findLF(b, from: i, to: end) {
                        let line = takeLine(d, UnsafeRawBufferPointer(rebasing: b[i..<lf]))
                        emitLine(d, line, content: true, packet: packet, time: time)
                        i = lf + 1
                    } else {
                        appendPartial(d, UnsafeRawBufferPointer(rebasing: b[i..<end]))
                        i = end
                    }
                }
                if splitters[d].mode == .bdat(0) {
                    if !splitters[d].partial.isEmpty {
                        let rest = splitters[d].partial
                        splitters[d].partial = []
                        emitLine(d, rest[...], content: true, packet: packet, time: time)
                    }
                    splitters[d].mode = .lines
                }
            case .skip(let remaining):
                let take = Int(min(remaining, Int64(n - i)))
                i += take
                splitters[d].mode = remaining - Int64(take) > 0 ? .skip(remaining - Int64(take)) : .lines
            case .tls:
                if startDecrypting(d) {
                    decrypt(d, UnsafeRawBufferPointer(rebasing: b[i...]), packet: packet, time: time)
                    return
                }
                if !splitters[d].tlsLostSync {
                    let done = splitters[d].tls.feed(UnsafeRawBufferPointer(rebasing: b[i...]))
                    if done { helloParsed(d, packet: packet, time: time) }
                } else {
                    splitters[d].tlsUnparsedBytes += Int64(n - i)
                }
                return
            }
        }
    }

    // MARK: - TLS decryption

    /// TLS begins in direction `d`: decrypt it when there is a key log and nothing has stopped it.
    private func startDecrypting(_ d: Int) -> Bool {
        guard let keyLog, !splitters[d].tlsLostSync, splitters[d].tls.bytes == 0 else { return false }
        if decryptor == nil { decryptor = TLSDecryptor(keyLog: keyLog) }
        guard decryptor?.isStopped(d) == false else { return false }
        splitters[d].decrypting = true
        splitters[d].mode = .lines
        splitters[d].partial = []
        return true
    }

    private func decrypt(_ d: Int, _ b: UnsafeRawBufferPointer, packet: Int, time: Double) {
        // Versions, cipher, clear alerts and byte counts still come from the handshake watcher.
        if splitters[d].tls.feed(b) { helloParsed(d, packet: packet, time: time) }
        guard let events = decryptor?.feed(b, dir: d) else { return }
        decrypted(events, packet: packet, time: time)
    }

    private func decrypted(_ events: [TLSDecryptor.Event], packet: Int, time: Double) {
        for e in events {
            switch e {
            case .plaintext(let dir, let bytes):
                // Decrypted application data is framed exactly like clear text, at the record's packet.
                guard splitters[dir].decrypting else { continue }
                bytes.withUnsafeBytes { frame(dir, $0, packet: packet, time: time) }
            case .note(let dir, let text):
                queue(dir, packet: packet, time: time, .note(text, .tls))
            case .stopped(let dir):
                guard splitters[dir].decrypting else { continue }
                // What follows is counted as encrypted bytes, as without a key log.
                splitters[dir].decrypting = false
                splitters[dir].mode = .tls
                splitters[dir].partial = []
                splitters[dir].partialOverflow = false
            }
        }
    }

    @inline(__always)
    private func findLF(_ b: UnsafeRawBufferPointer, from: Int, to: Int? = nil) -> Int? {
        let end = to ?? b.count
        guard from < end else { return nil }
        let base = b.baseAddress!
        guard let hit = memchr(base + from, 0x0A, end - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    /// The line ending at the current LF (partial bytes first), without CR, in a reused buffer: valid
    /// until the next call.
    private func takeLine(_ d: Int, _ tail: UnsafeRawBufferPointer) -> ArraySlice<UInt8> {
        if scratch.capacity > 1 << 16 { scratch = [] } else { scratch.removeAll(keepingCapacity: true) }
        if !splitters[d].partial.isEmpty {
            appendPartial(d, tail)
            scratch.append(contentsOf: splitters[d].partial)
            if splitters[d].partial.capacity > 4096 { splitters[d].partial = [] } else {
                splitters[d].partial.removeAll(keepingCapacity: true)
            }
            splitters[d].partialOverflow = false
        } else {
            scratch.append(contentsOf: tail.prefix(StreamFramer.maxLine))
        }
        var end = scratch.count
        if end > 0, scratch[end - 1] == 0x0D { end -= 1; lastLineHadCR = true } else { lastLineHadCR = false }
        return scratch[0..<end]
    }

    /// A line to the sink: at once when nothing queued can come before it (the common case, no copy),
    /// else queued in packet order.
    private func emitLine(_ d: Int, _ line: ArraySlice<UInt8>, content: Bool, bareLF: Bool = false,
                          packet: Int, time: Double) {
        if sink == nil, kind == .smtp { startSession() }
        let key = max(lastKeys[d], packet)
        if sink != nil, heads[0] == queues[0].count, heads[1] == queues[1].count, key < futureMin(1 - d),
           !(d == 0 && awaitingDataReply) {
            lastKeys[d] = key
            deliverLine(d, line, content: content, bareLF: bareLF, at: position(packet, time), time: time)
            return
        }
        queue(d, packet: packet, time: time, content ? .content(Array(line)) : .line(Array(line), bareLF: bareLF))
    }

    private func deliverLine(_ d: Int, _ line: ArraySlice<UInt8>, content: Bool, bareLF: Bool = false,
                             at: SourcePosition, time: Double) {
        if content {
            sink?.content(line, at: at)
        } else if d == 0 {
            let messageLine = inData
            trackClient(line, time: time)
            if messageLine {
                // Line ends matter only inside DATA (RFC 5321 wants CRLF; a bare LF next to `.` is smuggling).
                let dot = line.count == 1 && line.first == 0x2E
                if bareLF || (dot && previousContentBareLF) {
                    sink?.bareLineFeed(dotLine: dot, at: at)
                }
                previousContentBareLF = dot ? false : bareLF
            }
            sink?.client(line, at: at)
        } else {
            trackServer(line, time: time)
            sink?.server(line, at: at)
        }
    }

    private func appendPartial(_ d: Int, _ b: UnsafeRawBufferPointer) {
        let room = StreamFramer.maxLine - splitters[d].partial.count
        if b.count <= room {
            splitters[d].partial.append(contentsOf: b)
        } else {
            if room > 0 { splitters[d].partial.append(contentsOf: b.prefix(room)) }
            splitters[d].partialOverflow = true
        }
    }

    /// After a gap: does the data look like the start of a command or reply line?
    private func plausibleLineStart(_ b: UnsafeRawBufferPointer, dir d: Int) -> Bool {
        guard !b.isEmpty else { return false }
        if d == 1 {
            guard b.count >= 4 else { return false }
            return b[0] >= 0x32 && b[0] <= 0x35 && Bytes.isDigit(b[1]) && Bytes.isDigit(b[2])
                && (b[3] == 0x20 || b[3] == 0x2D || b[3] == 0x0D || b[3] == 0x0A)
        }
        if b[0] == 0x2E { return b.count >= 2 && (b[1] == 0x0D || b[1] == 0x0A) }
        var k = 0
        while k < b.count, k < 12, (b[k] | 0x20) >= 0x61, (b[k] | 0x20) <= 0x7A { k += 1 }
        guard k >= 4, k < b.count else { return false }
        let verb = String(decoding: b[0..<k], as: UTF8.self).uppercased()
        return CommandParser.knownVerbs.contains(verb) && (b[k] == 0x20 || b[k] == 0x0D || b[k] == 0x0A)
    }

    private func clientLine(_ line: ArraySlice<UInt8>, bareLF: Bool = false, packet: Int, time: Double) {
        // Decisions that change how the following bytes are cut: BDAT chunks and STARTTLS.
        let s = line
        if line.count >= 6, line.count < 64, Bytes.hasPrefix(s, lowercased: "bdat ") {
            // RFC 3030 syntax only: `BDAT <size> [LAST]`. A server rejects anything else as a command and
            // reads no chunk after it (`BDAT 5 X` is followed by commands, not 5 octets).
            let parts = s.split(whereSeparator: Bytes.isBlank)
            let tailOK = parts.count == 2 || (parts.count == 3 && Bytes.hasPrefix(parts[2], lowercased: "last") && parts[2].count == 4)
            if tailOK, let size = Bytes.integer(parts[1]), size > 0, size < 1 << 40 {
                emitLine(0, line, content: false, packet: packet, time: time)
                splitters[0].mode = .bdat(Int64(size))
                return
            }
        } else if line.count <= 12, Bytes.trimmed(s).count == 8, Bytes.hasPrefix(Bytes.trimmed(s), lowercased: "starttls") {
            starttlsRequested = true
            splitters[0].mode = .sniff
            splitters[0].expectingTLS = true
        }
        emitLine(0, line, content: false, bareLF: bareLF, packet: packet, time: time)
    }

    private func serverLine(_ line: ArraySlice<UInt8>, packet: Int, time: Double) {
        emitLine(1, line, content: false, packet: packet, time: time)
        guard starttlsRequested, line.count >= 3 else { return }
        let o = line.startIndex
        guard line[o] >= 0x32, line[o] <= 0x35, Bytes.isDigit(line[o + 1]), Bytes.isDigit(line[o + 2]) else { return }
        if line.count > 3, line[o + 3] == 0x2D { return }
        let code = Int(line[o] - 0x30) * 100 + Int(line[o + 1] - 0x30) * 10 + Int(line[o + 2] - 0x30)
        if code == 220 {
            starttlsRequested = false
            splitters[1].mode = .sniff
            splitters[1].expectingTLS = true
        } else if code >= 400 {
            starttlsRequested = false
        }
    }

    private func helloParsed(_ d: Int, packet: Int, time: Double) {
        guard let hello = splitters[d].tls.hello else { return }
        if !hello.isServer {
            clientHello = hello
            let offered = hello.offeredVersions.map(TLSHandshakeWatcher.versionName).joined(separator: ", ")
            var text = "TLS ClientHello"
            if let sni = hello.serverName { text += " for \(sni)" }
            if !offered.isEmpty { text += ", offering \(offered)" }
            queue(d, packet: packet, time: time, .note(text, .tls))
        } else if !tlsReported {
            tlsReported = true
            let facts = TLSFacts(version: TLSHandshakeWatcher.versionName(hello.version),
                                 cipher: hello.cipher.map(TLSHandshakeWatcher.cipherName),
                                 serverName: clientHello?.serverName, implicit: implicitTLS,
                                 position: position(packet, time))
            queue(d, packet: packet, time: time, .tls(facts))
        }
    }

    private func gap(_ d: Int, bytes n: Int64, packet: Int, time: Double) {
        if splitters[d].decrypting, let events = decryptor?.gap(dir: d, bytes: n) {
            decrypted(events, packet: packet, time: time)
        }
        var sp = splitters[d]
        sp.partial = []
        sp.partialOverflow = false
        switch sp.mode {
        case .sniff where sp.expectingTLS:
            sp.mode = .tls
            sp.tlsLostSync = true
            sp.tlsUnparsedBytes += n
        case .lines, .sniff:
            sp.afterGap = true
            sp.discardUntilLF = false
            if sp.mode == .sniff { sp.mode = .lines }
        case .bdat(let remaining):
            if remaining > n { sp.mode = .skip(remaining - n) } else { sp.mode = .lines; sp.afterGap = true }
        case .skip(let remaining):
            if remaining > n { sp.mode = .skip(remaining - n) } else { sp.mode = .lines; sp.afterGap = true }
        case .tls:
            sp.tlsLostSync = true
            sp.tlsUnparsedBytes += n
        case .httpPreamble, .socks:
            sp.mode = .lines
            sp.afterGap = true
        }
        splitters[d] = sp
        queue(d, packet: packet, time: time, .gap(n))
    }

    // MARK: - Ordering

    private func queue(_ d: Int, packet: Int, time: Double, _ kind: CaptureFlowEvent.Kind) {
        let key = max(lastKeys[d], packet)
        lastKeys[d] = key
        queuedBytes += kind.cost
        queues[d].append(CaptureFlowEvent(key: key, packet: packet, time: time, kind: kind))
    }

    /// Lowest key the direction can still produce.
    private func futureMin(_ d: Int) -> Int {
        let held = streams[d].minHeldPacket ?? Int.max
        return max(lastKeys[d], min(held, currentPacket + 1))
    }

    /// Hand queued events to the sink in packet order, as far as the other direction allows.
    func pump(force: Bool) {
        if sink == nil {
            guard kind == .smtp, heads[0] < queues[0].count || heads[1] < queues[1].count else { return }
            startSession()
        }
        while true {
            // Client bytes sent after DATA before its reply (an early talker) belong after that reply.
            let clientBlocked = awaitingDataReply && !force
            let hc = heads[0] < queues[0].count && !clientBlocked ? queues[0][heads[0]].key : nil
            let hs = heads[1] < queues[1].count ? queues[1][heads[1]].key : nil
            var pick: Int
            switch (hc, hs) {
            case (nil, nil):
                compact()
                return
            case (let c?, let s?):
                pick = c <= s ? 0 : 1
            case (let c?, nil):
                guard force || c < futureMin(1) else { compact(); return }
                pick = 0
            case (nil, let s?):
                guard force || clientBlocked || s < futureMin(0) else { compact(); return }
                pick = 1
            }
            let ev = queues[pick][heads[pick]]
            heads[pick] += 1
            queuedBytes -= ev.kind.cost
            deliverToSink(ev, dir: pick)
        }
    }

    private func compact() {
        for d in 0..<2 where heads[d] > 0 {
            if heads[d] == queues[d].count {
                queues[d].removeAll(keepingCapacity: queues[d].count < 256)
                heads[d] = 0
            } else if heads[d] > 64, heads[d] * 2 > queues[d].count {
                queues[d].removeFirst(heads[d])
                heads[d] = 0
            }
        }
    }

    /// Calls go through `sink?.` so the builder is mutated in place (copying it costs a retain per field).
    private func deliverToSink(_ ev: CaptureFlowEvent, dir d: Int) {
        guard sink != nil else { return }
        let at = position(ev.packet, ev.time)
        switch ev.kind {
        case .line(let line, let bareLF):
            deliverLine(d, line[...], content: false, bareLF: bareLF, at: at, time: ev.time)
        case .gap:
            // The reply to DATA may have been in the lost bytes: stop holding the client back.
            if d == 1 { awaitingDataReply = false }
            sink?.gap(at: at)
        case .content(let line):
            sink?.content(line[...], at: at)
        case .tls(let facts):
            sink?.tlsEstablished(facts, at: at)
        case .note(let text, let kind):
            sink?.note(text, kind: kind, at: at)
        }
    }

    // MARK: - Conversation tracking (timings, pending replies)

    private func trackClient(_ line: ArraySlice<UInt8>, time: Double) {
        if inData {
            if line.count == 1, line.first == 0x2E {
                inData = false
                if let start = dataStartTime { dataTransferMs = Int(saturating: ((time - start) * 1000).rounded()) }
                pendingCommands.append((".", time))
                lastCommand = "."
            }
            return
        }
        var verb: String
        if lastReplyCode == 334 {
            verb = "AUTH-RESPONSE"
        } else {
            var e = line.startIndex
            while e < line.endIndex, e - line.startIndex < 16, !Bytes.isBlank(line[e]), line[e] != 0x3A { e += 1 }
            verb = String(decoding: line[line.startIndex..<e], as: UTF8.self).uppercased()
            if verb.isEmpty { verb = "(empty)" }
        }
        pendingCommands.append((verb, time))
        lastCommand = verb
        if verb == "DATA" { awaitingDataReply = true }
        if pendingCommands.count - pendingHead > 256 {
            if pendingCommands[pendingHead].verb == "DATA" { awaitingDataReply = false }
            pendingHead += 1
        }
    }

    private func trackServer(_ line: ArraySlice<UInt8>, time: Double) {
        let o = line.startIndex
        guard line.count >= 3, line[o] >= 0x31, line[o] <= 0x35, Bytes.isDigit(line[o + 1]), Bytes.isDigit(line[o + 2]) else { return }
        if line.count > 3, line[o + 3] == 0x2D { return }
        let code = Int(line[o] - 0x30) * 100 + Int(line[o + 1] - 0x30) * 10 + Int(line[o + 2] - 0x30)
        lastReplyCode = code
        // The banner: the first 220, or any first reply nothing was waiting for (a 554 at connect).
        // Early talkers send commands before it, so a 220 first is the banner even then.
        if greetingTime == nil, code == 220 || pendingHead == pendingCommands.count {
            greetingTime = time
            return
        }
        if pendingHead < pendingCommands.count {
            let c = pendingCommands[pendingHead]
            pendingHead += 1
            if c.verb == "DATA" { awaitingDataReply = false }
            let ms = max(0, Int(saturating: ((time - c.time) * 1000).rounded()))
            if latencies.count < 64 { latencies.append((c.verb, ms)) }
            if maxLatency == nil || ms > maxLatency!.ms { maxLatency = (c.verb, ms) }
            if pendingHead == pendingCommands.count {
                pendingCommands.removeAll(keepingCapacity: true)
                pendingHead = 0
            }
        }
        if code == 354 {
            inData = true
            dataStartTime = time
        }
    }

    var pendingReplies: Int { pendingCommands.count - pendingHead }

    // MARK: - Closing

    private func reset(fromClient: Bool, packet: Int, time: Double, emit: (Sink.Output) -> Void) {
        if state == .synSent, !fromClient {
            // SYN answered by RST: nothing listens there.
            guard kind == .smtp else { close(reset: true, closer: 1, packet: packet, time: time, emit: emit); return }
            if sink == nil { startSession() }
            var s = sink!
            sink = nil
            s.connectFailed(.refused,
                            detail: "SYN answered by RST: nothing accepts connections on port \(ends[1].port) (closed port, or a firewall rejecting)",
                            at: position(packet, time))
            sink = s
            finishSession(closer: nil, reset: false, packet: packet, time: time, emit: emit, failed: true)
            return
        }
        close(reset: true, closer: fromClient ? 0 : 1, packet: packet, time: time, emit: emit)
    }

    /// End the connection: flush, summarise, emit the session, keep a tombstone.
    func close(reset: Bool, closer: Int?, packet: Int, time: Double, emit: (Sink.Output) -> Void) {
        guard state != .closed else { return }
        if kind == .undecided || kind == .ignored {
            state = .closed
            releaseMemory()
            return
        }
        for d in 0..<2 {
            withStream(d) { s in s.flush(packet: packet, time: time) { self.streamEvent($0, dir: d) } }
        }
        if let events = decryptor?.finish() { decrypted(events, packet: packet, time: time) }
        for d in 0..<2 {
            if let partial = splitters[d].partial.isEmpty ? nil : splitters[d].partial, splitters[d].mode == .lines {
                // An unterminated last line is still evidence.
                splitters[d].partial = []
                if d == 0 { clientLine(partial[...], packet: packet, time: time) } else { serverLine(partial[...], packet: packet, time: time) }
            }
        }
        pump(force: true)
        if state == .synSent, synAckPacket == nil, kind == .smtp {
            if sink == nil { startSession() }
            var s = sink!
            sink = nil
            let span = (lastSynTime ?? time) - (synTime ?? time)
            var detail = "no answer to SYN"
            if synCount > 1 { detail += " (sent \(synCount) times over \(Int(saturating: span.rounded())) s)" }
            detail += ": filtered by a firewall, or the host is down?"
            s.connectFailed(.timedOut, detail: detail, at: position(synPacket ?? packet, synTime ?? time))
            sink = s
            finishSession(closer: nil, reset: false, packet: packet, time: time, emit: emit, failed: true)
            return
        }
        if sink == nil, kind == .smtp { startSession() }
        finishSession(closer: closer, reset: reset, packet: packet, time: time, emit: emit, failed: false)
    }

    private func finishSession(closer: Int?, reset: Bool, packet: Int, time: Double, emit: (Sink.Output) -> Void,
                               failed: Bool) {
        state = .closed
        guard var s = sink else { releaseMemory(); return }
        sink = nil
        let at = position(packet, time)
        if !failed {
            tcpNotes(into: &s, closer: closer, reset: reset, at: at)
            let encrypted = splitters.allSatisfy { $0.tls.applicationRecords > 0 || $0.tlsUnparsedBytes > 0 }
            let encryptedDialogue = encrypted && !splitters.allSatisfy(\.decrypting)
            if let closer, encryptedDialogue {
                // Who closed an encrypted dialogue says nothing about how it went (QUIT is invisible).
                let who = closer == 0 ? "client" : "server"
                let why = decryptor == nil ? "without the TLS keys" : "because decryption stopped (see above)"
                s.note("the \(who) \(reset ? "reset" : "closed") the connection after the encrypted part of the dialogue; its outcome is not visible \(why)",
                       kind: .tls, at: at)
            } else if let closer {
                s.closed(by: closer == 0 ? .client : .server, reset: reset, at: at)
            }
        }
        emit(s.finish(attributes: attributes()))
        releaseMemory()
    }

    private func tcpNotes(into s: inout Sink, closer: Int?, reset: Bool, at: SourcePosition) {
        if closer == nil, let endReason {
            s.note(endReason, kind: .tcp, at: at)
        }
        for d in 0..<2 {
            if let since = zeroWindowSince[d], lastTime - since.time >= 1 {
                let ms = Int(saturating: max(0, (lastTime - since.time) * 1000))
                zeroWindowTotal += Double(ms)
                s.note("the \(d == 0 ? "client" : "server") advertised a zero receive window from packet \(since.packet) until the end (\(ms) ms): the connection stalled",
                       kind: .tcp, at: position(since.packet, since.time))
            }
        }
        if reset, closer == 1, lastCommand == "MAIL" {
            s.note("the server reset the connection right after MAIL FROM: typical of a server that checked the client's address or the sender against a blocklist and dropped it",
                   kind: .tcp, at: at)
        }
        let side = capturedSide
        let oneSided = side == "client only"
        if oneSided {
            s.note("only the client's side of the connection is in the capture (asymmetric routing, or a capture filter on one direction?)",
                   kind: .tcp, at: at)
        } else if side == "server only" {
            s.note("only the server's side of the connection is in the capture", kind: .tcp, at: at)
        }
        if oneSided {
            // Nothing to say about replies that could not be captured.
        } else if let closer, pendingReplies > 0, !inData,
                  !(pendingReplies == 1 && pendingCommands.last?.verb == "QUIT") {   // a missing 221 is harmless
            let who = closer == 0 ? "client" : "server"
            let verbs = pendingCommands[pendingHead...].prefix(3).map(\.verb).joined(separator: ", ")
            s.note("the \(who) \(reset ? "reset" : "closed") the connection while \(pendingReplies) command(s) still waited for a reply (\(verbs))",
                   kind: .tcp, at: at)
        } else if let closer, inData {
            let who = closer == 0 ? "client" : "server"
            s.note("the \(who) \(reset ? "reset" : "closed") the connection in the middle of the message content",
                   kind: .tcp, at: at)
        }
        for d in 0..<2 where streams[d].largeSegmentsNeverAcknowledged {
            let who = d == 0 ? "client" : "server"
            let p = streams[d].firstUnackedLargeRetransmissionPacket ?? at.packet ?? 0
            s.note("large segments from the \(who) were retransmitted \(streams[d].unackedLargeRetransmissions) times without being acknowledged (from packet \(p)): a path-MTU black hole? (ICMP 'fragmentation needed' blocked; lower the MTU or clamp the MSS)",
                   kind: .tcp, at: position(p, at.time ?? 0))
        }
        for d in 0..<2 where streams[d].conflicts > 0 {
            let who = d == 0 ? "client" : "server"
            s.note("\(streams[d].conflicts) retransmitted segment(s) from the \(who) carried different bytes than the first copy (packet \(streams[d].firstConflictPacket ?? 0)); the first copy was kept",
                   kind: .tcp, at: at)
        }
        let retx = streams[0].retransmissions + streams[1].retransmissions
        if retx > 0 {
            s.note("\(retx) retransmitted segment(s) (client \(streams[0].retransmissions), server \(streams[1].retransmissions))",
                   kind: .tcp, at: at)
        }
        if synCount > 1, synAckPacket != nil {
            s.note("the SYN was sent \(synCount) times before the server answered", kind: .tcp,
                   at: position(synAckPacket!, synAckTime ?? 0))
        }
        if reassembledDatagrams > 0 {
            s.note("\(reassembledDatagrams) IP datagram(s) of this connection arrived in \(reassembledFragments) fragments and were reassembled (a link with a small MTU on the path, or a sender without path-MTU discovery)",
                   kind: .tcp, at: at)
        }
        if fragments > 0 {
            s.note("\(fragments) IP fragment(s) of this connection were not reassembled: the rest of their datagram never arrived (lost, or not captured)",
                   kind: .tcp, at: at)
        }
        for d in 0..<2 {
            let w = splitters[d].tls
            if splitters[d].mode == .tls, w.bytes > 0 {
                let who = d == 0 ? "client" : "server"
                // A clear-text alert means the handshake failed (certificate, version or cipher mismatch).
                if let alert = w.alert {
                    s.note("the \(who) sent TLS alert \(alert.description) (\(alert.level == 2 ? "fatal" : "warning")) during the handshake: it failed",
                           kind: .tls, at: at)
                }
            }
        }
        let enc = splitters[0].tlsBytes + splitters[1].tlsBytes
        if enc > 0 {
            if splitters.allSatisfy(\.decrypting), let dec = decryptor {
                s.note("\(enc) bytes of TLS followed (client \(splitters[0].tlsBytes), server \(splitters[1].tlsBytes)), decrypted with the key log: \(dec.decryptedRecords(0) + dec.decryptedRecords(1)) records, \(dec.applicationBytes(0) + dec.applicationBytes(1)) bytes of SMTP",
                       kind: .tls, at: at)
            } else if tlsReported || splitters[0].carriedEncryptedData && splitters[1].carriedEncryptedData {
                s.note("\(enc) bytes of TLS followed (client \(splitters[0].tlsBytes), server \(splitters[1].tlsBytes)); the rest of the dialogue is encrypted",
                       kind: .tls, at: at)
                if !tlsReported {
                    s.note("part of the TLS handshake is missing from the capture: version and cipher unknown", kind: .tls, at: at)
                }
            } else if clientHello != nil || splitters[0].tls.bytes > 0 {
                if splitters[1].mode != .tls, splitters[1].linesSeen > 0, implicitTLS {
                    s.note("the client spoke TLS at once but the server answered in plain text: implicit TLS (port 465 style) against a plain SMTP port?",
                           kind: .tls, at: at)
                } else {
                    s.note("the TLS handshake did not complete in the capture (no ServerHello)", kind: .tls, at: at)
                }
            }
        }
    }

    /// "client only" or "server only" when the capture holds one direction (a capture filter, asymmetric
    /// routing); nil when it holds both.
    var capturedSide: String? {
        if streams[0].deliveredBytes > 0, streams[1].deliveredBytes == 0, streams[1].missingBytes == 0 { return "client only" }
        if streams[1].deliveredBytes > 0, streams[0].deliveredBytes == 0, streams[0].missingBytes == 0, synPacket == nil {
            return "server only"
        }
        return nil
    }

    func attributes() -> [String: String] {
        var a: [String: String] = [:]
        func ms(_ x: Double) -> String { String(Int(saturating: (x * 1000).rounded())) }
        if let syn = synTime, let sa = synAckTime { a["connect-rtt-ms"] = ms(sa - syn) }
        if let g = greetingTime {
            if let sa = synAckTime { a["banner-delay-ms"] = ms(g - sa) }
            else if !midStream { a["banner-delay-ms"] = ms(g - firstTime) }
        }
        if !latencies.isEmpty {
            a["reply-latency-ms"] = latencies.map { "\($0.verb):\($0.ms)" }.joined(separator: " ")
        }
        if let m = maxLatency { a["reply-latency-max-ms"] = "\(m.verb):\(m.ms)" }
        if let d = dataTransferMs { a["data-transfer-ms"] = String(d) }
        a["duration-ms"] = ms(lastTime - firstTime)
        a["capture-packets"] = String(packets)
        // Rules about the other side's silence would be wrong on a one-sided capture.
        if let side = capturedSide { a["capture-sides"] = side }
        a["client-bytes"] = String(streams[0].deliveredBytes)
        a["server-bytes"] = String(streams[1].deliveredBytes)
        if synCount > 1 { a["syn-attempts"] = String(synCount) }
        let retx = streams[0].retransmissions + streams[1].retransmissions
        if retx > 0 { a["tcp-retransmissions"] = String(retx) }
        let ooo = streams[0].outOfOrder + streams[1].outOfOrder
        if ooo > 0 { a["tcp-out-of-order"] = String(ooo) }
        let missing = streams[0].missingBytes + streams[1].missingBytes
        if missing > 0 {
            a["tcp-missing-bytes"] = String(missing)
            a["tcp-gaps"] = String(streams[0].gaps + streams[1].gaps)
        }
        if zeroWindowTotal > 0 { a["tcp-zero-window-ms"] = String(Int(saturating: zeroWindowTotal)) }
        if reassembledDatagrams > 0 { a["ip-fragmented-datagrams"] = String(reassembledDatagrams) }
        if implicitTLS { a["tls-implicit"] = "yes" }
        if let tunnel { a["proxy"] = tunnel }
        if let dec = decryptor, dec.applicationBytes(0) + dec.applicationBytes(1) > 0 {
            a["tls-decrypted"] = splitters.allSatisfy(\.decrypting) ? "keylog" : "partial"
        }
        let enc = splitters[0].tlsBytes + splitters[1].tlsBytes
        if enc > 0 { a["tls-bytes"] = String(enc) }
        if let l = lastDataTime, lastTime - l >= 1 { a["idle-before-close-ms"] = ms(lastTime - l) }
        return a
    }

    func releaseMemory() {
        streams[0].releaseMemory()
        streams[1].releaseMemory()
        splitters = [StreamFramer(), StreamFramer()]
        decryptor = nil
        queues = [[], []]
        heads = [0, 0]
        queuedBytes = 0
        pendingCommands = []
        pendingHead = 0
        latencies = []
    }
}
