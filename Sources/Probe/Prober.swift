#if canImport(Glibc)
import Glibc
#endif
import TranscriptModel

/// What to probe and how.
public struct ProbeOptions: Sendable {
    /// `user@domain` (that recipient is tried) or a bare domain (its postmaster is tried).
    public var target: String
    /// Envelope sender; empty for the null sender `<>`.
    public var from: String = ""
    /// `HOST[:PORT]` to connect to instead of the MX hosts.
    public var server: String?
    public var port: UInt16 = 25
    /// EHLO name; nil for this machine's fully qualified name (looked up only when needed).
    public var helo: String?
    public var dnsServer: Endpoint = DNSClient.systemServer()
    /// Seconds for each connect, each reply and each DNS attempt.
    public var timeout: Double = 10
    public var noTLS = false
    public var authUser: String?
    /// The AUTH password (from the environment or a prompt; never a command-line flag).
    public var password: String?
    public var sendTestMessage = false
    /// Where the recipient domain's MTA-STS policy is fetched (443; tests use a loopback port), and
    /// certificates trusted for that fetch besides the system store.
    public var httpsPort: UInt16 = 443
    public var trustFile: String?
    /// Input name the sessions carry (`--save-transcript` file, or `probe`).
    public var inputName = "probe"

    public init(target: String) { self.target = target }

    public var recipient: String {
        target.contains("@") ? target : "postmaster@\(target)"
    }

    public var domain: String {
        let d = target.split(separator: "@", omittingEmptySubsequences: false).last.map(String.init) ?? target
        return DNSFacts.canonical(d)
    }
}

/// The result: one session per connection attempt (in order), the transcript they were recorded as, and a
/// one-line verdict saying which step failed and why.
public struct ProbeResult: Sendable {
    public var sessions: [Session]
    public var transcript: [[UInt8]]
    public var verdict: String
    public var dns: DNSFacts

    /// The transcript as text to save (`--save-transcript`); readable back by `smtpexplain FILE`.
    public var transcriptBytes: [UInt8] {
        var out: [UInt8] = []
        for l in transcript { out += l; out.append(0x0A) }
        return out
    }
}

/// Runs the classic step-by-step check live: MX lookup, addresses and PTRs, connect, banner, EHLO, MAIL
/// FROM, RCPT TO, QUIT (DATA only when asked). Everything is recorded as a telnet-style transcript fed to
/// the same `SessionBuilder` the readers use, so the verdict and findings come from the same engine.
public struct Prober {
    public var options: ProbeOptions
    /// Hosts and addresses tried at most (a hostile DNS answer cannot make us connect forever).
    static let maxHosts = 8
    static let maxAddressesPerHost = 4

    private let heloName: String

    public init(options: ProbeOptions) {
        self.options = options
        self.heloName = options.helo ?? Self.defaultHeloName()
    }

