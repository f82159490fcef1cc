/// The RFC 5321 session state machine. Readers feed it what they saw (client lines, server lines, lines of
/// unknown direction, tool events) and it pairs replies with commands, tracks transactions, message content,
/// STARTTLS and AUTH, infers what a lossy paste left out (marking it `inferred`), and decides the verdict.
///
/// It is a value type fed line by line, so memory is bounded by the session, not by the input; message
/// bodies are summarised, never stored.
public struct SessionBuilder {
    public struct Limits: Sendable {
        /// Transcript lines kept for display; further lines are counted in `elidedLines`.
        public var displayLines = 20_000
        /// Message body lines kept for display per message.
        public var contentLinesShown = 60
        /// Lines kept per reply (a hostile reply may have 100,000 continuation lines).
        public var replyLines = 500
        /// Exchanges kept per session (100,000 pipelined commands stay bounded).
        public var exchanges = 50_000
        /// Notes kept per session.
        public var notes = 10_000
        /// Longest line kept verbatim (longer lines are cut for display, counted for the message).
        public var lineBytes = 4_096
        /// Keep the transcript lines (`Session.lines`). The text, HTML and Markdown reports print them; a
        /// caller that only writes JSON (which has no transcript) saves building them.
        public var transcript = true
        public init() {}
    }

    public private(set) var session: Session
    public var limits: Limits
    /// Replace AUTH payloads with a placeholder before they enter the model.
    public var redactCredentials: Bool

    // Connection identity, settable by readers that know it (logs, captures, tool lines).
    public var client: Peer {
        get { session.client }
        set { session.client = newValue }
    }
    public var server: Peer {
        get { session.server }
        set { session.server = newValue }
    }
    public var direction: Session.Direction? {
        get { session.direction }
        set { session.direction = newValue }
    }
    public var attributes: [String: String] {
        get { session.attributes }
        set { session.attributes = newValue }
    }

    private enum Mode: Equatable {
        case commands
        /// After a 334 challenge: the next client line answers it.
        case authChallenge
        /// Between 354 and the lone `.`.
        case data
        /// Inside a BDAT chunk: this many octets still belong to it.
        case bdat(remaining: Int)
    }

    private var mode: Mode = .commands
    /// Exchanges waiting for their reply, oldest first (pipelining).
    private var pending: [Int] = []
    private var pendingHead = 0
    /// A multi-line reply being assembled.
    private var partial: Reply?
    private var partialLineCount = 0
    /// Unmarked input in DATA mode: a line that looks like a reply may be content or the end-of-data reply
    /// of a paste that lost its `.` line. One line of lookahead decides.
    private var heldLine: (bytes: [UInt8], position: SourcePosition)?
    private var transaction: Int?
    private var message: MessageSummary?
    private var inHeaders = false
    private var shownContentLines = 0
    private var tlsActive = false
    /// The transaction open when the last MAIL was sent (restored if that MAIL is refused as nested).
    private var transactionBeforeMail: Int?
    /// A 421 arrived in the middle of message content.
    private var interruptedData = false
    private var sawGreeting = false

    /// Default for `redactCredentials`, so `--redact none` reaches the builders every reader makes.
    @TaskLocal public static var redactByDefault = true

    /// Default limits for every builder the readers make (`--max-...` flags).
    @TaskLocal public static var defaultLimits = Limits()

    public init(input: String, format: String, limits: Limits = SessionBuilder.defaultLimits,
                redactCredentials: Bool = SessionBuilder.redactByDefault) {
        self.session = Session(input: input, format: format)
        self.limits = limits
        self.redactCredentials = redactCredentials
    }

    /// True while message content is expected (after 354, or inside a BDAT chunk).
    public var isInData: Bool {
        switch mode {
        case .data, .bdat: return true
        default: return false
        }
    }

    /// Octets still expected in the current BDAT chunk, 0 when not in one.
    public var bdatRemaining: Int {
        if case .bdat(let n) = mode { return n }
        return 0
    }

