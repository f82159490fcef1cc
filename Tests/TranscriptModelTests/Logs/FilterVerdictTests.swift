import Foundation
import Testing
@testable import TranscriptModel

/// What a filter did to an accepted message, as Postfix, amavis, Exim or an accepted reply say it.
@Suite struct FilterVerdictTests {
    private func bytes(_ s: String) -> ArraySlice<UInt8> { Array(s.utf8)[...] }

    @Test func postfixActions() throws {
        let header = try #require(FilterVerdict(postfix: bytes("discard: header Subject: You have WON a prize from out.shop.example[203.0.113.44]; from=<promo@shop.example> to=<carol@example.com> proto=ESMTP helo=<out.shop.example>: lottery subject")))
        #expect(header.action == .discard)
        #expect(header.by == "postfix")
        #expect(header.detail == "header Subject: You have WON a prize from out.shop.example[203.0.113.44]: lottery subject")
        let hold = try #require(FilterVerdict(postfix: bytes("hold: RCPT from h[192.0.2.1]: <legal@example.com>: Recipient address triggers HOLD action; from=<a@b> to=<legal@example.com> proto=ESMTP helo=<h>")))
        #expect(hold.action == .hold)
        #expect(hold.detail.hasSuffix("Recipient address triggers HOLD action"))
        let milter = try #require(FilterVerdict(postfix: bytes("milter-discard: END-OF-MESSAGE from h[192.0.2.80]: milter triggers DISCARD action; from=<x@y> to=<d@example.com> proto=ESMTP helo=<h>")))
        #expect(milter.by == "milter")
        #expect(milter.action == .discard)
        #expect(FilterVerdict(postfix: bytes("reject: RCPT from h[192.0.2.1]: 550 5.1.1 <a@b>: User unknown")) == nil)
        #expect(FilterVerdict(postfix: bytes("message-id=<discard: x>")) == nil)
    }

    @Test func amavisVerdicts() throws {
        let spam = try #require(FilterVerdict(amavis: bytes("(01733-05) Blocked SPAM {DiscardedInbound,Quarantined}, [198.51.100.7]:41822 [198.51.100.7] <n@s.example> -> <bob@example.com>, quarantine: spam-Xq3xYz.gz, Queue-ID: 4QbC1M2xYz, mail_id: Xq3xYz, Hits: 14.2, size: 18231, 2981 ms")))
        #expect(spam.action == .discard)
        #expect(spam.category == "spam")
        #expect(spam.detail == "Blocked SPAM {DiscardedInbound,Quarantined}")
        #expect(spam.quarantineID == "spam-Xq3xYz.gz")
        #expect(spam.score == "14.2")
        let virus = try #require(FilterVerdict(amavis: bytes("(02001-01) Blocked INFECTED (Eicar-Signature) {Quarantined}, [192.0.2.5]:5000 [192.0.2.5] <a@b> -> <c@d>, quarantine: virus-AbC, Queue-ID: 4QbX")))
        #expect(virus.action == .quarantine)
        #expect(virus.category == "virus")
        #expect(virus.detail == "Blocked INFECTED (Eicar-Signature) {Quarantined}")
        let bounced = try #require(FilterVerdict(amavis: bytes("(02001-02) Blocked BANNED (multipart/mixed | application/x-msdownload,.exe,invoice.exe) {BouncedInbound}, [192.0.2.5]:5000 [192.0.2.5] <a@b> -> <c@d>, Queue-ID: 4QbY")))
        #expect(bounced.action == .bounce)
        #expect(bounced.category == "banned")
        // amavis 2.6 and older: no braces.
        #expect(FilterVerdict(amavis: bytes("(12345-01) Blocked SPAM, [192.0.2.5] [192.0.2.5] <a@b> -> <c@d>, quarantine: spam-x, Message-ID: <m@x>"))?.action == .blocked)
        #expect(FilterVerdict(amavis: bytes("(04336-07) Passed CLEAN {RelayedInbound}, [192.0.2.5]:1 [192.0.2.5] <a@b> -> <c@d>, Queue-ID: 8BD903012026")) == nil)
        // Refused in the dialogue (amavis as a before-queue proxy): the reply says so already.
        #expect(FilterVerdict(amavis: bytes("(04336-08) Blocked SPAM {RejectedInbound}, [192.0.2.5]:1 [192.0.2.5] <a@b> -> <c@d>")) == nil)
    }

