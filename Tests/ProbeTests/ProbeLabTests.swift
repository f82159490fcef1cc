import Explainer
import Foundation
import Testing
import TranscriptModel
@testable import Probe
#if canImport(Glibc)
import Glibc
#endif

/// The loopback lab set up by `scripts/probe-lab`: a real Postfix on 127.0.0.1 (port from lab.env) that
/// accepts accepted@probe.test, refuses other probe.test users (550 5.1.1) and refuses relaying.
enum Lab {
    static let dir = ProcessInfo.processInfo.environment["PROBE_LAB_DIR"] ?? "/var/tmp/smtpexplain-probe-lab"

    /// The lab's SMTP port, or nil (with the reason printed once) when the lab is not there.
    static let port: UInt16? = {
        func skip(_ why: String) -> UInt16? {
            print("ProbeTests: skipping the live probe tests: \(why). Set the lab up with scripts/probe-lab.")
            return nil
        }
        guard let env = try? String(contentsOfFile: dir + "/lab.env", encoding: .utf8) else {
            return skip("no \(dir)/lab.env")
        }
        guard let line = env.split(separator: "\n").first(where: { $0.hasPrefix("PROBE_LAB_PORT=") }),
              let port = UInt16(line.dropFirst("PROBE_LAB_PORT=".count)) else {
            return skip("\(dir)/lab.env names no PROBE_LAB_PORT")
        }
        guard case .connected(let fd) = connectTCP(Endpoint(address: "127.0.0.1", port: port), timeout: 2) else {
            return skip("nothing listens on 127.0.0.1:\(port)")
        }
        var c = LineConnection(fd: fd)
        defer { c.close() }
        guard case .line(let l) = c.readLine(timeout: 5), l.starts(with: Array("220".utf8)) else {
            return skip("127.0.0.1:\(port) does not greet with 220")
        }
        guard TestDNSServer.shared != nil else { return skip("the test DNS responder could not start") }
        return port
    }()

    static var available: Bool { port != nil }

    static func probe(_ target: String, sendTestMessage: Bool = false, server: String? = nil, noTLS: Bool = false,
                      authUser: String? = nil, password: String? = nil) -> ProbeResult {
        var o = ProbeOptions(target: target)
        o.noTLS = noTLS
        o.authUser = authUser
        o.password = password
        o.port = port ?? 2526
        o.dnsServer = TestDNSServer.shared!.endpoint
        o.httpsPort = TestHTTPSServer.shared?.port ?? 443
        o.trustFile = TestHTTPSServer.certificate
        o.timeout = 5
        o.helo = "client.probe.test"
        o.from = "sender@client.probe.test"
        o.sendTestMessage = sendTestMessage
        o.server = server
        return Prober(options: o).run()
    }

    static let explainer = Explainer(sessionRules: SessionRules.table + DNSRules.table)

    static func ids(_ s: Session) -> Set<String> { Set(explainer.explain(s).findings.map(\.id)) }
}

@Suite(.serialized, .enabled(if: Lab.available, "probe lab not set up (run scripts/probe-lab)"))
struct ProbeLabTests {
    @Test func acceptedRecipient() throws {
        let r = Lab.probe("accepted@probe.test")
        let s = try #require(r.sessions.last)
        #expect(r.sessions.count == 1)
        #expect(s.outcome == .incomplete)
        #expect(s.failedStage == nil)
        #expect(s.transactions.last?.recipients.first?.accepted == true)
        #expect(r.verdict.contains("recipient <accepted@probe.test> accepted by mx.probe.test"), "\(r.verdict)")
        #expect(s.attributes["dns-mx"] == "10 mx.probe.test")
        #expect(s.attributes["dns-ptr-confirmed"] == "127.0.0.1=yes")
        #expect(Int(s.attributes["banner-delay-ms"] ?? "") != nil)
        // STARTTLS against the lab's self-signed certificate for mx.probe.test, then the second EHLO.
        #expect(s.attributes["starttls"] == "established")
        #expect(s.tlsStarted)
        #expect(s.attributes["tls-version"]?.hasPrefix("TLSv1.") == true)
        #expect(s.attributes["tls-name-match"] == "yes")
        #expect(s.attributes["tls-expired"] == "no")
        #expect(s.attributes["tls-verify"]?.hasPrefix("18 ") == true, "\(s.attributes["tls-verify"] ?? "-")")
        #expect(s.tls?.subject == "/CN=mx.probe.test")
        #expect(s.exchanges.filter { $0.command?.verb == "EHLO" }.count == 2)
        #expect(s.quitSent)
        #expect(!s.exchanges.contains { $0.command?.verb == "DATA" })
        let ids = Lab.ids(s)
        #expect(ids.allSatisfy { !$0.hasPrefix("dns-") }, "\(ids)")
        #expect(!ids.contains("rcpt-rejected"))
        #expect(ids.contains("tls-certificate-untrusted"))
        #expect(!ids.contains("tls-certificate-name-mismatch"))
    }