    /// Nothing has happened in this session yet.
    public var isEmpty: Bool {
        session.exchanges.isEmpty && !session.connectAttempted && session.notes.isEmpty && partial == nil
    }

    /// Commands sent and still waiting for a reply.
    public var awaitingReplies: Int { pending.count - pendingHead }

    // MARK: - Tool and connection events

    public mutating func connecting(host: String?, address: String?, port: Int?, at position: SourcePosition) {
        session.connectAttempted = true
        if let host, session.server.host == nil { session.server.host = host }
        if let address { session.server.address = address }
        if let port { session.server.port = port }
        mark(position)
    }

    public mutating func connected(address: String?, port: Int?, at position: SourcePosition) {
        session.connectAttempted = true
        session.connected = true
        if let address { session.server.address = address }
        if let port { session.server.port = port }
        mark(position)
    }

    public mutating func connectFailed(_ failure: ConnectFailure, detail: String, at position: SourcePosition,
                                       unexplained: Bool = false) {
        session.connectAttempted = true
        session.connected = false
        session.connectFailure = failure
        session.connectFailurePosition = position
        session.connectFailureUnexplained = unexplained
        note(detail, kind: .error, at: position)
    }

    /// A non-dialogue line worth keeping as evidence.
    public mutating func note(_ text: String, kind: Note.Kind, at position: SourcePosition) {
        mark(position)
        if session.notes.count < limits.notes {
            session.notes.append(Note(kind: kind, text: text, position: position))
        }
        appendLine(role(for: kind), text, position)
    }

    public mutating func tlsEstablished(_ facts: TLSFacts, at position: SourcePosition) {
        var facts = facts
        facts.position = facts.position ?? position
        if let old = session.tls {
            facts.version = facts.version ?? old.version
            facts.cipher = facts.cipher ?? old.cipher
            facts.serverName = facts.serverName ?? old.serverName
            facts.subject = facts.subject ?? old.subject
            facts.issuer = facts.issuer ?? old.issuer
            facts.verify = facts.verify ?? old.verify
            facts.implicit = facts.implicit || old.implicit
        }
        session.tls = facts
        if facts.implicit {
            tlsActive = true
            session.tlsStarted = true
        }
        mark(position)
    }

    /// The TLS handshake after `220` to STARTTLS failed (a client's own error line): what the client sends
    /// next goes in clear text again, and the session has no TLS facts to show.
    public mutating func tlsFailed(at position: SourcePosition) {
        guard tlsActive, session.tls?.version == nil,
              let i = session.exchanges.lastIndex(where: { $0.command?.verb == "STARTTLS" && $0.reply?.code == 220 })
        else { return }
        tlsActive = false
        session.tlsFailedExchange = i
        mark(position)
    }

    /// Byte-exact readers (captures) report a content line that ended in a bare LF; `dotLine` when that
    /// line was a lone `.` (a smuggling-style end of data).
    public mutating func bareLineFeed(dotLine: Bool, at position: SourcePosition) {
        guard isInData || dotLine else { return }
        if message == nil { beginMessage(at: position, chunked: false) }
        message!.bareLFLines += 1
        if dotLine, message!.smugglingPattern == nil { message!.smugglingPattern = position }
    }

    /// Bytes were lost (capture gap): drop partial state and resynchronise on the next line.
    public mutating func gap(at position: SourcePosition) {
        resolveHeld()
        flushPartial(truncated: true)
        appendLine(.gap, "[bytes missing from the capture]", position)
        if case .bdat = mode { mode = .commands }
    }

    public mutating func closed(by closer: Closer, reset: Bool = false, at position: SourcePosition) {
        resolveHeld(endOfDialogue: true)
        flushPartial(truncated: true)
        if session.closedBy == nil {
            session.closedBy = closer
            session.closePosition = position
            session.closedByReset = reset
        }
        mark(position)
    }

    // MARK: - Dialogue

