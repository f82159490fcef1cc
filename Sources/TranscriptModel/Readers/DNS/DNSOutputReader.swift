import Foundation

/// Pasted `dig`, `nslookup` and `host` output, alone or before (or between) telnet sessions; also the
/// transcripts `smtpexplain probe --save-transcript` writes. DNS lines become notes of kind `.dns` and
/// `DNSFacts` (`dns-*` attributes) on the session that follows them; every other line goes to the telnet
/// reader unchanged, so the SMTP part is read exactly as a plain telnet paste.
struct DNSOutputReader: LineReader {
    static let formatID = "dns"
    static let summary = "dig / nslookup / host output, alone or followed by a telnet session"

    /// Only full tool output counts: `dig +short` lines alone are too plain to claim an input with.
    static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var strong = 0
        var afterServer = false
        // `dig +short TXT` after its command line: a quoted mail-authentication record is as good as a marker.
        var command = false, record = false
        // Every paste is scored against every reader: bytes only, no Foundation string search.
        for line in prefix where line.count < 512 {
            let s = Bytes.string(line)
            if DNSLineParser.strongMarkers.contains(where: { Bytes.contains(s, $0) }) { strong += 1 }
            // Resolve-DnsName's table header.
            if s.split(separator: " ", omittingEmptySubsequences: true).starts(with: ["Name", "Type", "TTL", "Section"]) { strong += 1 }
            // nslookup's opening pair: `Server:` then `Address:`.
            let t = Bytes.trimmed(line)
            if afterServer && t.starts(with: "Address:".utf8) { strong += 1 }
            afterServer = t.starts(with: "Server:".utf8)
            if !command, DNSLineParser.dnsCommand(s) != nil { command = true }
            if !record, Bytes.hasPrefix(t, lowercased: "\"v=") {
                record = ["\"v=spf1", "\"v=dmarc1", "\"v=dkim1", "\"v=stsv1", "\"v=tlsrptv1"].contains { Bytes.hasPrefix(t, lowercased: $0) }
            }
        }
        if command && record { strong += 1 }
        // A lookup command whose answer was empty (`dig +short` prints nothing): above a bare paste, below
        // any dialect with markers of its own (the telnet reader reads the rest of the paste either way).
        return strong > 0 ? 0.95 : command ? 0.6 : 0
    }

    private let input: String
    private var inner: TelnetReader
    private var parser = DNSLineParser()
    private var pending: [(String, SourcePosition, Note.Kind)] = []
    /// The last session from the telnet reader, held back so DNS lines after it (at the end) can join it.
    private var held: Session?
    private var inData = false
    private var lastWasDNS = false
    static let maxPending = 5_000

    init(input: String) {
        self.input = input
        self.inner = TelnetReader(input: input)
    }

    mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmed(line)
        // Message content is never DNS output, whatever it looks like.
        if inData {
            if t.count == 1 && t.first == 0x2E { inData = false }
        } else if t.count >= 3, Bytes.hasPrefix(t, lowercased: "354") {
            inData = true
        } else if t.isEmpty && lastWasDNS {
            // Blank lines inside and after DNS output are part of it, not dialogue.
            return
        } else if Bytes.hasPrefix(t, lowercased: "smtpexplain: ") {
            // The probe's own remarks in a saved transcript: never dialogue.
            let text = Bytes.string(t)
            let kind: Note.Kind = text.hasPrefix("smtpexplain: TLS established: ") ? .tls
                : (text.contains("failed") || text.contains("no reply") || text.contains("error")) ? .error : .tool
            if pending.count < Self.maxPending { pending.append((text, SourcePosition(input: input, line: number), kind)) }
            return
        } else if t.count < 8_192, parser.consume(Bytes.string(t)) {
            if pending.count < Self.maxPending {
                pending.append((Bytes.string(t), SourcePosition(input: input, line: number), .dns))
            }
            lastWasDNS = true
            return
        }
        forward(line, number, emit)
        // The blank line a DNS tool prints after its command line is its output's, not a typed empty line.
        lastWasDNS = t.count < 512 && DNSLineParser.dnsCommand(Bytes.string(t)) != nil
    }

    private mutating func forward(_ line: ArraySlice<UInt8>, _ number: Int, _ emit: (Session) -> Void) {
        var out: [Session] = []
        inner.read(line: line, number: number) { out.append($0) }
        for s in out { take(s, emit) }
    }

    private mutating func take(_ s: Session, _ emit: (Session) -> Void) {
        if let h = held { emit(h) }
        held = merged(s)
    }

    mutating func finish(emit: (Session) -> Void) {
        var out: [Session] = []
        inner.finish { out.append($0) }
        for s in out { take(s, emit) }
        if var h = held {
            if !pending.isEmpty { h = merged(h) }
            emit(h)
            held = nil
        } else if !pending.isEmpty || !parser.facts.isEmpty {
            // DNS output alone: a session with no connection, explained by the DNS rules.
            var b = SessionBuilder(input: input, format: Self.formatID)
            for (text, pos, kind) in pending { b.note(text, kind: kind, at: pos) }
            pending = []
            b.attributes = parser.facts.settled.attributes
            let last = b.session.notes.last?.position ?? SourcePosition(input: input, line: 1)
            let f = parser.facts.settled
            if f.nullMX {
                b.connectFailed(.other, detail: "the domain publishes a null MX (RFC 7505): it accepts no mail", at: last)
            } else if let st = f.status, st != "NOERROR" {
                b.connectFailed(.nameNotResolved, detail: "DNS lookup failed: \(st)", at: last)
            }
            emit(b.finish())
        }
    }

    /// Insert the pending DNS lines into the session in line order and set the facts known so far.
    private mutating func merged(_ session: Session) -> Session {
        var s = session
        s.format = Self.formatID
        for (k, v) in parser.facts.settled.attributes { s.attributes[k] = v }
        guard !pending.isEmpty else { return Self.dnsOnlyVerdict(s, parser.facts.settled) }
        let notes = pending.map { Note(kind: $0.2, text: $0.0, position: $0.1) }
        let lines = pending.map { p -> TranscriptLine in
            let role: TranscriptLine.Role = p.2 == .dns ? .dns : p.2 == .tls ? .tls : p.2 == .error ? .error : .tool
            return TranscriptLine(role: role, text: p.0, position: p.1)
        }
        pending = []
        for n in notes where n.kind == .tls { Self.applyTLS(n, to: &s) }
        s.notes = Self.merge(s.notes, notes) { $0.position.line ?? 0 }
        // Only where transcript lines are built at all (not for JSON or --brief output).
        if SessionBuilder.defaultLimits.transcript { s.lines = Self.merge(s.lines, lines) { $0.position.line ?? 0 } }
        if let first = notes.first?.position, (s.start?.line ?? Int.max) > (first.line ?? 0) { s.start = first }
        if let last = notes.last?.position, (s.end?.line ?? 0) < (last.line ?? 0) { s.end = last }
        return Self.dnsOnlyVerdict(s, parser.facts.settled)
    }

    /// `smtpexplain: TLS established: TLSv1.3, cipher X, subject S, issuer I, expires D, verify V, ...`
    static func applyTLS(_ n: Note, to s: inout Session) {
        var f = s.tls ?? TLSFacts()
        f.position = f.position ?? n.position
        let body = n.text.dropFirst("smtpexplain: TLS established: ".count)
        for (i, part) in body.components(separatedBy: ", ").enumerated() {
            if i == 0 { f.version = part; s.attributes["tls-version"] = part; continue }
            for (prefix, key) in [("cipher ", "tls-cipher"), ("subject ", "tls-subject"), ("issuer ", "tls-issuer"),
                                  ("expires ", "tls-not-after"), ("verify ", "tls-verify")] where part.hasPrefix(prefix) {
                var v = String(part.dropFirst(prefix.count))
                if key == "tls-not-after" {
                    s.attributes["tls-expired"] = v.hasSuffix(" (EXPIRED)") ? "yes" : "no"
                    v = String(v.prefix(10))
                }
                s.attributes[key] = v
                switch key {
                case "tls-cipher": f.cipher = v
                case "tls-subject": f.subject = v
                case "tls-issuer": f.issuer = v
                case "tls-verify": f.verify = v
                default: break
                }
            }
            if part.hasPrefix("certificate names ") { s.attributes["tls-name-match"] = "yes" }
            if part.hasPrefix("certificate does NOT name ") { s.attributes["tls-name-match"] = "no" }
        }
        s.tls = f
        s.attributes["starttls"] = "established"
    }

    /// A session with DNS output but no connection: when the lookup failed (or found a null MX) nothing
    /// could be connected to, so the session is unreachable at the connect step.
    static func dnsOnlyVerdict(_ session: Session, _ f: DNSFacts) -> Session {
        guard !session.connectAttempted, session.exchanges.isEmpty else { return session }
        var s = session
        let failure: ConnectFailure
        if f.nullMX {
            failure = .other
        } else if let st = f.status, st != "NOERROR" {
            failure = .nameNotResolved
        } else {
            return s
        }
        s.connectAttempted = true
        s.connected = false
        s.connectFailure = failure
        s.connectFailurePosition = s.notes.last { $0.kind == .dns }?.position
        Verdict.decide(&s)
        return s
    }

    private static func merge<T>(_ a: [T], _ b: [T], key: (T) -> Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j >= b.count || (i < a.count && key(a[i]) <= key(b[j])) {
                out.append(a[i]); i += 1
            } else {
                out.append(b[j]); j += 1
            }
        }
        return out
    }
}

