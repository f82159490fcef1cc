/// A message that reports a failed delivery without showing the dialogue: what an application printed
/// (`ClientErrorMarkers`: a .NET `SmtpException`, a Python traceback, a Nodemailer error object, ...) or the
/// bounce a mailbox received (`BounceMarkers`: Postfix, Exim, Exchange, Gmail, qmail, a DSN). The session is
/// rebuilt from what the message says: the server's reply and the command it answered (from the exception's
/// name, a stack frame, an error field or "in reply to RCPT TO command"), or the fault before any reply (TLS,
/// connecting, missing extensions). Steps the message implies are marked inferred.
///
/// One error is one session. A new one starts at a Python `Traceback` line, at a reply that differs from the
/// one already read, or after a long run of lines with nothing to say.
struct ErrorMessageCore<Kind: ErrorMessageKind>: DialectCore {
    static var formatID: String { Kind.formatID }
    static var summary: String { Kind.summary }
    /// Bounces keep their dates so that a log (every line dated) is told from a bounce (see `scoreLines`).
    static var ownsTimestamps: Bool { Kind.wrapsReplies }

    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double {
        var marks = 0, dialogue = 0, stamped = 0, filled = 0
        var header = LogHeaderParser()
        for l in lines {
            if !Bytes.trimmed(l).isEmpty { filled += 1 }
            // An MTA's log line quotes replies too (`status=bounced (host ... said: 550 ...)`): its reader's.
            let h = header.parse(l)
            if h.pid != nil, !h.program.isEmpty { continue }
            if Stamp.date(l) != nil { stamped += 1 }
            if Kind.identifies(LowerLine(l.prefix(1024))) { marks += 1 } else if looksLikeDialogue(l) { dialogue += 1 }
        }
        guard marks > 0 else { return Kind.readsBareReplies && Self.onlyRefusals(lines) ? 0.5 : 0 }
        // Exim's log lines start with the date and say "SMTP error from remote mail server" as well; a
        // bounce's lines do not start with dates.
        if Kind.wrapsReplies, stamped * 2 >= filled { return 0.3 }
        // Debug output shows the dialogue around the same error: its own reader tells more. A bounce may
        // quote a transcript (Sendmail's `>>>` / `<<<`) and is still a bounce.
        return dialogue >= 2 && !Kind.wrapsReplies ? 0.3 : 0.92
    }

    /// A few lines, all a server's refusal: a reply code 4xx or 5xx (or an enhanced code alone) opens the
    /// first, and every line is a reply line. A telnet paste starts with its greeting (220) or a command.
    static func onlyRefusals(_ lines: [ArraySlice<UInt8>]) -> Bool {
        let filled = lines.map { Bytes.trimmed($0) }.filter { !$0.isEmpty }
        guard let first = filled.first, filled.count <= 20, bareReplyCode(first).map({ $0 >= 400 }) == true else { return false }
        return filled.allSatisfy { bareReplyCode($0) != nil }
    }