    /// A line the client sent (direction known from the input's markers).
    public mutating func client(_ line: ArraySlice<UInt8>, at position: SourcePosition, inferred: Bool = false) {
        resolveHeld()
        mark(position)
        switch mode {
        case .data:
            let t = Bytes.trimmedTrailing(line)
            if t.count == 1, t.first == 0x2E {
                endOfData(at: position, inferred: inferred)
            } else {
                content(line, at: position)
            }
        case .bdat(let remaining):
            content(line, at: position)
            let left = remaining - line.count - 2
            if left > 0 { mode = .bdat(remaining: left) } else { mode = .commands }
        case .authChallenge:
            authResponse(line, at: position, inferred: inferred)
        case .commands:
            if Bytes.trimmed(line).isEmpty {
                appendLine(.client, "", position)
                return
            }
            // A DATA whose 354 the paste lost, followed by what is obviously message content.
            if lastPendingVerb == "DATA", !looksLikeCommand(line) {
                let ex = deliver(Reply(code: 354, enhanced: nil, lines: [""], position: position, inferred: true))
                appendLine(.server, "354", position, inferred: true, exchange: ex)
                content(line, at: position)
                return
            }
            command(line, at: position, inferred: inferred)
        }
    }

    /// A line the server sent (direction known from the input's markers).
    public mutating func server(_ line: ArraySlice<UInt8>, at position: SourcePosition, inferred: Bool = false) {
        resolveHeld()
        mark(position)
        if isInData {
            if ReplyLine.parse(line)?.code == 421 {
                // A timeout or shutdown while content was still expected: the message never ended.
                mode = .commands
                interruptedData = true
            } else {
                // The server spoke while we thought content was flowing: the end of data was not in the input.
                endOfData(at: position, inferred: true)
            }
        }
        guard let parsed = ReplyLine.parse(line) else {
            // Text from the server without reply syntax: glue to a reply being assembled, else keep it visible.
            let text = Bytes.string(Bytes.trimmed(line))
            if partial != nil {
                appendReplyText(text, at: position)
                appendLine(.server, text, position, inferred: inferred)
            } else {
                note(text, kind: .unparsed, at: position)
            }
            return
        }
        replyLine(parsed, at: position, inferred: inferred)
    }

    /// A line whose direction the input does not mark (a telnet paste): decided by reply syntax and the
    /// state machine. Message content is everything between 354 and the lone `.`.
    public mutating func unmarked(_ line: ArraySlice<UInt8>, at position: SourcePosition) {
        if heldLine != nil {
            // The held line ended the message if a command (or a 221 farewell) follows; another
            // reply-looking line means both were content.
            let heldWasReply = looksLikeCommand(line) || ReplyLine.parse(line)?.code == 221
            resolveHeld(asReply: heldWasReply)
        }
        switch mode {
        case .data:
            let t = Bytes.trimmed(line)
            if t.count == 1, t.first == 0x2E {
                client(line, at: position)
            } else if let r = ReplyLine.parse(line), !r.continues, r.code == 250 || r.code >= 400 {
                heldLine = (Array(line), position)
                mark(position)
            } else {
                client(line, at: position)
            }
        case .bdat:
            client(line, at: position)
        case .authChallenge, .commands:
            if ReplyLine.matches(line) {
                server(line, at: position)
            } else if partial != nil, let f = line.first, Bytes.isBlank(f), !looksLikeCommand(line) {
                // Indented continuation of a reply wrapped by the terminal.
                server(line, at: position)
            } else {
                client(line, at: position)
            }
        }
    }

    /// Finish the session and decide its verdict.
    public mutating func finish() -> Session {
        resolveHeld(endOfDialogue: true)
        flushPartial(truncated: true)
        if let t = transaction, let m = message {
            session.transactions[t].message = m
        }
        Verdict.decide(&session)
        return session
    }

    // MARK: - Internals

    private var lastPendingVerb: String? {
        guard pendingHead < pending.count, let i = pending.last else { return nil }
        return session.exchanges[i].command?.verb
    }