/// Recognises the lines of dig, nslookup and host output (and `dig +short` output after its command
/// line) and collects what they say.
public struct DNSLineParser: Sendable {
    public private(set) var facts = DNSFacts()
    /// After `dig +short TYPE NAME`: bare answer lines belong to it.
    private var short: (name: String, type: String, answers: Int)?
    /// After nslookup's `Name:` line: the next `Address:` lines are that name's.
    private var nslookupName: String?
    /// After nslookup's `Server:` or host's `Using domain server:`: the next `Address:` is the server's.
    private var expectServerAddress = false
    private var lastQueryType: String?
    /// The status of dig's last `->>HEADER<<-`, until its question line names the lookup.
    private var headerStatus: String?
    /// Whether dig's last `;; flags:` line had `ad` (the answer DNSSEC-validated), until its question line.
    private var headerAD: Bool?
    /// The record a `Resolve-DnsName` `Key : value` block is about (its `Name :` line).
    private var resolveName: String?
    /// After Windows nslookup's `name  text =`: the quoted strings on the next lines are its TXT data.
    private var txtOwner: String?
    /// Inside an MTA-STS policy file (from its `version: STSv1` line on).
    private var inPolicy = false
    /// After `curl https://mta-sts.DOMAIN/.well-known/mta-sts.txt`: the host, until the next command.
    private var stsFetching: String?
    /// Inside the header of the fetch's HTTP answer (`curl -i`), after its status line.
    private var httpHeaders = false
    static let policyKeys: Set<String> = ["version", "mode", "mx", "max_age"]

