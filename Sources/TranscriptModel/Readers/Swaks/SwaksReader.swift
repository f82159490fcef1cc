/// swaks output: `<-` received, ` ->` sent, `<~`/` ~>` the same inside TLS, `<**` an error reply, `===` swaks's
/// own information and `***` its errors (connection failures, unexpected close). Each `=== Trying` starts a
/// connection, so several swaks runs in one paste become several sessions.
struct SwaksCore: DialectCore {
    static let formatID = "swaks"
    static let summary = "swaks output (`<-` / ` ->`, `<~` / ` ~>` inside TLS, `<**` errors, `===` / `***` notes)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var own = 0, dialogue = 0
        for l in lines {
            if Scan.hasPrefix(l, "=== ") || Scan.hasPrefix(l, "*** ") { own += 1 }
            if marker(l) != nil { dialogue += 1 }
        }
        if dialogue >= 2 && own >= 1 { return 0.97 }
        if dialogue >= 3 { return 0.9 }
        if own >= 2, lines.contains(where: { Scan.hasPrefix($0, "=== Trying ") }) { return 0.9 }
        return 0
    }

    enum Side { case server, client }

    /// The direction and text of a dialogue line.
    static func marker(_ l: ArraySlice<UInt8>) -> (Side, ArraySlice<UInt8>)? {
        guard l.count >= 2 else { return nil }
        let i = l.startIndex
        if l[i] == 0x3C {   // '<'
            // `<- `, `<~ `, `<**`, `<~*`
            let m = l[i + 1]
            guard m == 0x2D || m == 0x7E || m == 0x2A else { return nil }
            var j = i + 2
            if j < l.endIndex, l[j] == 0x2A { j += 1 }
            guard j == l.endIndex || l[j] == Bytes.space else { return nil }
            return (.server, Scan.dropLeadingBlanks(l[j...]))
        }
        if l[i] == Bytes.space, l.count >= 3 {
            // ` -> `, ` ~> `, ` *> ` (swaks indents its sent lines by one space)
            let m = l[i + 1]
            guard m == 0x2D || m == 0x7E || m == 0x2A, l[i + 2] == 0x3E else { return nil }
            var j = i + 3
            if j < l.endIndex, l[j] == Bytes.space { j += 1 }
            return (.client, l[j...])
        }
        return nil
    }

    private var slot: SessionSlot

    init(input: String) { slot = SessionSlot(input: input, format: Self.formatID) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        if let (side, text) = Self.marker(line) {
            switch side {
            case .server: slot.builder.server(text, at: pos)
            case .client: slot.builder.client(text, at: pos)
            }
            return
        }
        let t = Bytes.trimmed(line)
        if let rest = Scan.after(t, "=== ") {
            info(rest, t, pos, emit: emit)
        } else if let rest = Scan.after(t, "***") {
            error(Bytes.trimmed(rest), t, pos)
        } else if t.isEmpty {
            return
        } else if let f = t.first, f == 0x24 || Scan.find(t, "$ ", limit: 60) != nil, Bytes.contains(t, lowercased: "swaks") {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(t, .shell, pos)
        } else {
            slot.note(t, .unparsed, pos)
        }
    }

    mutating func finish(emit: (Session) -> Void) { slot.rotate(emit: emit) }

    private mutating func info(_ rest: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>, _ pos: SourcePosition,
                               emit: (Session) -> Void) {
        if let target = Scan.after(rest, "Trying ") {
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(t, .tool, pos)
            var s = Bytes.string(target)
            while s.hasSuffix(".") { s.removeLast() }
            let (host, port) = Scan.hostPort(s)
            slot.builder.connecting(host: host, address: nil, port: port, at: pos)
        } else if let target = Scan.after(rest, "Connected to ") {
            slot.note(t, .tool, pos)
            var s = Bytes.string(target)
            while s.hasSuffix(".") { s.removeLast() }
            slot.builder.connected(address: s, port: nil, at: pos)
        } else if let tls = Scan.after(rest, "TLS started with cipher ") {
            // `TLSv1.3:TLS_AES_256_GCM_SHA384:256`
            slot.note(t, .tls, pos)
            let parts = Bytes.string(tls).split(separator: ":").map(String.init)
            slot.builder.tlsEstablished(TLSFacts(version: parts.first, cipher: parts.count > 1 ? parts[1] : nil), at: pos)
        } else if let dn = Scan.after(rest, "TLS peer DN=") {
            slot.note(t, .tls, pos)
            var s = Bytes.string(dn)
            if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { s = String(s.dropFirst().dropLast()) }
            slot.builder.tlsEstablished(TLSFacts(subject: s), at: pos)
        } else if Scan.hasPrefix(rest, "TLS ") {
            slot.note(t, .tls, pos)
        } else if Scan.hasPrefix(rest, "Connection closed with remote host") {
            slot.note(t, .tool, pos)
            slot.builder.closed(by: slot.builder.session.quitSent ? .client : .unknown, at: pos)
        } else {
            slot.note(t, .tool, pos)
        }
    }

    private mutating func error(_ rest: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>, _ pos: SourcePosition) {
        if Bytes.hasPrefix(rest, lowercased: "remote host closed connection") {
            slot.note(t, .error, pos)
            slot.builder.closed(by: .server, at: pos)
            return
        }
        if slot.builder.session.connected != true, slot.builder.session.exchanges.isEmpty,
           let failure = SessionSlot.failure(in: rest) {
            slot.builder.connectFailed(failure, detail: Bytes.string(t), at: pos)
            return
        }
        slot.note(t, .error, pos)
        // `*** TLS startup failed (...)` / `*** STARTTLS attempted but failed`: swaks goes on in clear text.
        if Bytes.hasPrefix(rest, lowercased: "tls startup failed") || Bytes.hasPrefix(rest, lowercased: "starttls attempted but failed") {
            slot.builder.tlsFailed(at: pos)
        }
    }
}

typealias SwaksReader = Pasted<SwaksCore>