    /// The code a line opens with, as a reply line: `550 ...`, `550-...`, or `5.7.8 ...` (the class of an
    /// enhanced code alone, times 100).
    static func bareReplyCode(_ t: ArraySlice<UInt8>) -> Int? {
        let s = Substring(Bytes.string(t.prefix(16)))
        if let (code, _, sep) = EmbeddedReply.leadingCode(s), sep == " " || sep == "-" { return code }
        let parts = s.prefix { $0 != " " }.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let c = parts[0].first, "245".contains(c), parts[0].count == 1,
              parts.dropFirst().allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(\.isNumber) }),
              s.dropFirst(parts.joined(separator: ".").count).first == " " else { return nil }
        return Int(String(c))! * 100
    }

    /// A line of some dialogue (a command, or another tool's direction marker).
    static func looksLikeDialogue(_ l: ArraySlice<UInt8>) -> Bool {
        let t = Scan.dropLeadingBlanks(l)
        for p: StaticString in ["CLIENT -> SERVER", "SERVER -> CLIENT", "send: ", "reply: ", "DEBUG SMTP", "C: ", "S: ",
                                "<- ", "-> ", "<-- ", "--> ", ">>> ", "<<< ", "SMTP>> ", "SMTP<< "] where Scan.hasPrefix(t, p) {
            return true
        }
        if Scan.find(t, "] C: ", limit: 80) != nil || Scan.find(t, "] S: ", limit: 80) != nil { return true }
        return Scan.startsWithVerb(t)
    }

    private struct Record {
        var firstLine: Int
        var lastPrimaryLine: Int
        var library: String?
        var step: ErrorStep?
        /// A `replyFollows` row was read: the reply is on the next lines.
        var awaiting: ErrorStep?
        var awaitingLines = 0
        /// The awaited reply may come without a code.
        var awaitingText = false
        /// The last reply may go on in indented lines (a bounce wraps long replies).
        var wrapping = false
        /// Blanks before the reply's first line: a wrapped line is indented at least as deep (Exim indents
        /// the next recipient's address less than the reply before it).
        var replyIndent = 0
        var hint: String?
        var replies: [EmbeddedReply] = []
        var replyLine = 0
        var replyPhrase: String?
        var failed: (verb: String, code: Int)?
        var problem: ClientProblem?
        var problemLine = 0
        var connect: ConnectFailure?
        var connectDetail = ""
        var connectLine = 0
        var peer = PeerFacts()
        var notes: [(String, Note.Kind, Int)] = []

        var hasReply: Bool { !replies.isEmpty || failed != nil }
        /// Something went wrong that the session will tell.
        var hasOutcome: Bool { hasReply || connect != nil || problem != nil }
    }

    /// Server, port and addresses the message names (a traceback names them before its exception line).
    private struct PeerFacts {
        var host: String?
        var address: String?
        var port: Int?
        var sender: String?
        var recipients: [String] = []
    }

    private let input: String
    private var record: Record?
    /// Command named by frames printed before the exception line (a Python traceback).
    private var pendingHint: String?
    /// A row of the reply table was read: lines that are only a reply are then part of that message.
    private var sawMarker = false
    /// The line a bare reply (the whole input) was last read from.
    private var bareLine = -1
    private var pendingPeer = PeerFacts()
    private var pendingLibrary: String?
    private static var maxNotes: Int { 20 }
    /// Lines without anything to say after which a new error starts a new session.
    private static var gap: Int { 60 }
    /// Recipients whose failure a session told already, with the line it started on: a bounce tells each
    /// one twice (the human part, then the DSN's `Final-Recipient` block), and the second is not a new session.
    private var told: [String: (outcome: String, line: Int)] = [:]
    /// How far apart two tellings of one failure may be to count as the same bounce.
    private static var retellingSpan: Int { 400 }

    init(input: String) { self.input = input }

    /// A bounce line and the indented lines that continue it (Postfix and DSNs wrap at 72 columns:
    /// `...: Connection` / `    refused`), read as one line.
    private var held: (bytes: [UInt8], number: Int)?

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        guard Kind.wrapsReplies else { return process(line, number: number, emit: emit) }
        if var h = held, let f = h.bytes.first, !Bytes.isBlank(f), let g = line.first, Bytes.isBlank(g),
           !Bytes.trimmed(line).isEmpty, h.bytes.count < 8192 {
            h.bytes.append(Bytes.space)
            h.bytes.append(contentsOf: Bytes.trimmed(line).prefix(8192))
            held = h
            return
        }
        if let h = held { process(h.bytes[...], number: h.number, emit: emit) }
        held = (Array(line.prefix(8192)), number)
    }

    private mutating func process(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmed(line)
        guard !t.isEmpty else {
            // A blank line ends a wrapped reply.
            record?.wrapping = false
            return
        }
        let text = Bytes.string(t.prefix(8192))
        let lower = LowerLine(t.prefix(8192))
        if lower.hasPrefix("traceback (most recent call last)") {
            close(emit)
            pendingHint = nil
            pendingPeer = PeerFacts()
            pendingLibrary = nil
            return
        }
        // `535-...` then `535 ...`: the quoted reply goes on.
        if var r = record, let last = r.replies.indices.last, r.replies[last].continues {
            if r.replies[last].takeContinuation(Substring(text)) { record = r; return }
            r.replies[last].continues = false
            record = r
        }
        // A bounce wraps a long reply onto indented lines.
        if var r = record, r.wrapping, let last = r.replies.indices.last {
            if let f = line.first, Bytes.isBlank(f), Self.indent(line) >= r.replyIndent, Self.namedRecipient(lower) == nil,
               r.replies[last].wrap(Substring(text)) {
                if let (m, _) = Kind.first(Kind.commands, in: lower), case .command(let verb) = m.meaning, !verb.isEmpty {
                    r.hint = verb
                }
                record = r
                return
            }
            r.wrapping = false
            record = r
        }
        // The reply a `replyFollows` row announced.
        if var r = record, let step = r.awaiting {
            let found = EmbeddedReply.parse(Substring(text))
            if let first = found.first, first.code != nil || first.enhanced != nil || r.awaitingLines >= 2 || r.awaitingText {
                r.awaiting = nil
                r.replies = found
                r.replyLine = number
                r.replyIndent = Self.indent(line)
                r.step = step
                r.wrapping = true
                r.lastPrimaryLine = number
                if r.notes.count < Self.maxNotes { r.notes.append((text, .error, number)) }
                record = r
                return
            }
            r.awaitingLines += 1
            if r.awaitingLines > 3 { r.awaiting = nil }
            record = r
        }
        if let r = record, number - r.lastPrimaryLine > Self.gap { close(emit) }
        // A bounce for several recipients tells each one's failure in turn: a line naming another recipient
        // ends the session of the one before.
        if Kind.wrapsReplies, let r = record, r.hasOutcome, let named = Self.namedRecipient(lower),
           let current = r.peer.recipients.first, r.peer.recipients.count == 1,
           current.lowercased() != named.lowercased() {
            close(emit)
        }

        var primary = false
        if let (m, at) = Kind.first(Kind.replies, in: lower) {
            primary = true
            sawMarker = true
            takeReply(m, rest: lower.original(from: at), lower: lower, number: number, emit: emit)
            if record?.replyLine == number { record!.replyIndent = Self.indent(line) }
        } else if Kind.readsBareReplies, !sawMarker, let code = Self.bareReplyCode(t) {
            // Gmail's `5.7.8 ...` goes on in lines opening with the same enhanced code.
            if var r = record, bareLine == number - 1, let last = r.replies.indices.last, r.replies[last].code == nil,
               let e = r.replies[last].enhanced, text.hasPrefix(e + " "), r.replies[last].lines.count < EmbeddedReply.maxLines {
                r.replies[last].lines.append(text)
                record = r
                bareLine = number
                return
            }
            if record == nil {
                // The whole input is the refusal: placed at the step its words point to, as a quoted one is.
                primary = true
                takeReply(ErrorMarker("", .reply(.unknown)), rest: lower.original(from: 0), lower: lower, number: number,
                          emit: emit)
                if let verb = record?.replies.first?.likelyVerb(code: code) { record!.step = .command(verb) }
                bareLine = number
            }
        }
        if let (m, _) = Kind.first(Kind.problems, in: lower) {
            primary = true
            open(number, m.library)
            switch m.meaning {
            case .problem(let p):
                if record!.problem.map({ p.rank < $0.rank }) ?? true { record!.problem = p; record!.problemLine = number }
            case .connect(let f):
                takeConnect(SessionSlot.failure(in: t) ?? f, text, number)
            default: break
            }
        } else if let f = SessionSlot.failure(in: t), record != nil || Self.looksLikeError(lower) {
            primary = true
            open(number, nil)
            takeConnect(f, text, number)
        }
        if let (m, _) = Kind.first(Kind.commands, in: lower), case .command(let verb) = m.meaning {
            if record == nil {
                pendingHint = verb.isEmpty ? pendingHint : verb
                pendingLibrary = m.library ?? pendingLibrary
            } else if !verb.isEmpty, record!.hint == nil {
                record!.hint = verb
            }
            if record != nil, record!.library == nil { record!.library = m.library }
        }
        if record != nil { Self.takePeer(lower, into: &record!.peer) } else { Self.takePeer(lower, into: &pendingPeer) }
        guard var r = record, r.notes.count < Self.maxNotes else { return }
        if primary {
            r.lastPrimaryLine = number
            r.notes.append((text, .error, number))
        } else if let f = line.first, !Bytes.isBlank(f), !Self.isFrame(lower) {
            r.notes.append((text, .tool, number))
        }
        record = r
    }

    mutating func finish(emit: (Session) -> Void) {
        if let h = held { process(h.bytes[...], number: h.number, emit: emit) }
        held = nil
        close(emit)
    }

    // MARK: reading

    private static func indent(_ line: ArraySlice<UInt8>) -> Int {
        line.prefix { Bytes.isBlank($0) }.count
    }

    private static func looksLikeError(_ lower: LowerLine) -> Bool {
        ["error", "exception", "failed", "unable", "could not"].contains { lower.contains($0) }
    }

    private static func isFrame(_ lower: LowerLine) -> Bool {
        lower.hasPrefix("at ") || lower.hasPrefix("file \"") || lower.hasPrefix("+ ") || lower.hasPrefix("---")
            || lower.hasPrefix("}") || lower.hasPrefix("...")
    }

    private mutating func open(_ number: Int, _ library: String?) {
        if record == nil {
            record = Record(firstLine: number, lastPrimaryLine: number, library: library ?? pendingLibrary)
            pendingLibrary = nil
            record!.hint = pendingHint
            record!.peer = pendingPeer
            pendingHint = nil
            pendingPeer = PeerFacts()
        } else if record!.library == nil {
            record!.library = library
        }
    }

    private mutating func takeReply(_ m: ErrorMarker, rest: Substring, lower: LowerLine, number: Int,
                                    emit: (Session) -> Void) {
        if case .failed(let verb, let code) = m.meaning {
            open(number, m.library)
            if !record!.hasReply { record!.failed = (verb, code) }
            return
        }
        if case .replyFollows(let step) = m.meaning {
            if record?.hasReply == true { close(emit) }
            open(number, m.library)
            record!.awaiting = step
            record!.awaitingLines = 0
            record!.awaitingText = m.textReply
            // Exim names the address: `after RCPT TO:<sales@example.org>:`.
            let named = EmbeddedReply(code: nil, lines: [String(rest)]).bracketedAddress
            if let named, step == .command("RCPT TO") { record!.peer.recipients = [named] }
            if let named, step == .command("MAIL FROM") { record!.peer.sender = named }
            return
        }
        guard case .reply(let step) = m.meaning else { return }
        let phrase = Kind.statusPhrases.first { lower.contains($0.phrase) }
        var found = EmbeddedReply.parse(Self.unquoted(rest, after: m))
        // .NET with nothing after "The server response was:" still names the status.
        if found.isEmpty, let phrase { found = [EmbeddedReply(code: phrase.code, lines: [""])] }
        guard !found.isEmpty else { open(number, m.library); return }
        if m.needsCode, found[0].code == nil { return }
        if let r = record, !r.replies.isEmpty {
            // The same reply again (a wrapper exception, an error field repeating the message).
            if r.replies.contains(where: { $0.lines.first == found[0].lines.first }) { return }
            // A bounce's DSN part quotes the reply of the same recipient again, worded a little apart.
            if Kind.wrapsReplies, r.peer.recipients.count == 1, found[0].code != nil,
               r.replies.contains(where: { $0.code == found[0].code && $0.enhanced == found[0].enhanced }) { return }
            close(emit)
        }
        open(number, m.library)
        record!.failed = nil
        record!.awaiting = nil
        record!.replies = found
        record!.replyLine = number
        record!.replyPhrase = phrase?.phrase
        record!.wrapping = Kind.wrapsReplies
        if step != .unknown || record!.step == nil { record!.step = step }
        if record!.library == nil || m.library != nil { record!.library = m.library ?? record!.library }
    }

    /// A reply the needle opened with a quote (`returned '550 ...'`, `with message "550 ..."`) ends at the
    /// closing quote: the first one followed by the end, a blank or punctuation (`doesn't` is not one); one
    /// opened with a parenthesis ends at the last closing one.
    private static func unquoted(_ rest: Substring, after marker: ErrorMarker) -> Substring {
        let needle = marker.needle
        // `(reason: 550 ... User unknown)`: up to the last closing parenthesis.
        if needle.first == 0x28, let close = rest.lastIndex(of: ")") { return rest[..<close] }
        if let t = marker.trailer { return rest.hasSuffix(t) ? rest.dropLast(t.count) : rest }
        guard let q = needle.last, q == 0x27 || q == 0x22 else { return rest }
        let quote = Character(UnicodeScalar(q))
        var i = rest.startIndex
        while let k = rest[i...].firstIndex(of: quote) {
            let next = rest.index(after: k)
            if next == rest.endIndex || [" ", ".", ",", ";", ")", "\t"].contains(rest[next]) { return rest[..<k] }
            i = next
        }
        return rest
    }

    private mutating func takeConnect(_ f: ConnectFailure, _ text: String, _ number: Int) {
        guard record!.connect == nil || record!.connect == .other else { return }
        record!.connect = f
        record!.connectDetail = text
        record!.connectLine = number
    }

    /// Server, port and addresses the message names.
    private static func takePeer(_ lower: LowerLine, into peer: inout PeerFacts) {
        // PowerShell echoes the command line: `+ Send-MailMessage -From 'a' -To 'b' -SmtpServer host -Port 587`.
        if lower.contains("send-mailmessage ") {
            if let v = parameter("-smtpserver", lower) { peer.host = v }
            if let v = parameter("-port", lower), let p = Int(v) { peer.port = p }
            if let v = parameter("-from", lower) { peer.sender = v }
            if let v = parameter("-to", lower) {
                peer.recipients = v.split(separator: ",").map { $0.trimmingCharacters(in: [" ", "'", "\""]) }.filter { !$0.isEmpty }
            }
        }
        // Bounces: `host mx.example.org[198.51.100.25] said:` (Postfix), `host mx.example.org [198.51.100.25]`
        // (Exim), `connect to mx.example.org[198.51.100.25]:25: Connection refused`, `Remote-MTA: dns; mx`.
        for needle in ["host ", "connect to "] {
            guard let r = lower.end(of: needle) else { continue }
            // `name[ip]:port` or `name [ip]`, up to the blank or colon after it.
            let tail = lower.raw.dropFirst(r)
            guard let close = tail.firstIndex(of: 0x5D), close - tail.startIndex < 300 else { continue }
            var end = close + 1
            if end < tail.endIndex, tail[end] == 0x3A { end += 1; while end < tail.endIndex, Bytes.isDigit(tail[end]) { end += 1 } }
            let (name, ip, port) = LogBytes.hostAddress(tail[..<end])
            guard let name, name.contains("."), !name.contains(" "), let ip else { continue }
            peer.host = name
            peer.address = ip
            if let port { peer.port = port }
            break
        }
        // Sendmail: `... while talking to mx.example.org.:`.
        if let r = lower.end(of: "while talking to ") {
            let h = lower.original(from: r).prefix { !$0.isWhitespace }.trimmingCharacters(in: [".", ":"])
            if h.contains(".") { peer.host = h }
        }
        if lower.hasPrefix("remote-mta: dns;") {
            let h = lower.original(from: 16).trimmingCharacters(in: .whitespaces)
            if !h.isEmpty { peer.host = h }
        }
        if let a = namedRecipient(lower) { peer.recipients = [a] }
        // Exchange names the remote server (when it refused) before the `#`: `mx.example.org #554 5.7.1 ... ##`.
        // Outlook and Exchange 2003 bracket it: `<mail.example.org #5.1.1 smtp;550 5.1.1 User unknown>`.
        if Kind.wrapsReplies, let hash = LogBytes.find(lower.bytes[...], bytes: Array(" #".utf8)), hash > 0, hash < 255,
           hash + 2 < lower.bytes.count, Bytes.isDigit(lower.bytes[hash + 2]) {
            var host = Bytes.string(lower.raw.prefix(hash))
            if host.hasPrefix("<") { host.removeFirst() }
            if host.contains("."), !host.contains(" "), !host.contains("<"), !host.contains("@") { peer.host = host }
        }
        // `host: smtp.example.com, port: 465` (JavaMail), `refused it 192.0.2.1:25` (.NET),
        // `ECONNREFUSED 192.0.2.1:587` (Node), `dial tcp 192.0.2.1:25:` (Go).
        if let r = lower.end(of: "smtp host: ") {
            let tail = lower.original(from: r)
            let host = tail.prefix { $0 != "," && $0 != " " && $0 != ";" }
            if !host.isEmpty { peer.host = String(host) }
            if let p = lower.end(of: "port: ") {
                let digits = lower.original(from: p).prefix { $0.isNumber }
                if let port = Int(digits) { peer.port = port }
            }
        }
        // Python: `smtplib.SMTP_SSL("mail.example.com", 587, ...)` on a traceback's source line.
        for needle in ["smtp_ssl(", "smtplib.smtp("] {
            guard let r = lower.end(of: needle) else { continue }
            let args = lower.original(from: r).split(separator: ",", maxSplits: 2)
            if let h = args.first?.trimmingCharacters(in: [" ", "'", "\""]), !h.isEmpty, !h.contains("(") { peer.host = h }
            if args.count > 1, let p = Int(args[1].drop { $0 == " " }.prefix { $0.isNumber }) { peer.port = p }
        }
        // PHP's mail(): `Failed to connect to mailserver at "localhost" port 25`; Thunderbird: `connecting to
        // Outgoing server (SMTP) smtp.example.com failed`; msmtp: `cannot connect to smtp.example.com, port 587`.
        for needle in ["mailserver at \"", "outgoing server (smtp) ", "msmtp: cannot connect to ", "ssmtp: cannot open ",
                       "sendmail: cannot open ", "server: '", "the user name or password for \"", "values: server="] {
            guard let r = lower.end(of: needle) else { continue }
            let tail = lower.original(from: r)
            let host = tail.prefix { $0 != "\"" && $0 != " " && $0 != "," && $0 != ":" && $0 != "'" }
            // A host name, not the sentence going on (`Outgoing server (SMTP) error.`).
            guard !host.isEmpty, !(host.hasSuffix(".") && !host.dropLast().contains(".")) else { continue }
            peer.host = String(host)
            let rest = tail.dropFirst(host.count).drop { !$0.isNumber && $0 != "\n" }
            if let p = Int(rest.prefix { $0.isNumber }), p > 0, p < 65536, tail.dropFirst(host.count).prefix(12).contains(where: { $0 == ":" || $0 == "p" }) {
                peer.port = p
            }
        }
        // Outlook: `Server: 'smtp.example.com', Protocol: SMTP, ..., Port: 25,`; git send-email: `VALUES:
        // server=smtp.example.com encryption=tls hello=... port=587`.
        for (context, needle) in [("protocol: smtp", "port: "), ("values: server=", " port=")] where lower.contains(context) {
            guard let p = lower.end(of: needle), let port = Int(lower.original(from: p).prefix { $0.isNumber }),
                  port > 0, port < 65536 else { continue }
            peer.port = port
        }
        // Outlook: `The rejected e-mail address was 'bob@example.org'.`
        if let r = lower.end(of: "the rejected e-mail address was '") {
            let a = lower.original(from: r).prefix { $0 != "'" }
            if a.contains("@") { peer.recipients = [String(a)] }
        }
        // msmtp and curl name the refused address: `recipient address bob@example.org not accepted`.
        if let r = lower.end(of: "recipient address ") {
            let a = lower.original(from: r).prefix { !$0.isWhitespace }
            if a.contains("@") { peer.recipients = [String(a)] }
        }
        for needle in ["refused it ", "econnrefused ", "etimedout ", "dial tcp ", "ehostunreach ", "enetunreach "] {
            guard let r = lower.end(of: needle) else { continue }
            let token = lower.original(from: r).prefix { !$0.isWhitespace && $0 != "," && $0 != ";" }
            let (host, port) = Scan.hostPort(String(token))
            guard let port, !host.isEmpty else { continue }
            peer.address = host
            peer.port = port
        }
    }

    /// The recipient a line names: `<j.doe@example.org>: host ...` (a Postfix bounce names it first),
    /// `Final-Recipient: rfc822; j.doe@example.org` (a DSN), or in a bounce the address alone on its line
    /// (Exim, Sendmail, Exchange 2007 and later, Domino).
    private static func namedRecipient(_ lower: LowerLine) -> String? {
        let b = lower.bytes
        if b.first == 0x3C, let close = b.firstIndex(of: 0x3E), close + 1 < b.count, b[close + 1] == 0x3A {
            let a = Bytes.string(lower.raw.dropFirst(1).prefix(close - 1))
            return a.contains("@") ? a : nil
        }
        if lower.hasPrefix("final-recipient: rfc822;") {
            let a = lower.original(from: 24).trimmingCharacters(in: .whitespaces)
            return a.contains("@") ? a : nil
        }
        // Exchange 2003 lists each one with the time: `bob@example.org on 12/7/2026 10:00 AM`.
        if Kind.wrapsReplies, let sp = b.firstIndex(of: Bytes.space), sp < 255, b[sp...].starts(with: Array(" on ".utf8)),
           sp + 4 < b.count, Bytes.isDigit(b[sp + 4]), b[..<sp].contains(0x40), b.first != 0x40 {
            // Outlook quotes it: `'bob@example.org' on ...`.
            let a = Bytes.string(lower.raw.prefix(sp)).trimmingCharacters(in: ["'", "\"", "<", ">"])
            if a.contains("@"), !a.hasPrefix("@") { return a }
        }
        // Gmail's and Outlook's notices name it in a sentence: `Your message wasn't delivered to x@example.com
        // because ...`, `Your message to x@example.com couldn't be delivered.`
        if Kind.wrapsReplies {
            for lead in ["your message wasn't delivered to ", "your message wasn\u{2019}t delivered to ", "your message to "] {
                guard let r = lower.end(of: lead) else { continue }
                let a = lower.original(from: r).prefix { !$0.isWhitespace }.trimmingCharacters(in: ["<", ">", ",", ".", ":"])
                if a.contains("@"), !a.hasPrefix("@"), !a.hasSuffix("@") { return a }
            }
        }
        if Kind.wrapsReplies, !b.contains(Bytes.space), b.contains(0x40), b.count < 255, b.first != 0x40, b.last != 0x40 {
            // Sendmail brackets it: `<nobody@example.org>`.
            let bracketed = b.count > 2 && b.first == 0x3C && b.last == 0x3E
            return Bytes.string(bracketed ? lower.raw.dropFirst().dropLast() : lower.raw)
        }
        return nil
    }

    /// The value after ` -name ` on a PowerShell command line, without quotes; a list stays joined by commas.
    private static func parameter(_ name: String, _ lower: LowerLine) -> String? {
        guard let r = lower.end(of: " \(name) ") else { return nil }
        var v = lower.original(from: r).trimmingLeading()
        if let q = v.first, q == "'" || q == "\"" {
            v = v.dropFirst()
            var out = ""
            // `'a@x','b@x'`: quoted items separated by commas.
            while let end = v.firstIndex(of: q) {
                out += (out.isEmpty ? "" : ",") + v[..<end]
                v = v[v.index(after: end)...]
                guard v.first == ",", let q2 = v.dropFirst().first, q2 == q else { break }
                v = v.dropFirst(2)
            }
            return out.isEmpty ? nil : out
        }
        let token = v.prefix { !$0.isWhitespace }
        return token.isEmpty ? nil : String(token)
    }

    // MARK: building

    private mutating func close(_ emit: (Session) -> Void) {
        guard let r = record else { return }
        record = nil
        if Kind.wrapsReplies, r.peer.recipients.count == 1, let outcome = Self.outcomeKey(r) {
            let key = r.peer.recipients[0].lowercased()
            if let before = told[key], before.outcome == outcome, r.firstLine - before.line < Self.retellingSpan { return }
            if told.count < 10_000 { told[key] = (outcome, r.firstLine) }
        }
        emit(Self.session(from: r, input: input))
    }

    /// What a session tells, to know a bounce's second telling of it: the reply's codes, or the failure.
    private static func outcomeKey(_ r: Record) -> String? {
        if let reply = r.replies.first { return "\(reply.code ?? 0) \(reply.enhanced ?? "")" }
        if let f = r.failed { return "\(f.verb) \(f.code)" }
        if r.connect != nil { return "connect" }
        return r.problem.map(\.rawValue)
    }

    private static func session(from r: Record, input: String) -> Session {
        var b = SessionBuilder(input: input, format: formatID)
        func pos(_ line: Int) -> SourcePosition { SourcePosition(input: input, line: line) }
        let p0 = pos(r.firstLine)
        // The connect failure notes its own line.
        let connectNoted = !r.hasReply && r.problem == nil && r.connect != nil ? r.connectLine : nil
        for (text, kind, line) in r.notes where line != connectNoted { b.note(text, kind: kind, at: pos(line)) }
        if r.peer.host != nil || r.peer.address != nil || r.peer.port != nil {
            b.connecting(host: r.peer.host, address: r.peer.address, port: r.peer.port, at: p0)
        }
        var assumed: [String] = []
        if r.hasReply {
            if r.step != .greeting { b.server(Array("220\(Kind.notShown)".utf8)[...], at: p0, inferred: true) }
            var mailSent = false, rcptSent = false
            func send(_ line: String, _ reply: String? = nil) {
                b.client(Array(line.utf8)[...], at: p0, inferred: true)
                if let reply { b.server(Array(reply.utf8)[...], at: p0, inferred: true) }
            }
            func envelope(upTo verb: String) {
                if !mailSent, verb != "MAIL FROM" {
                    send("MAIL FROM" + (r.peer.sender.map { ":<\($0)>" } ?? ""), "250\(Kind.notShown)")
                    mailSent = true
                }
                if !rcptSent, verb == "DATA" || verb == "." {
                    for rcpt in r.peer.recipients.isEmpty ? [nil] : r.peer.recipients.prefix(100).map(Optional.some) {
                        send("RCPT TO" + (rcpt.map { ":<\($0)>" } ?? ""), "250\(Kind.notShown)")
                    }
                    rcptSent = true
                }
                if verb == "." { send("DATA", "354\(Kind.notShown)") }
            }
            if let failed = r.failed {
                if failed.verb != "AUTH" && failed.verb != "EHLO" { envelope(upTo: failed.verb) }
                send(failed.verb, "\(failed.code)\(Kind.notShown)")
            }
            for quoted in r.replies {
                let reply = quoted.withoutInReplyTo()
                let code = reply.code ?? assumedCode(r, reply)
                if reply.code == nil { assumed.append("\(code)") }
                let verb: String?
                switch r.step {
                case .greeting?: verb = nil
                case .command(let v)?: verb = v
                default: verb = r.hint ?? reply.likelyVerb(code: code)
                }
                if let verb {
                    let base = verb.split(separator: " ").prefix(2).joined(separator: " ").uppercased()
                    if ["MAIL FROM", "RCPT TO", "DATA", "."].contains(base) { envelope(upTo: base) }
                    if base == "MAIL FROM" { mailSent = true }
                    if base == "RCPT TO" { rcptSent = true }
                    let address = reply.address ?? (base == "MAIL FROM" ? r.peer.sender : (base == "RCPT TO" && r.peer.recipients.count == 1 ? r.peer.recipients.first : nil))
                        ?? reply.bracketedAddress
                    let line = (base == "MAIL FROM" || base == "RCPT TO") ? base + (address.map { ":<\($0)>" } ?? "") : verb
                    send(line)
                }
                let rp = pos(r.replyLine)
                for l in reply.wireLines(code: code) { b.server(Array(l.utf8)[...], at: rp) }
            }
        } else if let p = r.problem {
            let pp = pos(r.problemLine)
            switch p {
            case .tlsModeMismatch, .noGreeting, .certificateRejected, .tlsHandshake, .clientTimeout:
                b.connected(address: nil, port: nil, at: pp)
                b.closed(by: .unknown, at: pp)
            case .serverClosed:
                b.connected(address: nil, port: nil, at: pp)
                b.closed(by: .server, at: pp)
            case .starttlsNotOffered, .authNotOffered, .plaintextAuthRefused:
                // The library read the EHLO reply and stopped before the command it needed.
                b.server(Array("220\(Kind.notShown)".utf8)[...], at: pp, inferred: true)
                b.client(Array("EHLO".utf8)[...], at: pp, inferred: true)
                b.server(Array("250\(Kind.notShown)".utf8)[...], at: pp, inferred: true)
                b.closed(by: .client, at: pp)
            case .credentialsMissing, .addressInvalid:
                break
            }
        } else if let f = r.connect {
            // No envelope to carry the address: say whose delivery failed (a bounce lists several). Before the
            // failure's own note, which the finding quotes.
            let named = r.peer.recipients.prefix(5).filter { !r.connectDetail.localizedCaseInsensitiveContains($0) }
            if Kind.wrapsReplies, !named.isEmpty {
                b.note("Recipient: \(named.joined(separator: ", ")) (named by the \(Kind.noun))", kind: .tool, at: pos(r.connectLine))
            }
            b.connectFailed(f, detail: r.connectDetail, at: pos(r.connectLine), unexplained: f == .other)
        }
        if !assumed.isEmpty {
            b.note("The \(Kind.noun) shows the server's text without its reply code; \(assumed.joined(separator: ", ")) is assumed"
                   + (r.replyPhrase.map { " from \"\($0)\"" } ?? " from the status text") + ".", kind: .tool, at: pos(r.replyLine))
        }
        var s = b.finish()
        s.direction = .outbound
        if let lib = r.library { s.attributes["client-library"] = lib }
        if let p = r.problem, !r.hasReply { s.attributes["client-problem"] = p.rawValue }
        return s
    }

    /// The code of a reply quoted without one: .NET's status phrase, else the enhanced code's class and the
    /// command the reply answered.
    private static func assumedCode(_ r: Record, _ reply: EmbeddedReply) -> Int {
        let temporary = reply.enhanced?.hasPrefix("4") == true
        if let phrase = r.replyPhrase, let code = Kind.statusPhrases.first(where: { $0.phrase == phrase })?.code {
            // .NET prints the same phrase for 450 and 550: the enhanced code tells which.
            if temporary, code >= 500 { return code - 100 }
            if reply.enhanced?.hasPrefix("5") == true, code < 500 { return code + 100 }
            return code
        }
        let verb: String
        switch r.step {
        case .command(let v)?: verb = v
        default: verb = r.hint ?? ""
        }
        switch verb.split(separator: " ").first.map(String.init) ?? "" {
        case "AUTH": return temporary ? 454 : 535
        case "DATA", ".": return temporary ? 451 : 554
        case "STARTTLS": return 454
        default: return temporary ? 450 : 550
        }
    }
}

typealias ClientErrorReader = Pasted<ErrorMessageCore<ClientErrorMarkers>>
typealias BounceReader = Pasted<ErrorMessageCore<BounceMarkers>>