    public init() {}

    static let strongMarkers = ["; <<>> DiG", ";; ->>HEADER<<-", ";; ANSWER SECTION:", "Non-authoritative answer:",
                                " mail is handled by ", " has address ", " has IPv6 address ", " domain name pointer ",
                                "mail exchanger = ", "** server can't find ", "Using domain server:", ";; SERVER: ",
                                "\tIN\tMX\t", "\tIN\tA\t", "\tIN\tAAAA\t", "\tIN\tCNAME\t", "\tIN\tPTR\t", "Resolve-DnsName : ",
                                "\tIN\tTXT\t", " descriptive text \"", "\ttext = \"", "version: STSv1",
                                "/.well-known/mta-sts.txt", "\tIN\tTLSA\t", " has TLSA record "]

    static let recordTypes: Set<String> = ["A", "AAAA", "MX", "CNAME", "PTR", "NS", "SOA", "TXT", "SRV", "CAA", "DS",
                                           "DNSKEY", "RRSIG", "NSEC", "NSEC3", "SPF", "TLSA", "HINFO", "ANY"]

    /// True when the line is DNS output (or a DNS tool's command line, which is also recorded).
    public mutating func consume(_ line: String) -> Bool {
        let s = line.trimmingCharacters(in: .whitespaces)
        if let cmd = Self.dnsCommand(s) {
            stsFetching = nil
            command(cmd)
            // The command line itself stays with the telnet reader (shell evidence), facts noted.
            return false
        }
        if let host = Self.stsFetchCommand(s) {
            closeShort()
            stsFetching = host
            httpHeaders = false
            // A DNS-side tool's line (also without a prompt, as `records` writes it).
            return true
        }
        if s.isEmpty {
            // The blank line between an HTTP answer's header and its body.
            httpHeaders = false
            return false
        }
        if txtOwner != nil, !s.hasPrefix("\"") { txtOwner = nil }
        if let host = stsFetching, !Self.isShellOrTool(s), fetchLine(s, host: host) { return true }
        // An MTA-STS policy file: `key: value` lines from `version: STSv1` on.
        if let colon = s.firstIndex(of: ":"), case let key = s[..<colon].lowercased(), Self.policyKeys.contains(key),
           inPolicy || (key == "version" && s.lowercased().contains("stsv1")) {
            inPolicy = true
            // A policy printed after the fetch command is a fetch that worked (`curl -s` shows no status).
            if let host = stsFetching, facts.stsFetch == nil { facts.stsFetch = (host, "200") }
            if facts.stsPolicy.count < 64 {
                facts.stsPolicy.append((key, String(s[s.index(after: colon)...].trimmingCharacters(in: .whitespaces).prefix(256))))
            }
            return true
        }
        inPolicy = false
        if Self.isShellOrTool(s) {
            closeShort()
            stsFetching = nil
            return false
        }
        if s.hasPrefix(";") { comment(s); return true }
        let words = s.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)

