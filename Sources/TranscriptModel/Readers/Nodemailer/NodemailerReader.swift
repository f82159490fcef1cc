/// Nodemailer's logger (`logger: true, debug: true`): `[2026-11-29 01:23:09] DEBUG [connId] S: ...` /
/// `C: ...`, message lines logged without `C:` between 354 and the lone `.`, connection events as INFO
/// lines, errors as ERROR lines; or the same records as bunyan JSON lines (`"msg":"C: EHLO x"`, `"cid"`).
/// Connections are told apart by their id, so interleaved connections become separate sessions.
struct NodemailerCore: DialectCore {
    static let formatID = "nodemailer"
    static let summary = "Nodemailer logger output, text or bunyan JSON (`[cid] S: ...`, `[cid] C: ...`)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var hits = 0, json = 0
        for l in lines {
            if let rec = record(l) {
                if rec.id != nil, Scan.hasPrefix(rec.msg, "S: ") || Scan.hasPrefix(rec.msg, "C: ") { hits += 1 }
                if Scan.hasPrefix(rec.msg, "Creating transport: nodemailer") { hits += 2 }
                if rec.json { json += 1 }
            }
        }
        return hits >= 2 ? 0.97 : (hits == 1 ? 0.7 : 0)
    }

    /// One log record: time, level, connection id and message.
    struct Record {
        var time: Double?
        var level: ArraySlice<UInt8>
        var id: String?
        var msg: ArraySlice<UInt8>
        var json = false
    }

    static func record(_ l: ArraySlice<UInt8>) -> Record? {
        if let f = l.first, f == 0x7B { return jsonRecord(l) }
        // `[2026-11-29 01:23:09] DEBUG [fDAArgVT7A] S: 220 ...`
        guard let f = l.first, f == 0x5B, let (time, len) = Stamp.date(l.dropFirst()) else { return nil }
        var t = l.dropFirst(1 + len)
        guard let c = t.first, c == 0x5D else { return nil }
        t = Scan.dropLeadingBlanks(t.dropFirst())
        let level = t.prefix { !Bytes.isBlank($0) }
        guard !level.isEmpty, level.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
        t = t.dropFirst(level.count)
        t = Scan.dropLeadingBlanks(t)
        var id: String?
        if let b = t.first, b == 0x5B, let close = t.firstIndex(of: 0x5D), close - t.startIndex < 40 {
            id = Bytes.string(t[(t.startIndex + 1)..<close])
            t = t[(close + 1)...]
            if let sp = t.first, sp == Bytes.space { t = t.dropFirst() }
        }
        return Record(time: time, level: level, id: id, msg: t)
    }

    /// bunyan: `{"name":"nodemailer",...,"level":20,"tnx":"client","cid":"abc","msg":"C: EHLO x","time":"..."}`.
    static func jsonRecord(_ l: ArraySlice<UInt8>) -> Record? {
        guard let msg = JSONField.string(l, "msg") else { return nil }
        let id = JSONField.string(l, "cid").map { Bytes.string($0[...]) } ?? JSONField.string(l, "sid").map { Bytes.string($0[...]) }
        var time: Double?
        if let t = JSONField.string(l, "time"), let (secs, _) = Stamp.date(t[...]) { time = secs }
        var m = msg[...]
        // bunyan keeps the direction in `tnx` as well; older loggers put only the bare line in msg.
        if !Scan.hasPrefix(m, "S: "), !Scan.hasPrefix(m, "C: "), let tnx = JSONField.string(l, "tnx") {
            if tnx.elementsEqual("server".utf8) { m = (Array("S: ".utf8) + msg)[...] }
            else if tnx.elementsEqual("client".utf8) { m = (Array("C: ".utf8) + msg)[...] }
        }
        return Record(time: time, level: Array("JSON".utf8)[...], id: id, msg: m, json: true)
    }

    private let input: String
    private var open: [(id: String, slot: SessionSlot)] = []
    private var lastID: String?

    init(input: String) { self.input = input }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        guard let rec = Self.record(line) else {
            // Lines the demo program printed (`Error: ...`, `sent 250 ...`): keep them with the last connection.
            let t = Bytes.trimmed(line)
            if t.isEmpty { return }
            if let i = index(lastID) {
                open[i].slot.note(t, Bytes.contains(t, lowercased: "error") ? .error : .tool, open[i].slot.position(number))
            }
            return
        }
        guard let id = rec.id else {
            if let i = index(lastID) {
                let pos = open[i].slot.position(number, time: rec.time)
                open[i].slot.note(rec.msg, Scan.hasPrefix(rec.level, "ERROR") ? .error : .tool, pos)
            }
            return
        }
        lastID = id
        let i = index(id) ?? {
            open.append((id, SessionSlot(input: input, format: Self.formatID)))
            return open.count - 1
        }()
        let pos = open[i].slot.position(number, time: rec.time)
        let m = rec.msg
        if let r = Scan.after(m, "S: ") {
            open[i].slot.builder.server(r, at: pos)
        } else if let r = Scan.after(m, "C: ") {
            open[i].slot.builder.client(r, at: pos)
        } else if open[i].slot.builder.isInData && !Scan.hasPrefix(rec.level, "INFO") && !Scan.hasPrefix(rec.level, "ERROR") {
            open[i].slot.builder.client(m, at: pos)
        } else if let c = Scan.after(m, "Connection established to ") {
            open[i].slot.note(m, .tool, pos)
            let (host, port) = Scan.hostPort(Bytes.string(c))
            open[i].slot.builder.connected(address: host, port: port, at: pos)
        } else if Scan.hasPrefix(m, "Connection upgraded with STARTTLS") {
            open[i].slot.note(m, .tls, pos)
        } else if Scan.hasPrefix(m, "Connection closed unexpectedly") {
            open[i].slot.note(m, .error, pos)
            open[i].slot.builder.closed(by: .server, at: pos)
        } else if Scan.hasPrefix(m, "Closing connection to the server") {
            open[i].slot.note(m, .tool, pos)
            open[i].slot.builder.closed(by: .client, at: pos)
        } else if Scan.hasPrefix(m, "Resolved ") {
            open[i].slot.note(m, .dns, pos)
        } else if Scan.hasPrefix(rec.level, "ERROR"), open[i].slot.builder.session.exchanges.isEmpty,
                  open[i].slot.builder.session.connected != true, let f = SessionSlot.failure(in: m) {
            open[i].slot.builder.connectFailed(f, detail: Bytes.string(m), at: pos)
        } else {
            open[i].slot.note(m, Scan.hasPrefix(rec.level, "ERROR") ? .error : .tool, pos)
        }
        // A connection is done when it closed and the next record belongs to another one (see below).
        flushClosed(except: id, emit: emit)
    }

    mutating func finish(emit: (Session) -> Void) {
        for i in open.indices { open[i].slot.rotate(emit: emit) }
        open.removeAll()
    }

    private func index(_ id: String?) -> Int? {
        guard let id else { return nil }
        return open.firstIndex { $0.id == id }
    }

    /// Emit connections that are over, keeping the current one (its trailing notes may still come).
    private mutating func flushClosed(except id: String, emit: (Session) -> Void) {
        var k = 0
        while k < open.count {
            if open[k].id != id, open[k].slot.isOver {
                open[k].slot.rotate(emit: emit)
                open.remove(at: k)
            } else {
                k += 1
            }
        }
    }
}

