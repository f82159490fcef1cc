import Testing
import TranscriptModel
@testable import Explainer

func explain(_ text: String) throws -> ExplainedSession {
    var out: [Session] = []
    _ = try InputDriver.read(name: "t.txt", bytes: Array(text.utf8)) { out.append($0) }
    return Explainer().explain(try #require(out.first))
}

func ids(_ x: ExplainedSession) -> Set<String> { Set(x.findings.map(\.id)) }

private let banner = "220 mx.example.com ESMTP Postfix\n"
private let helo = "HELO client.example.net\n250 mx.example.com\n"
private let mail = "MAIL FROM:<a@example.net>\n250 2.1.0 Ok\n"
private let rcpt = "RCPT TO:<b@example.com>\n250 2.1.5 Ok\n"
private let data = "DATA\n354 End data with <CR><LF>.<CR><LF>\nSubject: x\n\nhi\n.\n250 2.0.0 Ok: queued as ABC\n"
private let quit = "QUIT\n221 2.0.0 Bye\n"

/// Each rule fires on the case it is about, and stays quiet on a clean session.
@Suite struct RuleTests {
    @Test func cleanSessionHasOnlyInformationalFindings() throws {
        let x = try explain(banner + helo + mail + rcpt + data + quit)
        #expect(x.session.outcome == .delivered)
        #expect(x.findings.allSatisfy { $0.severity == .info })
        #expect(ids(x) == ["reached-data"])
    }

    @Test func connectFailedVariants() throws {
        let refused = try explain("Trying 192.0.2.1...\ntelnet: Unable to connect to remote host: Connection refused\n")
        #expect(ids(refused).contains("connect-failed"))
        #expect(refused.findings.first?.title.contains("refused") == true)
        let timeout = try explain("Trying 192.0.2.1...\ntelnet: Unable to connect to remote host: Connection timed out\n")
        #expect(timeout.findings.first?.title.contains("timed out") == true)
        let dns = try explain("$ telnet mx.nowhere.example 25\ntelnet: could not resolve mx.nowhere.example/25: Name or service not known\n")
        #expect(dns.findings.first?.reason == .hostunknown)
        #expect(!ids(try explain(banner + helo + quit)).contains("connect-failed"))
    }

    @Test func nameResolvingToInternalAddress() throws {
        let x = try explain("$ telnet mail.example.com 25\nTrying 192.168.1.20...\nConnected to mail.example.com.\n" + banner + quit)
        #expect(ids(x).contains("name-resolves-internally"))
        let y = try explain("$ telnet mail.example.com 25\nTrying 203.0.113.20...\nConnected to mail.example.com.\n" + banner + quit)
        #expect(!ids(y).contains("name-resolves-internally"))
    }

    @Test func bannerNotFQDN() throws {
        #expect(ids(try explain("220 mailserver ESMTP\n" + quit)).contains("banner-not-fqdn"))
        #expect(ids(try explain("220 localhost ESMTP Sendmail\n" + quit)).contains("banner-not-fqdn"))
        #expect(ids(try explain("220 [192.0.2.4] ESMTP\n" + quit)).contains("banner-not-fqdn"))
        #expect(ids(try explain("220 ****************************\n" + quit)).contains("banner-masked"))
        #expect(!ids(try explain(banner + quit)).contains("banner-not-fqdn"))
    }

    @Test func heloRejectedAndDisconnectAfterHelo() throws {
        let x = try explain(banner + "HELO laptop\n504 5.5.2 <laptop>: Helo command rejected: need fully-qualified hostname\n" + quit)
        #expect(ids(x).contains("helo-rejected"))
        let delayed = try explain(banner + "EHLO laptop\n250 mx.example.com\n" + mail
                                  + "RCPT TO:<b@example.com>\n504 5.5.2 <laptop>: Helo command rejected: need fully-qualified hostname\n" + quit)
        #expect(ids(delayed).contains("helo-rejected"))
        #expect(delayed.primaryReason == .blocked)
        let dropped = try explain(banner + "HELO laptop\nConnection closed by foreign host.\n")
        #expect(ids(dropped).contains("disconnect-after-helo"))
        #expect(!ids(try explain(banner + helo + quit)).contains("disconnect-after-helo"))
    }

    @Test func disconnectAfterMailPointsAtBlocklists() throws {
        let x = try explain(banner + helo + "MAIL FROM:<a@example.net>\nConnection closed by foreign host.\n")
        let f = try #require(x.findings.first { $0.id == "disconnect-after-mail" })
        #expect(f.actions.joined().contains("spamhaus"))
        #expect(x.session.failedStage == .mail)
        #expect(!ids(try explain(banner + helo + mail + quit)).contains("disconnect-after-mail"))
    }

    @Test func recipientAndRelayRejections() throws {
        let unknown = try explain(banner + helo + mail + "RCPT TO:<x@example.com>\n550 5.1.1 <x@example.com>: Recipient address rejected: User unknown in local recipient table\n" + quit)
        #expect(ids(unknown).contains("rcpt-rejected"))
        #expect(!ids(unknown).contains("relay-denied"))
        let relay = try explain(banner + helo + mail + "RCPT TO:<x@example.org>\n554 5.7.1 <x@example.org>: Relay access denied\n" + quit)
        #expect(ids(relay).contains("relay-denied"))
        #expect(!ids(relay).contains("rcpt-rejected"))
        let f = try #require(relay.findings.first { $0.id == "relay-denied" })
        #expect(f.reason == .norelaying)
        #expect(f.actions.contains { $0.contains("Never open relaying") })
        #expect(f.evidence.contains { $0.position.line == 7 })
    }

    @Test func backspaceInCommand() throws {
        let x = try explain(banner + helo + "MAIL FROM:<a^H^Ha@example.net>\n501 5.1.7 Bad sender address syntax\n" + quit)
        #expect(ids(x).contains("backspace-in-command"))
        #expect(!ids(try explain(banner + helo + mail + quit)).contains("backspace-in-command"))
    }

    @Test func dataNotTerminated() throws {
        let x = try explain(banner + helo + mail + rcpt + "DATA\n354 go ahead\nSubject: x\n\nbody\n")
        #expect(ids(x).contains("data-not-terminated"))
        #expect(x.session.failedStage == .message)
        #expect(!ids(try explain(banner + helo + mail + rcpt + data + quit)).contains("data-not-terminated"))
    }

    @Test func missingBrackets() throws {
        let x = try explain(banner + helo + "MAIL FROM:a@example.net\n250 OK\nRCPT TO:b@example.com\n501 5.1.3 Bad recipient address syntax\n" + quit)
        #expect(ids(x).contains("mail-from-no-brackets"))
        #expect(ids(x).contains("rcpt-to-no-brackets"))
        #expect(!ids(try explain(banner + helo + mail + rcpt + quit)).contains("mail-from-no-brackets"))
    }

    @Test func reachedDataAndTlsRequired() throws {
        #expect(ids(try explain(banner + helo + mail + rcpt + data + quit)).contains("reached-data"))
        let tls = try explain(banner + helo + "MAIL FROM:<a@example.net>\n530 5.7.0 Must issue a STARTTLS command first\n" + quit)
        #expect(ids(tls).contains("tls-required"))
        #expect(tls.primaryReason == .securityerror)
    }

    @Test func greylistingIsAWarningAndDeferred() throws {
        let x = try explain(banner + helo + mail + "RCPT TO:<b@example.com>\n450 4.2.0 <b@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html\n" + quit)
        #expect(x.session.outcome == .deferred)
        let f = try #require(x.findings.first { $0.id == "greylisted" })
        #expect(f.severity == .warning)
    }

    @Test func overQuotaWithTryAgainLaterIsNotGreylisting() throws {
        // Seen in a real Postfix log: the retry hint must not hide the full mailbox.
        let x = try explain(banner + helo + mail + "RCPT TO:<b@example.com>\n452 4.1.1 <b@example.com> user is over quota, please try again later\n" + quit)
        #expect(!x.findings.contains { $0.id == "greylisted" })
        #expect(x.session.outcome == .deferred)
        #expect(x.findings.contains { $0.reason == .mailboxfull })
    }

    @Test func everyReplyGetsAMeaning() throws {
        let x = try explain(banner + helo + mail + rcpt + data + quit)
        for (i, ex) in x.session.exchanges.enumerated() where ex.reply != nil {
            #expect(x.replies[i] != nil)
            #expect(!(x.replies[i]?.summary.isEmpty ?? true))
        }
    }

    @Test func pipeliningWithoutTheExtension() throws {
        let x = try explain(banner + "EHLO c.example.net\n250-mx.example.com\n250 8BITMIME\nMAIL FROM:<a@example.net>\nRCPT TO:<b@example.com>\n250 2.1.0 Ok\n250 2.1.5 Ok\n" + quit)
        #expect(ids(x).contains("pipelining-not-offered"))
    }

    @Test func ruleTableIsWellFormed() {
        let ids = SessionRules.table.map(\.id) + ReplyRules.table.map(\.id)
        for id in ids { #expect(id.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(id)") }
        for r in SessionRules.table {
            #expect(!r.title.isEmpty && !r.explanation.isEmpty)
            #expect(r.severity == .info || !r.actions.isEmpty, "\(r.id) needs next steps")
        }
    }
}

/// Protocol-level checks read from the dialogue itself (knowledge-base issue).
@Suite struct ProtocolRuleTests {
    @Test func pregreetIsFlagged() throws {
        let x = try explain("Trying 192.0.2.1...\nConnected to mx.example.com.\nEHLO bot.example.net\n220 mx.example.com ESMTP\n250 mx.example.com\nQUIT\n221 bye\n")
        #expect(ids(x).contains("pregreet"))
        #expect(x.session.greeting?.code == 220)
        #expect(!ids(try explain("Trying 192.0.2.1...\nConnected to mx.example.com.\n220 mx.example.com ESMTP\nEHLO a.example.net\n250 ok\nQUIT\n221 bye\n")).contains("pregreet"))
    }

    @Test func starttlsOfferedButNotUsedAndStripped() throws {
        // Real clients only (a swaks run here); hand-typed telnet tests cannot do TLS anyway.
        let x = try explain("=== Trying 192.0.2.1:25...\n=== Connected to 192.0.2.1.\n<-  220 mx.example.com ESMTP\n -> EHLO c.example.net\n<-  250-mx.example.com\n<-  250 STARTTLS\n -> MAIL FROM:<a@example.net>\n<-  250 ok\n -> QUIT\n<-  221 bye\n")
        #expect(x.session.format == "swaks")
        #expect(ids(x).contains("starttls-not-used"))
        #expect(!ids(try explain("220 mx.example.com ESMTP\nEHLO c.example.net\n250-mx.example.com\n250 STARTTLS\nMAIL FROM:<a@example.net>\n250 ok\nQUIT\n221 bye\n")).contains("starttls-not-used"))
        let y = try explain("220 mx.example.com ESMTP\nEHLO c.example.net\n250-mx.example.com\n250-XXXXXXXA\n250 8BITMIME\nQUIT\n221 bye\n")
        #expect(ids(y).contains("starttls-stripped"))
        #expect(!ids(y).contains("starttls-not-used"))
    }

    @Test func authBeforeTls() throws {
        let x = try explain("220 mx.example.com ESMTP\nEHLO c.example.net\n250-mx.example.com\n250 STARTTLS\nAUTH LOGIN\n503 5.5.1 Error: authentication not enabled\nQUIT\n221 bye\n")
        #expect(ids(x).contains("auth-before-tls"))
    }

    @Test func nonAsciiAddressWithoutSmtputf8() throws {
        let x = try explain("220 mx.example.com ESMTP\nEHLO c.example.net\n250 mx.example.com\nMAIL FROM:<jürgen@example.net>\n553 5.6.7 address not ASCII\nQUIT\n221 bye\n")
        #expect(ids(x).contains("smtputf8-without-extension"))
    }

    @Test func eightBitWithout8bitmime() throws {
        let x = try explain("220 mx.example.com ESMTP\nEHLO c.example.net\n250 mx.example.com\nMAIL FROM:<a@example.net>\n250 ok\nRCPT TO:<b@example.com>\n250 ok\nDATA\n354 go\nSubject: Grüße\n\nhi\n.\n250 ok\nQUIT\n221 bye\n")
        #expect(ids(x).contains("eight-bit-without-8bitmime"))
    }

    @Test func smugglingPatternFromByteExactReaders() {
        var b = SessionBuilder(input: "cap", format: "pcap")
        func c(_ s: String) { b.client(Array(s.utf8)[...], at: SourcePosition(input: "cap", packet: 1)) }
        func srv(_ s: String) { b.server(Array(s.utf8)[...], at: SourcePosition(input: "cap", packet: 2)) }
        srv("220 mx ESMTP"); c("EHLO c"); srv("250 mx"); c("MAIL FROM:<a@b.example>"); srv("250 ok")
        c("RCPT TO:<c@d.example>"); srv("250 ok"); c("DATA"); srv("354 go"); c("Subject: x")
        b.bareLineFeed(dotLine: true, at: SourcePosition(input: "cap", packet: 9))
        c("."); srv("250 ok")
        let x = Explainer().explain(b.finish())
        #expect(ids(x).contains("smtp-smuggling-pattern"))
    }
}