    private func looksLikeCommand(_ line: ArraySlice<UInt8>) -> Bool {
        let t = Bytes.trimmed(line)
        var end = t.startIndex
        while end < t.endIndex, !Bytes.isBlank(t[end]), t[end] != 0x3A { end += 1 }
        guard end > t.startIndex, end - t.startIndex <= 8 else { return false }
        let verb = Bytes.string(t[t.startIndex..<end]).uppercased()
        return CommandParser.knownVerbs.contains(verb)
    }

    private mutating func mark(_ position: SourcePosition) {
        if session.start == nil { session.start = position }
        session.end = position
    }

    private func role(for kind: Note.Kind) -> TranscriptLine.Role {
        switch kind {
        case .tool: return .tool
        case .error: return .error
        case .log: return .log
        case .tcp: return .tcp
        case .tls: return .tls
        case .dns: return .dns
        case .shell: return .shell
        case .unparsed: return .unparsed
        }
    }

    private mutating func appendLine(_ role: TranscriptLine.Role, _ text: String, _ position: SourcePosition,
                                     inferred: Bool = false, exchange: Int? = nil) {
        guard limits.transcript else { return }
        guard session.lines.count < limits.displayLines else {
            session.elidedLines += 1
            return
        }
        var text = text
        if text.utf8.count > limits.lineBytes {
            text = String(decoding: text.utf8.prefix(limits.lineBytes), as: UTF8.self) + " [… line cut]"
        }
        session.lines.append(TranscriptLine(role: role, text: text, position: position, inferred: inferred,
                                            exchange: exchange))
    }

    private mutating func addExchange(_ exchange: Exchange) -> Int? {
        guard session.exchanges.count < limits.exchanges else { return nil }
        session.exchanges.append(exchange)
        return session.exchanges.count - 1
    }

    private mutating func command(_ line: ArraySlice<UInt8>, at position: SourcePosition, inferred: Bool) {
        var cmd = CommandParser.parse(line, at: position, inferred: inferred, redact: redactCredentials)
        if !sawGreeting && session.exchanges.isEmpty { /* pregreet or lost banner: keep going */ }
        // A lone "." outside DATA ends no message (the DATA was refused, or there was none): a stray line.
        cmd.stage = cmd.verb == "." ? .other : CommandParser.stage(ofVerb: cmd.verb)
        sent(cmd)
    }

    /// A command was sent: open its exchange and apply what sending it means.
    private mutating func sent(_ cmd: Command) {
        var cmd = cmd
        switch cmd.verb {
        case "MAIL":
            closeTransactionMessage()
            transactionBeforeMail = transaction
            session.transactions.append(Transaction(sender: cmd.address))
            transaction = session.transactions.count - 1
        case "RCPT":
            if transaction == nil {
                session.transactions.append(Transaction(sender: nil))
                transaction = session.transactions.count - 1
            }
            if let t = transaction, let a = cmd.address, session.transactions[t].recipients.count < 10_000 {
                session.transactions[t].recipients.append(.init(address: a, accepted: nil, reply: nil))
            }
        case "QUIT":
            session.quitSent = true
        case "RSET":
            // Applied when sent, not when answered: a pipelined MAIL after it belongs to a new transaction.
            closeTransactionMessage()
            transaction = nil
        case "HELO", "EHLO", "LHLO":
            if !cmd.argument.isEmpty { session.client.heloName = cmd.argument }
        case "BDAT":
            let parts = cmd.argument.split(separator: " ")
            // Only strict `BDAT n [LAST]` carries a chunk; anything else is a plain (refused) command.
            let wellFormed = parts.count == 1 || (parts.count == 2 && parts[1].uppercased() == "LAST")
            if wellFormed, let n = parts.first.flatMap({ Int($0) }), n >= 0 {
                beginMessage(at: cmd.position, chunked: true)
                if n > 0 { mode = .bdat(remaining: n) }
                if parts.count > 1, parts[1].uppercased() == "LAST" { cmd.stage = .message }
            }
        default:
            break
        }
        cmd.pipelined = awaitingReplies > 0
        cmd.beforeGreeting = !cmd.inferred && !sawGreeting && session.exchanges.allSatisfy { $0.reply == nil }
            && session.connected == true
        let idx = addExchange(Exchange(command: cmd, reply: nil, stage: cmd.stage, tls: tlsActive,
                                       transaction: transactionFor(cmd.verb)))
        appendLine(.client, cmd.raw, cmd.position, inferred: cmd.inferred, exchange: idx)
        if let idx { pending.append(idx) }
    }

