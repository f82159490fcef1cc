/// qmail-smtpd's side of a qmail log: it logs nothing itself, so the sessions come from tcpserver (the
/// connection), rblsmtpd (a blocklisted client answered in qmail-smtpd's place), the chkuser patch (each
/// refused sender or recipient) and spamdyke (a filter in front of qmail-smtpd, common on Plesk). Only a
/// client with a refusal becomes a session.
extension QmailLogReader {
    mutating func tcpserver(_ m: ArraySlice<UInt8>, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        if let r = LogBytes.after(m, "pid ") {
            // `pid 12345 from 192.0.2.1`
            guard let (pid, rest) = Self.number(r), let ip = LogBytes.after(rest, " from ") else { return false }
            let address = Bytes.string(Bytes.trimmed(ip))
            connections[pid] = Connection(address: address, host: nil, note: note)
            pidByAddress[address] = pid
            return true
        }
        if let r = LogBytes.after(m, "ok ") {
            // `ok 12345 mx.example.com:192.0.2.2:25 client.example.net:192.0.2.1::51234`: the client's name.
            guard let (pid, rest) = Self.number(r) else { return false }
            let fields = Bytes.trimmed(rest).split(separator: Bytes.space)
            if fields.count >= 2, let colon = fields[1].firstIndex(of: 0x3A), colon > fields[1].startIndex {
                connections[pid]?.host = Bytes.string(fields[1][fields[1].startIndex..<colon])
            }
            return true
        }
        if let r = LogBytes.after(m, "deny ") {
            // tcprules refused the client: tcpserver closes the connection before any greeting.
            guard let (pid, _) = Self.number(r) else { return false }
            let c = forget(pid)
            let d = draft(key: "pid:\(pid)", client: c?.address, pid: pid, note)
            d.note(note.text, note.pos)
            d.attributes["tcpserver"] = "deny"
            d.steps.append(.closed(.server, note.pos))
            open["pid:\(pid)"] = nil
            emitDraft(d, emit)
            return true
        }
        if let r = LogBytes.after(m, "end ") {
            // `end 12345 status 0`: the connection is over.
            guard let (pid, _) = Self.number(r) else { return false }
            let c = forget(pid)
            for key in ["pid:\(pid)"] + (c.map { ["ip:\($0.address)"] } ?? []) {
                guard let d = open.removeValue(forKey: key) else { continue }
                d.note(note.text, note.pos)
                d.steps.append(.closed(.unknown, note.pos))
                emitDraft(d, emit)
            }
            return true
        }
        return LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "fatal: ")
            || LogBytes.starts(m, "unable to ")
    }

    mutating func forget(_ pid: Int) -> Connection? {
        guard let c = connections.removeValue(forKey: pid) else { return nil }
        if pidByAddress[c.address] == pid { pidByAddress[c.address] = nil }
        return c
    }

    /// The inbound session of a client, opened at its tcpserver line when that was seen.
    mutating func draft(key: String, client address: String?, pid: Int?, _ note: PostfixLogReader.LogNote) -> LogSessionDraft {
        if let d = open[key] { return d }
        let c = (pid ?? address.flatMap { pidByAddress[$0] }).flatMap { connections[$0] }
        let start = c?.note ?? note
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: start.pos, time: start.pos.time ?? now)
        d.client = Peer(host: c?.host, address: address ?? c?.address)
        if let c { d.note(c.note.text, c.note.pos) }
        if let pid { d.attributes["pid"] = String(pid) }
        open[key] = d
        return d
    }

    /// `rblsmtpd: 192.0.2.1 pid 12345: 451 Blocked, see https://...`: rblsmtpd answers the client itself and
    /// refuses its mail; qmail-smtpd never runs. Some builds name the list first (`pid 12345 zen.spamhaus.org:
    /// 451 ...`), old ones logged `rblsmtpd: LIST blocked IP ...`.
    mutating func rblsmtpd(_ m: ArraySlice<UInt8>, _ note: PostfixLogReader.LogNote) -> Bool {
        let parts = m.split(separator: Bytes.space, maxSplits: 3)
        var address: String, pid: Int?, message: String
        if parts.count == 4, LogBytes.equals(parts[1], "pid"), let n = Bytes.integer(parts[2].last == 0x3A ? parts[2].dropLast() : parts[2]) {
            address = Bytes.string(parts[0])
            pid = n
            message = Bytes.string(parts[3])
            if EmbeddedReply.leadingCode(Substring(message)) == nil, let c = message.range(of: ": "),
               EmbeddedReply.leadingCode(message[c.upperBound...]) != nil {
                // The list's name first: keep it with the reply, where the blocklist rules look.
                let list = message[..<c.lowerBound]
                message = String(message[c.upperBound...]) + " (listed in \(list))"
            }
            if EmbeddedReply.leadingCode(Substring(message)) == nil { message = "451 " + message }
        } else if parts.count >= 3, LogBytes.equals(parts[1], "blocked") {
            address = Bytes.string(parts[2])
            message = "451 (reply not logged) listed in \(Bytes.string(parts[0]))"
        } else {
            return false
        }
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address)"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        d.server.host = "rblsmtpd.local"
        d.helo(note.pos)
        // rblsmtpd greets and takes EHLO, then refuses every attempt to send (from MAIL on).
        d.c("MAIL FROM", note.pos)
        d.s(message, note.pos)
        return true
    }

    /// chkuser's verdicts (`brief: extended`) and the reply each stands for. chkuser logs its reason, not the
    /// reply it sent, so the code given is the standard one for that reason and the text says so.
    static let chkuserReplies: [(extended: String, reply: String, atMail: Bool)] = [
        ("not existing recipient", "550 5.1.1", false),
        ("client not allowed to relay", "553 5.7.1", false),
        ("max number of invalid recipients", "550 5.7.1", false),
        ("max number of recipients", "452 4.5.3", false),
        ("max number of allowed invalid rcpt", "550 5.7.1", false),
        ("max number of allowed rcpt", "452 4.5.3", false),
        ("invalid rcpt address format", "553 5.1.3", false),
        ("invalid rcpt MX domain", "550 5.1.2", false),
        ("rcpt mailbox is overquota", "552 5.2.2", false),
        ("session over intrusion threshold", "550 5.7.1", false),
        ("no auth resource available", "451 4.3.0", false),
        ("sender not authenticated", "530 5.7.0", true),
        ("invalid sender address format", "553 5.1.7", true),
        ("invalid sender MX domain", "550 5.1.8", true),
    ]

    /// `CHKUSER rejected rcpt: from <bob@example.net::> remote <mail.example.net:mail.example.net:192.0.2.1>
    /// rcpt <nobody@example.com> : not existing recipient`
    mutating func chkuser(_ m: ArraySlice<UInt8>, pid: Int?, _ note: PostfixLogReader.LogNote) -> Bool {
        guard let r = LogBytes.after(m, "CHKUSER "), let colon = LogBytes.find(r, ": from <") else { return false }
        let brief = Bytes.string(r[r.startIndex..<colon])
        let fields = r[(colon + 2)...]
        let from = Self.bracketed(fields, after: "from ") ?? ""
        let remote = Self.bracketed(fields, after: " remote ") ?? ""
        let rcpt = Self.bracketed(fields, after: " rcpt ") ?? ""
        let extended = LogBytes.find(fields, "> : ").map { Bytes.string(fields[($0 + 4)...]).trimmingCharacters(in: [" "]) } ?? ""
        guard brief.hasPrefix("rejected") || brief == "must auth" || brief == "mbx overquota"
                || brief == "intrusion threshold" || brief == "no auth resource" else {
            // Accepted: part of a session only when that session has a refusal to tell.
            if let d = pid.flatMap({ open["pid:\($0)"] }) { d.note(note.text, note.pos) }
            return brief.hasPrefix("accepted") || brief.hasPrefix("relaying")
        }
        // `sender::identify` → sender; `helo:host:ip` → its parts (the address last, it may hold colons).
        let sender = from.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let rp = remote.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let address = rp.count == 3 && !rp[2].isEmpty ? rp[2] : nil
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address ?? remote)"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        if rp.count >= 2, !rp[1].isEmpty { d.client.host = rp[1] }
        if let h = rp.first, !h.isEmpty { d.client.heloName = h }
        let row = Self.chkuserReplies.first { extended.contains($0.extended) }
        let reply = "\(row?.reply ?? "550 5.7.1") (reply not logged) chkuser: \(extended.isEmpty ? brief : extended)"
        if row?.atMail == true || brief == "rejected sender" {
            d.helo(note.pos)
            d.c("MAIL FROM:<\(sender)>", note.pos); d.s(reply, note.pos)
            d.mailFrom = nil
        } else {
            d.mail(sender, note.pos)
            d.c("RCPT TO:<\(rcpt)>", note.pos); d.s(reply, note.pos)
        }
        return true
    }

    /// `qmail-smtpd: 421 badiprbl: ip 192.0.2.1 rbl: zen.spamhaus.org`: a patched qmail-smtpd's own refusal.
    mutating func smtpdReply(_ m: ArraySlice<UInt8>, pid: Int?, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        let text = Bytes.string(Bytes.trimmed(m))
        guard let quoted = EmbeddedReply.codeFirst(Substring(text)), let code = quoted.code else { return false }
        let address = text.split(separator: " ").map(String.init).first(where: Self.isIPv4)
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address ?? text)"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        switch quoted.likelyVerb(code: code) ?? (code == 421 || code == 554 ? "greeting" : "RCPT") {
        case "greeting":
            // Refused at connection time: nothing follows.
            d.refuseAtGreeting(text, note.pos)
            open[key] = nil
            emitDraft(d, emit)
        case "MAIL":
            d.helo(note.pos); d.c("MAIL FROM", note.pos); d.s(text, note.pos)
        default:
            d.mail(nil, note.pos); d.c("RCPT TO", note.pos); d.s(text, note.pos)
        }
        return true
    }

    /// spamdyke's verdicts: the code and, in our words, what each means. spamdyke logs its verdict, not the
    /// reply (unless a `reason:` quotes it), so the reply is marked as not logged. It refuses at RCPT, so the
    /// log can name the sender and recipient; an early talker is refused at the greeting.
    static let spamdykeVerdicts: [String: (reply: String, words: String)] = [
        "DENIED_RBL_MATCH": ("554 5.7.1", "the client's IP address is listed on a DNS blocklist"),
        "DENIED_RHSBL_MATCH": ("554 5.7.1", "the sender's domain is listed on a domain blocklist (RHSBL)"),
        "DENIED_GRAYLISTED": ("451 4.7.1", "greylisted, try again later"),
        "DENIED_RDNS_MISSING": ("554 5.7.1", "the client's IP address has no reverse DNS name"),
        "DENIED_RDNS_RESOLVE": ("554 5.7.1", "the client's reverse DNS name does not resolve"),
        "DENIED_IP_IN_RDNS": ("554 5.7.1", "the client's reverse DNS name holds its IP address (a dynamic address)"),
        "DENIED_IP_IN_CC_RDNS": ("554 5.7.1", "the client's reverse DNS name holds its IP address and a country code (a dynamic address)"),
        "DENIED_SENDER_NO_MX": ("554 5.1.8", "the sender's domain has no mail server"),
        "DENIED_BLACKLIST_IP": ("554 5.7.1", "the client's IP address is on this server's own blacklist"),
        "DENIED_BLACKLIST_NAME": ("554 5.7.1", "the client's name is on this server's own blacklist"),
        "DENIED_SENDER_BLACKLISTED": ("554 5.7.1", "the sender address is on this server's blacklist"),
        "DENIED_RECIPIENT_BLACKLISTED": ("554 5.7.1", "the recipient address is on this server's blacklist"),
        "DENIED_TOO_MANY_RECIPIENTS": ("452 4.5.3", "too many recipients in one connection"),
        "DENIED_UNQUALIFIED_RECIPIENT": ("553 5.1.3", "the recipient address has no domain"),
        "DENIED_AUTH_REQUIRED": ("530 5.7.0", "authentication required"),
        "DENIED_RELAYING": ("554 5.7.1", "relaying denied: the client may not send to that domain without logging in"),
        "DENIED_INVALID_RECIPIENT": ("550 5.1.1", "the recipient address does not exist"),
        "DENIED_UNAVAILABLE_RECIPIENT": ("450 4.2.1", "the recipient's mailbox is unavailable"),
        "DENIED_ACCESS_DENIED": ("554 5.7.1", "access denied"),
        "DENIED_EARLYTALKER": ("554 5.5.1", "the client talked before the greeting"),
        "DENIED_OTHER": ("554 5.7.1", "refused by the mail server behind spamdyke"),
    ]

    /// `DENIED_RBL_MATCH from: a@example.net to: b@example.com origin_ip: 192.0.2.1 origin_rdns: host auth:
    /// (unknown) encryption: (none) reason: 554_Refused...` (the fields after `origin_rdns:` vary by version).
    mutating func spamdyke(_ m: ArraySlice<UInt8>, pid: Int?, _ note: PostfixLogReader.LogNote) -> Bool {
        let words = m.split(separator: Bytes.space, maxSplits: 1)
        guard let verdict = words.first.map(Bytes.string), verdict.allSatisfy({ $0.isUppercase || $0 == "_" }) else { return false }
        func field(_ key: StaticString) -> String? {
            guard let v = LogBytes.value(m, key) else { return nil }
            let t = Bytes.string(Bytes.trimmed(v))
            return t == "(unknown)" || t == "(none)" ? nil : t
        }
        guard let row = Self.spamdykeVerdicts[verdict] else {
            // ALLOWED, TIMEOUT, ERROR, DEBUG...: a refused client's session notes them.
            if let d = pid.flatMap({ open["pid:\($0)"] }) { d.note(note.text, note.pos) }
            return verdict.hasPrefix("ALLOWED") || verdict.hasPrefix("TIMEOUT") || verdict.hasPrefix("ERROR")
                || verdict.hasPrefix("DEBUG") || verdict.hasPrefix("FILTER_") || verdict.hasPrefix("DENIED_")
        }
        let address = field("origin_ip: ")
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address ?? "")"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        if let rdns = field("origin_rdns: ") { d.client.host = rdns }
        // A quoted reply (`reason: 554_Refused._...`) is spamdyke's own words: used as they are.
        var reply = "\(row.reply) (reply not logged) spamdyke \(verdict): \(row.words)"
        if let k = LogBytes.find(m, " reason: ") {
            let r = QmailReport.decode(Bytes.trimmed(m[(k + 9)...]))
            if EmbeddedReply.leadingCode(Substring(r)) != nil { reply = r }
        }
        if verdict == "DENIED_EARLYTALKER" {
            d.refuseAtGreeting(reply, note.pos)
            return true
        }
        d.mail(field("from: "), note.pos)
        d.c(LogSessionDraft.rcptTo(field("to: ")), note.pos)
        d.s(reply, note.pos)
        return true
    }
}