    @Test func eximDiscards() throws {
        let acl = try #require(FilterVerdict(eximDelivery: bytes("blackhole (DATA ACL discarded recipients): spam score 14.2 over 10")))
        #expect(acl.action == .discard)
        #expect(acl.by == "exim")
        #expect(acl.category == "spam")
        #expect(acl.detail == "ACL discard (DATA ACL discarded recipients): spam score 14.2 over 10")
        let router = try #require(FilterVerdict(eximDelivery: bytes(":blackhole: <old-sales@example.com> R=retired_addresses")))
        #expect(router.detail == ":blackhole: (router retired_addresses)")
        #expect(FilterVerdict(eximDelivery: bytes("bob <bob@example.com> R=localuser T=local_delivery")) == nil)
    }

    @Test func acceptedRepliesThatSayItWillNotGoOn() {
        #expect(FilterVerdict(acceptedReply: "Ok, discarded, id=01733-05 - spam")?.category == "spam")
        #expect(FilterVerdict(acceptedReply: "Ok, discarded, id=01733-06 - INFECTED: Eicar-Signature")?.category == "virus")
        #expect(FilterVerdict(acceptedReply: "Ok, id=01733-07, BOUNCE")?.action == .bounce)
        #expect(FilterVerdict(acceptedReply: "Message quarantined for review")?.action == .quarantine)
        #expect(FilterVerdict(acceptedReply: "2.0.0 Ok: queued as 4QbD6S7cDe") == nil)
    }

    @Test func readersPutTheVerdictOnTheSessionThatBroughtTheMessage() throws {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("samples/logs/postfix-filtered.log"))
        var got: [Session] = []
        _ = try InputDriver.read(name: "postfix-filtered.log", bytes: Array(data)) { got.append($0) }
        let inbound = got.filter { $0.direction == .inbound }
        let byClient = Dictionary(inbound.map { ($0.client.address ?? "", $0.attributes) }, uniquingKeysWith: { a, _ in a })
        #expect(byClient["198.51.100.7"]?["filter-by"] == "amavis")
        #expect(byClient["198.51.100.7"]?["filter-quarantine"] == "spam-Xq3xYz8Kp2Lm.gz")
        #expect(byClient["203.0.113.44"]?["filter-action"] == "discard")
        #expect(byClient["198.51.100.60"]?["filter-action"] == "hold")
        #expect(byClient["192.0.2.80"]?["filter-by"] == "milter")
        #expect(byClient["198.51.100.90"]?["filter-action"] == nil)
        // The discarded message's envelope comes from the discard line (it never reaches qmgr).
        let discarded = try #require(inbound.first { $0.client.address == "203.0.113.44" })
        #expect(discarded.transactions.first?.sender == "promo@shop.example")
        #expect(discarded.transactions.first?.recipients.map(\.address) == ["carol@example.com"])
    }
}

/// Where Dovecot put a message, joined to the Postfix sessions by Message-ID.
@Suite struct MailboxDeliveryTests {
    private func bytes(_ s: String) -> ArraySlice<UInt8> { Array(s.utf8)[...] }

    @Test func dovecotLines() throws {
        let inbox = try #require(MailboxDelivery(dovecot: bytes("lmtp(h-f16@example.com)<15080><pPC9MGVcEmDoOgAAWP5Hkg>: msgid=<h-e13b@h-de82.com>: saved mail to INBOX")))
        #expect(inbox.user == "h-f16@example.com")
        #expect(inbox.messageID == "h-e13b@h-de82.com")
        #expect(inbox.action == .stored)
        #expect(inbox.target == "INBOX")
        #expect(!inbox.isJunkFolder)
        let junk = try #require(MailboxDelivery(dovecot: bytes("lmtp(bob@example.com)<4410><kA1b>: sieve: msgid=<m: odd@x>: stored mail into mailbox 'Junk'")))
        #expect(junk.messageID == "m: odd@x")
        #expect(junk.bySieve)
        #expect(junk.isJunkFolder)
        #expect(MailboxDelivery(dovecot: bytes("lda(bob)<1><a>: Info: sieve: msgid=<m@x>: stored mail into mailbox 'INBOX.Spam'"))?.isJunkFolder == true)
        #expect(MailboxDelivery(dovecot: bytes("lmtp(c@example.com)<1><a>: sieve: msgid=<m@x>: fileinto action: stored mail into mailbox 'Lists/digest'"))?.target == "Lists/digest")
        #expect(MailboxDelivery(dovecot: bytes("lmtp(c@example.com)<1><a>: sieve: msgid=<m@x>: marked message to be discarded if not explicitly delivered (discard action)"))?.action == .discarded)
        #expect(MailboxDelivery(dovecot: bytes("lmtp(d@example.com)<1><a>: sieve: msgid=<m@x>: forwarded to <d.home@gmail.com>"))?.target == "d.home@gmail.com")
        #expect(MailboxDelivery(dovecot: bytes("lmtp(d@example.com)<1><a>: Error: msgid=<m@x>: save failed to INBOX: Quota exceeded (mailbox for user is full)"))?.action == .failed)
        #expect(MailboxDelivery(dovecot: bytes("lmtp(15080): Connect from local")) == nil)
        #expect(MailboxDelivery(dovecot: bytes("imap-login: Login: user=<bob>, method=PLAIN, rip=192.0.2.1")) == nil)
        #expect(MailboxDelivery(dovecot: bytes("imap(bob)<1><a>: msgid=<m@x>: saved mail to INBOX")) == nil)
    }