    private func transactionFor(_ verb: String) -> Int? {
        switch verb {
        case "MAIL", "RCPT", "DATA", "BDAT", ".": return transaction
        default: return nil
        }
    }

    private mutating func authResponse(_ line: ArraySlice<UInt8>, at position: SourcePosition, inferred: Bool) {
        mode = .commands
        let t = Bytes.trimmed(line)
        let cancelled = t.count == 1 && t.first == 0x2A
        let shown = cancelled ? "*" : (redactCredentials ? Redaction.placeholder : Bytes.string(t))
        let cmd = Command(verb: "AUTH-RESPONSE", argument: shown, raw: shown, stage: .auth, inferred: inferred,
                          redacted: !cancelled && redactCredentials, position: position)
        let idx = addExchange(Exchange(command: cmd, reply: nil, stage: .auth, tls: tlsActive))
        appendLine(.client, shown, position, inferred: inferred, exchange: idx)
        if let idx { pending.append(idx) }
    }

    private mutating func beginMessage(at position: SourcePosition, chunked: Bool) {
        if message == nil {
            var m = MessageSummary()
            m.start = position
            m.chunked = chunked
            message = m
            inHeaders = true
            shownContentLines = 0
        }
    }

    private mutating func content(_ line: ArraySlice<UInt8>, at position: SourcePosition) {
        if message == nil { beginMessage(at: position, chunked: false) }
        message!.lineCount += 1
        message!.byteCount += line.count + 2
        message!.end = position
        if line.count > 998 { message!.longLines += 1 }
        if line.contains(where: { $0 >= 0x80 }) { message!.eightBitLines += 1 }
        if inHeaders {
            if Bytes.trimmed(line).isEmpty {
                inHeaders = false
            } else if let colon = line.firstIndex(of: 0x3A), colon > line.startIndex,
                      !Bytes.isBlank(line[line.startIndex]) {
                let name = Bytes.string(line[line.startIndex..<colon])
                if Self.summaryHeaders.contains(name.lowercased()), message!.header(name) == nil {
                    let value = Bytes.string(Bytes.trimmed(line[(colon + 1)...]).prefix(500))
                    message!.headers.append(.init(name: name, value: value))
                }
            }
        }
        if shownContentLines < limits.contentLinesShown {
            shownContentLines += 1
            // The line's text is made only for a report that prints it.
            if limits.transcript { appendLine(.content, Bytes.string(Bytes.trimmedTrailing(line)), position) }
        } else {
            session.elidedLines += 1
        }
    }

    /// Headers kept in the message summary.
    static let summaryHeaders: Set<String> = ["from", "to", "cc", "subject", "message-id", "date", "reply-to"]

    private mutating func endOfData(at position: SourcePosition, inferred: Bool) {
        mode = .commands
        if message == nil { beginMessage(at: position, chunked: false) }
        message!.terminated = !inferred
        message!.terminationInferred = inferred
        message!.end = position
        let cmd = Command(verb: ".", argument: "", raw: ".", stage: .message, inferred: inferred, position: position)
        let idx = addExchange(Exchange(command: cmd, reply: nil, stage: .message, tls: tlsActive,
                                       transaction: transaction))
        appendLine(.client, ".", position, inferred: inferred, exchange: idx)
        if let idx { pending.append(idx) }
    }

    private mutating func closeTransactionMessage() {
        if let t = transaction, let m = message {
            session.transactions[t].message = m
        }
        message = nil
    }

