import Explainer
import Testing
import TranscriptModel

/// Pasted dig / nslookup / host output, alone and before telnet sessions.
@Suite struct DNSReaderTests {
    static let explainer = Explainer(sessionRules: SessionRules.table + DNSRules.table)

    static func read(_ text: String) throws -> (InputInfo, [ExplainedSession]) {
        var out: [ExplainedSession] = []
        let info = try InputDriver.read(name: "paste.txt", bytes: Array(text.utf8)) { out.append(explainer.explain($0)) }
        return (info, out)
    }

    static let digMX = """
    user@laptop:~$ dig MX example.com

    ; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> MX example.com
    ;; global options: +cmd
    ;; Got answer:
    ;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 51234
    ;; flags: qr rd ra; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1

    ;; OPT PSEUDOSECTION:
    ; EDNS: version: 0, flags:; udp: 1232
    ;; QUESTION SECTION:
    ;example.com.\t\t\tIN\tMX

    ;; ANSWER SECTION:
    example.com.\t\t3600\tIN\tMX\t10 mx1.example.com.
    example.com.\t\t3600\tIN\tMX\t20 mx2.example.com.

    ;; Query time: 24 msec
    ;; SERVER: 127.0.0.53#53(127.0.0.53) (UDP)
    ;; WHEN: Sun Nov 29 05:40:01 UTC 2026
    ;; MSG SIZE  rcvd: 93

    """

    /// PowerShell's Resolve-DnsName (table, then the additional records as a list), then a failed port test.
    @Test func resolveDnsNameThenTestNetConnection() throws {
        let (info, sessions) = try Self.read("""
        PS C:\\> Resolve-DnsName fabrikam.example -Type MX -Server 1.1.1.1

        Name                                     Type   TTL   Section    NameExchange                              Preference
        ----                                     ----   ---   -------    ------------                              ----------
        fabrikam.example                         MX     3600  Answer     mx1.fabrikam.example                      10

        Name       : mx1.fabrikam.example
        QueryType  : A
        TTL        : 3600
        Section    : Additional
        IP4Address : 192.0.2.25

        PS C:\\> Test-NetConnection mx1.fabrikam.example -Port 25
        WARNING: TCP connect to (192.0.2.25 : 25) failed

        ComputerName     : mx1.fabrikam.example
        RemoteAddress    : 192.0.2.25
        RemotePort       : 25
        TcpTestSucceeded : False

        """)
        #expect(info.format == "dns")
        let s = try #require(sessions.first)
        let facts = DNSFacts(attributes: s.session.attributes)
        #expect(facts.mx.map(\.host) == ["mx1.fabrikam.example"])
        #expect(facts.addresses(of: "mx1.fabrikam.example") == ["192.0.2.25"])
        #expect(facts.server == "1.1.1.1#53")
        #expect(s.findings.contains { $0.id == "connect-failed" })
    }

    @Test func resolveDnsNameForANameThatDoesNotExist() throws {
        let (info, sessions) = try Self.read("""
        PS C:\\> Resolve-DnsName fabrikam-typo.example -Type MX
        Resolve-DnsName : fabrikam-typo.example : DNS name does not exist
        """)
        #expect(info.format == "dns")
        #expect(DNSFacts(attributes: try #require(sessions.first).session.attributes).status == "NXDOMAIN")
    }

    @Test func digThenTelnetToAnotherHost() throws {
        let text = Self.digMX + """
        user@laptop:~$ telnet mail.example.net 25
        Trying 198.51.100.9...
        Connected to mail.example.net.
        Escape character is '^]'.
        220 mail.example.net ESMTP Postfix
        EHLO laptop.example.org
        250-mail.example.net
        250 8BITMIME
        MAIL FROM:<a@example.org>
        250 2.1.0 Ok
        RCPT TO:<bob@example.com>
        554 5.7.1 <bob@example.com>: Relay access denied
        QUIT
        221 2.0.0 Bye
        Connection closed by foreign host.
        """
        let (info, xs) = try Self.read(text)
        #expect(info.format == "dns")
        #expect(xs.count == 1)
        let x = try #require(xs.first)
        let s = x.session
        #expect(s.attributes["dns-mx"] == "10 mx1.example.com, 20 mx2.example.com")
        #expect(s.attributes["dns-status"] == "NOERROR")
        #expect(s.attributes["dns-server"] == "127.0.0.53#53")
        #expect(s.attributes["dns-query"] == "example.com MX")
        #expect(s.outcome == .rejected && s.failedStage == .rcpt)
        #expect(s.notes.filter { $0.kind == .dns }.count >= 10)
        #expect(s.lines.contains { $0.role == .dns && $0.text.contains("10 mx1.example.com.") })
        // Lines stay in input order.
        let numbers = s.lines.compactMap(\.position.line)
        #expect(numbers == numbers.sorted())
        let ids = Set(x.findings.map(\.id))
        #expect(ids.contains("dns-target-not-mx"), "\(ids)")
        #expect(ids.contains("relay-denied"))
    }

