/// hMailServer logs: tab-separated, quoted fields: `"SMTPD"<TAB>thread<TAB>session<TAB>"time"<TAB>"ip"<TAB>"SENT: ..."`
/// or `"RECEIVED: ..."`. For `SMTPD` (hMailServer as server) SENT lines are replies; for `SMTPC` (hMailServer
/// delivering) SENT lines are commands. Sessions are kept apart by the session field.
struct HMailServerCore: DialectCore {
    static let formatID = "hmailserver"
    static let summary = "hMailServer log (`\"SMTPD\"` / `\"SMTPC\"` rows with `SENT:` / `RECEIVED:`)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        let hits = Score.count(lines) { l in
            (Scan.hasPrefix(l, "\"SMTPD\"") || Scan.hasPrefix(l, "\"SMTPC\""))
                && (Scan.find(l, "SENT: ") != nil || Scan.find(l, "RECEIVED: ") != nil)
        }
        return hits >= 2 ? 0.97 : (hits == 1 ? 0.7 : 0)
    }

    static func fields(_ l: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        l.split(separator: Bytes.tab, omittingEmptySubsequences: false).map { f in
            var s = Bytes.trimmed(f)
            if s.count >= 2, s.first == 0x22, s.last == 0x22 { s = s.dropFirst().dropLast() }
            return s
        }
    }

    private struct Open { var key: [UInt8]; var slot: SessionSlot; var client: Bool }
    private let input: String
    private var open: [Open] = []

    init(input: String) { self.input = input }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let f = Self.fields(line)
        guard f.count >= 6 else { return }
        let isClient = f[0].elementsEqual("SMTPC".utf8)
        guard isClient || f[0].elementsEqual("SMTPD".utf8) else { return }
        let key = Array(f[0]) + [0x2F] + Array(f[2])
        let time = Stamp.date(f[3]).map { $0.0 }
        let pos = SourcePosition(input: input, line: number, time: time)
        let text = f[5]
        let i = open.firstIndex { $0.key == key } ?? {
            var o = Open(key: key, slot: SessionSlot(input: input, format: Self.formatID), client: isClient)
            o.slot.builder.direction = isClient ? .outbound : .inbound
            if isClient { o.slot.builder.server.address = Bytes.string(f[4]) } else { o.slot.builder.client.address = Bytes.string(f[4]) }
            o.slot.builder.connected(address: nil, port: nil, at: pos)
            open.append(o)
            return open.count - 1
        }()
        if let r = Scan.after(text, "SENT: ") {
            if isClient { open[i].slot.builder.client(r, at: pos) } else { open[i].slot.builder.server(r, at: pos) }
        } else if let r = Scan.after(text, "RECEIVED: ") {
            if isClient { open[i].slot.builder.server(r, at: pos) } else { open[i].slot.builder.client(r, at: pos) }
        } else {
            open[i].slot.note(text, .log, pos)
            if Bytes.contains(text, lowercased: "ended") || Bytes.contains(text, lowercased: "disconnect") {
                open[i].slot.builder.closed(by: .unknown, at: pos)
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
}

typealias HMailServerReader = Pasted<HMailServerCore>