    /// The machine's host name, made fully qualified through the system resolver (/etc/hosts first) when
    /// it has no dot.
    public static func defaultHeloName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, 255) == 0 else { return "localhost" }
        let name = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if name.isEmpty { return "localhost" }
        if name.contains(".") { return name }
        var hints = addrinfo()
        hints.ai_flags = AI_CANONNAME
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &res) == 0, let first = res else { return name }
        defer { freeaddrinfo(first) }
        if let c = first.pointee.ai_canonname {
            let canon = String(cString: c)
            if canon.contains(".") { return canon }
        }
        return name
    }

    struct Host {
        var name: String
        var preference: Int?
        var addresses: [String] = []
        var port: UInt16
        /// Its DANE records (`_25._tcp.NAME` TLSA), held against the certificate after STARTTLS.
        var tlsa: [DNSFacts.TLSARecord] = []
    }

    public func run() -> ProbeResult {
        var rec = Recorder(input: options.inputName)
        var dns = DNSFacts()
        let client = DNSClient(server: options.dnsServer, timeout: min(options.timeout, 5))
        let domain = options.domain
        dns.server = "\(options.dnsServer.address)#\(options.dnsServer.port)"
        dns.query = "\(domain) MX"
        rec.dns(";; SERVER: \(dns.server!)")

        var hosts: [Host] = []
        var dnsFailure: (ConnectFailure, String)?

        // MX lookup, even with --server: the facts say whether the server tried is the domain's MX.
        switch client.query(domain, .mx) {
        case .failure(let e):
            dns.status = (e.isTimeout ? "timeout" : "error")
            rec.dns(";; connection timed out; no servers could be reached".when(e.isTimeout) ?? ";; \(e)")
            dnsFailure = (.nameNotResolved, "MX lookup for \(domain) failed: \(e)")
        case .success(let m):
            dns.status = m.rcodeName
            if m.rcode != 0 {
                rec.dns("Host \(domain) not found: \(m.rcode)(\(m.rcodeName))")
                dnsFailure = (.nameNotResolved, "\(domain): \(m.rcodeName) from the DNS server")
            } else {
                for r in m.answers {
                    if case .cname(let t) = r.data { dns.addCNAME(r.name, t); rec.dns("\(r.name) is an alias for \(t).") }
                }
                var mxs: [(Int, String)] = []
                for r in m.answers {
                    if case .mx(let p, let ex) = r.data { mxs.append((Int(p), ex)) }
                }
                mxs.sort { $0.0 < $1.0 }
                for (p, ex) in mxs {
                    dns.addMX(p, ex)
                    rec.dns("\(domain) mail is handled by \(p) \(ex == "." ? "." : ex + ".")")
                }
                if dns.nullMX {
                    dnsFailure = (.other, "\(domain) publishes a null MX (RFC 7505): it accepts no mail")
                } else if mxs.isEmpty {
                    dns.noMX = true
                    rec.dns("\(domain) has no MX record")
                    if options.server == nil { hosts = [Host(name: domain, preference: nil, port: options.port)] }
                } else if options.server == nil {
                    for (p, ex) in mxs.prefix(Self.maxHosts) where !hosts.contains(where: { $0.name == DNSFacts.canonical(ex) }) {
                        hosts.append(Host(name: DNSFacts.canonical(ex), preference: p, port: options.port))
                    }
                }
            }
        }

        // MTA-STS (RFC 8461): a domain that publishes a policy tells senders to insist on verified TLS to the
        // MX hosts it lists. Looked up and fetched as senders do; the TLS checks below are held to it.
        if dnsFailure == nil, !dns.mx.isEmpty {
            let name = "_mta-sts." + domain
            if case .success(let m) = client.query(name, .txt), m.rcode == 0 {
                for r in m.answers where r.type == .txt {
                    guard case .other(let bytes) = r.data else { continue }
                    let text = RecordCheck.txtStrings(bytes).joined()
                    guard text.lowercased().hasPrefix("v=stsv1") else { continue }
                    dns.addTXT(name, text)
                    rec.dns("\(name) descriptive text \"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"")
                }
            }
            if dns.txt.contains(where: { $0.owner == name }) {
                var fetch = STSPolicyFetch(host: "mta-sts." + domain)
                fetch.port = options.httpsPort
                fetch.timeout = min(options.timeout, 10)
                fetch.trustFile = options.trustFile
                fetch.record(client: client, facts: &dns, rec: &rec)
            }
        }

        if let server = options.server {
            // An explicit server is tried whatever the MX lookup said.
            dnsFailure = nil
            if let (h, p) = Endpoint.splitHostPort(server, defaultPort: options.port) {
                hosts = [Host(name: DNSFacts.canonical(h), preference: nil, port: p)]
            }
        }

        // Addresses of each host, then the PTR of each address and whether it resolves back.
        for i in hosts.indices {
            let name = hosts[i].name
            if DNSMessage.family(of: name) != nil {
                hosts[i].addresses = [name]
                continue
            }
            hosts[i].addresses = Array(Self.addresses(of: name, client: client, dns: &dns, rec: &rec).prefix(Self.maxAddressesPerHost))
            if !hosts[i].addresses.isEmpty { hosts[i].tlsa = Self.tlsa(of: name, client: client, dns: &dns, rec: &rec) }
            for ip in hosts[i].addresses {
                checkPTR(ip, client: client, dns: &dns, rec: &rec)
            }
        }

        // TLS-RPT (RFC 8460): where senders report TLS failures to the MX hosts. It matters once MTA-STS or
        // DANE makes those failures hold mail back.
        if dnsFailure == nil, dns.txt.contains(where: { $0.owner == "_mta-sts." + domain }) || !dns.tlsa.isEmpty {
            let name = "_smtp._tls." + domain
            for t in RecordCheck.txt(name, client: client, rec: &rec) { dns.addTXT(name, t) }
            dns.txtLookups.append(DNSFacts.canonical(name))
        }

        let dnsNotes = rec.lines.indices.map { (rec.text($0), rec.position($0)) }
        var sessions: [Session] = []

        func newBuilder() -> SessionBuilder {
            var b = SessionBuilder(input: options.inputName, format: "probe")
            for (text, pos) in dnsNotes { b.note(text, kind: .dns, at: pos) }
            b.attributes = dns.attributes
            b.attributes["probe-target"] = options.target
            return b
        }

        if let (failure, detail) = dnsFailure {
            var b = newBuilder()
            let pos = rec.tool("smtpexplain: \(detail)")
            b.connectFailed(failure, detail: detail, at: pos)
            sessions.append(b.finish())
        } else if hosts.allSatisfy({ $0.addresses.isEmpty }) {
            var b = newBuilder()
            let name = hosts.first?.name ?? domain
            b.connecting(host: name, address: nil, port: Int(options.port), at: rec.nextPosition)
            let detail = "\(name): Name or service not known"
            let pos = rec.tool("telnet: could not resolve \(name)/\(options.port): Name or service not known")
            b.connectFailed(.nameNotResolved, detail: detail, at: pos)
            sessions.append(b.finish())
        } else {
            attempts: for host in hosts {
                for ip in host.addresses {
                    var b = newBuilder()
                    if let p = host.preference { b.attributes["mx-preference"] = String(p) }
                    let reached = converse(host: host, address: ip, builder: &b, rec: &rec)
                    var s = b.finish()
                    s.attributes["probe-verdict"] = Self.verdict(for: s, options: options)
                    sessions.append(s)
                    if reached { break attempts }
                }
            }
        }
        for i in sessions.indices where sessions[i].attributes["probe-verdict"] == nil {
            sessions[i].attributes["probe-verdict"] = Self.verdict(for: sessions[i], options: options)
        }
        let verdict = sessions.last?.attributes["probe-verdict"] ?? "nothing was tried"
        return ProbeResult(sessions: sessions, transcript: rec.lines, verdict: verdict, dns: dns)
    }

    /// A host's A and AAAA records, written as `host` prints them and added to `dns` (its aliases too). A
    /// name without any is `DNSFacts.unresolved`: NXDOMAIN, or NODATA when the name exists without an
    /// address; a lookup that got no answer says nothing either way.
    static func addresses(of name: String, client: DNSClient, dns: inout DNSFacts, rec: inout Recorder) -> [String] {
        var found: [String] = []
        var answered = true
        for type in [DNSType.a, .aaaa] {
            switch client.query(name, type) {
            case .failure(let e):
                rec.dns(";; \(name) \(type): \(e)")
                answered = false
            case .success(let m):
                if m.rcode != 0 {
                    if type == .a {
                        rec.dns("Host \(name) not found: \(m.rcode)(\(m.rcodeName))")
                        dns.addUnresolved(name, m.rcodeName)
                    }
                    continue
                }
                for r in m.answers {
                    switch r.data {
                    case .cname(let t):
                        if !dns.cnames.contains(where: { $0.alias == DNSFacts.canonical(r.name) }) {
                            rec.dns("\(r.name) is an alias for \(t).")
                        }
                        dns.addCNAME(r.name, t)
                    case .a(let ip), .aaaa(let ip):
                        dns.addAddress(name, ip)
                        rec.dns("\(name) has \(type == .a ? "address" : "IPv6 address") \(ip)")
                        if !found.contains(ip) { found.append(ip) }
                    default: break
                    }
                }
            }
        }
        if found.isEmpty {
            rec.dns("\(name) has no address (A/AAAA) record")
            if answered { dns.addUnresolved(name, "NODATA") }
        }
        return found
    }

    /// The DANE records of an MX host (`_25._tcp.HOST` TLSA), asked with the AD bit so a validating resolver
    /// says whether DNSSEC backs them. Recorded as dig prints them (flags line, question, answers), so a
    /// saved copy reads back the same.
    @discardableResult
    static func tlsa(of host: String, client: DNSClient, dns: inout DNSFacts, rec: inout Recorder) -> [DNSFacts.TLSARecord] {
        let owner = "_25._tcp." + DNSFacts.canonical(host)
        dns.addTLSALookup(owner)
        switch client.query(owner, .tlsa) {
        case .failure(let e):
            rec.dns(";; \(owner) TLSA: \(e)")
            return []
        case .success(let m):
            guard m.rcode == 0 else {
                rec.dns("Host \(owner) not found: \(m.rcode)(\(m.rcodeName))")
                return []
            }
            var found: [DNSFacts.TLSARecord] = []
            for r in m.answers where r.type == .tlsa {
                guard case .other(let b) = r.data, b.count >= 4, found.count < 16 else { continue }
                found.append(.init(owner: owner, usage: Int(b[0]), selector: Int(b[1]), matching: Int(b[2]),
                                   data: DANEMatch.hex(b.dropFirst(3))))
            }
            guard !found.isEmpty else {
                rec.dns("\(owner) has no TLSA record")
                return []
            }
            rec.dns(";; flags: qr rd ra\(m.authenticData ? " ad" : "");")
            rec.dns(";\(owner).\tIN\tTLSA")
            for t in found {
                rec.dns("\(owner).\t300\tIN\tTLSA\t\(t.usage) \(t.selector) \(t.matching) \(t.data.uppercased())")
                dns.addTLSA(t)
            }
            dns.setTLSAValidated(owner, m.authenticData)
            return found
        }
    }

    private func checkPTR(_ ip: String, client: DNSClient, dns: inout DNSFacts, rec: inout Recorder) {
        guard let rev = DNSMessage.reverseName(ip) else { return }
        switch client.query(rev, .ptr) {
        case .failure(let e):
            rec.dns(";; PTR \(rev): \(e)")
        case .success(let m):
            let names = m.answers.compactMap { r -> String? in
                if case .ptr(let n) = r.data { return n }
                return nil
            }
            if names.isEmpty {
                rec.dns("Host \(rev) not found: \(m.rcode)(\(m.rcodeName))")
                dns.setConfirmed(ip, false)
                return
            }
            var confirmed = false
            for n in names.prefix(4) {
                dns.addPTR(ip, n)
                rec.dns("\(rev) domain name pointer \(n).")
                let type: DNSType = ip.contains(":") ? .aaaa : .a
                if case .success(let fm) = client.query(n, type) {
                    for r in fm.answers {
                        if case .a(let back) = r.data, back == ip { confirmed = true }
                        if case .aaaa(let back) = r.data, back == ip { confirmed = true }
                    }
                }
            }
            dns.setConfirmed(ip, confirmed)
            rec.dns(confirmed ? ";; forward-confirmed: \(ip) -> \(names[0]) -> \(ip)"
                              : ";; not forward-confirmed: \(names[0]) does not resolve back to \(ip)")
        }
    }

    /// One connection: true when an SMTP server answered with a usable greeting (stop trying further hosts).
    private func converse(host: Host, address: String, builder b: inout SessionBuilder, rec: inout Recorder) -> Bool {
        let endpoint = Endpoint(address: address, port: host.port)
        var pos = rec.tool("Trying \(address)...")
        b.connecting(host: host.name, address: address, port: Int(host.port), at: pos)
        b.note("Trying \(address)...", kind: .tool, at: pos)
        let t0 = monotonicNow()
        let fd: Int32
        switch connectTCP(endpoint, timeout: options.timeout) {
        case .failed(let failure, let text):
            let line = "telnet: Unable to connect to remote host: \(text)"
            pos = rec.tool(line)
            b.connectFailed(failure, detail: line, at: pos)
            b.attributes["connect-ms"] = String(Int((monotonicNow() - t0) * 1000))
            return false
        case .connected(let f):
            fd = f
        }
        var conn = LineConnection(fd: fd)
        defer { conn.close() }
        let connectedAt = monotonicNow()
        b.attributes["connect-ms"] = String(Int((connectedAt - t0) * 1000))
        pos = rec.tool("Connected to \(host.name).")
        b.connected(address: address, port: Int(host.port), at: pos)
        b.note("Connected to \(host.name).", kind: .tool, at: pos)
        pos = rec.tool("Escape character is '^]'.")
        b.note("Escape character is '^]'.", kind: .tool, at: pos)

        var dialogue = Dialogue(conn: conn, timeout: options.timeout)
        let greeting = dialogue.readReply(&b, &rec)
        conn = dialogue.conn
        if let first = dialogue.firstLineAt {
            b.attributes["banner-delay-ms"] = String(Int((first - connectedAt) * 1000))
        }
        guard let g = greeting else { return dialogue.finish(&b, &rec, quit: false) || false }
        if g / 100 != 2 {
            _ = dialogue.command("QUIT", &b, &rec)
            _ = dialogue.finish(&b, &rec, quit: true)
            // A 4xx greeting: the next MX may do better. A 5xx one is a firm no from this domain's server.
            return g / 100 == 5
        }

        var ehlo = dialogue.command("EHLO \(heloName)", &b, &rec)
        if let c = ehlo, c / 100 == 5 { ehlo = dialogue.command("HELO \(heloName)", &b, &rec) }
        guard let helo = ehlo else { return dialogue.finish(&b, &rec, quit: false) || true }
        if helo / 100 != 2 { return quitAndFinish(&dialogue, &b, &rec) }

        let caps = dialogue.lastReplyLines.dropFirst().map { $0.uppercased() }
        var encrypted = false
        if caps.contains(where: { $0 == "STARTTLS" || $0.hasPrefix("STARTTLS ") }) {
            if options.noTLS {
                b.attributes["starttls"] = "offered, skipped (--no-tls)"
                let text = "smtpexplain: STARTTLS offered, not attempted (--no-tls)"
                b.note(text, kind: .tool, at: rec.tool(text))
            } else {
                switch startTLS(host: host, dialogue: &dialogue, builder: &b, rec: &rec) {
                case .encrypted: encrypted = true
                case .refused: break
                case .lost: return true
                }
            }
        } else {
            b.attributes["starttls"] = "not offered"
        }
        if let user = options.authUser {
            if !encrypted {
                // Without TLS the password would cross the network in clear text: never send it.
                let text = "smtpexplain: AUTH not attempted: the connection is not encrypted"
                b.attributes["auth"] = "not attempted (no TLS)"
                b.note(text, kind: .tool, at: rec.tool(text))
            } else if let password = options.password {
                let payload = Base64.encode(Array("\0\(user)\0\(password)".utf8))
                guard let code = dialogue.command("AUTH PLAIN " + payload, &b, &rec, shown: "AUTH PLAIN [credentials hidden]") else {
                    return dialogue.finish(&b, &rec, quit: false) || true
                }
                b.attributes["auth"] = code == 235 ? "accepted" : "refused (\(code))"
                if code / 100 != 2 { return quitAndFinish(&dialogue, &b, &rec) }
            } else {
                let text = "smtpexplain: AUTH not attempted: no password (set SMTPEXPLAIN_PASSWORD or answer the prompt)"
                b.attributes["auth"] = "not attempted (no password)"
                b.note(text, kind: .tool, at: rec.tool(text))
            }
        }

        guard let mail = dialogue.command("MAIL FROM:<\(options.from)>", &b, &rec) else {
            return dialogue.finish(&b, &rec, quit: false) || true
        }
        if mail / 100 != 2 { return quitAndFinish(&dialogue, &b, &rec) }
        guard let rcpt = dialogue.command("RCPT TO:<\(options.recipient)>", &b, &rec) else {
            return dialogue.finish(&b, &rec, quit: false) || true
        }
        if rcpt / 100 != 2 || !options.sendTestMessage { return quitAndFinish(&dialogue, &b, &rec) }

        guard let data = dialogue.command("DATA", &b, &rec) else { return dialogue.finish(&b, &rec, quit: false) || true }
        if data != 354 { return quitAndFinish(&dialogue, &b, &rec) }
        for line in testMessage() {
            let stuffed = line.hasPrefix(".") ? "." + line : line
            let p = rec.client(stuffed)
            b.client(Array(stuffed.utf8)[...], at: p)
            guard dialogue.conn.send(Array(stuffed.utf8), timeout: options.timeout) else {
                return dialogue.finish(&b, &rec, quit: false) || true
            }
        }
        guard dialogue.command(".", &b, &rec) != nil else { return dialogue.finish(&b, &rec, quit: false) || true }
        return quitAndFinish(&dialogue, &b, &rec)
    }

    enum TLSStep { case encrypted, refused, lost }

    /// STARTTLS, the handshake, and the EHLO that must follow it (RFC 3207).
    private func startTLS(host: Host, dialogue d: inout Dialogue, builder b: inout SessionBuilder,
                          rec: inout Recorder) -> TLSStep {
        guard let code = d.command("STARTTLS", &b, &rec) else {
            _ = d.finish(&b, &rec, quit: false)
            return .lost
        }
        guard code == 220 else {
            b.attributes["starttls"] = "offered, refused (\(code))"
            return .refused
        }
        if d.conn.hasBufferedBytes {
            // Plaintext after the 220 would be read as if it came inside TLS (CVE-2011-0411 class): stop.
            let text = "smtpexplain: the server sent data right after its 220 to STARTTLS; not continuing"
            b.note(text, kind: .error, at: rec.tool(text))
            b.attributes["starttls"] = "aborted (data after 220)"
            _ = d.finish(&b, &rec, quit: false)
            return .lost
        }
        switch TLSConnection.handshake(fd: d.conn.fd, host: host.name, timeout: options.timeout) {
        case .failure(let f):
            let text = "smtpexplain: TLS handshake failed: \(f.text)"
            let pos = rec.tool(text)
            b.note(text, kind: .error, at: pos)
            b.attributes["starttls"] = "handshake failed"
            _ = d.finish(&b, &rec, quit: false)
            return .lost
        case .success(let (tls, r)):
            d.conn.tls = tls
            var parts = ["\(r.version)", "cipher \(r.cipher)"]
            if let s = r.subject { parts.append("subject \(s)") }
            if let i = r.issuer { parts.append("issuer \(i)") }
            if let n = r.notAfter { parts.append("expires \(n)\(r.expired ? " (EXPIRED)" : "")") }
            parts.append("verify \(r.verify)")
            if let m = r.nameMatches { parts.append(m ? "certificate names \(host.name)" : "certificate does NOT name \(host.name)") }
            let text = "smtpexplain: TLS established: " + parts.joined(separator: ", ")
            let pos = rec.tool(text)
            b.note(text, kind: .tls, at: pos)
            b.tlsEstablished(TLSFacts(version: r.version, cipher: r.cipher, serverName: host.name, subject: r.subject,
                                      issuer: r.issuer, verify: r.verify), at: pos)
            b.attributes["starttls"] = "established"
            b.attributes["tls-version"] = r.version
            b.attributes["tls-cipher"] = r.cipher
            b.attributes["tls-verify"] = r.verify
            if let s = r.subject { b.attributes["tls-subject"] = s }
            if let n = r.notAfter { b.attributes["tls-not-after"] = n }
            b.attributes["tls-expired"] = r.expired ? "yes" : "no"
            if let m = r.nameMatches { b.attributes["tls-name-match"] = m ? "yes" : "no" }
            daneCheck(host, r, &b, &rec)
            guard let again = d.command("EHLO \(heloName)", &b, &rec) else {
                _ = d.finish(&b, &rec, quit: false)
                return .lost
            }
            if again / 100 != 2 {
                _ = quitAndFinishStatic(&d, &b, &rec)
                return .lost
            }
            return .encrypted
        }
    }

    /// DANE (RFC 7672): does a usable TLSA record of the host match the certificate it presented? Told as a tool
    /// line and the `tls-dane` attribute (`match 3 1 1`, `no match`).
    private func daneCheck(_ host: Host, _ r: TLSResult, _ b: inout SessionBuilder, _ rec: inout Recorder) {
        let usable = host.tlsa.filter { $0.usage == 2 || $0.usage == 3 }
        guard !usable.isEmpty else { return }
        let owner = "_25._tcp.\(host.name)"
        let text: String
        if let m = DANEMatch.matching(usable, chain: r.chain) {
            b.attributes["tls-dane"] = "match \(m.usage) \(m.selector) \(m.matching)"
            text = "smtpexplain: DANE: the certificate matches the TLSA record \(m.usage) \(m.selector) \(m.matching) of \(owner)"
        } else {
            b.attributes["tls-dane"] = "no match"
            text = "smtpexplain: DANE: none of the \(usable.count) usable TLSA record\(usable.count == 1 ? "" : "s") of \(owner) matches the certificate"
        }
        b.note(text, kind: .tls, at: rec.tool(text))
    }

    private func quitAndFinishStatic(_ d: inout Dialogue, _ b: inout SessionBuilder, _ rec: inout Recorder) -> Bool {
        quitAndFinish(&d, &b, &rec)
    }

    private func quitAndFinish(_ d: inout Dialogue, _ b: inout SessionBuilder, _ rec: inout Recorder) -> Bool {
        if d.open { _ = d.command("QUIT", &b, &rec) }
        _ = d.finish(&b, &rec, quit: true)
        return true
    }

    func testMessage() -> [String] {
        let now = time(nil)
        var tmv = tm()
        var t = now
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%a, %d %b %Y %H:%M:%S +0000", &tmv)
        let date = String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let rand = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let fromHeader = options.from.isEmpty ? "smtpexplain probe <postmaster@\(heloName)>" : "<\(options.from)>"
        return [
            "Date: \(date)",
            "Message-ID: <\(now).\(rand)@\(heloName)>",
            "From: \(fromHeader)",
            "To: <\(options.recipient)>",
            "Subject: smtpexplain test message",
            "",
            "This is a test message sent by smtpexplain probe to check that mail to",
            "\(options.recipient) is accepted. No reply is needed.",
        ]
    }

    /// One line saying how far the probe got and, when it stopped, at which step and why.
    public static func verdict(for s: Session, options: ProbeOptions) -> String {
        let server = [s.server.host, s.server.address.map { a in s.server.port.map { "\(a):\($0)" } ?? a }]
            .compactMap { $0 }.joined(separator: " ")
        if s.attributes["dns-null-mx"] == "yes" {
            return "\(options.domain) publishes a null MX (RFC 7505): it does not accept mail at all"
        }
        if let f = s.connectFailure {
            switch f {
            case .nameNotResolved:
                let st = s.attributes["dns-status"] ?? ""
                if st == "NXDOMAIN" { return "DNS: \(options.domain) does not exist (NXDOMAIN)" }
                if st != "NOERROR" && !st.isEmpty { return "DNS: the lookup of \(options.domain) failed (\(st))" }
                return "DNS: no address for \(s.server.host ?? options.domain)"
            case .refused: return "connect to \(server) failed: connection refused"
            case .timedOut: return "connect to \(server) failed: timed out after \(formatSeconds(options.timeout))"
            default: return "connect to \(server) failed: \(f.rawValue)"
            }
        }
        if s.outcome == .delivered {
            return "test message accepted by \(server) for <\(options.recipient)>"
        }
        if let i = s.decisiveExchange, s.exchanges.indices.contains(i) {
            let ex = s.exchanges[i]
            let step = ex.command.map { $0.verb } ?? "greeting"
            if let r = ex.reply {
                return "\(step) refused by \(server): \(r.code) \(r.enhanced.map { $0 + " " } ?? "")\(r.lines.first ?? "")"
            }
            return "\(step) got no reply from \(server) (\(s.outcome.rawValue))"
        }
        if s.outcome == .disconnected { return "\(server) closed the connection (\(s.failedStage?.rawValue ?? "?") stage)" }
        let rcptOK = s.transactions.last?.recipients.contains { $0.accepted == true } ?? false
        if rcptOK {
            return "recipient <\(options.recipient)> accepted by \(server); no message sent"
                + (options.sendTestMessage ? "" : " (add --send-test-message to send one)")
        }
        if s.greeting == nil { return "no greeting from \(server) within \(formatSeconds(options.timeout))" }
        return "\(s.outcome.rawValue) at \(s.failedStage?.rawValue ?? "-") with \(server)"
    }
}