    @Test func bannerNotMatchingTheMX() throws {
        let text = Self.digMX + """
        $ telnet mx1.example.com 25
        Trying 192.0.2.10...
        Connected to mx1.example.com.
        Escape character is '^]'.
        220 gateway.hosting.example ESMTP
        QUIT
        221 Bye
        """
        let (_, xs) = try Self.read(text)
        let ids = Set(try #require(xs.first).findings.map(\.id))
        #expect(ids.contains("dns-banner-not-mx"), "\(ids)")
        #expect(!ids.contains("dns-target-not-mx"))
    }

    @Test func nslookupNXDOMAIN() throws {
        let text = """
        C:\\Users\\me> nslookup -type=mx exmaple.con
        Server:  router.lan
        Address:  192.168.1.1

        ** server can't find exmaple.con: NXDOMAIN
        """
        let (info, xs) = try Self.read(text)
        #expect(info.format == "dns")
        let x = try #require(xs.first)
        #expect(x.session.attributes["dns-status"] == "NXDOMAIN")
        #expect(x.session.attributes["dns-server"] == "192.168.1.1")
        #expect(x.session.outcome == .unreachable)
        #expect(x.findings.contains { $0.id == "dns-nxdomain" })
    }

    /// The MX answer, then lookups of its hosts: one does not exist (host), the other has no A record
    /// (nslookup). The domain exists; its MX hosts are the fault.
    @Test func mxHostsThatDoNotResolve() throws {
        let text = """
        $ dig +short MX shop.example
        10 mx1.shop.example.
        20 mx2.shop.example.
        $ host mx1.shop.example
        Host mx1.shop.example not found: 3(NXDOMAIN)
        $ nslookup mx2.shop.example
        Server:\t\t127.0.0.53
        Address:\t127.0.0.53#53

        ** server can't find mx2.shop.example: SERVFAIL
        """
        let (_, xs) = try Self.read(text)
        let x = try #require(xs.first)
        // `Host ... not found` is host's answer, not a second host command naming a server "not".
        #expect(x.session.attributes["dns-server"] == "127.0.0.53#53")
        #expect(x.session.attributes["dns-status"] == nil)
        #expect(x.session.attributes["dns-unresolved"] == "mx1.shop.example NXDOMAIN; mx2.shop.example SERVFAIL")
        #expect(!x.findings.contains { $0.id == "dns-nxdomain" || $0.id == "dns-lookup-failed" })
        let f = try #require(x.findings.first { $0.id == "dns-mx-host-unresolved" })
        #expect(f.severity == .error)
        #expect(f.explanation.hasSuffix("Not resolved: mx1.shop.example (NXDOMAIN), mx2.shop.example (SERVFAIL)."))
        #expect(f.evidence.first?.text == "Host mx1.shop.example not found: 3(NXDOMAIN)")
    }

    /// A second MX that resolves keeps mail flowing: a warning. A later failed lookup of a name that is no
    /// MX host (dig's status comes before its question) is no finding, and the domain is not NXDOMAIN.
    @Test func oneMXHostGoneAnotherFine() throws {
        let text = Self.digMX + """
        $ host mx2.example.com
        mx2.example.com has address 192.0.2.25
        $ dig A mx1.example.com

        ; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> A mx1.example.com
        ;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 7
        ;; QUESTION SECTION:
        ;mx1.example.com.\t\tIN\tA

        $ dig A www.example.com

        ; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> A www.example.com
        ;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 8
        ;; QUESTION SECTION:
        ;www.example.com.\t\tIN\tA

        """
        let (_, xs) = try Self.read(text)
        let x = try #require(xs.first)
        #expect(x.session.attributes["dns-status"] == "NOERROR")
        #expect(x.session.attributes["dns-unresolved"] == "mx1.example.com NXDOMAIN; www.example.com NXDOMAIN")
        let f = try #require(x.findings.first { $0.id == "dns-mx-host-unresolved" })
        #expect(f.severity == .warning && f.explanation.hasSuffix("Not resolved: mx1.example.com (NXDOMAIN)."))
        #expect(f.evidence.first?.text.hasPrefix(";mx1.example.com.") == true)
        #expect(!x.findings.contains { $0.id == "dns-nxdomain" })
    }

    @Test func hostNullMX() throws {
        let (_, xs) = try Self.read("$ host -t mx example.org\nexample.org mail is handled by 0 .\n")
        let x = try #require(xs.first)
        #expect(x.session.attributes["dns-null-mx"] == "yes")
        #expect(x.findings.contains { $0.id == "dns-null-mx" })
    }

    /// A null MX is told by its own finding: the generic "the connection failed" is for tools that do not say why.
    @Test func aNullMXIsNotAnUnexplainedConnectionFailure() throws {
        let (_, xs) = try Self.read("$ host -t mx example.org\nexample.org mail is handled by 0 .\n")
        let x = try #require(xs.first)
        #expect(!x.session.connectFailureUnexplained)
        #expect(x.findings.map(\.id) == ["dns-null-mx"])
    }

    @Test func hostAddressesAndPTR() throws {
        let text = """
        $ host mx.example.com
        mx.example.com has address 192.0.2.25
        mx.example.com has IPv6 address 2001:db8::25
        $ host 192.0.2.25
        25.2.0.192.in-addr.arpa domain name pointer mx.example.com.
        $ host -t mx nomail.example
        nomail.example has no MX record
        """
        let (_, xs) = try Self.read(text)
        let s = try #require(xs.first).session
        #expect(s.attributes["dns-addresses"] == "mx.example.com=192.0.2.25 2001:db8::25")
        #expect(s.attributes["dns-ptr"] == "192.0.2.25=mx.example.com")
        #expect(s.attributes["dns-no-mx"] == "yes")
    }

    @Test func nslookupMXPointingAtAnAlias() throws {
        let text = """
        $ nslookup -q=mx example.net
        Server:\t\t192.168.1.1
        Address:\t192.168.1.1#53

        Non-authoritative answer:
        example.net\tmail exchanger = 10 mail.example.net.

        Authoritative answers can be found from:
        mail.example.net\tcanonical name = mx.hosting.example.
        mx.hosting.example\tinternet address = 203.0.113.5
        """
        let (_, xs) = try Self.read(text)
        let x = try #require(xs.first)
        #expect(x.session.attributes["dns-mx"] == "10 mail.example.net")
        #expect(x.session.attributes["dns-cname"] == "mail.example.net=mx.hosting.example")
        #expect(x.findings.contains { $0.id == "dns-mx-cname" })
    }

    @Test func digAnswerWithAnIPLiteralMX() throws {
        let text = """
        $ dig +noall +answer MX example.org
        example.org.\t\t300\tIN\tMX\t10 192.0.2.7.
        ;; SERVER: 1.1.1.1#53(1.1.1.1) (UDP)
        """
        let (info, xs) = try Self.read(text)
        #expect(info.format == "dns")
        let x = try #require(xs.first)
        #expect(x.findings.contains { $0.id == "dns-mx-ip-literal" }, "\(x.findings.map(\.id))")
    }

    @Test func digShortBeforeTelnetStaysWithTheTelnetReader() throws {
        // Plain `+short` output does not claim the input (the telnet reader notes it as DNS itself).
        let text = """
        user@laptop:~$ dig +short MX example.com
        10 mx.example.com.
        user@laptop:~$ telnet mx.example.com 25
        Trying 192.0.2.25...
        Connected to mx.example.com.
        220 mx.example.com ESMTP Postfix
        QUIT
        221 2.0.0 Bye
        """
        let (info, _) = try Self.read(text)
        #expect(info.format == "telnet")
        // Forced, the DNS reader reads the short answers.
        var got: [Session] = []
        _ = try InputDriver.read(name: "p", bytes: Array(text.utf8), options: InputOptions(forcedFormat: "dns")) { got.append($0) }
        #expect(got.first?.attributes["dns-mx"] == "10 mx.example.com")
        #expect(got.first?.greeting?.code == 220)
    }

    @Test func contentThatLooksLikeDNSIsContent() throws {
        let text = Self.digMX + """
        $ telnet mx1.example.com 25
        Trying 192.0.2.10...
        Connected to mx1.example.com.
        220 mx1.example.com ESMTP
        HELO me.example.org
        250 mx1.example.com
        MAIL FROM:<a@example.org>
        250 Ok
        RCPT TO:<b@example.com>
        250 Ok
        DATA
        354 End data with <CR><LF>.<CR><LF>
        ;; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 1
        example.com mail is handled by 5 evil.example.
        .
        250 2.0.0 Ok: queued as ABC123
        QUIT
        221 Bye
        """
        let (_, xs) = try Self.read(text)
        let s = try #require(xs.first).session
        #expect(s.outcome == .delivered)
        #expect(s.attributes["dns-status"] == "NOERROR")
        #expect(s.attributes["dns-mx"] == "10 mx1.example.com, 20 mx2.example.com")
    }

    @Test func hostileInputNeverCrashes() throws {
        var rng = SplitMix(seed: 7)
        let pieces = [";; ->>HEADER<<- status: ", " mail is handled by ", " has address ", "Name:", "Address:",
                      "$ dig +short MX x", "\t", " ", "999999999999999999999", ".in-addr.arpa", " domain name pointer ",
                      "1.2.3", "::", "** server can't find ", "Host ", " not found: (", ")", "220 ", "354 go", ".", "\n"]
        for _ in 0..<300 {
            var text = "; <<>> DiG 9 <<>> MX x\n"
            for _ in 0..<Int(rng.next() % 60) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            let bytes = Array(text.utf8) + (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next() | 0x20) }
            _ = try? InputDriver.read(name: "fuzz", bytes: bytes, options: InputOptions(forcedFormat: "dns")) { s in
                _ = Self.explainer.explain(s)
            }
        }
    }
}
