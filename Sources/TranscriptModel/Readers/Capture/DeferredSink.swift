/// The capture reader's thread decodes, reassembles and frames every packet; building the sessions there
/// as well made it the bottleneck of a capture run. This sink records what a connection said (lines in one
/// byte buffer, events in a small table) and hands back a placeholder session whose recipe replays the
/// recording into a `BuilderSink` on a worker thread (see `PendingBuild`). A connection that says a lot
/// (a long message) or is asked to free memory is built in place from then on, so a recording never
/// passes the cap, and the capture's buffer budget counts it (`heldBytes`).
struct DeferredSink: CaptureSink {
    /// Memory held by a recording beyond which the connection is built in place.
    static let cap = 256 << 10

    private var recording: CaptureRecording?
    private var live: BuilderSink?

    init(input: String, format: String) {
        recording = CaptureRecording(input: input, format: format)
    }

    /// Bytes held by the recording (counted in the flow's memory use).
    var heldBytes: Int { recording?.heldBytes ?? 0 }

    /// Build what was recorded now and go on in place.
    mutating func settle() {
        guard let r = recording else { return }
        recording = nil
        live = r.replay()
    }

    /// Record a line, or hand it to the builder once built in place.
    private mutating func line(_ kind: CaptureRecording.LineKind, _ line: ArraySlice<UInt8>, _ at: SourcePosition) {
        guard recording != nil else { return kind.send(line, at: at, to: &live!) }
        let start = recording!.bytes.count
        recording!.bytes.append(contentsOf: line)
        recording!.add(.line(kind, start: start, end: start + line.count), at)
        if recording!.heldBytes > Self.cap { settle() }
    }

    /// Record any other event, or hand it to the builder once built in place.
    private mutating func event(_ e: CaptureRecording.Event, _ at: SourcePosition) {
        guard recording != nil else { return e.send(at: at, lines: [], to: &live!) }
        recording!.add(e, at)
    }

    mutating func setPeers(client: Peer, server: Peer) {
        if recording != nil { recording!.peers = (client, server) } else { live!.setPeers(client: client, server: server) }
    }

    mutating func client(_ l: ArraySlice<UInt8>, at: SourcePosition) { line(.client, l, at) }
    mutating func server(_ l: ArraySlice<UInt8>, at: SourcePosition) { line(.server, l, at) }
    mutating func content(_ l: ArraySlice<UInt8>, at: SourcePosition) { line(.content, l, at) }
    mutating func note(_ text: String, kind: Note.Kind, at: SourcePosition) { event(.note(text, kind), at) }
    mutating func bareLineFeed(dotLine: Bool, at: SourcePosition) { event(.bareLineFeed(dotLine: dotLine), at) }
    mutating func connecting(address: String, port: Int, at: SourcePosition) { event(.connecting(address, port), at) }
    mutating func connected(address: String, port: Int, at: SourcePosition) { event(.connected(address, port), at) }
    mutating func connectFailed(_ failure: ConnectFailure, detail: String, at: SourcePosition) {
        event(.connectFailed(failure, detail), at)
    }
    mutating func closed(by closer: Closer, reset: Bool, at: SourcePosition) { event(.closed(closer, reset: reset), at) }
    mutating func gap(at: SourcePosition) { event(.gap, at) }
    mutating func tlsEstablished(_ facts: TLSFacts, at: SourcePosition) { event(.tls(facts), at) }

    mutating func finish(attributes: [String: String]) -> Session {
        guard let r = recording else { return live!.finish(attributes: attributes) }
        recording = nil
        return Session(input: r.input, format: r.format, pending: { [r] in
            var sink = r.replay()
            return sink.finish(attributes: attributes)
        })
    }
}

/// What a connection said, in capture order, kept for `DeferredSink`.
struct CaptureRecording: Sendable {
    enum LineKind: Sendable {
        case client, server, content

        func send(_ line: ArraySlice<UInt8>, at: SourcePosition, to sink: inout BuilderSink) {
            switch self {
            case .client: sink.client(line, at: at)
            case .server: sink.server(line, at: at)
            case .content: sink.content(line, at: at)
            }
        }
    }

    enum Event: Sendable {
        /// `lines[start..<end]` of the recording.
        case line(LineKind, start: Int, end: Int)
        case note(String, Note.Kind)
        case bareLineFeed(dotLine: Bool)
        case connecting(String, Int)
        case connected(String, Int)
        case connectFailed(ConnectFailure, String)
        case closed(Closer, reset: Bool)
        case gap
        /// Boxed: the facts are ten times the size of the other cases, and every entry would pay for them.
        indirect case tls(TLSFacts)

        /// The builder call this event stands for; `lines` is the recording's byte buffer.
        func send(at: SourcePosition, lines: [UInt8], to sink: inout BuilderSink) {
            switch self {
            case .line(let kind, let start, let end): kind.send(lines[start..<end], at: at, to: &sink)
            case .note(let text, let kind): sink.note(text, kind: kind, at: at)
            case .bareLineFeed(let dot): sink.bareLineFeed(dotLine: dot, at: at)
            case .connecting(let a, let p): sink.connecting(address: a, port: p, at: at)
            case .connected(let a, let p): sink.connected(address: a, port: p, at: at)
            case .connectFailed(let f, let d): sink.connectFailed(f, detail: d, at: at)
            case .closed(let c, let reset): sink.closed(by: c, reset: reset, at: at)
            case .gap: sink.gap(at: at)
            case .tls(let facts): sink.tlsEstablished(facts, at: at)
            }
        }
    }

    struct Entry: Sendable {
        var event: Event
        var packet: Int
        var time: Double
    }

    let input: String
    let format: String
    /// `input` as positions hold it, looked up once.
    let name: InputName
    var peers: (client: Peer, server: Peer)?
    var events: [Entry] = []
    var bytes: [UInt8] = []

    init(input: String, format: String) {
        self.input = input
        self.format = format
        self.name = InputName(input)
    }

    /// Memory the recording holds.
    var heldBytes: Int { bytes.capacity + events.capacity * MemoryLayout<Entry>.stride }

    mutating func add(_ event: Event, _ at: SourcePosition) {
        events.append(Entry(event: event, packet: at.packet ?? 0, time: at.time ?? 0))
    }

    /// A builder that has been told everything recorded.
    func replay() -> BuilderSink {
        var sink = BuilderSink(input: input, format: format)
        if let peers { sink.setPeers(client: peers.client, server: peers.server) }
        for e in events {
            e.event.send(at: SourcePosition(name: name, packet: e.packet, time: e.time), lines: bytes, to: &sink)
        }
        return sink
    }
}