        if powerShell(s, words) { return true }

        // host(1)
        if let r = s.range(of: " mail is handled by ") {
            let rest = s[r.upperBound...].split(separator: " ")
            if rest.count >= 2, let p = Int(rest[0]) { facts.addMX(p, String(rest[1])) }
            return true
        }
        if let r = s.range(of: " has IPv6 address ") ?? s.range(of: " has address ") {
            facts.addAddress(String(s[..<r.lowerBound]), String(s[r.upperBound...]).trimmingCharacters(in: .whitespaces))
            return true
        }
        if let r = s.range(of: " is an alias for ") {
            facts.addCNAME(String(s[..<r.lowerBound]), String(s[r.upperBound...]))
            return true
        }
        if let r = s.range(of: " domain name pointer ") {
            if let ip = Self.address(fromReverse: String(s[..<r.lowerBound])) { facts.addPTR(ip, String(s[r.upperBound...])) }
            return true
        }
        if let r = s.range(of: " has TLSA record ") {
            facts.addTLSA(String(s[..<r.lowerBound]), s[r.upperBound...].split(separator: " ").map(String.init))
            return true
        }
        if let r = s.range(of: " descriptive text ") {
            facts.addTXT(String(s[..<r.lowerBound]), DNSFacts.txtData(String(s[r.upperBound...])))
            return true
        }
        // nslookup: `shop.example\ttext = "v=spf1 ..."`; Windows puts the strings on the lines after `text =`.
        if let r = s.range(of: "text = ") ?? (s.hasSuffix("text =") ? s.range(of: "text =", options: .backwards) : nil),
           case let owner = s[..<r.lowerBound].trimmingCharacters(in: .whitespaces),
           owner.contains("."), !owner.contains(where: { $0 == " " || $0 == "\t" || $0 == ":" }) {
            let data = s[r.upperBound...].trimmingCharacters(in: .whitespaces)
            if data.isEmpty { txtOwner = owner } else { facts.addTXT(owner, DNSFacts.txtData(data)) }
            return true
        }
        if let owner = txtOwner, s.hasPrefix("\"") {
            facts.addTXT(owner, DNSFacts.txtData(s))
            return true
        }
        if s.hasSuffix(" has no MX record") { facts.noMX = true; return true }
        if s.hasSuffix(" has no TLSA record") {
            facts.addTLSALookup(String(s.dropLast(19)))
            return true
        }
        // The probe's and `records`' own words for an MX host without A/AAAA records.
        if s.hasSuffix(" has no address (A/AAAA) record"), s.split(separator: " ").count == 6 {
            looked(String(s.prefix { $0 != " " }), "NODATA")
            return true
        }
        if s.hasPrefix("Host "), let r = s.range(of: " not found: ") {
            // `Host x not found: 3(NXDOMAIN)`
            let tail = s[r.upperBound...]
            let name = String(s[s.index(s.startIndex, offsetBy: 5)..<r.lowerBound])
            // `Host _25._tcp.mx2.example.com not found`: a TLSA lookup that found none.
            if name.hasPrefix("_"), name.contains("._tcp.") { facts.addTLSALookup(name) }
            if let open = tail.firstIndex(of: "("), let close = tail.firstIndex(of: ")") , open < close {
                looked(name, String(tail[tail.index(after: open)..<close]))
            }
            return true
        }
        if s.hasPrefix("Using domain server:") { expectServerAddress = true; return true }
        if s.hasPrefix("Aliases:") { return true }

