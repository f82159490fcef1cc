/// Microsoft IIS SMTP service W3C logs (`#Software: Microsoft Internet Information Services`, `#Fields: date
/// time c-ip cs-username ... cs-method cs-uri-stem cs-uri-query sc-status ...`). Inbound rows give the
/// command (`cs-method` and `cs-uri-query`, `+` for spaces) and only the reply code (`sc-status`); outbound
/// rows are `OutboundConnectionCommand` / `OutboundConnectionResponse` with the text in `cs-uri-query`.
/// Sessions are kept apart by client address; a QUIT (or status 240, the service's end-of-session) ends one.
struct IISSMTPCore: DialectCore {
    static let formatID = "iis-smtp"
    static let summary = "Microsoft IIS SMTP service W3C log (`#Fields:` with cs-method, sc-status)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var header = false, smtp = false
        for l in lines {
            if Scan.hasPrefix(l, "#Software: Microsoft Internet Information Services") { header = true }
            if Scan.hasPrefix(l, "#Fields: "), Scan.find(l, "cs-method") != nil { header = true }
            if Scan.find(l, " SMTPSVC", limit: 200) != nil || Scan.find(l, "OutboundConnection", limit: 200) != nil { smtp = true }
        }
        if header && smtp { return 0.96 }
        return smtp ? 0.5 : 0
    }

    private struct Open { var key: String; var slot: SessionSlot }
    private let input: String
    private var fields: [String] = ["date", "time", "c-ip", "cs-username", "s-sitename", "s-computername", "s-ip",
                                    "s-port", "cs-method", "cs-uri-stem", "cs-uri-query", "sc-status"]
    private var open: [Open] = []

    init(input: String) { self.input = input }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if let f = Scan.after(line, "#Fields: ") {
            fields = Bytes.string(Bytes.trimmed(f)).split(separator: " ").map(String.init)
            return
        }
        if line.first == 0x23 { return }
        let cols = Bytes.trimmed(line).split(separator: Bytes.space, omittingEmptySubsequences: true)
        guard cols.count >= 4 else { return }
        func col(_ name: String) -> ArraySlice<UInt8>? {
            guard let i = fields.firstIndex(of: name), i < cols.count else { return nil }
            let v = cols[i]
            return v.elementsEqual("-".utf8) ? nil : v
        }
        var time: Double?
        if let d = col("date"), let t = col("time") {
            time = Stamp.date((Array(d) + [Bytes.space] + Array(t))[...]).map { $0.0 }
        }
        let pos = SourcePosition(input: input, line: number, time: time)
        let ip = col("c-ip").map { Bytes.string($0) } ?? "-"
        let user = col("cs-username") ?? [][...]
        let outbound = Scan.hasPrefix(user, "OutboundConnection")
        let key = (outbound ? "out/" : "in/") + ip
        let i = open.firstIndex { $0.key == key } ?? {
            var o = Open(key: key, slot: SessionSlot(input: input, format: Self.formatID))
            o.slot.builder.direction = outbound ? .outbound : .inbound
            if outbound { o.slot.builder.server.address = ip } else { o.slot.builder.client.address = ip }
            // No `connected` event: the log has no greeting row, and a first command on a connection
            // without a greeting would read as talking before the banner.
            open.append(o)
            return open.count - 1
        }()
        let method = col("cs-method").map { Bytes.string($0) } ?? ""
        let query = col("cs-uri-query").map { Self.plus($0) } ?? ""
        if outbound {
            if Scan.hasPrefix(user, "OutboundConnectionResponse") {
                open[i].slot.builder.server(Array(query.utf8)[...], at: pos)
            } else {
                let cmd = query.isEmpty ? method : (method.isEmpty ? query : method + " " + query)
                open[i].slot.builder.client(Array(cmd.utf8)[...], at: pos)
            }
        } else {
            var q = query
            while q.hasPrefix(" ") { q.removeFirst() }
            let cmd = q.isEmpty ? method : method + " " + q
            let status = col("sc-status").flatMap { Bytes.integer($0) }
            if method.uppercased() == "QUIT" || status == 240 {
                open[i].slot.builder.client(Array("QUIT".utf8)[...], at: pos)
                open[i].slot.builder.server(Array("221 (logged as \(status ?? 0))".utf8)[...], at: pos, inferred: true)
                open[i].slot.builder.closed(by: .client, at: pos)
            } else if method.uppercased() == "DATA" || method.uppercased() == "BDAT" {
                // One row for the whole transfer: its status is the reply to the end of data.
                open[i].slot.builder.client(Array(method.uppercased().utf8)[...], at: pos)
                if method.uppercased() == "DATA" {
                    open[i].slot.builder.server(Array("354 (not logged)".utf8)[...], at: pos, inferred: true)
                    open[i].slot.builder.client(Array(".".utf8)[...], at: pos, inferred: true)
                }
                if let s = status, s >= 200, s < 600 {
                    open[i].slot.builder.server(Array("\(s) (reply text not logged)".utf8)[...], at: pos)
                }
            } else {
                open[i].slot.builder.client(Array(cmd.utf8)[...], at: pos)
                if let s = status, s >= 200, s < 600 {
                    // Only the code is logged: the reply text is not known.
                    open[i].slot.builder.server(Array("\(s) (reply text not logged)".utf8)[...], at: pos)
                }
            }
        }
        if open[i].slot.isOver {
            open[i].slot.rotate(emit: emit)
            open.remove(at: i)
        }
    }

    mutating func finish(emit: (Session) -> Void) {
        for i in open.indices { open[i].slot.rotate(emit: emit) }
        open.removeAll()
    }

    private static func plus(_ s: ArraySlice<UInt8>) -> String {
        Bytes.string(s.map { $0 == 0x2B ? Bytes.space : $0 }[...])
    }
}

typealias IISSMTPReader = Pasted<IISSMTPCore>
