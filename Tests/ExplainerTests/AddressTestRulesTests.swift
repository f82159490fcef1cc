import Testing
import TranscriptModel
@testable import Explainer

/// `exim -bt` and `sendmail -bv` pasted: each address's routing, or the reason the MTA gives, in words.
@Suite struct AddressTestRulesTests {
    private func explained(_ text: String) throws -> [ExplainedSession] {
        var out: [ExplainedSession] = []
        _ = try InputDriver.read(name: "paste.txt", bytes: Array(text.utf8)) { out.append(Explainer().explain($0)) }
        return out
    }

    private func ids(_ e: ExplainedSession) -> [String] { e.findings.map(\.id) }

    @Test func debianLocalOnlyAndAnUnknownLocalUser() throws {
        let all = try explainedSample("address-test/exim-bt-debian.txt")
        #expect(all.count == 3 && all.allSatisfy { $0.session.format == "address-test" && $0.session.exchanges.isEmpty })
        #expect(ids(all[0]) == ["address-remote-delivery-disabled"] && all[0].primaryReason == .systemerror)
        #expect(all[0].findings[0].actions.first?.hasPrefix("Run `dpkg-reconfigure exim4-config`") == true)
        #expect(all[0].summary == "Address test only, no SMTP session: This Exim is set up for local mail only.")
        // Each address has its command, then the router trace (`R: ... for ...`) printed before its result.
        #expect(all[1].session.notes.map(\.text).prefix(2) == ["root@office-gw:~# exim -bt j.moreau@office.lumen-studio.example",
                                                                "R: system_aliases for j.moreau@office.lumen-studio.example"])
        #expect(ids(all[1]) == ["address-unrouteable"])
        #expect(all[1].findings[0].actions.contains("Run the test with details to see which routers declined and why: `exim -d+route -bt j.moreau@office.lumen-studio.example`."))
        // postmaster@ is an alias of root@: the title names the address tested.
        #expect(all[2].session.attributes["address-test-parents"] == "postmaster@office.lumen-studio.example")
        #expect(all[2].findings.first?.title == "postmaster@office.lumen-studio.example (as root@office.lumen-studio.example) would be delivered by the mail_spool transport")
        #expect(all[2].findings.first?.severity == .info)
    }

    @Test func mxPointingHereARemoteRouteAndADNSFailure() throws {
        let all = try explainedSample("address-test/exim-bt-mx-points-here.txt")
        #expect(all.map { ids($0) } == [["address-mx-points-here"], ["address-routed"], ["address-lookup-deferred"]])
        #expect(all[1].session.attributes["address-test-hosts"] == "mx01.partner-logistics.example [198.51.100.41] MX=10 dnssec=no; mx02.partner-logistics.example [198.51.100.42] MX=20 dnssec=no")
        #expect(all[1].summary == "Address test only, no SMTP session: sales@partner-logistics.example would be sent to mx01.partner-logistics.example [198.51.100.41] (and further hosts).")
        #expect(all[1].findings[0].explanation.hasSuffix("Routing: router dnslookup, transport remote_smtp."))
        #expect(all[2].session.attributes["address-test-result"] == "deferred" && all[2].findings[0].severity == .warning)
    }

    @Test func sendmailVerifiesSeveralAddressesInOneCommand() throws {
        let all = try explainedSample("address-test/sendmail-bv.txt")
        #expect(all.map { ids($0) } == [["address-routed"], ["address-user-unknown"], ["address-host-unknown"]])
        #expect(all[0].findings[0].title == "helpdesk@northwind-traders.example would be sent to northwind-traders.example")
        #expect(all[0].findings[0].actions == ["Find the delivery attempts in the log (`grep helpdesk@northwind-traders.example /var/log/mail.log`) and paste them here."])
        #expect(all[2].findings[0].explanation.hasSuffix("Sendmail's words: Host unknown (Name server: nowhere-corp.example: host not found)."))
        #expect(all[1].session.start?.line == 3)
    }

    /// A reason no row names is told as the MTA said it; a deferral stays a deferral.
    @Test func otherReasons() throws {
        let x = try explained("# exim -bt a@b.example\na@b.example is undeliverable: relay not permitted by policy rule 7\n")
        #expect(ids(x[0]) == ["address-undeliverable"] && x[0].findings[0].explanation.hasSuffix("Exim's words: relay not permitted by policy rule 7."))
        let d = try explained("# exim -bv a@b.example\na@b.example cannot be verified: all hosts deferred\n")
        #expect(ids(d[0]) == ["address-lookup-deferred"])
    }

    /// `host NAME [IP] MX=10` inside `exim -bt` output is no `host` command of the DNS reader.
    @Test func eximsHostLinesAreNotDNSCommands() throws {
        let x = try explained("exim -bt a@b.example\na@b.example\n  router = dnslookup, transport = remote_smtp\n  host mx.b.example [192.0.2.7] MX=10 dnssec=no\n")
        #expect(x.count == 1 && x[0].session.format == "address-test" && x[0].session.attributes["dns-server"] == nil)
    }

    /// Postfix's `sendmail -bv` mails its answer as a delivery report: the verified recipient is no cut-off
    /// session, the refused one a refusal.
    @Test func postfixVerificationReport() throws {
        let all = try explainedSample("bounce/postfix-verify-report.txt")
        #expect(all.count == 2)
        #expect(all[0].session.outcome == .rejected && all[0].primaryReason == .userunknown)
        #expect(all[1].summary == "Recipient accepted at RCPT TO: a delivery report that verified the address (no message was sent).")
    }
}