        // nslookup
        if s.hasPrefix("Server:") {
            expectServerAddress = true
            return true
        }
        if s == "Non-authoritative answer:" || s.hasPrefix("Authoritative answers can be found from") { return true }
        if s.hasPrefix("Name:") {
            let v = String(s.dropFirst(5)).trimmingCharacters(in: .whitespaces)
            if expectServerAddress {
                if facts.server == nil { facts.server = v }
            } else {
                nslookupName = v
            }
            return true
        }
        if s.hasPrefix("Address:") || s.hasPrefix("Addresses:") {
            let v = String(s.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces)
            if expectServerAddress {
                facts.server = v
                expectServerAddress = false
            } else if let n = nslookupName, !v.isEmpty {
                facts.addAddress(n, v)
            }
            return true
        }
        if let r = s.range(of: "mail exchanger = ") {
            let owner = s[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let rest = s[r.upperBound...].split(separator: " ")
            if rest.count >= 2, let p = Int(rest[0]) { facts.addMX(p, String(rest[1])) }
            if facts.query == nil { facts.query = "\(DNSFacts.canonical(owner)) MX" }
            return true
        }
        if let r = s.range(of: "canonical name = ") {
            facts.addCNAME(s[..<r.lowerBound].trimmingCharacters(in: .whitespaces), String(s[r.upperBound...]))
            return true
        }
        if s.contains(".arpa"), let r = s.range(of: "\tname = ") ?? s.range(of: " name = ") {
            if let ip = Self.address(fromReverse: s[..<r.lowerBound].trimmingCharacters(in: .whitespaces)) {
                facts.addPTR(ip, String(s[r.upperBound...]))
            }
            return true
        }
        if s.hasPrefix("** server can't find ") {
            if let c = s.lastIndex(of: ":") {
                looked(String(s[s.index(s.startIndex, offsetBy: 21)..<c]), s[s.index(after: c)...].trimmingCharacters(in: .whitespaces))
            }
            return true
        }
        if s.hasPrefix("*** Can't find ") || s.hasPrefix("*** ") && s.contains("can't find") {
            if s.hasSuffix("No answer"), lastQueryType == "MX" { facts.noMX = true; setStatus("NOERROR") }
            return true
        }

        // dig answer lines: `name TTL [class] TYPE rdata`
        if words.count >= 4, let ttlIndex = words.indices.dropFirst().first, words[ttlIndex].allSatisfy(\.isNumber) {
            var i = ttlIndex + 1
            if ["IN", "CH", "HS"].contains(words[i].uppercased()) { i += 1 }
            if i < words.count, ["TXT", "SPF"].contains(words[i].uppercased()), let q = s.firstIndex(of: "\"") {
                // The strings as written: splitting on blanks would lose what is inside the quotes.
                facts.addTXT(words[0], DNSFacts.txtData(String(s[q...])))
                return true
            }
            if i < words.count, Self.recordTypes.contains(words[i].uppercased()) {
                record(owner: words[0], type: words[i].uppercased(), data: Array(words[(i + 1)...]))
                return true
            }
        }

        // dig +short output
        if var sh = short {
            // A reply line means the dialogue started: the short answers are over.
            if let w = words.first, w.count >= 3, w.prefix(3).allSatisfy(\.isNumber), w.count == 3 || w.dropFirst(3).first == "-" {
                closeShort()
                return false
            }
            sh.answers += 1
            short = sh
            switch sh.type {
            case "MX":
                if words.count == 2, let p = Int(words[0]) { facts.addMX(p, words[1]); return true }
            case "A", "AAAA":
                if words.count == 1 {
                    if Self.isAddress(words[0]) { facts.addAddress(sh.name, words[0]) } else { facts.addCNAME(sh.name, words[0]) }
                    return true
                }
            case "PTR":
                if words.count == 1, let ip = Self.address(fromReverse: sh.name) ?? (Self.isAddress(sh.name) ? sh.name : nil) {
                    facts.addPTR(ip, words[0])
                    return true
                }
            case "TXT", "SPF":
                if s.hasPrefix("\"") { facts.addTXT(sh.name, DNSFacts.txtData(s)); return true }
            case "TLSA":
                if words.count >= 4, words.prefix(3).allSatisfy({ $0.allSatisfy(\.isNumber) }) { facts.addTLSA(sh.name, words); return true }
            default:
                if words.count <= 3 && sh.answers <= 20 { return true }
            }
            sh.answers -= 1
            short = sh
        }
        return false
    }

    /// A lookup of `name` ended with status `st`. The first question's status is the paste's; a failed lookup of
    /// another name is told apart (an MX host that does not exist is no missing domain).
    private mutating func looked(_ name: String?, _ st: String) {
        let n = name.map { DNSFacts.canonical($0.trimmingCharacters(in: .whitespaces)) }
        // Without a question seen (host output alone), a name the MX answer gave is another lookup.
        if let n, facts.query != nil ? facts.queryName != n : facts.mx.contains(where: { $0.host == n }) {
            facts.addUnresolved(n, st)
        } else {
            setStatus(st)
        }
    }

    private mutating func setStatus(_ st: String) {
        if facts.status == nil || facts.status == "NOERROR" && st != "NOERROR" && facts.mx.isEmpty {
            facts.status = st
        }
    }

