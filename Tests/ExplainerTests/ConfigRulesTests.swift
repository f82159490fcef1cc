import Testing
import TranscriptModel
@testable import Explainer

/// A pasted `postconf -n`, `main.cf` or Debian exim4 configuration: the settings that stop mail, in words.
@Suite struct ConfigRulesTests {
    private func explained(_ text: String) throws -> ExplainedSession {
        var out: [ExplainedSession] = []
        _ = try InputDriver.read(name: "main.cf", bytes: Array(text.utf8)) { out.append(Explainer().explain($0)) }
        return try #require(out.first)
    }

    private func ids(_ e: ExplainedSession) -> [String] { e.findings.map(\.id) }

    @Test func debianPostfixForLocalMailOnly() throws {
        let e = try #require(try explainedSample("config/postconf-loopback-only.txt").first)
        #expect(e.session.format == "mta-config" && e.session.attributes["config-inet_interfaces"] == "loopback-only")
        #expect(ids(e) == ["config-listens-on-loopback-only", "config-local-delivery-only", "config-hostname-not-fqdn", "config-domain-delivered-locally"])
        // Debian's "Local only": remote mail bounces at once.
        #expect(e.findings[1].explanation.hasSuffix("default_transport = error: mail to other domains is bounced."))
        #expect(e.findings[1].actions.count == 1 && e.findings[1].actions[0].hasPrefix("Postfix: remove `default_transport = error`"))
        #expect(e.summary == "Configuration only, no SMTP session: The MTA listens on the loopback interface only.")
        let loop = e.findings[0]
        #expect(loop.evidence.first?.text == "inet_interfaces = loopback-only")
        // Only the steps for this MTA.
        #expect(loop.actions.first?.hasPrefix("Postfix: `postconf -e inet_interfaces=all`") == true)
        #expect(!loop.actions.contains { $0.hasPrefix("Debian exim4:") })
        #expect(e.findings[2].explanation.hasSuffix("myhostname = mail (bare)."))
        // A snakeoil certificate is still a certificate: no "no STARTTLS" finding.
        #expect(!ids(e).contains("config-no-tls"))
    }

    @Test func openRelayWithARelayHostThatNeedsALogin() throws {
        let e = try #require(try explainedSample("config/main-cf-open-relay.txt").first)
        #expect(ids(e) == ["config-open-relay", "config-relayhost-without-login", "config-small-size-limit"])
        // A continued value (indented lines) is one setting.
        #expect(e.session.attributes["config-smtpd_recipient_restrictions"] == "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination")
        #expect(e.findings[0].explanation.hasSuffix("mynetworks holds 0.0.0.0/0."))
        #expect(e.findings[1].explanation.hasSuffix("relayhost = [smtp.office365.com]:587, smtp_sasl_auth_enable is not yes."))
        #expect(e.findings[2].explanation.hasSuffix("message_size_limit = 5120000 bytes (4 MB; Postfix's default is 10240000)."))
    }

    @Test func debianExim4ListeningOnLoopback() throws {
        let e = try #require(try explainedSample("config/update-exim4-conf.txt").first)
        #expect(e.session.attributes["config-mta"] == "exim" && e.session.attributes["config-dc_local_interfaces"] == "127.0.0.1 ; ::1")
        #expect(ids(e) == ["config-listens-on-loopback-only"])
        #expect(e.findings[0].actions.first?.hasPrefix("Debian exim4: `dc_local_interfaces=''`") == true)
    }

    /// RHEL's sendmail.mc: the MTA daemon bound to 127.0.0.1; `dnl` lines are comments.
    @Test func sendmailBoundToLoopback() throws {
        let e = try #require(try explainedSample("config/sendmail-mc-loopback.txt").first)
        #expect(e.session.attributes["config-mta"] == "sendmail")
        #expect(e.session.attributes["config-sendmail_daemon_options"] == "Port=smtp,Addr=127.0.0.1,Name=MTA")
        #expect(ids(e) == ["config-listens-on-loopback-only"])
        #expect(e.findings[0].evidence.first?.text == "DAEMON_OPTIONS(`Port=smtp,Addr=127.0.0.1, Name=MTA')dnl")
        #expect(e.findings[0].actions.first?.hasPrefix("Sendmail: take `Addr=127.0.0.1,` out of DAEMON_OPTIONS") == true)
        // Listening everywhere, but relaying for anyone.
        let relay = try explained("FEATURE(`promiscuous_relay')dnl\nDAEMON_OPTIONS(`Port=smtp, Name=MTA')dnl\ndnl DAEMON_OPTIONS(`Port=smtp,Addr=127.0.0.1, Name=MTA')dnl\nMAILER(smtp)dnl\n")
        #expect(ids(relay) == ["config-open-relay"])
        #expect(relay.findings[0].actions.contains { $0.hasPrefix("Sendmail: remove FEATURE(`promiscuous_relay')") })
    }

    @Test func otherSettings() throws {
        // No relay guard in either restriction list (postconf -n shows both set).
        let relay = try explained("postconf -n\nmyhostname = mx.example.org\nsmtpd_relay_restrictions = permit\nsmtpd_recipient_restrictions = permit_mynetworks\nsmtpd_tls_cert_file = /etc/ssl/mx.pem\n")
        #expect(ids(relay) == ["config-open-relay"])
        // A private /8 is no open relay; TLS required on port 25 is.
        let tls = try explained("myhostname = mx.example.org\nmynetworks = 127.0.0.0/8 10.0.0.0/8\nsmtpd_tls_security_level = encrypt\nsmtpd_tls_cert_file = /etc/ssl/mx.pem\n")
        #expect(ids(tls) == ["config-tls-required-on-port-25"])
        let local = try explained("dc_eximconfig_configtype='local'\ndc_local_interfaces=''\n")
        #expect(ids(local) == ["config-local-delivery-only"])
        // Nothing wrong: said so.
        let fine = try explained("myhostname = mx.example.org\nmydestination = $myhostname, localhost\nsmtpd_tls_security_level = may\nsmtpd_tls_cert_file = /etc/ssl/mx.pem\n")
        #expect(fine.findings.isEmpty && fine.summary == "Configuration only, no SMTP session: nothing in these settings stops mail.")
    }

    /// Three Postfix keys make a configuration; a telnet paste with `key = value` text does not.
    @Test func detection() throws {
        let telnet = ["220 mx.example.org ESMTP", "EHLO a", "250 ok", "foo = bar"].map { Array($0.utf8)[...] }
        #expect(MTAConfigReader.score(telnet) == 0)
        #expect(MTAConfigReader.score(["myhostname = a.example", "mydestination = a", "relayhost ="].map { Array($0.utf8)[...] }) > 0.9)
        // A question about one setting, after its command.
        let one = try explained("root@mx:~# postconf inet_interfaces\ninet_interfaces = localhost\n")
        #expect(one.session.format == "mta-config" && ids(one) == ["config-listens-on-loopback-only"])
    }
}
