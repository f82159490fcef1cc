import Foundation
/// Limits and filter for reading a capture.
public struct CaptureOptions: Sendable {
    /// BPF expression compiled by libpcap (`--filter`).
    public var filter: String?
    /// Connections tracked at once; beyond it the longest-idle ones are closed.
    public var maxFlows: Int
    /// Out-of-order bytes buffered per connection direction before a hole is given up as a gap.
    public var maxBufferPerFlow: Int
    /// Bytes buffered over all connections before the biggest buffers are forced out.
    public var totalBuffer: Int
    /// Seconds of capture time without a packet after which a connection is closed.
    public var idleTimeout: Double
    /// TLS secrets (`--tls-keylog`): with them the dialogue inside STARTTLS or implicit TLS is decrypted.
    public var tlsKeyLog: TLSKeyLog?

    public init(filter: String? = nil, maxFlows: Int = 32_000, maxBufferPerFlow: Int = 4 << 20,
                totalBuffer: Int = 256 << 20, idleTimeout: Double = 300, tlsKeyLog: TLSKeyLog? = nil) {
        self.filter = filter
        self.tlsKeyLog = tlsKeyLog
        self.maxFlows = max(1, maxFlows)
        self.maxBufferPerFlow = max(1 << 12, maxBufferPerFlow)
        self.totalBuffer = max(1 << 16, totalBuffer)
        self.idleTimeout = max(1, idleTimeout)
    }
}

/// Reads a pcap/pcapng capture (file, stdin, gzip) and emits one `Session` per SMTP connection, as each
/// connection closes (remaining ones at the end, in order of their first packet).
public struct CaptureReader {
    public let input: String
    public let options: CaptureOptions

    public init(input: String, options: CaptureOptions = CaptureOptions()) {
        self.input = input
        self.options = options
    }

    /// Counters of what was not turned into sessions, for a summary line.
    public struct Statistics: Sendable {
        public var packets = 0
        public var tcpPackets = 0
        /// IP fragments read, and IPv4 datagrams put back together from them.
        public var fragments = 0
        public var reassembledDatagrams = 0
        public var smtpSessions = 0
        public var linkType: Int32 = 0
    }

    /// `path` nil reads standard input.
    public func read(path: String?, emit: (Session) -> Void) throws {
        _ = try readWithStatistics(path: path, emit: emit)
    }

    /// `deferBuilding`: emit placeholders built on `resolved()` (see `DeferredSink`), so the caller can build
    /// sessions on other threads while this one reads on.
    @discardableResult
    public func readWithStatistics(path: String?, deferBuilding: Bool = false,
                                   emit: (Session) -> Void) throws -> Statistics {
        deferBuilding ? try run(path: path, sink: DeferredSink.self, emit: emit)
            : try run(path: path, sink: BuilderSink.self, emit: emit)
    }

    func run<S: CaptureSink>(path: String?, sink: S.Type, emit: (S.Output) -> Void) throws -> Statistics {
        let source = try PcapSource(path: path, input: input, filter: options.filter)
        guard PacketDecoder.supports(linkType: source.linkType) else {
            let name = pcap_datalink_name(source.linkType)
            throw CaptureError(input: input, message: "unsupported link type \(source.linkType) (\(name))")
        }
        let format = source.container == .pcapng ? "pcapng" : "pcap"
        var engine = CaptureEngine<S>(input: input, format: format, options: options)
        var count = 0
        let counted: (S.Output) -> Void = { count += 1; emit($0) }
        do {
            while let packet = try source.next() {
                engine.process(packet, linkType: source.linkType, emit: counted)
            }
        } catch {
            // A damaged capture still yields the sessions read so far, then the error.
            engine.finish(emit: counted)
            throw error
        }
        engine.finish(emit: counted)
        var stats = engine.stats
        stats.smtpSessions = count
        stats.linkType = source.linkType
        return stats
    }

    private func pcap_datalink_name(_ t: Int32) -> String {
        guard let p = CPcap.pcap_datalink_val_to_name(t) else { return "unknown" }
        return String(cString: p)
    }

    /// Live capture on `interface` until `shouldStop()` returns true (polled several times a second, e.g. set
    /// by a SIGINT handler). Sessions are emitted as their connections close, the rest when stopping.
    public func readLive(interface: String, shouldStop: () -> Bool, emit: (Session) -> Void) throws {
        let source = try PcapSource(interface: interface, filter: options.filter)
        guard PacketDecoder.supports(linkType: source.linkType) else {
            throw CaptureError(input: interface, message: "unsupported link type \(source.linkType)")
        }
        var engine = CaptureEngine<BuilderSink>(input: interface, format: "pcap", options: options)
        var lastTick = 0.0
        while true {
            let packet = try source.next {
                // Idle on the wire: close idle connections by wall-clock time.
                let now = Date().timeIntervalSince1970
                if now - lastTick >= 1 {
                    lastTick = now
                    engine.tick(now: now, emit: emit)
                }
                return shouldStop()
            }
            guard let packet else { break }
            engine.process(packet, linkType: source.linkType, emit: emit)
        }
        engine.finish(emit: emit)
    }