    /// Resolve a held DATA-mode line: by default it was content; `asReply` or the end of the dialogue makes it
    /// the end-of-data reply of a paste that lost the `.` line.
    private mutating func resolveHeld(asReply: Bool = false, endOfDialogue: Bool = false) {
        guard let held = heldLine else { return }
        heldLine = nil
        if asReply || endOfDialogue {
            server(held.bytes[...], at: held.position)
        } else {
            client(held.bytes[...], at: held.position)
        }
    }

    private mutating func replyLine(_ line: ReplyLine, at position: SourcePosition, inferred: Bool) {
        if var p = partial, p.code != line.code {
            // A new code before the old reply ended: the old one lost its last line.
            p.truncated = true
            partial = p
            flushPartial(truncated: true)
        }
        if partial == nil {
            let (enhanced, rest) = ReplyLine.splitEnhanced(line.text, code: line.code)
            partial = Reply(code: line.code, enhanced: enhanced, lines: [rest], position: position, inferred: inferred)
            partialLineCount = 1
        } else {
            let (enhanced, rest) = ReplyLine.splitEnhanced(line.text, code: line.code)
            let kept = (enhanced != nil && enhanced == partial!.enhanced) ? rest : line.text
            appendReplyText(kept, at: position)
        }
        let idxForLine: Int? = line.continues ? nil : -1
        if limits.transcript {
            appendLine(.server, "\(line.code)\(line.continues ? "-" : " ")\(line.text)", position, inferred: inferred,
                       exchange: idxForLine)
        }
        if !line.continues {
            let lineIndex = session.lines.count - 1
            let reply = partial!
            partial = nil
            let ex = deliver(reply)
            // A command the input lost is shown just before this line, which then moved down by one.
            for k in lineIndex...(lineIndex + 1) where k >= 0 && k < session.lines.count && session.lines[k].exchange == -1 {
                session.lines[k].exchange = ex
                break
            }
        }
    }

    private mutating func appendReplyText(_ text: String, at position: SourcePosition) {
        guard partial != nil else { return }
        partialLineCount += 1
        if partial!.lines.count < limits.replyLines { partial!.lines.append(text) }
        partial!.endPosition = position
    }

    private mutating func flushPartial(truncated: Bool) {
        guard var p = partial else { return }
        partial = nil
        p.truncated = truncated
        deliver(p)
    }

    /// A complete reply: pair it with the oldest command awaiting one and apply its meaning.
    @discardableResult
    private mutating func deliver(_ reply: Reply) -> Int? {
        var reply = reply
        reply.endPosition = max(reply.endPosition, reply.position)

        var target: Int?
        // A banner that arrives after the client already spoke (pregreet) is still the greeting.
        if !sawGreeting, session.exchanges.allSatisfy({ $0.reply == nil }), [220, 421, 554].contains(reply.code),
           pendingHead < pending.count, session.exchanges[pending[pendingHead]].command?.beforeGreeting == true {
            sawGreeting = true
            let idx = addExchange(Exchange(command: nil, reply: reply, stage: .greeting, tls: tlsActive))
            applyGreeting(reply)
            return idx
        }
        if pendingHead < pending.count {
            if reply.code == 354 || reply.code == 221 {
                // Replies lost from the paste: skip to the command this reply can only belong to.
                let wanted = reply.code == 354 ? ["DATA"] : ["QUIT"]
                if let k = pending[pendingHead...].firstIndex(where: { wanted.contains(session.exchanges[$0].command?.verb ?? "") }) {
                    pendingHead = k
                } else if reply.code == 354 {
                    pendingHead = pending.count
                }
            }
            if pendingHead < pending.count {
                target = pending[pendingHead]
                pendingHead += 1
                if pendingHead == pending.count { pending.removeAll(keepingCapacity: true); pendingHead = 0 }
            }
        }

        if target == nil {
            // Replies that only ever answer a command (AUTH, DATA, QUIT) are not a greeting, even first.
            if !sawGreeting && session.exchanges.isEmpty && ![221, 235, 334, 354, 534, 535, 538].contains(reply.code) {
                sawGreeting = true
                let idx = addExchange(Exchange(command: nil, reply: reply, stage: .greeting, tls: tlsActive))
                applyGreeting(reply)
                return idx
            }
            if let verb = inferredVerb(for: reply) {
                let pos = reply.position
                var cmd = CommandParser.parse(Array(verb.utf8)[...], at: pos, inferred: true)
                cmd.raw = verb
                // What the client answered is not in the input (it would be a secret anyway).
                if verb == "AUTH-RESPONSE" { cmd.raw = "(the client's answer)"; cmd.argument = "" }
                sentInferred(cmd, before: reply)
                return deliver(reply)
            }
            // Unsolicited (421 on timeout or shutdown) or its command was lost.
            let stage = interruptedData ? .message : (session.exchanges.last?.stage ?? .greeting)
            let idx = addExchange(Exchange(command: nil, reply: reply, stage: reply.code == 421 ? stage : .other,
                                           tls: tlsActive))
            return idx
        }

        let idx = target!
        session.exchanges[idx].reply = reply
        apply(reply, to: idx)
        return idx
    }

