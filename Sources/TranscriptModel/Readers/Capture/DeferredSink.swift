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
    var heldBytes: Int {
        recording.map { $0.bytes.capacity + $0.events.capacity * MemoryLayout<CaptureRecording.Entry>.stride } ?? 0
    }

    /// Build what was recorded now and go on in place.
    mutating func settle() {
        guard let r = recording else { return }
        recording = nil
        live = r.replay()
    }

    @inline(__always)
    private mutating func record(_ event: CaptureRecording.Event, _ at: SourcePosition) {
        recording!.events.append(.init(event: event, packet: at.packet ?? 0, time: at.time ?? 0))
    }

    @inline(__always)
    private mutating func recordLine(_ kind: CaptureRecording.LineKind, _ line: ArraySlice<UInt8>,
                                     _ at: SourcePosition) {
        let start = recording!.bytes.count
        recording!.bytes.append(contentsOf: line)
        record(.line(kind, start: start, end: start + line.count), at)
        if recording!.bytes.capacity + recording!.events.capacity * MemoryLayout<CaptureRecording.Entry>.stride > Self.cap {
            settle()
        }
    }

    mutating func setPeers(client: Peer, server: Peer) {
        if recording != nil { recording!.peers = (client, server) } else { live!.setPeers(client: client, server: server) }
    }

    mutating func client(_ line: ArraySlice<UInt8>, at: SourcePosition) {
        if recording != nil { recordLine(.client, line, at) } else { live!.client(line, at: at) }
    }

    mutating func server(_ line: ArraySlice<UInt8>, at: SourcePosition) {
        if recording != nil { recordLine(.server, line, at) } else { live!.server(line, at: at) }
    }

    mutating func content(_ line: ArraySlice<UInt8>, at: SourcePosition) {
        if recording != nil { recordLine(.content, line, at) } else { live!.content(line, at: at) }
    }

    mutating func note(_ text: String, kind: Note.Kind, at: SourcePosition) {
        if recording != nil { record(.note(text, kind), at) } else { live!.note(text, kind: kind, at: at) }
    }

    mutating func bareLineFeed(dotLine: Bool, at: SourcePosition) {
        if recording != nil { record(.bareLineFeed(dotLine: dotLine), at) } else { live!.bareLineFeed(dotLine: dotLine, at: at) }
    }

    mutating func connecting(address: String, port: Int, at: SourcePosition) {
        if recording != nil { record(.connecting(address, port), at) } else { live!.connecting(address: address, port: port, at: at) }
    }

    mutating func connected(address: String, port: Int, at: SourcePosition) {
        if recording != nil { record(.connected(address, port), at) } else { live!.connected(address: address, port: port, at: at) }
    }

    mutating func connectFailed(_ failure: ConnectFailure, detail: String, at: SourcePosition) {
        if recording != nil { record(.connectFailed(failure, detail), at) } else { live!.connectFailed(failure, detail: detail, at: at) }
    }

    mutating func closed(by closer: Closer, reset: Bool, at: SourcePosition) {
        if recording != nil { record(.closed(closer, reset: reset), at) } else { live!.closed(by: closer, reset: reset, at: at) }
    }

    mutating func gap(at: SourcePosition) {
        if recording != nil { record(.gap, at) } else { live!.gap(at: at) }
    }

    mutating func tlsEstablished(_ facts: TLSFacts, at: SourcePosition) {
        if recording != nil { record(.tls(facts), at) } else { live!.tlsEstablished(facts, at: at) }
    }

    mutating func finish(attributes: [String: String]) -> Session {
        guard var r = recording else { return live!.finish(attributes: attributes) }
        recording = nil
        r.attributes = attributes
        return Session(input: r.input, format: r.format, pending: { [r] in
            var sink = r.replay()
            return sink.finish(attributes: r.attributes)
        })
    }
}

/// What a connection said, in capture order, kept for `DeferredSink`.
struct CaptureRecording: Sendable {
    enum LineKind: Sendable { case client, server, content }

    enum Event: Sendable {
        /// `bytes[start..<end]`.
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
    var attributes: [String: String] = [:]

    init(input: String, format: String) {
        self.input = input
        self.format = format
        self.name = InputName(input)
    }

    /// A builder that has been told everything recorded.
    func replay() -> BuilderSink {
        var sink = BuilderSink(input: input, format: format)
        if let peers { sink.setPeers(client: peers.client, server: peers.server) }
        for e in events {
            let at = SourcePosition(name: name, packet: e.packet, time: e.time)
            switch e.event {
            case .line(let kind, let start, let end):
                let line = bytes[start..<end]
                switch kind {
                case .client: sink.client(line, at: at)
                case .server: sink.server(line, at: at)
                case .content: sink.content(line, at: at)
                }
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
        return sink
    }
}