    /// True when these first bytes are a pcap (either byte order, micro- or nanosecond), a pcapng
    /// section header, or gzip (the caller tries; the inner data may not be a capture).
    public static func looksLikeCapture(_ prefix: [UInt8]) -> Bool {
        CaptureContainer.detect(prefix) != .unknown
    }
}

import CPcap

/// Packets to flows: creation, idle expiry, limits.
struct CaptureEngine<Sink: CaptureSink> {
    let input: String
    let format: String
    let options: CaptureOptions
    var flows: [TCPFlowKey: CaptureFlow<Sink>] = [:]
    var stats = CaptureReader.Statistics()
    var fragments = IPv4Reassembler()
    private var lastSweep = -Double.infinity
    private var now = 0.0
    private var totalUsage = 0
    private var sessionOrder = 0

    init(input: String, format: String, options: CaptureOptions) {
        self.input = input
        self.format = format
        self.options = options
    }

    mutating func process(_ p: CapturedPacket, linkType: Int32, emit: (Sink.Output) -> Void) {
        stats.packets += 1
        if p.time > now { now = p.time }
        switch PacketDecoder.decode(linkType: linkType, p.data, wireLength: p.wireLength) {
        case .tcp(let seg):
            stats.tcpPackets += 1
            if !fragments.isEmpty {
                // A packet coming back acknowledges what was sent (so missing fragments were lost from the
                // capture, not the wire), and a FIN or RST ends the connection: read what arrived first.
                let ends = seg.flags.contains(.fin) || seg.flags.contains(.rst)
                reassembled(emit: emit) { r, out in
                    r.flush(from: seg.destination, to: seg.source, evicted: out)
                    if ends { r.flush(from: seg.source, to: seg.destination, evicted: out) }
                }
            }
            segment(seg, packet: p.number, time: p.time, fragment: nil, emit: emit)
        case .ipv4Fragment(let f):
            stats.fragments += 1
            reassembled(emit: emit) { r, out in
                if let d = r.add(f, packet: p.number, time: p.time, evicted: out) { out(d) }
            }
        case .fragment(let first):
            stats.fragments += 1
            if let seg = first { segment(seg, packet: p.number, time: p.time, fragment: .lost(1), emit: emit) }
        case .other, .unsupportedLink:
            break
        }
        if now - lastSweep >= 1 || flows.count > options.maxFlows {
            sweep(emit: emit)
        }
    }

    /// How a segment came out of IP fragments: reassembled from `n` of them, or the start of a datagram
    /// whose other `n` fragments were not all seen.
    enum FragmentOrigin {
        case reassembled(Int)
        case lost(Int)
    }

    /// The datagrams `take` gets out of the reassembler, read in order. They are collected first: reading
    /// one changes the engine, which `take` is borrowing the reassembler from.
    private mutating func reassembled(emit: (Sink.Output) -> Void,
                                      _ take: (inout IPv4Reassembler, (IPv4Reassembler.Datagram) -> Void) -> Void) {
        var given: [IPv4Reassembler.Datagram] = []
        take(&fragments) { given.append($0) }
        for d in given { datagram(d, emit: emit) }
    }

    /// A datagram out of the reassembler: its TCP segment goes on like any other. A datagram given up
    /// without its first fragment has no TCP header and cannot be placed.
    private mutating func datagram(_ d: IPv4Reassembler.Datagram, emit: (Sink.Output) -> Void) {
        if d.complete { stats.reassembledDatagrams += 1 }
        d.bytes.withUnsafeBytes { buf in
            var src = d.source, dst = d.destination
            guard d.proto == 6, let seg = PacketDecoder.tcp(buf, at: 0, end: d.declaredLength, src: &src, dst: &dst) else { return }
            stats.tcpPackets += 1
            segment(seg, packet: d.packet, time: d.time, fragment: d.complete ? .reassembled(d.fragments) : .lost(d.fragments),
                    emit: emit)
        }
    }

