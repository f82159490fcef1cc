/// Postfix verbose logging (`debug_peer_list`, `-v`): smtpd logs `< host[ip]: EHLO x` for what it received from
/// the client and `> host[ip]: 250-...` for what it sent; the smtp CLIENT logs the same markers from its own
/// side, so there `<` is the remote server's reply and `>` the command sent. Everything else a verbose smtpd
/// logs (hundreds of internal lines) is skipped; connect/disconnect, rejects, warnings, TLS errors and
/// delivery status lines are kept as notes. Processes are told apart by pid.
struct PostfixVerboseCore: DialectCore {
    static let formatID = "postfix-verbose"
    static let summary = "Postfix verbose smtpd/smtp log (`< host[ip]: EHLO`, `> host[ip]: 250 ...`)"
    static var ownsTimestamps: Bool { true }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var hits = 0
        for l in lines where parse(l).map({ $0.kind == .dialogue }) == true { hits += 1 }
        // Above the plain Postfix log reader: these lines carry the dialogue itself.
        return hits >= 2 ? 0.99 : (hits == 1 ? 0.7 : 0)
    }

    enum Kind: Equatable { case dialogue, other }
    struct Parsed {
        var program: ArraySlice<UInt8>   // `smtpd`, `smtp`, `lmtp`
        var pid: ArraySlice<UInt8>
        var message: ArraySlice<UInt8>
        var kind: Kind
        var received: Bool               // `<`
        var text: ArraySlice<UInt8>      // after `host[ip]: ` or `host[ip]:port: `
    }

    /// `... postfix/submission/smtpd[12268]: > localhost[127.0.0.1]: 220 ...`
    static func parse(_ l: ArraySlice<UInt8>) -> Parsed? {
        guard let p = Scan.find(l, "postfix", limit: 200) else { return nil }
        var t = l[p...]
        guard let br = t.firstIndex(of: 0x5B), br - t.startIndex < 80 else { return nil }
        let name = t[t.startIndex..<br]
        let program = name.lastIndex(of: 0x2F).map { name[($0 + 1)...] } ?? name
        guard let close = t[br...].firstIndex(of: 0x5D), close - br < 12 else { return nil }
        let pid = t[(br + 1)..<close]
        t = t[(close + 1)...]
        guard let m = Scan.after(t, ": ") else { return nil }
        var parsed = Parsed(program: program, pid: pid, message: m, kind: .other, received: false, text: m[m.endIndex...])
        if m.count > 2, m[m.startIndex] == 0x3C || m[m.startIndex] == 0x3E, m[m.startIndex + 1] == Bytes.space {
            let rest = m.dropFirst(2)
            // `host[ip]: ` or `host[ip]:port: `
            if let rb = rest.firstIndex(of: 0x5D), rb - rest.startIndex < 300 {
                var after = rest[(rb + 1)...]
                if let c = after.first, c == 0x3A {
                    after = after.dropFirst()
                    while let d = after.first, Bytes.isDigit(d) { after = after.dropFirst() }
                    if let c2 = after.first, c2 == 0x3A { after = after.dropFirst() }
                    if let sp = after.first, sp == Bytes.space { after = after.dropFirst() }
                    parsed.kind = .dialogue
                    parsed.received = m[m.startIndex] == 0x3C
                    parsed.text = after
                }
            }
        }
        return parsed
    }

    private struct Open { var pid: [UInt8]; var slot: SessionSlot; var outbound: Bool }
    private let input: String
    private var open: [Open] = []

    init(input: String) { self.input = input }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        guard let p = Self.parse(line) else { return }
        let outbound = p.program.elementsEqual("smtp".utf8) || p.program.elementsEqual("lmtp".utf8)
        let inbound = p.program.elementsEqual("smtpd".utf8)
        guard outbound || inbound else { return }   // qmgr, cleanup, pickup: not part of a dialogue
        let pid = Array(p.pid)
        var i = open.firstIndex { $0.pid == pid }
        let pos = SourcePosition(input: input, line: number)
        let m = p.message
        if inbound, Scan.hasPrefix(m, "connect from ") {
            if let k = i { open[k].slot.rotate(emit: emit); open.remove(at: k) }
            var o = Open(pid: pid, slot: SessionSlot(input: input, format: Self.formatID), outbound: false)
            o.slot.builder.direction = .inbound
            let peer = Bytes.string(m.dropFirst(13))
            o.slot.builder.client.host = peer.split(separator: "[", maxSplits: 1).first.map(String.init)
            if let a = peer.split(separator: "[").dropFirst().first { o.slot.builder.client.address = String(a.prefix { $0 != "]" }) }
            o.slot.builder.connected(address: nil, port: nil, at: pos)
            o.slot.note(m, .log, pos)
            open.append(o)
            return
        }
        if p.kind == .dialogue {
            if outbound, p.received, let r = ReplyLine.parse(p.text), r.code == 220, let k = i,
               !open[k].slot.builder.session.exchanges.isEmpty, open[k].slot.builder.awaitingReplies == 0 {
                // The smtp client reuses its process for the next delivery: a new greeting is a new session.
                open[k].slot.rotate(emit: emit)
                open.remove(at: k)
                i = nil
            }
            let k = i ?? newSession(pid, outbound: outbound)
            // smtpd: `<` came from the client. smtp client: `<` came from the server.
            let fromServer = outbound ? p.received : !p.received
            if fromServer { open[k].slot.builder.server(p.text, at: pos) } else { open[k].slot.builder.client(p.text, at: pos) }
            return
        }
        if inbound, Scan.hasPrefix(m, "disconnect from ") {
            if let k = i {
                open[k].slot.note(m, .log, pos)
                open[k].slot.builder.closed(by: .client, at: pos)
                open[k].slot.rotate(emit: emit)
                open.remove(at: k)
            }
            return
        }
        guard let k = i else {
            if outbound, Scan.hasPrefix(m, "connect to "), let f = SessionSlot.failure(in: m) {
                let n = newSession(pid, outbound: true)
                open[n].slot.builder.connectFailed(f, detail: Bytes.string(m), at: pos)
                open[n].slot.rotate(emit: emit)
                open.remove(at: n)
            }
            return
        }
        if Scan.hasPrefix(m, "lost connection after ") || Scan.hasPrefix(m, "timeout after ") {
            open[k].slot.note(m, .error, pos)
            // smtpd: the client went away; smtp: the server did.
            open[k].slot.builder.closed(by: outbound ? .server : .client, at: pos)
        } else if Scan.find(m, "NOQUEUE: reject:", limit: 30) != nil || Scan.hasPrefix(m, "warning: ")
                    || Scan.find(m, " status=", limit: 400) != nil || Scan.hasPrefix(m, "SSL_accept error")
                    || Scan.hasPrefix(m, "SSL_connect error") || Scan.find(m, "TLS connection established", limit: 80) != nil
                    || Scan.hasPrefix(m, "improper command pipelining") || Scan.find(m, ": reject: ", limit: 40) != nil {
            open[k].slot.note(m, Scan.find(m, "TLS") != nil || Scan.find(m, "SSL") != nil ? .tls : .log, pos)
        }
    }

    mutating func finish(emit: (Session) -> Void) {
        for i in open.indices { open[i].slot.rotate(emit: emit) }
        open.removeAll()
    }

    private mutating func newSession(_ pid: [UInt8], outbound: Bool) -> Int {
        var o = Open(pid: pid, slot: SessionSlot(input: input, format: Self.formatID), outbound: outbound)
        o.slot.builder.direction = outbound ? .outbound : .inbound
        open.append(o)
        return open.count - 1
    }
}

typealias PostfixVerboseReader = Pasted<PostfixVerboseCore>