extension DNSQueryError {
    var isTimeout: Bool { if case .timeout = self { return true } else { return false } }
}

extension String {
    func when(_ c: Bool) -> String? { c ? self : nil }
}

/// The transcript being written: every line gets its line number, which is the position the session's
/// events point at, so findings cite lines of the saved transcript.
struct Recorder {
    let input: String
    private(set) var lines: [[UInt8]] = []
    private var times: [Double] = []

    init(input: String) { self.input = input }

    var nextPosition: SourcePosition { SourcePosition(input: input, line: lines.count + 1, time: wallClock()) }

    @discardableResult
    mutating func append(_ bytes: [UInt8]) -> SourcePosition {
        lines.append(bytes)
        let t = wallClock()
        times.append(t)
        return SourcePosition(input: input, line: lines.count, time: t)
    }

    @discardableResult mutating func dns(_ s: String) -> SourcePosition { append(Array(s.utf8)) }
    @discardableResult mutating func tool(_ s: String) -> SourcePosition { append(Array(s.utf8)) }
    @discardableResult mutating func client(_ s: String) -> SourcePosition { append(Array(s.utf8)) }

    func text(_ i: Int) -> String { String(decoding: lines[i], as: UTF8.self) }
    func position(_ i: Int) -> SourcePosition { SourcePosition(input: input, line: i + 1, time: times[i]) }

