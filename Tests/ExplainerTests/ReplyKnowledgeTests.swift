import Foundation
import Testing
@testable import Explainer

/// One real-looking reply per major reason, provider and blocklist. Texts are made up in the style of each
/// server (addresses and hosts use documentation ranges).
@Suite struct ReplyKnowledgeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var command: String?
        var reason: Reason
        var provider: String? = nil
        var testDescription: String { "\(reason.rawValue): \(text.prefix(60))" }
    }

    static let cases: [Case] = [
        .init(text: "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table", command: "RCPT", reason: .userunknown),
        .init(text: "host mx.example.com[192.0.2.10] said: 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address (in reply to RCPT TO command)", command: nil, reason: .userunknown, provider: "Gmail"),
        .init(text: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", command: "RCPT", reason: .userunknown, provider: "Microsoft 365"),
        .init(text: "552 5.2.2 <someone@example.org>: Recipient address rejected: Mailbox full", command: "RCPT", reason: .mailboxfull),
        .init(text: "550-5.7.26 Unauthenticated email from example.com is not accepted due to 550-5.7.26 domain's DMARC policy. Please contact the administrator of example.com domain 550 5.7.26 if this was a legitimate mail.", command: ".", reason: .authfailure, provider: "Gmail"),
        // Gmail's bulk-sender rules: alignment, TLS, DKIM, SPF each have their own reply.
        .init(text: "421-4.7.32 Your email has been rate limited because the From: header (RFC5322) in this message isn't aligned with either the authenticated SPF or DKIM organizational domain. - gsmtp", command: ".", reason: .authfailure, provider: "Gmail"),
        .init(text: "421-4.7.29 Your email has been rate limited because this message wasn't sent over a TLS connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections. - gsmtp", command: ".", reason: .securityerror, provider: "Gmail"),
        .init(text: "421-4.7.30 Your email has been rate limited because DKIM authentication didn't pass for this message. - gsmtp", command: ".", reason: .authfailure, provider: "Gmail"),
        .init(text: "421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for this message. - gsmtp", command: ".", reason: .authfailure, provider: "Gmail"),
        .init(text: "550 5.7.509 Access denied, sending domain [EXAMPLE.COM] does not pass DMARC verification and has a DMARC policy of reject.", command: ".", reason: .authfailure, provider: "Microsoft 365"),
        .init(text: "421 4.7.0 [TSS04] Messages from 203.0.113.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://senders.yahooinc.com/smtp-error-codes", command: "MAIL", reason: .badreputation, provider: "Yahoo"),
        .init(text: "550 5.7.606 Access denied, banned sending IP [203.0.113.7]. To request removal from this list please visit https://sender.office.com/", command: "RCPT", reason: .blocked),
        .init(text: "550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555)", command: ".", reason: .policyviolation, provider: "Microsoft 365"),
        // Exchange Online's outbound DANE/TLS checks.
        .init(text: "450 4.7.322 certificate-expired: Destination mail server's certificate is expired.", command: ".", reason: .failedstarttls, provider: "Microsoft 365"),
        .init(text: "450 4.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)", command: nil, reason: .failedstarttls, provider: "Microsoft 365"),
        .init(text: "450 4.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.", command: "STARTTLS", reason: .failedstarttls, provider: "Microsoft 365"),
        .init(text: "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.", command: "RCPT", reason: .blocked, provider: "Microsoft 365"),
        .init(text: "451 4.7.500 Server busy. Please try again later from [203.0.113.7]. (S77719) [Name=Protocol Filter Agent]", command: "RCPT", reason: .speeding, provider: "Microsoft 365"),
        .init(text: "550 SC-001 (BAY004-MC1F12) Unfortunately, messages from 203.0.113.7 weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", command: "MAIL", reason: .blocked),
        .init(text: "550 5.7.25 [203.0.113.7] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.", command: "MAIL", reason: .requireptr),
        .init(text: "554 5.7.1 <unknown[203.0.113.7]>: Client host rejected: cannot find your reverse hostname, [203.0.113.7]", command: "RCPT", reason: .requireptr),
        .init(text: "554 5.7.1 <someone@example.net>: Relay access denied", command: "RCPT", reason: .norelaying),
        .init(text: "554 5.7.1 <someone@example.net>: Sender not authorized to relay", command: "RCPT", reason: .norelaying),
        // Postfix's default text when an access table or policy service answers DEFER.
        .init(text: "450 4.7.1 <someone@example.org>: Recipient address rejected: Service is unavailable", command: "RCPT", reason: .policyviolation),
        .init(text: "530 5.7.0 Must issue a STARTTLS command first", command: "MAIL", reason: .failedstarttls),
        .init(text: "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", command: "AUTH", reason: .securityerror),
        .init(text: "450 4.2.0 <someone@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html", command: "RCPT", reason: .greylisted),
        .init(text: "552 5.3.4 Message size exceeds fixed limit", command: ".", reason: .mesgtoobig),
        .init(text: "552-5.2.3 Your message exceeded Google's message size limits.", command: ".", reason: .exceedlimit),
        .init(text: "550 5.7.1 Message content rejected, UBE, id=12345-06", command: ".", reason: .spamdetected),
        .init(text: "554 5.7.1 The message was rejected because it contains prohibited virus or spam content", command: ".", reason: .virusdetected),
        .init(text: "550 5.2.1 The email account that you tried to reach is disabled.", command: "RCPT", reason: .suspend, provider: "Gmail"),
        .init(text: "Host or domain name not found. Name service error for name=example.invalid type=A: Host not found", command: nil, reason: .hostunknown),
        // "Host not found, try again" is a DNS lookup that failed for now, not an unknown address.
        .init(text: "Name service error for domain example.net: Host not found, try again", command: nil, reason: .networkerror),
        .init(text: "Delivery failed 20 attempts: someone@example.org", command: nil, reason: .expired),
        .init(text: "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability", command: nil, reason: .securityerror),
        .init(text: "connect to mx.example.com[192.0.2.25]:25: Connection timed out", command: nil, reason: .expired),
        .init(text: "connect to mx.example.com[192.0.2.25]:25: No route to host", command: nil, reason: .networkerror),
        .init(text: "556 5.1.10 Recipient address has null MX", command: "RCPT", reason: .notaccept),
        .init(text: "451 4.7.1 <mx.example.com[192.0.2.3]>: Client host rejected: Please try again slower", command: "RCPT", reason: .speeding),
        .init(text: "421 4.7.0 Too many connections from your host, closing transmission channel", command: "CONNECT", reason: .toomanyconn),
        .init(text: "554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes", command: ".", reason: .policyviolation, provider: "Yahoo"),
        .init(text: "550 5.1.8 <bounce@nonexistent.example>: Sender address rejected: Domain not found", command: "MAIL", reason: .rejected),
        .init(text: "550-5.7.1 This message is not RFC 5322 compliant. There are multiple Subject 550-5.7.1 headers.", command: ".", reason: .notcompliantrfc, provider: "Gmail"),
        .init(text: "550 5.1.6 recipient no longer on server: someone@example.org", command: "RCPT", reason: .hasmoved),
        .init(text: "503 5.5.1 Error: need RCPT command", command: "DATA", reason: .syntaxerror),
        .init(text: "250 2.0.0 Ok: queued as 4Xyz12", command: ".", reason: .delivered),
        .init(text: "554 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [abc.us1]", command: "RCPT", reason: .userunknown, provider: "Mimecast"),
    ]

    @Test(arguments: cases)
    func classifiesReason(_ c: Case) {
        var q = ReplyQuery.parse(c.text)
        if let cmd = c.command { q.command = cmd }
        let r = ReplyKnowledge.classify(q)
        #expect(r.reason == c.reason, "rule \(r.ruleID)")
        if let p = c.provider { #expect(r.provider == p, "rule \(r.ruleID)") }
        #expect(!r.title.isEmpty)
        #expect(!r.explanation.isEmpty)
        #expect(!r.ruleID.isEmpty)
    }

    /// x.7.1 without words we know is a policy refusal of any kind: its explanation must not say a login is
    /// what is missing (the reason word stays the peer's `securityerror`).
    @Test func bareX71IsAnyPolicyNotOnlyALogin() {
        var q = ReplyQuery.parse("550 5.7.1 Delivery not authorized, message refused")
        q.command = "RCPT"
        let r = ReplyKnowledge.classify(q)
        #expect(r.ruleID == "enh.x.7.1")
        #expect(r.reason == .securityerror)
        #expect(r.explanation.contains("policy"))
        #expect(!r.explanation.hasPrefix("The server requires authentication"))
        #expect(r.actions.first?.contains("words after the code") == true)
    }

    /// Classifications are memoized per query: asked twice, or with only the listed address changed, the
    /// answers are those worked out from scratch.
    @Test func memoizedAnswersAreTheWorkedOutOnes() {
        var queries = Self.cases.map { c -> ReplyQuery in
            var q = ReplyQuery.parse(c.text)
            if let cmd = c.command { q.command = cmd }
            return q
        }
        queries += ["192.0.2.7", "198.51.100.9"].map {
            ReplyQuery.parse("554 5.7.1 Service unavailable; Client host [\($0)] blocked using zen.spamhaus.org")
        }
        for q in queries + queries {
            let a = ReplyKnowledge.classify(q), b = ReplyKnowledge.classifyUncached(q)
            #expect(a.ruleID == b.ruleID && a.reason == b.reason && a.severity == b.severity && a.title == b.title)
            #expect(a.explanation == b.explanation && a.actions == b.actions && a.provider == b.provider)
            #expect(a.reference == b.reference && a.blocklist?.listedAddress == b.blocklist?.listedAddress)
        }
        let listed = queries.suffix(2).map { ReplyKnowledge.classify($0).blocklist?.listedAddress }
        #expect(listed == ["192.0.2.7", "198.51.100.9"])
    }

    // MARK: blocklists

    @Test func spamhausZenWithBracketedIP() throws {
        let r = ReplyKnowledge.classify(.parse("554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.7"))
        #expect(r.reason == .blocked)
        let bl = try #require(r.blocklist)
        #expect(bl.name == "Spamhaus ZEN")
        #expect(bl.zone == "zen.spamhaus.org")
        #expect(bl.listedAddress == "203.0.113.7")
        #expect(bl.lookupURL.contains("spamhaus.org"))
        #expect(bl.lookupURL.contains("203.0.113.7"))
        #expect(r.ruleID == "kb.rbl.spamhaus")
    }

    @Test func listedAddressIsNotTheRemoteHost() throws {
        let text = "host mx.example.net[192.0.2.44] said: 554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using bl.spamcop.net (in reply to RCPT TO command)"
        let r = ReplyKnowledge.classify(.parse(text))
        let bl = try #require(r.blocklist)
        #expect(bl.name == "SpamCop")
        #expect(bl.listedAddress == "198.51.100.9")
        #expect(bl.lookupURL == "https://www.spamcop.net/bl.shtml?198.51.100.9")
    }

    @Test(arguments: [
        ("550 Rejected: (203.0.113.7) listed at b.barracudacentral.org", "Barracuda Reputation Block List", "203.0.113.7"),
        ("554 Your access to this mail system has been rejected due to the sending MTA's poor reputation. IP 203.0.113.8 listed by psbl.surriel.com", "PSBL (Passive Spam Block List)", "203.0.113.8"),
        ("550 5.7.1 Rejected: IP 203.0.113.9 is listed at dnsbl-1.uceprotect.net", "UCEPROTECT", "203.0.113.9"),
        ("554 Blocked - see https://ipcheck.proofpoint.com/?ip=203.0.113.10", "Proofpoint IP reputation", "203.0.113.10"),
        ("550 5.7.1 rejected by Abusix Mail Intelligence, IP 203.0.113.11 listed", "Abusix Mail Intelligence", "203.0.113.11"),
        ("554 Client host [203.0.113.12] blocked using xbl.spamhaus.org", "Spamhaus XBL", "203.0.113.12"),
    ])
    func blocklistsAndAddresses(_ text: String, _ name: String, _ ip: String) throws {
        let r = ReplyKnowledge.classify(.parse(text))
        let bl = try #require(r.blocklist, "no blocklist for: \(text)")
        #expect(bl.name == name)
        #expect(bl.listedAddress == ip)
        #expect(bl.lookupURL.hasPrefix("http"))
    }

    @Test func unknownZoneStillGivesABlocklist() throws {
        let r = ReplyKnowledge.classify(.parse("554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using rbl.example.org"))
        #expect(r.reason == .blocked)
        #expect(r.blocklist?.zone == "rbl.example.org")
        #expect(r.blocklist?.listedAddress == "203.0.113.7")
    }

    @Test func urlBlocklistIsAboutContent() {
        let r = ReplyKnowledge.classify(.parse("550 5.7.1 Message rejected: a URL in the message is listed in multi.surbl.org"))
        #expect(r.reason == .spamdetected)
        #expect(r.blocklist?.name == "SURBL")
    }

    // MARK: parsing

    @Test func parsesPostfixQuote() {
        let q = ReplyQuery.parse("host mx.example.com[192.0.2.10] said: 550 5.7.1 <a@example.com>: Recipient address rejected: Access denied (in reply to RCPT TO command)")
        #expect(q.code == 550)
        #expect(q.enhanced == "5.7.1")
        #expect(q.command == "RCPT")
    }

    @Test func parsesEximQuote() {
        let q = ReplyQuery.parse("SMTP error from remote mail server after RCPT TO:<a@example.com>: host mx.example.com [192.0.2.10]: 550 5.1.1 <a@example.com>... User unknown")
        #expect(q.code == 550)
        #expect(q.enhanced == "5.1.1")
        #expect(q.command == "RCPT")
    }

    @Test func parsesEndOfDataAndGluedMultiline() {
        let q = ReplyQuery.parse("host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26 This mail is unauthenticated, 550-5.7.26 which poses a security risk 550 5.7.26 to the sender. (in reply to end of DATA command)")
        #expect(q.code == 550)
        #expect(q.enhanced == "5.7.26")
        #expect(q.command == ".")
        #expect(ReplyKnowledge.classify(q).reason == .authfailure)
    }

    @Test func parsesConnectionErrorWithoutCode() {
        let q = ReplyQuery.parse("connect to mx.example.com[192.0.2.25]:25: Connection timed out")
        #expect(q.code == nil)
        #expect(q.enhanced == nil)
        #expect(q.command == "CONNECT")
    }

    @Test func ignoresIPAddressesAndVersionNumbers() {
        let q = ReplyQuery.parse("Connected to 192.0.2.250 but sender was rejected. Remote host said: 421 4.7.0 [TSS04] deferred - 4.16.55.1")
        #expect(q.code == 421)
        #expect(q.enhanced == "4.7.0")
        #expect(q.command == "MAIL")
    }

    @Test func greetingBeforeFailureCountsTheFailure() {
        let q = ReplyQuery.parse("host smtp.example.fr[192.0.2.1] refused to talk to me: 220-example 421 4.2.1 Service refused, please try later.")
        #expect(q.code == 421)
        #expect(q.enhanced == "4.2.1")
        #expect(q.command == "CONNECT")
    }

    // MARK: codes, severity, vocabulary

    @Test func codeMeaningDependsOnCommand() {
        let rcpt = ReplyKnowledge.codeMeaning(550, command: "RCPT")
        let data = ReplyKnowledge.codeMeaning(550, command: ".")
        #expect(rcpt != data)
        #expect(ReplyKnowledge.codeMeaning(535, command: "AUTH").contains("RFC 4954"))
        #expect(ReplyKnowledge.codeMeaning(521, command: nil).contains("RFC 7504"))
        #expect(ReplyKnowledge.codeMeaning(454, command: "STARTTLS").contains("RFC 3207"))
        #expect(!ReplyKnowledge.codeMeaning(999, command: nil).isEmpty)
    }

    @Test func fallsBackOnClass() {
        let r = ReplyKnowledge.classify(ReplyQuery(code: 599, enhanced: nil, text: "599 zzz", command: nil))
        #expect(r.severity == .error)
        #expect(r.ruleID.hasPrefix("class."))
        let t = ReplyKnowledge.classify(ReplyQuery(code: 459, enhanced: nil, text: "459 zzz", command: nil))
        #expect(t.severity == .warning)
        let none = ReplyKnowledge.classify(.parse("qqq"))
        #expect(none.reason == .undefined)
    }

    @Test func severityOrderAndTemporaryReplies() {
        #expect(Severity.info < Severity.warning && Severity.warning < Severity.error)
        #expect(ReplyKnowledge.classify(.parse("452 4.2.2 Mailbox full")).severity == .warning)
        #expect(ReplyKnowledge.classify(.parse("552 5.2.2 Mailbox full")).severity == .error)
        #expect(ReplyKnowledge.classify(.parse("250 2.0.0 Ok: spam score 0.1")).reason == .delivered)
    }

    @Test func vocabularyHasThePeerReasonsAndMapsExtras() {
        #expect(Reason.allCases.filter { !$0.isExtension }.count == 36)
        for r in Reason.allCases {
            #expect(!r.peerReason.isExtension)
            #expect(r.summary.count > 40)
        }
        #expect(Reason.greylisted.peerReason == .blocked)
    }

    @Test func hostileInputIsHandled() {
        let big = String(repeating: "550 5.1.1 user unknown [203.0.113.7] ", count: 40_000)
        let r = ReplyKnowledge.classify(.parse(big))
        #expect(r.reason == .userunknown)
        let odd = ReplyQuery.parse("\u{0}\u{1b}[31m 5.\u{7f}.1 ::::220:::: 999 0.0.0.0.0 \u{FFFD}")
        _ = ReplyKnowledge.classify(odd)
        #expect(ReplyQuery.parse("").code == nil)
        #expect(ReplyQuery.parse("2001:db8::220:1 said nothing").code == nil)
    }

    @Test func everyEntryIDIsUnique() {
        let ids = ReplyKnowledge.entries.map(\.id)
        #expect(Set(ids).count == ids.count, "duplicates: \(Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
    }
}