/// Minimal reading of one string field of a flat JSON object line (no nesting needed for log records).
enum JSONField {
    static func string(_ l: ArraySlice<UInt8>, _ key: StaticString) -> [UInt8]? {
        var pattern: [UInt8] = [0x22]
        pattern.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        pattern.append(0x22)
        var i = l.startIndex
        while i + pattern.count <= l.endIndex {
            if l[i] == 0x22, l[i..<(i + pattern.count)].elementsEqual(pattern) {
                var j = i + pattern.count
                while j < l.endIndex, Bytes.isBlank(l[j]) { j += 1 }
                guard j < l.endIndex, l[j] == 0x3A else { i += 1; continue }
                j += 1
                while j < l.endIndex, Bytes.isBlank(l[j]) { j += 1 }
                guard j < l.endIndex, l[j] == 0x22 else { return nil }
                j += 1
                var out: [UInt8] = []
                while j < l.endIndex, l[j] != 0x22 {
                    if l[j] == 0x5C, j + 1 < l.endIndex {
                        let e = l[j + 1]
                        switch e {
                        case 0x6E: out.append(0x0A)
                        case 0x72: out.append(0x0D)
                        case 0x74: out.append(0x09)
                        case 0x75:
                            // \uXXXX: keep ASCII, replace the rest.
                            if j + 5 < l.endIndex, let v = Int(Bytes.string(l[(j + 2)..<(j + 6)]), radix: 16) {
                                out.append(v < 0x80 ? UInt8(v) : 0x3F)
                                j += 4
                            }
                        default: out.append(e)
                        }
                        j += 2
                        continue
                    }
                    out.append(l[j])
                    j += 1
                }
                return out
            }
            i += 1
        }
        return nil
    }
}

typealias NodemailerReader = Pasted<NodemailerCore>
