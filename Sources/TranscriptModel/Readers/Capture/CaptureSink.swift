/// Where a reassembled SMTP conversation goes: `SessionBuilder` in the product (see `BuilderSink`),
/// a recorder in tests. Calls come in capture order, client and server interleaved by packet.
protocol CaptureSink {
    associatedtype Output
    init(input: String, format: String)
    mutating func setPeers(client: Peer, server: Peer)
    mutating func client(_ line: ArraySlice<UInt8>, at: SourcePosition)
    mutating func server(_ line: ArraySlice<UInt8>, at: SourcePosition)
    /// A line of BDAT chunk content (cut at LF inside the chunk; the chunk's last piece may lack one).
    mutating func content(_ line: ArraySlice<UInt8>, at: SourcePosition)
    mutating func note(_ text: String, kind: Note.Kind, at: SourcePosition)
    /// The client's message line just before this call ended in a bare LF (no CR); `dotLine`: a lone `.`
    /// next to a bare LF (`\n.\n`, `\r\n.\n`, `\n.\r\n`), the SMTP smuggling pattern.
    mutating func bareLineFeed(dotLine: Bool, at: SourcePosition)
    mutating func connecting(address: String, port: Int, at: SourcePosition)
    mutating func connected(address: String, port: Int, at: SourcePosition)
    mutating func connectFailed(_ failure: ConnectFailure, detail: String, at: SourcePosition)
    mutating func closed(by: Closer, reset: Bool, at: SourcePosition)
    mutating func gap(at: SourcePosition)
    mutating func tlsEstablished(_ facts: TLSFacts, at: SourcePosition)
    mutating func finish(attributes: [String: String]) -> Output
    /// Memory the sink holds besides its session (counted in the connection's buffers).
    var heldBytes: Int { get }
    /// Give back what `heldBytes` counts (memory pressure).
    mutating func settle()
}

extension CaptureSink {
    var heldBytes: Int { 0 }
    mutating func settle() {}
}

/// The product sink: a `SessionBuilder`, plus the facts only a capture has.
struct BuilderSink: CaptureSink {
    var builder: SessionBuilder

    init(input: String, format: String) {
        builder = SessionBuilder(input: input, format: format)
    }

    mutating func setPeers(client: Peer, server: Peer) {
        builder.client = client
        builder.server = server
    }

    mutating func client(_ line: ArraySlice<UInt8>, at: SourcePosition) { builder.client(line, at: at) }
    mutating func server(_ line: ArraySlice<UInt8>, at: SourcePosition) { builder.server(line, at: at) }
    // The builder counts BDAT octets per line as the line plus CRLF, which is what a chunk line carried.
    mutating func content(_ line: ArraySlice<UInt8>, at: SourcePosition) { builder.client(line, at: at) }
    mutating func note(_ text: String, kind: Note.Kind, at: SourcePosition) { builder.note(text, kind: kind, at: at) }
    mutating func bareLineFeed(dotLine: Bool, at: SourcePosition) { builder.bareLineFeed(dotLine: dotLine, at: at) }
    mutating func connecting(address: String, port: Int, at: SourcePosition) {
        builder.connecting(host: nil, address: address, port: port, at: at)
    }
    mutating func connected(address: String, port: Int, at: SourcePosition) {
        builder.connected(address: address, port: port, at: at)
    }
    mutating func connectFailed(_ failure: ConnectFailure, detail: String, at: SourcePosition) {
        builder.connectFailed(failure, detail: detail, at: at)
    }
    mutating func closed(by closer: Closer, reset: Bool, at: SourcePosition) {
        builder.closed(by: closer, reset: reset, at: at)
    }
    mutating func gap(at: SourcePosition) { builder.gap(at: at) }
    mutating func tlsEstablished(_ facts: TLSFacts, at: SourcePosition) { builder.tlsEstablished(facts, at: at) }

    mutating func finish(attributes: [String: String]) -> Session {
        var s = builder.finish()
        for (k, v) in attributes { s.attributes[k] = v }
        return s
    }
}
