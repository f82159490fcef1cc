import Testing
@testable import TranscriptModel

/// `exim -bt` / `-bv` and `sendmail -bv` output: one session per address, its routing as attributes.
@Suite struct AddressTestReaderTests {
    @Test func commandsAreRecognised() {
        #expect(AddressTestReader.command("root@gw:~# exim -bt a@b.example") == "exim")
        #expect(AddressTestReader.command("$ sudo /usr/sbin/exim4 -v -bv a@b.example") == "exim")
        #expect(AddressTestReader.command("[root@relay ~]# sendmail -bv a@b.example") == "sendmail")
        #expect(AddressTestReader.command("exim -bp") == nil && AddressTestReader.command("sendmail -t") == nil)
    }

    @Test func routingDetailsAndRedirects() throws {
        let text = """
        # exim -bt postmaster@example.org
        R: system_aliases for postmaster@example.org
        ops@partner.example
            <-- admin@example.org
            <-- postmaster@example.org
          router = dnslookup, transport = remote_smtp
          host mx.partner.example [198.51.100.9] MX=5 dnssec=yes
        """
        let s = try session(text)
        #expect(s.format == "address-test" && s.exchanges.isEmpty && !s.connectAttempted)
        #expect(s.attributes["address-test-address"] == "ops@partner.example")
        #expect(s.attributes["address-test-parents"] == "admin@example.org postmaster@example.org")
        #expect(s.attributes["address-test-router"] == "dnslookup" && s.attributes["address-test-transport"] == "remote_smtp")
        #expect(s.attributes["address-test-hosts"] == "mx.partner.example [198.51.100.9] MX=5 dnssec=yes")
        #expect(s.notes.map(\.text).first == "# exim -bt postmaster@example.org")
    }

    @Test func localFileAndVerifyForms() throws {
        let all = try sessions("exim -bv a@example.org b@example.org c@example.org\na@example.org verified\nb@example.org failed to verify: Unknown user\nc@example.org -> /var/mail/c\n")
        #expect(all.map { $0.attributes["address-test-result"] ?? "" } == ["routed", "undeliverable", "routed"])
        #expect(all[1].attributes["address-test-reason"] == "Unknown user")
        #expect(all[2].attributes["address-test-target"] == "/var/mail/c")
    }

    /// A lone address line in another paste is no address test; `host NAME [IP] MX=10` no `host` command.
    @Test func notClaimedElsewhere() {
        let telnet = ["220 mx.example.org ESMTP", "RCPT TO:<a@example.org>", "a@example.org", "250 ok"].map { Array($0.utf8)[...] }
        #expect(AddressTestReader.score(telnet) == 0)
        #expect(DNSLineParser.dnsCommand("host mx.b.example [192.0.2.7] MX=10 dnssec=no") == nil)
        #expect(DNSLineParser.dnsCommand("host -t mx b.example") != nil)
    }
}
