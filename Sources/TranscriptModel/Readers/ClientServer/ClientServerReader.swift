/// `C: ` / `S: ` transcripts: MailKit's ProtocolLogger (`Connected to smtps://host:465/`, lines at column 0)
/// and the RFC examples (indented, with pseudo-lines such as `C: <open connection>` and prose between the
/// dialogues). One engine, two dialect ids: detection tells them apart by indentation and MailKit's
/// `Connected to` line. A new `220` greeting after a finished dialogue, or `<open connection>`, starts a new
/// session.
struct ClientServerEngine {
    enum Flavor { case mailkit, rfc }

    static func counts(_ lines: [ArraySlice<UInt8>]) -> (marked: Int, indented: Int, mailkit: Int, pseudo: Int) {
        var marked = 0, indented = 0, mailkit = 0, pseudo = 0
        for l in lines {
            let t = Scan.dropLeadingBlanks(l)
            if let r = marker(t) {
                marked += 1
                if t.count != l.count { indented += 1 }
                if let f = r.1.first, f == 0x3C, let z = r.1.last, z == 0x3E { pseudo += 1 }
            }
            if Scan.hasPrefix(l, "Connected to smtp://") || Scan.hasPrefix(l, "Connected to smtps://") { mailkit += 1 }
        }
        return (marked, indented, mailkit, pseudo)
    }

    enum Side { case client, server, both }

    static func marker(_ t: ArraySlice<UInt8>) -> (Side, ArraySlice<UInt8>)? {
        if let r = Scan.after(t, "C: ") { return (.client, r) }
        if let r = Scan.after(t, "S: ") { return (.server, r) }
        if t.elementsEqual("C:".utf8) { return (.client, t.dropFirst(2)) }
        if t.elementsEqual("S:".utf8) { return (.server, t.dropFirst(2)) }
        if let r = Scan.after(t, "C & S: ") ?? Scan.after(t, "S & C: ") { return (.both, r) }
        return nil
    }

    var slot: SessionSlot
    var sawProse = false

    init(input: String, format: String) { slot = SessionSlot(input: input, format: format) }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = slot.position(number)
        let t = Scan.dropLeadingBlanks(line)
        if let (side, text) = Self.marker(t) {
            let body = Bytes.trimmed(text)
            let pseudo = !slot.builder.isInData && body.first == 0x3C && body.last == 0x3E
                && !Scan.startsWithVerb(body)
            if pseudo {
                if Bytes.contains(body, lowercased: "open") && Bytes.contains(body, lowercased: "connection") {
                    if slot.hasBegun { slot.rotate(emit: emit) }
                    if side == .client { slot.builder.connected(address: nil, port: nil, at: pos) }
                }
                slot.note(t, Bytes.contains(body, lowercased: "tls") ? .tls : .tool, pos)
                return
            }
            switch side {
            case .server:
                if let r = ReplyLine.parse(text), r.code == 220, !r.continues, slot.isOver
                    || (slot.builder.session.quitSent) {
                    slot.rotate(emit: emit)
                }
                slot.builder.server(text, at: pos)
            case .client:
                slot.builder.client(text, at: pos)
            case .both:
                slot.note(t, .tool, pos)
            }
            return
        }
        let s = Bytes.trimmed(line)
        if s.isEmpty { return }
        if let c = Scan.after(s, "Connected to ") {
            // MailKit: `Connected to smtps://smtp.gmail.com:465/`
            if slot.hasBegun { slot.rotate(emit: emit) }
            slot.note(s, .tool, pos)
            var url = Bytes.string(c)
            let implicit = url.hasPrefix("smtps://")
            if let r = url.range(of: "://") { url = String(url[r.upperBound...]) }
            while url.hasSuffix("/") { url.removeLast() }
            let (host, port) = Scan.hostPort(url)
            slot.builder.connecting(host: host, address: nil, port: port, at: pos)
            slot.builder.connected(address: nil, port: port, at: pos)
            if implicit { slot.builder.tlsEstablished(TLSFacts(serverName: host, implicit: true), at: pos) }
            return
        }
        // An ellipsis or prose inside the message stands for elided content.
        if slot.builder.isInData {
            slot.builder.client(line, at: pos)
            return
        }
        slot.note(s, .unparsed, pos)
    }
}

struct MailKitCore: DialectCore {
    static let formatID = "mailkit"
    static let summary = "MailKit / .NET ProtocolLogger (`C: ` / `S: ` at the start of the line)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        let c = ClientServerEngine.counts(lines)
        guard c.marked >= 2 else { return 0 }
        if c.mailkit > 0 { return 0.96 }
        return c.indented * 2 < c.marked && c.pseudo == 0 ? 0.92 : 0.85
    }

    private var engine: ClientServerEngine
    init(input: String) { engine = ClientServerEngine(input: input, format: Self.formatID) }
    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        engine.line(line, number: number, emit: emit)
    }
    mutating func finish(emit: (Session) -> Void) { engine.slot.rotate(emit: emit) }
}

struct RFCExampleCore: DialectCore {
    static let formatID = "rfc"
    static let summary = "RFC-style example dialogue (indented `C:` / `S:` lines, `<pseudo>` steps, prose)"

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        let c = ClientServerEngine.counts(lines)
        guard c.marked >= 2, c.mailkit == 0 else { return 0 }
        return c.indented * 2 >= c.marked || c.pseudo > 0 ? 0.93 : 0.88
    }

    private var engine: ClientServerEngine
    init(input: String) { engine = ClientServerEngine(input: input, format: Self.formatID) }
    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        engine.line(line, number: number, emit: emit)
    }
    mutating func finish(emit: (Session) -> Void) { engine.slot.rotate(emit: emit) }
}

typealias MailKitReader = Pasted<MailKitCore>
typealias RFCExampleReader = Pasted<RFCExampleCore>