    /// Send a command the input lost, and show it just before the reply that implies it.
    private mutating func sentInferred(_ cmd: Command, before reply: Reply) {
        let before = session.lines.count
        sent(cmd)
        guard session.lines.count == before + 1 else { return }
        var at = before
        var found = false
        while at > 0, session.lines[at - 1].role == .server, before - at < limits.replyLines {
            at -= 1
            if session.lines[at].position == reply.position { found = true; break }
        }
        if !found { return }
        if at < before {
            let line = session.lines.removeLast()
            session.lines.insert(line, at: at)
        }
    }

    /// For a reply that arrived with no command waiting, the command a lossy paste must have dropped.
    private func inferredVerb(for reply: Reply) -> String? {
        // AUTH typed where the terminal does not echo: after a challenge, the reply answers the client's unseen
        // response; a first challenge answers AUTH.
        if [235, 334, 534, 535, 538].contains(reply.code), let last = session.exchanges.last,
           let v = last.command?.verb, v == "AUTH" || v == "AUTH-RESPONSE", last.reply?.code == 334 {
            return "AUTH-RESPONSE"
        }
        switch reply.code {
        case 354: return "DATA"
        case 221: return "QUIT"
        case 235: return nil
        case 334:
            guard sawGreeting else { return nil }
            return reply.lines.first == "VXNlcm5hbWU6" ? "AUTH LOGIN" : "AUTH"   // base64 "Username:"
        // Only AUTH is answered with these (RFC 4954).
        case 534, 535, 538: return "AUTH"
        default: break
        }
        if reply.code == 250, let e = reply.enhanced {
            // The paths are not in the input: `<>` would say the null sender.
            if e == "2.1.0" { return "MAIL FROM" }
            if e == "2.1.5" { return "RCPT TO" }
        }
        if reply.code == 250, reply.lines.count > 1, session.capabilities == nil, sawGreeting {
            return "EHLO"
        }
        // A refusal whose words name the step (a telnet that does not echo what was typed shows only the
        // server's lines). A 421 is the server closing, not an answer.
        if reply.code >= 400, reply.code != 421, sawGreeting { return Self.refusedCommand(reply) }
        return nil
    }

    /// The sender or recipient command a refusal answers when its words say so, read with the table the
    /// quoted replies of error messages are read with (`EmbeddedReply.likelyVerb`), and the address it names.
    static func refusedCommand(_ reply: Reply) -> String? {
        var lines = reply.lines
        if let e = reply.enhanced, !lines.isEmpty { lines[0] = e + " " + lines[0] }
        let quoted = EmbeddedReply(code: reply.code, lines: lines, address: nil)
        guard let verb = quoted.likelyVerb(code: reply.code), verb == "RCPT TO" || verb == "MAIL FROM" else { return nil }
        return "\(verb):<\(quoted.bracketedAddress ?? "")>"
    }

