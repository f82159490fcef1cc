/// Kerio Connect's security log (`security.log`): `[17/Jun/2011 17:00:45] ` then one refusal of an SMTP client
/// per line, in Kerio's fixed sentences. Each line is a session of its own, rebuilt up to the refused step;
/// Kerio logs its reason, not the reply, so the reply carries the standard code for that reason and says
/// it was not logged. Lines about other services (web administration, IMAP, POP3) are skipped.
public struct KerioLogReader: LineReader {
    public static let formatID = "kerio-log"
    public static let summary = "Kerio Connect security log ([dd/Mon/yyyy hh:mm:ss] SMTP refusals)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var clock = LogClock()
        var hits = 0, lines = 0
        for line in prefix {
            let t = Bytes.trimmed(line)
            guard let f = t.first, f != 0x23 else { continue }
            lines += 1
            if let (_, m) = stamp(t, clock: &clock), Self.sentences.contains(where: { LogBytes.find(m, bytes: $0.words) != nil }) { hits += 1 }
        }
        guard hits > 0 else { return 0 }
        return min(0.95, 0.6 + 0.35 * Double(hits) / Double(max(lines, 1)))
    }

    /// Where the refusal happened.
    enum Step { case greeting, closedEarly, mail, rcpt, auth }

    /// Kerio's sentences, the step each refuses at, and the reply that stands for it.
    static let sentences: [(words: [UInt8], step: Step, reply: String)] = [
        ("Attempt to deliver to unknown recipient", Step.rcpt, "550 5.1.1 (reply not logged) Kerio: unknown recipient"),
        ("doesn't exist. Attempt from IP address", .rcpt, "550 5.1.1 (reply not logged) Kerio: the user does not exist"),
        ("found in DNS blacklist", .rcpt, "550 5.7.1 (reply not logged) Kerio: client IP address listed in DNS blacklist"),
        ("Relay attempt from IP address", .rcpt, "550 5.7.1 (reply not logged) Kerio: relaying denied"),
        ("client closed connection before SMTP greeting", .closedEarly, ""),
        ("client sent data before SMTP greeting", .greeting, "554 5.5.1 (reply not logged) Kerio: client sent data before the greeting"),
        ("has no reverse DNS entry", .greeting, "554 5.7.1 (reply not logged) Kerio: client has no reverse DNS entry"),
        ("rejected: sender domain does not exist", .mail, "553 5.1.8 (reply not logged) Kerio: sender rejected"),
        ("Message from IP address", .mail, "550 5.7.1 (reply not logged) Kerio: sender rejected"),
        ("Failed SMTP login from", .auth, "535 5.7.8 (reply not logged) Kerio: authentication failed"),
    ].map { (Array($0.0.utf8), $0.1, $0.2) }

    public var input: String
    private var inputNames = InputNameCache()
    var clock = LogClock()
    public private(set) var stats: LogReaderStats

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    /// `[17/Jun/2011 17:00:45] ` → (local time, the rest).
    static func stamp(_ s: ArraySlice<UInt8>, clock: inout LogClock) -> (Double, ArraySlice<UInt8>)? {
        guard s.count > 23, s.first == 0x5B, s[s.startIndex + 21] == 0x5D, s[s.startIndex + 22] == Bytes.space else { return nil }
        let b = s.startIndex
        guard s[b + 3] == 0x2F, s[b + 7] == 0x2F, s[b + 12] == Bytes.space,
              let d = LogClock.two(s, b + 1), let mo = LogClock.month(s[b + 4], s[b + 5], s[b + 6]),
              let y = Bytes.integer(s[(b + 8)..<(b + 12)]), let h = LogClock.two(s, b + 13),
              let mi = LogClock.two(s, b + 16), let sec = LogClock.two(s, b + 19), y > 1969, y < 3000 else { return nil }
        return (clock.local(y, mo, d, h, mi, sec), s[(b + 23)...])
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        let t = Bytes.trimmed(line)
        guard !t.isEmpty, let (time, m) = Self.stamp(t, clock: &clock) else { stats.ignored += 1; return }
        guard let row = Self.sentences.first(where: { LogBytes.find(m, bytes: $0.words) != nil }) else {
            // Web administration, IMAP/POP3 logins, ...: not SMTP.
            stats.ignored += 1
            return
        }
        let pos = SourcePosition(name: inputNames(input), line: number, time: time, sequence: nil)
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: pos, time: time)
        d.note(Bytes.string(line), pos)
        d.client = Peer(address: Self.address(m))
        let (sender, recipient) = Self.envelope(m)
        var reply = row.reply
        // The list's name (the blocklist rules look it up) or Kerio's reason, where the line gives one.
        for key: StaticString in ["found in DNS blacklist ", "rejected: "] {
            guard let k = LogBytes.find(m, key) else { continue }
            let v = m[(k + key.utf8CodeUnitCount)...].prefix { $0 != 0x2C }
            if !v.isEmpty, !reply.hasSuffix(Bytes.string(v)) { reply += ": " + Bytes.string(Bytes.trimmed(v)) }
            break
        }
        switch row.step {
        case .closedEarly:
            d.steps.append(.closed(.client, pos))
        case .greeting:
            d.refuseAtGreeting(reply, pos)
        case .mail:
            d.helo(pos)
            d.c(LogSessionDraft.mailFrom(sender), pos); d.s(reply, pos)
        case .rcpt:
            d.mail(sender, pos)
            d.c(recipient.map { "RCPT TO:<\($0)>" } ?? "RCPT TO", pos); d.s(reply, pos)
        case .auth:
            let mechanism = LogBytes.find(m, "SASL method ").map { Bytes.string(m[($0 + 12)...].prefix { $0 != Bytes.space && $0 != 0x2E }) }
            d.helo(pos)
            d.c("AUTH " + (mechanism.flatMap { $0.isEmpty ? nil : $0 } ?? "LOGIN"), pos); d.s(reply, pos)
        }
        stats.understood += 1
        stats.sessions += 1
        emit(d.finish())
    }

    public mutating func finish(emit: (Session) -> Void) {
        LogStatsRegistry.shared.record(stats)
    }

    /// The client's address: after `IP address `, `from ` or `detected from `.
    static func address(_ m: ArraySlice<UInt8>) -> String? {
        for key: StaticString in ["IP address ", "login from ", "detected from "] {
            guard let k = LogBytes.find(m, key) else { continue }
            let v = m[(k + key.utf8CodeUnitCount)...].prefix { Bytes.isDigit($0) || $0 == 0x2E || $0 == 0x3A || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
            if !v.isEmpty { return Bytes.string(v) }
        }
        return nil
    }

    /// Sender and recipient: `mail from <S> to <R>`, `recipient <R>, from <S>`, `sender <S>`, `User R doesn't`.
    static func envelope(_ m: ArraySlice<UInt8>) -> (String?, String?) {
        func bracket(after key: StaticString) -> String? {
            guard let k = LogBytes.find(m, key) else { return nil }
            let v = m[(k + key.utf8CodeUnitCount)...]
            guard let close = v.firstIndex(of: 0x3E) else { return nil }
            return Bytes.string(v[v.startIndex..<close])
        }
        let sender = bracket(after: "from <") ?? bracket(after: "sender <")
        var recipient = bracket(after: " to <") ?? bracket(after: "recipient <")
        if recipient == nil, let u = LogBytes.find(m, "User "), let e = LogBytes.find(m, " doesn't exist") , u < e {
            recipient = Bytes.string(m[(u + 5)..<e])
        }
        return (sender, recipient)
    }
}