    private func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Command/reply turns on one connection, recorded into the transcript and the builder.
struct Dialogue {
    var conn: LineConnection
    let timeout: Double
    private(set) var open = true
    private(set) var lastReplyLines: [String] = []
    private(set) var firstLineAt: Double?
    private var closedNoted = false
    static let maxReplyLines = 1000

    init(conn: LineConnection, timeout: Double) {
        self.conn = conn
        self.timeout = timeout
    }

    /// Send a command and read its reply; nil when no reply came (closed or timed out).
    /// `shown` replaces the command in the transcript and the model (credentials never leave this call).
    mutating func command(_ text: String, _ b: inout SessionBuilder, _ rec: inout Recorder, shown: String? = nil) -> Int? {
        guard open else { return nil }
        let pos = rec.client(shown ?? text)
        b.client(Array((shown ?? text).utf8)[...], at: pos)
        guard conn.send(Array(text.utf8), timeout: timeout) else {
            lost(&b, &rec)
            return nil
        }
        return readReply(&b, &rec)
    }

    /// Read one (possibly multi-line) reply; its code, or nil when none came.
    mutating func readReply(_ b: inout SessionBuilder, _ rec: inout Recorder) -> Int? {
        lastReplyLines = []
        var count = 0
        // A whole reply gets at most three timeouts, however slowly a hostile server trickles lines.
        let deadline = monotonicNow() + timeout * 3
        while open {
            let left = min(timeout, deadline - monotonicNow())
            switch left > 0 ? conn.readLine(timeout: left) : .timeout {
            case .line(let l):
                if firstLineAt == nil { firstLineAt = monotonicNow() }
                let pos = rec.append(l)
                b.server(l[...], at: pos)
                count += 1
                let text = String(decoding: l, as: UTF8.self)
                lastReplyLines.append(String(text.dropFirst(4)))
                let d = Array(l.prefix(4))
                let isReply = d.count >= 3 && d[0...2].allSatisfy { (0x30...0x39).contains($0) }
                let more = d.count == 4 && d[3] == 0x2D
                if count >= Self.maxReplyLines {
                    // A reply that never ends is a broken or hostile server: stop talking to it.
                    let text = "smtpexplain: reply longer than \(Self.maxReplyLines) lines; giving up"
                    let p = rec.tool(text)
                    b.note(text, kind: .error, at: p)
                    open = false
                    closedNoted = true
                    b.closed(by: .client, at: p)
                    return nil
                }
                if isReply && more { continue }
                if isReply { return Int(String(decoding: d[0...2], as: UTF8.self)) }
                // Not a reply line: keep reading, bounded like a reply.
            case .eof:
                lost(&b, &rec)
                return nil
            case .timeout:
                let text = "smtpexplain: no reply within \(formatSeconds(timeout)); giving up"
                let pos = rec.tool(text)
                b.note(text, kind: .error, at: pos)
                b.attributes["reply-timeout"] = "yes"
                open = false
                b.closed(by: .client, at: pos)
                closedNoted = true
                return nil
            case .error(let e):
                let text = "smtpexplain: connection error: \(e)"
                let pos = rec.tool(text)
                b.note(text, kind: .error, at: pos)
                open = false
                b.closed(by: .server, reset: true, at: pos)
                closedNoted = true
                return nil
            }
        }
        return nil
    }

    private mutating func lost(_ b: inout SessionBuilder, _ rec: inout Recorder) {
        guard !closedNoted else { return }
        open = false
        closedNoted = true
        let pos = rec.tool("Connection closed by foreign host.")
        b.note("Connection closed by foreign host.", kind: .tool, at: pos)
        b.closed(by: .server, at: pos)
    }

    /// Close the connection (after QUIT's reply, wait briefly for the server's close). Always false, so
    /// callers can write `finish(...) || reached`.
    mutating func finish(_ b: inout SessionBuilder, _ rec: inout Recorder, quit: Bool) -> Bool {
        if open && quit {
            if case .eof = conn.readLine(timeout: min(timeout, 2)) { lost(&b, &rec); return false }
        }
        if !closedNoted {
            closedNoted = true
            open = false
            let pos = rec.tool("Connection closed.")
            b.closed(by: .client, at: pos)
        }
        return false
    }
}

/// RFC 4648 base64, for AUTH PLAIN.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[Int((b1 & 0x0F) << 2 | b2 >> 6)] : 0x3D)
            out.append(i + 2 < bytes.count ? table[Int(b2 & 0x3F)] : 0x3D)
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