    private mutating func applyGreeting(_ reply: Reply) {
        session.connected = true
        // A greeting a log reader had to infer says nothing about the server's name or software.
        guard !reply.inferred else { return }
        let banner = ServerIdentity.parseBanner(reply.lines.first ?? "")
        if let host = banner.host { session.attributes["banner-host"] = host }
        if let host = banner.host, !host.isEmpty, !host.allSatisfy({ $0 == "*" }),
           session.server.host == nil || session.server.host == session.server.address
            || session.server.host.map(ServerIdentity.isAddressLiteral) == true {
            session.server.host = host
        }
        session.server.software = banner.software ?? session.server.software
    }

    /// The first space-separated word of a line, nil when it has none (on bytes: this runs for every EHLO).
    static func firstWord(_ line: String) -> String? {
        let u = line.utf8
        guard let start = u.firstIndex(where: { $0 != 0x20 }) else { return nil }
        let end = u[start...].firstIndex(of: 0x20) ?? u.endIndex
        return String(line[start..<end])
    }

    private mutating func apply(_ reply: Reply, to idx: Int) {
        guard let cmd = session.exchanges[idx].command else { return }
        let ok = reply.isPositive
        switch cmd.verb {
        case "EHLO", "HELO", "LHLO":
            if ok {
                if let first = reply.lines.first, let name = Self.firstWord(first) {
                    // A reply a log did not hold ("(reply not logged)") names no host.
                    if !name.hasPrefix("(") { session.server.heloName = name }
                }
                if cmd.verb != "HELO" {
                    session.capabilities = ServerIdentity.parseCapabilities(reply)
                }
            }
        case "STARTTLS":
            if reply.code == 220 {
                tlsActive = true
                session.tlsStarted = true
                session.capabilities = nil   // RFC 3207: forget what was said before TLS
                if session.tls == nil { session.tls = TLSFacts(position: reply.position) }
            }
        case "AUTH", "AUTH-RESPONSE":
            // A challenge waits for the client's answer; any other reply ends the exchange (an inferred
            // answer was never read as a client line, which is what ends the wait otherwise).
            if reply.code == 334 { mode = .authChallenge } else if mode == .authChallenge { mode = .commands }
        case "MAIL":
            if let t = session.exchanges[idx].transaction {
                session.transactions[t].senderAccepted = ok
                session.transactions[t].senderReply = reply
                // A MAIL refused inside an open transaction (503 nested MAIL) leaves that transaction open.
                if !ok, transaction == t, let before = transactionBeforeMail,
                   session.transactions[before].senderAccepted == true, !session.transactions[before].delivered {
                    transaction = before
                }
            }
        case "RCPT":
            if let t = session.exchanges[idx].transaction,
               let r = session.transactions[t].recipients.lastIndex(where: { $0.accepted == nil && $0.address == cmd.address }) {
                session.transactions[t].recipients[r].accepted = ok
                session.transactions[t].recipients[r].reply = reply
            }
        case "DATA":
            if reply.code == 354 {
                mode = .data
                beginMessage(at: reply.position, chunked: false)
            }
        case ".", "BDAT":
            // A stray "." (stage .other) ends no message.
            let last = cmd.stage == .message
            if let t = session.exchanges[idx].transaction ?? transaction, last {
                session.transactions[t].finalReply = reply
                session.transactions[t].delivered = ok
                if ok { session.transactions[t].queueID = ServerIdentity.queueID(in: reply) }
                if let m = message { session.transactions[t].message = m; message = nil }
                // The transaction is over either way; a later RCPT needs a new MAIL.
                if transaction == t { transaction = nil }
            }
            if !ok, case .bdat = mode { mode = .commands }
        default:
            break
        }
        if reply.code == 421 || reply.code == 221 { /* the server will close next */ }
    }
}

private func max(_ a: SourcePosition, _ b: SourcePosition) -> SourcePosition {
    if let la = a.line, let lb = b.line { return la >= lb ? a : b }
    if let pa = a.packet, let pb = b.packet { return pa >= pb ? a : b }
    return a
}
