/// Exchange `SmtpReceive` / `SmtpSend` protocol logs (CSV: date-time, connector-id, session-id,
/// sequence-number, local-endpoint, remote-endpoint, event, data, context). Events: `+` connect, `-`
/// disconnect, `>` sent by Exchange, `<` received by Exchange, `*` information. In a receive log Exchange is
/// the server (`>` replies, `<` commands); in a send log it is the client, so the meaning flips. Which one a
/// session is comes from the `#Log-type` header, else from the first dialogue line. Sessions interleave and are
/// kept apart by session id; each is emitted at its `-` event.
struct ExchangeCore: DialectCore {
    static let formatID = "exchange"
    static let summary = "Exchange SmtpReceive / SmtpSend protocol log (CSV, sessions interleaved by id)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var rows = 0, header = 0
        for l in lines {
            if Scan.hasPrefix(l, "#Software: Microsoft Exchange") || Scan.hasPrefix(l, "#Log-type: SMTP") { header += 1 }
            if Stamp.date(l) != nil, let f = fields(l), f.count >= 8, f[6].count == 1,
               let e = f[6].first, [0x2B, 0x2D, 0x3C, 0x3E, 0x2A].contains(e) {
                rows += 1
            }
        }
        if header > 0 || rows >= 2 { return 0.96 }
        return rows == 1 ? 0.6 : 0
    }

    /// CSV fields with `"` quoting (`""` inside quotes is a quote).
    static func fields(_ l: ArraySlice<UInt8>) -> [[UInt8]]? {
        var out: [[UInt8]] = []
        var cur: [UInt8] = []
        var quoted = false
        var i = l.startIndex
        while i < l.endIndex {
            let b = l[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < l.endIndex, l[i + 1] == 0x22 { cur.append(0x22); i += 2; continue }
                    quoted = false
                } else {
                    cur.append(b)
                }
            } else if b == 0x22 {
                quoted = true
            } else if b == 0x2C {
                out.append(cur)
                cur = []
                if out.count > 16 { return out }
            } else {
                cur.append(b)
            }
            i += 1
        }
        out.append(cur)
        return out
    }

    private struct Open {
        var id: [UInt8]
        var slot: SessionSlot
        /// true: Exchange is the client (send log).
        var sending: Bool?
    }

    private let input: String
    private var open: [Open] = []
    private var logType: Bool?   // true = send log

    init(input: String) { self.input = input }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if let f = line.first, f == 0x23 {
            if Scan.hasPrefix(line, "#Log-type: SMTP Send") { logType = true }
            if Scan.hasPrefix(line, "#Log-type: SMTP Receive") { logType = false }
            return
        }
        guard let (time, _) = Stamp.date(line), let f = Self.fields(line), f.count >= 8 else {
            let t = Bytes.trimmed(line)
            if !t.isEmpty, let last = open.indices.last { open[last].slot.note(t, .unparsed, open[last].slot.position(number)) }
            return
        }
        let id = f[2]
        let i = open.firstIndex { $0.id == id } ?? {
            var o = Open(id: id, slot: SessionSlot(input: input, format: Self.formatID), sending: logType)
            let connector = Bytes.string(f[1][...])
            if o.sending == nil, connector.localizedCaseInsensitiveContains("send") { o.sending = true }
            o.slot.builder.attributes["session-id"] = Bytes.string(id[...])
            o.slot.builder.attributes["connector"] = connector
            open.append(o)
            return open.count - 1
        }()
        let pos = open[i].slot.position(number, time: time)
        let event = f[6].first ?? 0
        let data = f[7][...]
        let context = f.count > 8 ? f[8][...] : [][...]
        let local = Bytes.string(f[4][...]), remote = Bytes.string(f[5][...])
        switch event {
        case 0x2B:  // + connect
            if open[i].sending == true {
                open[i].slot.builder.connected(address: nil, port: nil, at: pos)
                setServer(i, remote)
            } else {
                open[i].slot.builder.connected(address: nil, port: nil, at: pos)
                setServer(i, local)
                let (h, p) = Scan.hostPort(remote)
                open[i].slot.builder.client.address = h
                open[i].slot.builder.client.port = p
            }
            open[i].slot.note(Array("connection opened (\(remote))".utf8)[...], .tcp, pos)
        case 0x2D:  // - disconnect
            open[i].slot.note(Array("disconnected \(Bytes.string(context))".utf8)[...], .tcp, pos)
            let remoteClosed = Bytes.contains(context, lowercased: "remote")
            let sending = open[i].sending == true
            let closer: Closer = Bytes.contains(context, lowercased: "local") ? (sending ? .client : .server)
                : remoteClosed ? (sending ? .server : .client) : .unknown
            open[i].slot.builder.closed(by: closer, at: pos)
            open[i].slot.rotate(emit: emit)
            open.remove(at: i)
        case 0x3E, 0x3C:  // > sent by Exchange, < received by Exchange
            if open[i].sending == nil {
                // The first dialogue line decides: a reply received means Exchange is the client.
                let isReply = ReplyLine.matches(data)
                open[i].sending = (event == 0x3C) == isReply
            }
            let exchangeIsClient = open[i].sending == true
            let fromServer = (event == 0x3E) != exchangeIsClient
            if fromServer { open[i].slot.builder.server(data, at: pos) } else { open[i].slot.builder.client(data, at: pos) }
        default:    // * information
            let text = context.isEmpty ? data : (data.isEmpty ? context : (Array(data) + Array(" ".utf8) + Array(context))[...])
            if Bytes.contains(text, lowercased: "attempting to connect") {
                open[i].sending = open[i].sending ?? true
                let (h, p) = Scan.hostPort(remote)
                open[i].slot.builder.connecting(host: nil, address: h, port: p, at: pos)
                open[i].slot.note(text, .tool, pos)
            } else if Bytes.contains(text, lowercased: "failed to connect"), open[i].slot.builder.session.exchanges.isEmpty {
                open[i].sending = true
                let (h, p) = Scan.hostPort(remote)
                if open[i].slot.builder.server.address == nil { open[i].slot.builder.server.address = h; open[i].slot.builder.server.port = p }
                let failure: ConnectFailure = Bytes.contains(text, lowercased: "10061") ? .refused
                    : Bytes.contains(text, lowercased: "10060") ? .timedOut
                    : Bytes.contains(text, lowercased: "11001") || Bytes.contains(text, lowercased: "11004") ? .nameNotResolved
                    : Bytes.contains(text, lowercased: "10065") ? .noRoute
                    : Bytes.contains(text, lowercased: "10051") ? .networkUnreachable
                    : SessionSlot.failure(in: text) ?? .other
                open[i].slot.builder.connectFailed(failure, detail: Bytes.string(text), at: pos)
                open[i].slot.rotate(emit: emit)
                open.remove(at: i)
            } else if !text.isEmpty {
                open[i].slot.note(text, Bytes.contains(text, lowercased: "tls") ? .tls : .log, pos)
            }
        }
    }

    mutating func finish(emit: (Session) -> Void) {
        for i in open.indices { open[i].slot.rotate(emit: emit) }
        open.removeAll()
    }

    private mutating func setServer(_ i: Int, _ endpoint: String) {
        let (h, p) = Scan.hostPort(endpoint)
        if open[i].slot.builder.server.address == nil { open[i].slot.builder.server.address = h }
        if open[i].slot.builder.server.port == nil { open[i].slot.builder.server.port = p }
    }
}

typealias ExchangeReader = Pasted<ExchangeCore>