    private mutating func comment(_ s: String) {
        if let r = s.range(of: "status: ") {
            // The first answer's status is the paste's; a later one waits for its question line (below).
            let st = String(s[r.upperBound...].prefix { $0 != "," })
            if facts.status == nil { setStatus(st) } else { headerStatus = st }
        } else if s.hasPrefix(";; flags:") {
            // `;; flags: qr rd ra ad; QUERY: 1, ...`: the flags end at the first `;`.
            let flags = s.dropFirst(9).prefix { $0 != ";" }.split(separator: " ")
            headerAD = flags.contains("ad")
        } else if s.hasPrefix(";; SERVER:") {
            let v = s.dropFirst(10).trimmingCharacters(in: .whitespaces)
            facts.server = String(v.prefix { $0 != "(" && $0 != " " })
        } else if s.contains("connection timed out") || s.contains("no servers could be reached") {
            setStatus("timeout")
        } else if s.hasPrefix(";; forward-confirmed: ") {
            if let ip = s.dropFirst(22).split(separator: " ", maxSplits: 1).first { facts.setConfirmed(String(ip), true) }
        } else if s.hasPrefix(";; not forward-confirmed: "), let r = s.range(of: " resolve back to ") {
            facts.setConfirmed(String(s[r.upperBound...]), false)
        } else if !s.hasPrefix(";;"), s.hasPrefix(";"), !s.hasPrefix("; <<>>") {
            // The question section: `;example.com.   IN  MX`
            let w = s.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" })
            if w.count >= 2, let t = w.last, Self.recordTypes.contains(String(t).uppercased()) {
                if facts.query == nil {
                    facts.query = "\(DNSFacts.canonical(String(w[0]))) \(String(t).uppercased())"
                    lastQueryType = String(t).uppercased()
                }
                // dig prints the status in the header, before the question it answers.
                if let st = headerStatus { looked(String(w[0]), st) }
                headerStatus = nil
                if String(t).uppercased() == "TLSA" {
                    facts.addTLSALookup(String(w[0]))
                    if let ad = headerAD { facts.setTLSAValidated(String(w[0]), ad) }
                }
                headerAD = nil
                // Each TXT question, with or without the command line that asked it.
                if String(t).uppercased() == "TXT" { noteTXTLookup(String(w[0])) }
            }
        }
    }

    private mutating func record(owner: String, type: String, data: [String]) {
        switch type {
        case "MX": if data.count >= 2, let p = Int(data[0]) { facts.addMX(p, data[1]) }
        case "A", "AAAA": if let ip = data.first { facts.addAddress(owner, ip) }
        case "CNAME": if let t = data.first { facts.addCNAME(owner, t) }
        case "TLSA": facts.addTLSA(owner, data)
        case "PTR": if let t = data.first, let ip = Self.address(fromReverse: owner) { facts.addPTR(ip, t) }
        case "SOA":
            // An SOA in the authority section of an MX query: the domain exists but has no MX.
            if lastQueryType == "MX", facts.mx.isEmpty { facts.noMX = true }
        default: break
        }
    }

    static let resolveSections: Set<String> = ["Answer", "Additional", "Authority", "Question"]

    /// PowerShell's `Resolve-DnsName`: table rows (`Name Type TTL Section` then the record's data:
    /// `NameExchange Preference` for MX, `IPAddress` for A and AAAA, `NameHost` for CNAME and PTR), the
    /// additional records as `Key : value` blocks, and its error for a name that does not exist.
    private mutating func powerShell(_ s: String, _ words: [String]) -> Bool {
        if words.count >= 5, Self.recordTypes.contains(words[1]), Int(words[2]) != nil, Self.resolveSections.contains(words[3]) {
            switch words[1] {
            case "MX": if words.count >= 6, let p = Int(words[5]) { facts.addMX(p, words[4]) }
            case "A", "AAAA": facts.addAddress(words[0], words[4])
            case "CNAME": facts.addCNAME(words[0], words[4])
            case "PTR": if let ip = Self.address(fromReverse: words[0]) { facts.addPTR(ip, words[4]) }
            default: break
            }
            return true
        }
        if words.starts(with: ["Name", "Type", "TTL", "Section"]) || (words.count >= 4 && words.allSatisfy { $0.allSatisfy { $0 == "-" } }) {
            return true
        }
        if words.count >= 3, words[1] == ":" {
            switch words[0] {
            case "Name": resolveName = words[2]; return true
            case "QueryType", "TTL", "Section", "Type", "DataLength", "CharacterSet": return resolveName != nil
            case "IP4Address", "IP6Address", "IPAddress":
                if let n = resolveName { facts.addAddress(n, words[2]); return true }
            case "NameExchange", "NameHost", "Preference": return resolveName != nil
            default: break
            }
        }
        // `Resolve-DnsName : gone.example : DNS name does not exist`.
        if s.hasPrefix("Resolve-DnsName : "), s.hasSuffix("DNS name does not exist") {
            let parts = s.components(separatedBy: " : ")
            looked(parts.count == 3 ? parts[1] : nil, "NXDOMAIN")
            return true
        }
        return false
    }