    private mutating func segment(_ seg: TCPSegment, packet: Int, time: Double, fragment: FragmentOrigin?,
                                  emit: (Sink.Output) -> Void) {
        let key = TCPFlowKey(seg.source, seg.destination)
        let isSYN = seg.flags.contains(.syn) && !seg.flags.contains(.ack)
        var flow = flows[key]
        if let f = flow, f.state == .closed {
            // A new SYN on a finished connection's address pair is a new connection (port reuse).
            guard isSYN else { f.lastTime = time; return }
            flows[key] = nil
            flow = nil
        }
        if let f = flow, isSYN, f.state != .closed, f.isNewConnection(isn: seg.seq) {
            // Same address pair, new SYN with another ISN: the old connection ended unseen.
            closeFlow(f, emit: emit)
            flows[key] = nil
            flow = nil
        }
        if flow == nil {
            guard isSYN || seg.declaredLength > 0 || seg.flags.contains(.syn) else { return }
            if seg.flags.contains(.rst) { return }
            let client: TCPEndpoint, server: TCPEndpoint
            if seg.flags.contains(.syn) {
                (client, server) = isSYN ? (seg.source, seg.destination) : (seg.destination, seg.source)
            } else {
                let srcSMTP = SMTPPorts.all.contains(seg.source.port)
                let dstSMTP = SMTPPorts.all.contains(seg.destination.port)
                if dstSMTP && !srcSMTP { (client, server) = (seg.source, seg.destination) }
                else if srcSMTP && !dstSMTP { (client, server) = (seg.destination, seg.source) }
                else if seg.source.port > seg.destination.port { (client, server) = (seg.source, seg.destination) }
                else { (client, server) = (seg.destination, seg.source) }
            }
            let kind: CaptureFlow<Sink>.Kind = SMTPPorts.all.contains(server.port) ? .smtp : .undecided
            let f = CaptureFlow<Sink>(input: input, format: format, client: client, server: server, kind: kind)
            f.keyLog = options.tlsKeyLog
            flows[key] = f
            flow = f
        }
        guard let f = flow else { return }
        if f.kind == .ignored { f.lastTime = time; return }
        switch fragment {
        case .reassembled(let n)?: f.reassembledDatagrams += 1; f.reassembledFragments += n
        case .lost(let n)?: f.fragments += n
        case nil: break
        }
        f.segment(seg, fromClient: seg.source == f.ends[0], packet: packet, time: time, emit: emit)
        if f.state == .closed {
            totalUsage -= f.lastUsage
            f.lastUsage = 0
            return
        }
        var usage = f.usage
        if usage > options.maxBufferPerFlow {
            f.enforce(maxBuffer: options.maxBufferPerFlow)
            usage = f.usage
        }
        totalUsage += usage - f.lastUsage
        f.lastUsage = usage
        if totalUsage > options.totalBuffer { relieve() }
    }

    /// Over the total budget: make the biggest buffers give up their holes.
    private mutating func relieve() {
        var candidates = flows.values.filter { $0.lastUsage > 0 }
        // Biggest first; ties oldest first (a stable order, not the dictionary's).
        candidates.sort { $0.lastUsage != $1.lastUsage ? $0.lastUsage > $1.lastUsage : $0.firstPacket < $1.firstPacket }
        for f in candidates {
            f.relieve()
            let u = f.usage
            totalUsage += u - f.lastUsage
            f.lastUsage = u
            if totalUsage <= options.totalBuffer / 2 { break }
        }
    }

    /// Live capture: time passes without packets.
    mutating func tick(now: Double, emit: (Sink.Output) -> Void) {
        if now > self.now { self.now = now }
        sweep(emit: emit)
    }

    /// Close idle connections (by capture time), drop old tombstones, keep under `maxFlows`.
    private mutating func sweep(emit: (Sink.Output) -> Void) {
        lastSweep = now
        if !fragments.isEmpty {
            let now = now
            reassembled(emit: emit) { r, out in r.expire(now: now, evicted: out) }
        }
        var expired: [TCPFlowKey] = []
        for (key, f) in flows where now - f.lastTime > options.idleTimeout {
            expired.append(key)
        }
        var closing = expired.compactMap { flows[$0] }.filter { $0.state != .closed }
        closing.sort { $0.firstPacket < $1.firstPacket }
        for f in closing {
            f.endReason = "no packets for \(Int(options.idleTimeout)) s after the last one: the connection was idle (or the capture lost it) and was still open"
            closeFlow(f, emit: emit)
        }
        for key in expired { flows[key] = nil }
        if flows.count > options.maxFlows {
            // Oldest first: tombstones and ignored flows cost nothing to drop.
            var all = Array(flows)
            all.sort { ($0.value.lastTime, $0.value.firstPacket) < ($1.value.lastTime, $1.value.firstPacket) }   // ties: a stable order, not the dictionary's
            let excess = flows.count - options.maxFlows + options.maxFlows / 10
            for (key, f) in all.prefix(excess) {
                if f.state != .closed {
                    f.endReason = "stopped following this connection: more than \(options.maxFlows) connections were open at once"
                    closeFlow(f, emit: emit)
                }
                flows[key] = nil
            }
        }
    }

    private mutating func closeFlow(_ f: CaptureFlow<Sink>, emit: (Sink.Output) -> Void) {
        f.close(reset: false, closer: f.finOrder.first, packet: f.currentPacket, time: f.lastTime, emit: emit)
        totalUsage -= f.lastUsage
        f.lastUsage = 0
    }

    mutating func finish(emit: (Sink.Output) -> Void) {
        reassembled(emit: emit) { r, out in r.flushAll(evicted: out) }
        var open = flows.values.filter { $0.state != .closed }
        open.sort { $0.firstPacket < $1.firstPacket }
        for f in open {
            if f.fins[0] == nil, f.fins[1] == nil {
                f.endReason = "the capture ends while the connection is still open"
            }
            closeFlow(f, emit: emit)
        }
        flows = [:]
    }
}