    @Test func noTLS() throws {
        let r = Lab.probe("accepted@probe.test", noTLS: true)
        let s = try #require(r.sessions.last)
        #expect(s.attributes["starttls"] == "offered, skipped (--no-tls)")
        #expect(!s.tlsStarted)
        #expect(!s.exchanges.contains { $0.command?.verb == "STARTTLS" })
        #expect(r.verdict.contains("accepted"))
    }

    @Test func authOverTLSNeverShowsTheSecret() throws {
        // The lab has no SASL: AUTH is refused, and the password appears nowhere.
        let r = Lab.probe("accepted@probe.test", authUser: "alice", password: "s3cret-Pa55")
        let s = try #require(r.sessions.last)
        #expect(s.attributes["auth"]?.hasPrefix("refused (5") == true, "\(s.attributes["auth"] ?? "-")")
        let transcript = String(decoding: r.transcriptBytes, as: UTF8.self)
        #expect(transcript.contains("AUTH PLAIN [credentials hidden]"))
        #expect(!transcript.contains("s3cret") && !transcript.contains("AGFsaWNlAHMz"))
        #expect(!s.exchanges.contains { $0.command?.raw.contains("AGFsaWNl") == true })
        #expect(s.failedStage == .auth)
    }

    @Test func unknownRecipient() throws {
        let r = Lab.probe("nobody@probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
        let reply = try #require(s.decisiveExchange.flatMap { s.exchanges[$0].reply })
        #expect(reply.code == 550 && reply.enhanced == "5.1.1")
        #expect(r.verdict.hasPrefix("RCPT refused by mx.probe.test"), "\(r.verdict)")
        #expect(Lab.explainer.explain(s).primaryReason == .userunknown)
    }

    @Test func relayRefused() throws {
        let r = Lab.probe("someone@elsewhere.test")
        let s = try #require(r.sessions.last)
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
        #expect(Lab.ids(s).contains("relay-denied"), "\(Lab.ids(s))")
        #expect(r.verdict.contains("Relay access denied"), "\(r.verdict)")
    }

    @Test func testMessageDelivered() throws {
        let r = Lab.probe("accepted@probe.test", sendTestMessage: true)
        let s = try #require(r.sessions.last)
        #expect(s.outcome == .delivered)
        let headers = s.transactions.last?.message?.headers.map { $0.name.lowercased() } ?? []
        #expect(headers.contains("date") && headers.contains("message-id"), "\(headers)")
        #expect(r.verdict.hasPrefix("test message accepted by mx.probe.test"), "\(r.verdict)")
    }

    @Test func backupMXAfterRefusedPrimary() throws {
        let r = Lab.probe("accepted@backup.probe.test")
        #expect(r.sessions.count == 2)
        let first = try #require(r.sessions.first)
        #expect(first.outcome == .unreachable && first.connectFailure == .refused)
        #expect(first.server.host == "down.probe.test")
        #expect(first.attributes["dns-mx"] == "10 down.probe.test, 20 mx.probe.test")
        let second = try #require(r.sessions.last)
        #expect(second.server.address == "127.0.0.1")
        #expect(second.greeting?.code == 220)
        // The lab only accepts probe.test itself: the backup domain is relaying.
        #expect(second.failedStage == .rcpt)
    }

    @Test func connectionRefused() throws {
        let r = Lab.probe("someone@refused.probe.test")
        let s = try #require(r.sessions.last)
        #expect(r.sessions.count == 1)
        #expect(s.outcome == .unreachable && s.failedStage == .connect)
        #expect(s.connectFailure == .refused)
        #expect(Lab.ids(s).contains("connect-failed"))
        #expect(Lab.ids(s).contains("dns-ptr-not-confirmed"))
        #expect(r.verdict == "connect to down.probe.test 127.0.0.2:\(Lab.port!) failed: connection refused", "\(r.verdict)")
    }

    @Test func nonexistentDomain() throws {
        let r = Lab.probe("someone@missing.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.outcome == .unreachable)
        #expect(s.attributes["dns-status"] == "NXDOMAIN")
        #expect(Lab.ids(s).contains("dns-nxdomain"))
        #expect(r.verdict == "DNS: missing.probe.test does not exist (NXDOMAIN)")
    }

    @Test func mxHostThatDoesNotExist() throws {
        let r = Lab.probe("someone@dangling.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.attributes["dns-unresolved"] == "gone.probe.test NXDOMAIN")
        // The second MX took the mail: a warning, not the reason it failed.
        #expect(s.server.host == "mx.probe.test" && s.greeting?.code == 220)
        let f = try #require(Lab.explainer.explain(s).findings.first { $0.id == "dns-mx-host-unresolved" })
        #expect(f.severity == .warning && f.explanation.hasSuffix("Not resolved: gone.probe.test (NXDOMAIN)."))
    }

    /// The recipient domain publishes MTA-STS in enforce mode: the policy is fetched, and the lab's self-signed
    /// certificate is what such senders refuse.
    @Test func mtaSTSEnforcedAgainstAnUnverifiedCertificate() throws {
        let r = Lab.probe("someone@sts.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.attributes["dns-sts-fetch"] == "mta-sts.sts.probe.test 200")
        #expect(s.attributes["dns-sts-policy"] == "version: STSv1; mode: enforce; mx: mx.probe.test; max_age: 86400")
        #expect(s.attributes["starttls"] == "established")
        let f = try #require(Lab.explainer.explain(s).findings.first { $0.id == "mta-sts-tls-would-fail" })
        #expect(f.severity == .error && f.title == "Senders that apply MTA-STS (mode enforce) will not deliver to mx.probe.test")
        #expect(f.explanation.contains("mx.probe.test: its certificate does not verify: "), "\(f.explanation)")
        #expect(f.evidence.contains { $0.text == "mode: enforce" })
        // A domain without MTA-STS: nothing looked up over HTTPS, no such finding.
        let plain = try #require(Lab.probe("accepted@probe.test").sessions.last)
        #expect(plain.attributes["dns-sts-fetch"] == nil && !Lab.ids(plain).contains("mta-sts-tls-would-fail"))
    }

    /// The MX publishes a signed TLSA record for another key: DANE senders would not deliver to it.
    @Test func daneRecordThatDoesNotMatchTheCertificate() throws {
        let r = Lab.probe("someone@danebad.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.attributes["starttls"] == "established")
        #expect(s.attributes["dns-tlsa-validated"] == "_25._tcp.mx-danebad.probe.test=yes")
        #expect(s.attributes["tls-dane"] == "no match")
        let f = try #require(Lab.explainer.explain(s).findings.first { $0.id == "dane-tlsa-mismatch" })
        #expect(f.severity == .error && f.reason == .failedstarttls)
        #expect(f.evidence.first?.text == "smtpexplain: DANE: none of the 1 usable TLSA record of _25._tcp.mx-danebad.probe.test matches the certificate")
        // With TLSA records the TLS-RPT record is looked up too; this domain has none.
        #expect(s.attributes["dns-txt-missing"] == "_smtp._tls.danebad.probe.test")
        #expect(Explainer().explain(s).findings.contains { $0.id == "tls-rpt-missing" })
        // Without TLSA records nothing is compared, and TLS-RPT is not asked for.
        let plain = try #require(Lab.probe("accepted@probe.test").sessions.last)
        #expect(plain.attributes["tls-dane"] == nil && !Lab.ids(plain).contains("dane-tlsa-mismatch"))
        #expect(plain.attributes["dns-txt-missing"] == nil)
    }

    @Test func nullMX() throws {
        let r = Lab.probe("someone@nullmx.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.outcome == .unreachable)
        #expect(s.attributes["dns-null-mx"] == "yes")
        #expect(Lab.ids(s).contains("dns-null-mx"))
        #expect(!s.notes.contains { $0.text.hasPrefix("Trying") })
        #expect(r.verdict.contains("null MX"))
    }

    @Test func implicitMX() throws {
        let r = Lab.probe("nomx.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.attributes["dns-no-mx"] == "yes")
        #expect(s.server.host == "mx.probe.test" || s.server.host == "nomx.probe.test")
        #expect(s.greeting?.code == 220)
        #expect(Lab.ids(s).contains("dns-no-mx"))
        #expect(s.transactions.last?.recipients.first?.address == "postmaster@nomx.probe.test")
    }

    @Test func mxIsAnAlias() throws {
        let r = Lab.probe("someone@cname.probe.test")
        let s = try #require(r.sessions.last)
        #expect(s.greeting?.code == 220)
        #expect(Lab.ids(s).contains("dns-mx-cname"), "\(Lab.ids(s))")
    }

    @Test func mxIsAnAddress() throws {
        let r = Lab.probe("someone@iplit.probe.test")
        let s = try #require(r.sessions.last)
        #expect(Lab.ids(s).contains("dns-mx-ip-literal"), "\(Lab.ids(s))")
    }

    @Test func explicitServer() throws {
        let r = Lab.probe("nobody@probe.test", server: "127.0.0.1:\(Lab.port!)")
        let s = try #require(r.sessions.last)
        #expect(s.failedStage == .rcpt)
        #expect(!Lab.ids(s).contains("dns-target-not-mx"))
    }

    /// The saved transcript reads back through the DNS reader and explains to the same verdict.
    @Test func savedTranscriptReadsBack() throws {
        let r = Lab.probe("nobody@probe.test")
        let live = try #require(r.sessions.last)
        var read: [Session] = []
        let info = try InputDriver.read(name: "saved.txt", bytes: r.transcriptBytes) { read.append($0) }
        #expect(info.format == "dns")
        let s = try #require(read.last)
        #expect(s.outcome == live.outcome && s.failedStage == live.failedStage)
        #expect(s.attributes["dns-mx"] == "10 mx.probe.test")
        #expect(s.notes.contains { $0.kind == .dns })
        #expect(s.attributes["tls-version"] == live.attributes["tls-version"])
        #expect(s.tls?.subject == "/CN=mx.probe.test")
        #expect(!s.exchanges.contains { $0.command?.raw.hasPrefix("smtpexplain") == true })
    }
}

/// The DNS client against the test responder (no lab needed).
@Suite struct DNSClientTests {
    @Test func udpAnswer() throws {
        let server = try #require(TestDNSServer.shared)
        let m = try DNSClient(server: server.endpoint, timeout: 2).query("probe.test", .mx).get()
        #expect(m.answers.map(\.data) == [.mx(preference: 10, exchange: "mx.probe.test")])
        let nx = try DNSClient(server: server.endpoint, timeout: 2).query("nope.probe.test", .a).get()
        #expect(nx.rcodeName == "NXDOMAIN")
    }

    @Test func truncatedAnswerRetriedOverTCP() throws {
        let server = try #require(TestDNSServer.shared)
        let m = try DNSClient(server: server.endpoint, timeout: 2).query("big.probe.test", .mx).get()
        #expect(!m.truncated)
        #expect(m.answers.count == 2)
    }

    @Test func silentServerTimesOut() throws {
        // A bound UDP socket that never answers.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = UInt16(bigEndian: addr.sin_port)
        let start = monotonicNow()
        let r = DNSClient(server: Endpoint(address: "127.0.0.1", port: port), timeout: 0.3).query("probe.test", .mx)
        guard case .failure(.timeout) = r else { Issue.record("expected a timeout, got \(r)"); return }
        #expect(monotonicNow() - start < 3)
    }

    @Test func connectRefusedIsToldApart() {
        // Port 1 on loopback: nothing listens there.
        guard case .failed(let f, _) = connectTCP(Endpoint(address: "127.0.0.1", port: 1), timeout: 2) else {
            Issue.record("connected to port 1?")
            return
        }
        #expect(f == .refused)
    }
}