    /// A dig/host/nslookup/drill/Resolve-DnsName command line: (tool, arguments).
    static func dnsCommand(_ s: String) -> (String, [String])? {
        // dig's own header (`; <<>> DiG 9.18 <<>> TXT example.com`) repeats the command: not a second one;
        // host's `Host gone.example not found: 3(NXDOMAIN)` is its answer.
        if s.hasPrefix(";") || s.hasPrefix("Host ") && s.contains(" not found: ") { return nil }
        let cmd = ShellPrompt.command(in: s)
        let words = cmd.split(separator: " ").map(String.init)
        // `Resolve-DnsName : name : DNS name does not exist` is its error, not a command.
        guard let tool = words.first?.lowercased(), ["dig", "host", "nslookup", "drill", "kdig", "resolve-dnsname"].contains(tool),
              words.count >= 2, words[1] != ":" else { return nil }
        // `host mx1.example.org [192.0.2.1] MX=10` is a line of `exim -bt`'s answer, not a command.
        if tool == "host", words.contains(where: { $0.hasPrefix("[") || $0.hasPrefix("MX=") }) { return nil }
        return (tool, Array(words.dropFirst()))
    }

    private mutating func command(_ c: (String, [String])) {
        closeShort()
        var type = c.0 == "host" || c.0 == "nslookup" ? "A" : "A"
        var name: String?
        var isShort = false
        var reverse = false
        var args = c.1[...]
        while let a = args.popFirst() {
            let u = a.uppercased()
            if a == "+short" { isShort = true; continue }
            if a == "-x" { reverse = true; continue }
            if a == "-t" || a == "-q" || a.lowercased() == "-type" , let t = args.popFirst() { type = t.uppercased(); continue }
            // Resolve-DnsName's `-Server 1.1.1.1` (before or after the name).
            if a.lowercased() == "-server", let v = args.popFirst() {
                if facts.server == nil { facts.server = v + "#53" }
                continue
            }
            if u.hasPrefix("-TYPE=") || u.hasPrefix("-QUERY=") || u.hasPrefix("-Q=") {
                type = String(u.split(separator: "=").last ?? "A"); continue
            }
            if a.hasPrefix("@") {
                if facts.server == nil { facts.server = String(a.dropFirst()) + "#53" }
                continue
            }
            if a.hasPrefix("+") || a.hasPrefix("-") { continue }
            if Self.recordTypes.contains(u), c.0 != "nslookup" || name != nil { type = u; continue }
            if name == nil { name = a } else if c.0 == "nslookup" || c.0 == "host", facts.server == nil { facts.server = a + "#53" }
        }
        if reverse { type = "PTR" }
        guard let n = name else { return }
        if type == "PTR", let rev = Self.reverse(n), reverse { name = rev }
        lastQueryType = type
        if type == "TXT" { noteTXTLookup(name ?? n) }
        if type == "TLSA" { facts.addTLSALookup(name ?? n) }
        if facts.query == nil { facts.query = "\(DNSFacts.canonical(name ?? n)) \(type)" }
        if isShort { short = (name ?? n, type, 0) }
    }

    /// `curl -si https://mta-sts.shop.example/.well-known/mta-sts.txt` (or wget): the policy host.
    static func stsFetchCommand(_ s: String) -> String? {
        guard s.contains("/.well-known/mta-sts.txt") else { return nil }
        let cmd = ShellPrompt.command(in: s)
        let words = cmd.split(separator: " ")
        guard let tool = words.first, tool == "curl" || tool == "wget",
              let url = words.first(where: { $0.contains("/.well-known/mta-sts.txt") }) else { return nil }
        let afterScheme = url.range(of: "://").map { url[$0.upperBound...] } ?? url
        let host = afterScheme.prefix { $0 != "/" && $0 != ":" }.lowercased()
        return host.hasPrefix("mta-sts.") ? host : nil
    }

