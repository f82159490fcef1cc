import TranscriptModel

/// The JSON contract: `{"version":1,"sessions":[...],"errors":[...]}`. Keys and their order are stable;
/// README documents them. New keys may be added, existing ones never change meaning.
public enum JSONRenderer {
    public static let version = 1

    public static func document(_ sessions: [ExplainedSession], errors: [InputError] = []) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("version", version)
        w.key("sessions")
        w.beginArray()
        for s in sessions { write(s, into: &w) }
        w.endArray()
        w.key("errors")
        w.beginArray()
        for e in errors { write(e, into: &w) }
        w.endArray()
        w.endObject()
        return w.output
    }

    /// One session as a single line (JSON Lines).
    public static func line(_ session: ExplainedSession) -> String {
        var w = JSONWriter()
        write(session, into: &w)
        return w.output
    }

    /// The same line as UTF-8 bytes, for writers that do not need a `String`.
    public static func lineBytes(_ session: ExplainedSession) -> [UInt8] {
        var w = JSONWriter()
        write(session, into: &w)
        return w.bytes
    }

    public static func write(_ e: InputError, into w: inout JSONWriter) {
        w.beginObject()
        w.field("input", e.input)
        w.field("position", e.position)
        w.field("message", e.message)
        w.endObject()
    }

    public static func write(_ x: ExplainedSession, into w: inout JSONWriter) {
        let s = x.session
        w.beginObject()
        w.field("input", s.input)
        w.field("format", s.format)
        w.field("formatConfidence", (s.formatConfidence * 100).rounded() / 100)
        w.field("direction", s.direction?.rawValue)
        w.field("outcome", s.outcome.rawValue)
        w.field("failedStage", s.failedStage?.rawValue)
        w.field("reason", x.primaryReason?.rawValue)
        w.field("summary", x.summary)
        w.key("start"); position(s.start, into: &w)
        w.key("end"); position(s.end, into: &w)

        w.key("client")
        w.beginObject()
        w.field("host", s.client.host)
        w.field("address", s.client.address)
        w.field("port", s.client.port)
        w.field("helo", s.client.heloName)
        w.endObject()

        w.key("server")
        w.beginObject()
        w.field("host", s.server.host)
        w.field("address", s.server.address)
        w.field("port", s.server.port)
        w.field("software", s.server.software)
        w.field("helo", s.server.heloName)
        w.field("banner", s.greeting.map { "\($0.code) \($0.lines.first ?? "")" })
        w.endObject()

        w.key("connection")
        w.beginObject()
        w.field("attempted", s.connectAttempted)
        w.field("connected", s.connected)
        w.field("failure", s.connectFailure?.rawValue)
        w.field("closedBy", s.closedBy?.rawValue)
        w.field("reset", s.closedByReset)
        w.field("quit", s.quitSent)
        w.endObject()

        w.key("capabilities")
        if let c = s.capabilities {
            w.beginObject()
            w.field("keywords", strings: c.keywords)
            w.field("size", c.size)
            w.field("auth", strings: c.authMechanisms)
            w.endObject()
        } else { w.null() }

        w.key("tls")
        if s.tlsStarted || s.tls != nil {
            let t = s.tls ?? TLSFacts()
            w.beginObject()
            w.field("started", s.tlsStarted)
            w.field("implicit", t.implicit)
            w.field("version", t.version)
            w.field("cipher", t.cipher)
            w.field("serverName", t.serverName)
            w.field("subject", t.subject)
            w.field("issuer", t.issuer)
            w.field("verify", t.verify)
            w.endObject()
        } else { w.null() }

        w.key("transactions")
        w.beginArray()
        // Index loops pass each element borrowed; `for x in array` copies it (a retain per field).
        for i in s.transactions.indices { write(s.transactions[i], into: &w) }
        w.endArray()

        w.key("exchanges")
        w.beginArray()
        for i in s.exchanges.indices { write(s.exchanges[i], index: i, explained: x, into: &w) }
        w.endArray()

        w.key("findings")
        w.beginArray()
        for i in x.findings.indices { write(x.findings[i], into: &w) }
        w.endArray()

        w.key("notes")
        w.beginArray()
        for n in s.notes {
            w.beginObject()
            w.field("kind", n.kind.rawValue)
            w.field("text", n.text)
            positionFields(n.position, into: &w)
            w.endObject()
        }
        w.endArray()

        w.key("attributes")
        w.beginObject()
        for k in s.attributes.keys.sorted() { w.field(name: k, s.attributes[k]) }
        w.endObject()
        w.key("history")
        write(s.history, into: &w)
        w.endObject()
    }

    /// A message's story (MTA logs): `{"queueId","received","attempts","attemptCount","omittedAttempts",
    /// "deferrals","end","headline"}` or null.
    static func write(_ h: MessageHistory?, into w: inout JSONWriter) {
        guard let h else { w.null(); return }
        w.beginObject()
        w.field("queueId", h.queueID)
        w.key("received")
        if let r = h.received {
            w.beginObject()
            w.field("time", r.time)
            w.field("client", r.client)
            w.field("sender", r.sender)
            w.field("size", r.size)
            w.field("recipients", r.recipients)
            w.field("messageId", r.messageID)
            positionFields(r.position, into: &w)
            w.endObject()
        } else { w.null() }
        w.key("attempts")
        w.beginArray()
        for a in h.attempts {
            w.beginObject()
            w.field("number", a.number)
            w.field("time", a.time)
            w.field("status", a.status.rawValue)
            w.field("recipients", strings: a.recipients)
            w.field("recipientCount", a.recipientCount)
            w.field("relay", a.relay)
            w.field("delay", a.delay)
            w.field("dsn", a.dsn)
            w.field("reply", a.reply)
            w.field("inReplyTo", a.inReplyTo)
            positionFields(a.position, into: &w)
            w.endObject()
        }
        w.endArray()
        w.field("attemptCount", h.attemptCount)
        w.field("omittedAttempts", h.omittedAttempts)
        w.field("deferrals", h.deferrals)
        w.key("end")
        if let e = h.end {
            w.beginObject()
            w.field("outcome", e.outcome.rawValue)
            w.field("time", e.time)
            w.field("totalDelay", e.totalDelay)
            w.field("detail", e.detail)
            positionFields(e.position, into: &w)
            w.endObject()
        } else { w.null() }
        w.field("headline", MessageStoryText.headline(h))
        w.endObject()
    }

    static func positionFields(_ p: SourcePosition?, into w: inout JSONWriter) {
        guard let p else { w.field("line", nil as Int?); return }
        positionFields(p, into: &w)
    }

    static func write(_ t: Transaction, into w: inout JSONWriter) {
        w.beginObject()
        w.field("sender", t.sender)
        w.field("senderAccepted", t.senderAccepted)
        w.key("recipients")
        w.beginArray()
        for r in t.recipients {
            w.beginObject()
            w.field("address", r.address)
            w.field("accepted", r.accepted)
            w.field("code", r.reply?.code)
            w.field("enhanced", r.reply?.enhanced)
            w.field("text", r.reply?.text)
            w.endObject()
        }
        w.endArray()
        w.key("message")
        if let m = t.message {
            w.beginObject()
            w.field("lines", m.lineCount)
            w.field("bytes", m.byteCount)
            w.field("terminated", m.terminated)
            w.field("terminationInferred", m.terminationInferred)
            w.field("chunked", m.chunked)
            w.key("headers")
            w.beginObject()
            for h in m.headers { w.field(name: h.name, h.value) }
            w.endObject()
            w.endObject()
        } else { w.null() }
        w.field("delivered", t.delivered)
        w.field("queueId", t.queueID)
        w.key("finalReply")
        if let r = t.finalReply { reply(r, into: &w) } else { w.null() }
        w.endObject()
    }

    static func write(_ ex: Exchange, index: Int, explained x: ExplainedSession, into w: inout JSONWriter) {
        w.beginObject()
        w.field("index", index)
        w.field("stage", ex.stage.rawValue)
        w.field("tls", ex.tls)
        w.key("command")
        if let c = ex.command {
            w.beginObject()
            w.field("verb", c.verb)
            w.field("argument", c.argument)
            w.field("address", c.address)
            w.key("parameters")
            w.beginObject()
            for p in c.parameters { w.field(name: p.key, p.value ?? "") }
            w.endObject()
            w.field("authMechanism", c.authMechanism)
            w.field("inferred", c.inferred)
            w.field("pipelined", c.pipelined)
            w.field("backspace", c.hadBackspace)
            w.field("redacted", c.redacted)
            positionFields(c.position, into: &w)
            w.endObject()
        } else { w.null() }
        w.key("reply")
        if let r = ex.reply { reply(r, into: &w) } else { w.null() }
        let e = x.replies[index]
        w.field("meaning", e?.summary)
        w.field("reason", e?.classification?.reason.rawValue)
        w.field("findings", strings: x.findingIDs(forExchange: index))
        w.endObject()
    }

    static func reply(_ r: Reply, into w: inout JSONWriter) {
        w.beginObject()
        w.field("code", r.code)
        w.field("enhanced", r.enhanced)
        w.field("text", r.text)
        w.field("lines", strings: r.lines)
        w.field("inferred", r.inferred)
        w.field("truncated", r.truncated)
        positionFields(r.position, into: &w)
        w.endObject()
    }

    static func write(_ f: Finding, into w: inout JSONWriter) {
        w.beginObject()
        w.field("id", f.id)
        w.field("severity", f.severity.rawValue)
        w.field("reason", f.reason.rawValue)
        w.field("peerReason", f.reason.peerReason.rawValue)
        w.field("title", f.title)
        w.field("explanation", f.explanation)
        w.field("actions", strings: f.actions)
        w.key("evidence")
        w.beginArray()
        for e in f.evidence {
            w.beginObject()
            positionFields(e.position, into: &w)
            w.field("text", e.text)
            w.endObject()
        }
        w.endArray()
        w.key("exchanges")
        w.beginArray()
        for i in f.exchanges { w.int(i) }
        w.endArray()
        w.field("provider", f.provider)
        w.key("blocklist")
        write(f.blocklist, into: &w)
        w.field("reference", f.reference)
        w.endObject()
    }

    /// A named blocklist: `{"name","zone","lookup","address"}` or null.
    public static func write(_ b: Blocklist?, into w: inout JSONWriter) {
        guard let b else { w.null(); return }
        w.beginObject()
        w.field("name", b.name)
        w.field("zone", b.zone)
        w.field("lookup", b.lookupURL)
        w.field("address", b.listedAddress)
        w.endObject()
    }

    static func positionFields(_ p: SourcePosition, into w: inout JSONWriter) {
        // Logs read merged: each position names its file.
        if p.sequence != nil { w.field("input", p.input) }
        w.field("line", p.line)
        if p.packet != nil { w.field("packet", p.packet) }
        if p.time != nil { w.field("time", p.time) }
    }

    static func position(_ p: SourcePosition?, into w: inout JSONWriter) {
        guard let p else { w.null(); return }
        w.beginObject()
        positionFields(p, into: &w)
        w.endObject()
    }
}