    @Test func theDeliveryAndTheArrivalBothKnowWhereItWent() throws {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("samples/logs/postfix-dovecot.log"))
        var got: [Session] = []
        _ = try InputDriver.read(name: "postfix-dovecot.log", bytes: Array(data)) { got.append($0) }
        #expect(got.count == 10)
        func attrs(_ qid: String, _ dir: Session.Direction) -> [String: String]? {
            got.first { $0.direction == dir && $0.attributes["queue-id"] == qid }?.attributes
        }
        for dir in [Session.Direction.inbound, .outbound] {
            #expect(attrs("4QbF1A2bCd", dir)?["mailbox-target"] == "INBOX")
            #expect(attrs("4QbF2B3cDe", dir)?["mailbox-target"] == "Junk")
            #expect(attrs("4QbF2B3cDe", dir)?["mailbox-by"] == "sieve")
            #expect(attrs("4QbF4D5eFg", dir)?["filter-by"] == "sieve")
            #expect(attrs("4QbF5E6fGh", dir)?["mailbox-action"] == "forwarded")
        }
        // Dovecot's line is evidence in both sessions.
        let delivery = try #require(got.first { $0.direction == .outbound && $0.attributes["queue-id"] == "4QbF2B3cDe" })
        #expect(delivery.notes.contains { $0.text.contains("stored mail into mailbox 'Junk'") })
    }
}

@Suite struct HoldReleaseTests {
    @Test func aReleasedHoldIsNoLongerTheStory() throws {
        let log = """
        Dec  6 09:11:01 mx1 postfix/smtpd[3102]: connect from mail.partner.example[198.51.100.60]
        Dec  6 09:11:02 mx1 postfix/smtpd[3102]: 4QbD3P4zAb: client=mail.partner.example[198.51.100.60]
        Dec  6 09:11:02 mx1 postfix/smtpd[3102]: 4QbD3P4zAb: hold: RCPT from mail.partner.example[198.51.100.60]: <legal@example.com>: Recipient address triggers HOLD action; from=<ann@partner.example> to=<legal@example.com> proto=ESMTP helo=<mail.partner.example>
        Dec  6 09:11:03 mx1 postfix/qmgr[880]: 4QbD3P4zAb: from=<ann@partner.example>, size=2211, nrcpt=1 (queue active)
        Dec  6 09:11:03 mx1 postfix/smtpd[3102]: disconnect from mail.partner.example[198.51.100.60] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
        Dec  6 09:30:00 mx1 postfix/postsuper[4001]: 4QbD3P4zAb: released from hold
        Dec  6 09:30:01 mx1 postfix/local[4002]: 4QbD3P4zAb: to=<legal@example.com>, relay=local, delay=1139, delays=1139/0.01/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)
        Dec  6 09:30:01 mx1 postfix/qmgr[880]: 4QbD3P4zAb: removed

        """
        let all = try sessions(log, name: "mail.log")
        let inbound = try #require(all.first { $0.direction == .inbound })
        #expect(inbound.attributes["filter-action"] == nil)
        // Without the release line, the hold is what the session says.
        let held = try sessions(log.split(separator: "\n").filter { !$0.contains("released") && !$0.contains("local[") && !$0.contains("removed") }.joined(separator: "\n") + "\n", name: "mail.log")
        #expect(held.first { $0.direction == .inbound }?.attributes["filter-action"] == "hold")
    }
}

@Suite struct FilterWordScanTests {
    @Test func theByteScanAgreesWithTheWords() {
        for (text, want) in [("Ok, discarded, id=1 - spam", true), ("OK DISCARDED", true), ("Message Quarantined", true),
                             ("Ok, id=2, BOUNCE", true), ("bounce", false), ("2.0.0 Ok: queued as X", false), ("disc", false),
                             ("", false), ("quarantine", true), ("ok ñ discard ñ", true)] {
            #expect(FilterVerdict.mayMention(text) == want, "\(text)")
        }
    }
}