    /// A line of the policy fetch's answer: the HTTP status and header (`curl -i`), or curl's and wget's
    /// errors. The policy lines themselves are read as in any paste.
    private mutating func fetchLine(_ s: String, host: String) -> Bool {
        if s.hasPrefix("HTTP/") {
            let w = s.split(separator: " ", maxSplits: 2)
            guard w.count >= 2, w[1].count == 3, w[1].allSatisfy(\.isNumber) else { return false }
            let reason = w.count > 2 ? " " + w[2] : ""
            facts.stsFetch = (host, w[1] == "200" ? "200" : "HTTP \(w[1])\(reason)")
            httpHeaders = true
            return true
        }
        if httpHeaders, let colon = s.firstIndex(of: ":"), colon > s.startIndex, !s[..<colon].contains(" ") {
            // A paste that lost the blank line: the policy starts where its keys do.
            if Self.policyKeys.contains(s[..<colon].lowercased()) {
                httpHeaders = false
                return false
            }
            // Senders do not follow redirects: where it points is part of the fault.
            if s[..<colon].lowercased() == "location", let f = facts.stsFetch, f.outcome.hasPrefix("HTTP 3") {
                facts.stsFetch = (host, f.outcome + " to " + s[s.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            return true
        }
        if s.hasPrefix("curl: (") {
            facts.stsFetch = (host, String(s.prefix(300)))
            return true
        }
        // wget: `ERROR 404: Not Found.`
        if s.hasPrefix("ERROR "), let colon = s.firstIndex(of: ":") {
            let code = s[s.index(s.startIndex, offsetBy: 6)..<colon]
            if code.count == 3, code.allSatisfy(\.isNumber) {
                let reason = s[s.index(after: colon)...].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["."])
                facts.stsFetch = (host, "HTTP \(code) \(reason)")
                return true
            }
        }
        // The body of an error answer (an HTML error page) belongs to the fetch too.
        if let f = facts.stsFetch, f.host == host, f.outcome.hasPrefix("HTTP "),
           !Self.policyKeys.contains(String(s.prefix { $0 != ":" }).lowercased()) { return true }
        return false
    }

    /// A name the paste asked TXT records of (only domain-like names: dig's header is not a question).
    private mutating func noteTXTLookup(_ name: String) {
        let q = DNSFacts.canonical(name)
        guard facts.txtLookups.count < 32, !facts.txtLookups.contains(q), q.contains("."),
              q.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }) else { return }
        facts.txtLookups.append(q)
    }

    private mutating func closeShort() {
        if let sh = short, sh.type == "MX", sh.answers == 0, facts.mx.isEmpty { facts.noMX = true }
        short = nil
        nslookupName = nil
        expectServerAddress = false
    }

    static func isShellOrTool(_ s: String) -> Bool {
        s.hasPrefix("Trying ") || s.hasPrefix("Connected to ") || s.hasPrefix("Escape character")
            || s.hasPrefix("telnet") || s.hasPrefix("nc ") || s.hasPrefix("Connection ")
            || ToolLine.shellLine(Array(s.utf8)[...]) != nil
    }

    static func isAddress(_ s: String) -> Bool {
        let p = s.split(separator: ".", omittingEmptySubsequences: false)
        if p.count == 4, p.allSatisfy({ UInt8($0) != nil }) { return true }
        return s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// `25.2.0.192.in-addr.arpa.` -> `192.0.2.25` (IPv6 nibble names too).
    static func address(fromReverse name: String) -> String? {
        let n = DNSFacts.canonical(name)
        if n.hasSuffix(".in-addr.arpa") {
            let parts = n.dropLast(13).split(separator: ".")
            guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return nil }
            return parts.reversed().joined(separator: ".")
        }
        if n.hasSuffix(".ip6.arpa") {
            let nibbles = n.dropLast(9).split(separator: ".")
            guard nibbles.count == 32, nibbles.allSatisfy({ $0.count == 1 && $0.first!.isHexDigit }) else { return nil }
            let hex = nibbles.reversed().joined()
            var groups: [String] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 4)
                let g = hex[i..<j].drop { $0 == "0" }
                groups.append(g.isEmpty ? "0" : String(g))
                i = j
            }
            return groups.joined(separator: ":")
        }
        return nil
    }

    /// `192.0.2.25` -> `25.2.0.192.in-addr.arpa`.
    static func reverse(_ ip: String) -> String? {
        let p = ip.split(separator: ".")
        guard p.count == 4, p.allSatisfy({ UInt8($0) != nil }) else { return nil }
        return p.reversed().joined(separator: ".") + ".in-addr.arpa"
    }
}
