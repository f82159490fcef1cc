import Foundation
import Testing
@testable import TranscriptModel

/// Received fields as each MTA writes them, Authentication-Results, dates, and the reader on whole headers.
@Suite struct MessageHeaderReaderTests {
    private func hop(_ value: String) throws -> ReceivedHop {
        try #require(ReceivedHop(HeaderField(name: "Received", key: "received", value: value, firstLine: 1, lastLine: 1)))
    }

    @Test func postfixWithTLSAndNoReverseName() throws {
        let h = try hop("from smtp-out7.deals.example.net (unknown [192.0.2.77]) (using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) (No client certificate requested) by mx1.example.org (Postfix) with ESMTPS id 4QyB7b5Wm1z9sWB for <j.ortega@example.org>; Wed,  2 Dec 2026 14:05:29 +0100 (CET)")
        #expect(h.helo == "smtp-out7.deals.example.net")
        #expect(h.address == "192.0.2.77")
        #expect(h.reverseName == nil && h.noReverseName)
        #expect(h.by == "mx1.example.org" && h.software == "Postfix")
        #expect(h.id == "4QyB7b5Wm1z9sWB" && h.recipient == "j.ortega@example.org")
        #expect(h.tlsVersion == "TLSv1.2" && h.cipher == "ECDHE-RSA-AES256-GCM-SHA384")
        #expect(h.usedTLS && !h.usedAuth && h.isSMTP)
        #expect(h.time == 1_796_216_729)   // 13:05:29 UTC
    }

    @Test func gmailAndMicrosoft() throws {
        let g = try hop("from mail.shop.example (mail.shop.example. [198.51.100.23]) by mx.google.com with ESMTPS id d9443c01a7336-2a3c1e0b5d1si2210455ad.412.2026.11.30.08.12.44 for <alice.nguyen@gmail.com> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Mon, 30 Nov 2026 08:12:44 -0800 (PST)")
        #expect(g.reverseName == "mail.shop.example" && !g.noReverseName && g.address == "198.51.100.23")
        #expect(g.tlsVersion == "TLSv1.3" && g.cipher == "TLS_AES_256_GCM_SHA384")
        #expect(g.time == 1_796_055_164)
        let m = try hop("from smtp.northwind-traders.example (203.0.113.45) by BN2PEPF000044A9.mail.protection.outlook.com (10.167.243.160) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8207.18 via Frontend Transport; Tue, 1 Dec 2026 09:41:25 +0000")
        #expect(m.helo == "smtp.northwind-traders.example" && m.address == "203.0.113.45" && !m.noReverseName)
        #expect(m.byAddress == "10.167.243.160" && m.protocolName == "Microsoft SMTP Server")
        // The build number is not a queue id.
        #expect(m.id == nil && m.tlsVersion == "TLSv1.2" && m.isSMTP)
        let mailbox = try hop("from PH7PR12MB5736.namprd12.prod.outlook.com (2603:10b6:510:1e3::9) by SA1PR12MB8641.namprd12.prod.outlook.com with HTTPS; Tue, 1 Dec 2026 09:41:27 +0000")
        #expect(mailbox.address == "2603:10b6:510:1e3::9" && !mailbox.isSMTP)
        // Gmail's internal hop names no client.
        #expect(try !hop("by 2002:a05:7300:5c8e:b0:f4:2d1:9f37 with SMTP id ab14csp2841302dyc; Mon, 30 Nov 2026 08:12:44 -0800 (PST)").isSMTP)
    }

    @Test func eximForms() throws {
        let named = try hop("from mail-out2.acme-analytics.example ([198.51.100.140]) by mx.example.co.uk with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <reports@acme-analytics.example>) id 1tQ8ZK-00A1Bc-2f for ops@example.co.uk; Thu, 03 Dec 2026 09:47:12 +0000")
        #expect(named.reverseName == "mail-out2.acme-analytics.example" && !named.noReverseName)
        #expect(named.cipher == "TLS_AES_256_GCM_SHA384" && named.tlsVersion == "TLSv1.3")
        #expect(named.software == "Exim 4.96" && named.envelopeFrom == "reports@acme-analytics.example")
        #expect(named.id == "1tQ8ZK-00A1Bc-2f" && named.recipient == "ops@example.co.uk")
        let helo = try hop("from host.example.net ([192.0.2.9] helo=laptop) by mx.example.org with esmtp (Exim 4.97) id 1abc-0001-AB; Thu, 03 Dec 2026 09:47:12 +0000")
        #expect(helo.helo == "laptop" && helo.reverseName == "host.example.net" && helo.address == "192.0.2.9")
        let bare = try hop("from [192.0.2.10] (helo=WIN-7Q2) by mx.example.org with esmtpa (Exim 4.97) id 1abc-0002-AB; Thu, 03 Dec 2026 09:47:12 +0000")
        #expect(bare.helo == "WIN-7Q2" && bare.address == "192.0.2.10" && bare.noReverseName && bare.usedAuth && !bare.usedTLS)
    }

    @Test func qmailSendmailCourierDovecot() throws {
        let q = try hop("from unknown (HELO mail.example.com) (192.0.2.33) by mx.example.net with SMTP; 4 Dec 2026 10:00:01 -0000")
        #expect(q.helo == "mail.example.com" && q.address == "192.0.2.33" && q.noReverseName)
        #expect(q.time == 1_796_378_401)
        let s = try hop("from client.example.com (client.example.com [198.51.100.5]) by mx.example.org (8.17.1/8.17.1) with ESMTPS id 5B4A0x1Q012345 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <bob@example.org>; Fri, 4 Dec 2026 10:00:02 GMT")
        #expect(s.software == "Sendmail 8.17.1" && s.tlsVersion == "TLSv1.3" && s.reverseName == "client.example.com")
        let c = try hop("from laptop.example.com (laptop.example.com [198.51.100.6]) (AUTH: LOGIN bob, TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384) by mail.example.com with ESMTPSA; Fri, 04 Dec 2026 10:00:03 +0000")
        #expect(c.usedAuth && c.usedTLS && c.cipher == "TLS_AES_256_GCM_SHA384" && c.tlsVersion == "TLSv1.3")
        let l = try hop("from mx1.example.org by mx1.example.org with LMTP id 8Kp3ABq1Y2nRGAAAwSYf0g (envelope-from <a@b.example>) for <j@example.org>; Wed, 02 Dec 2026 14:05:31 +0100")
        #expect(l.isLMTP && l.isSMTP && l.envelopeFrom == "a@b.example" && l.id == "8Kp3ABq1Y2nRGAAAwSYf0g")
    }

    @Test func mailDates() {
        #expect(MailDate.parse("Mon, 30 Nov 2026 08:12:44 -0800 (PST)") == 1_796_055_164)
        #expect(MailDate.parse("30 Nov 2026 16:12:44 GMT") == 1_796_055_164)
        #expect(MailDate.parse("Mon, 30 Nov 26 08:12 PST") == 1_796_055_120)
        #expect(MailDate.parse("not a date") == nil)
        #expect(MailDate.parse("Mon, 31 Foo 2026 08:12:44 +0000") == nil)
        #expect(MailDate.parse("1 Jan 99999999999999999999 00:00:00 +0000") == nil)
    }

    @Test func authenticationResults() throws {
        func field(_ v: String, _ name: String = "Authentication-Results") -> HeaderField {
            HeaderField(name: name, key: name.lowercased(), value: v, firstLine: 7, lastLine: 9)
        }
        let g = try #require(AuthenticationResults(field("mx.google.com; dkim=pass header.i=@a.example header.s=s1 header.b=Xy; spf=softfail (google.com: domain of transitioning x@a.example does not designate 198.51.100.23 as permitted sender) smtp.mailfrom=x@a.example; dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=QUARANTINE) header.from=a.example")))
        #expect(g.authservID == "mx.google.com")
        #expect(g.verdict("spf")?.result == "softfail" && g.spfAddress == "198.51.100.23")
        #expect(g.verdict("dmarc")?.comment == "p=QUARANTINE sp=QUARANTINE dis=QUARANTINE")
        #expect(g.verdict("dkim")?.properties["header.i"] == "@a.example")
        let m = try #require(AuthenticationResults(field("spf=softfail (sender IP is 203.0.113.45) smtp.mailfrom=n.example; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=n.example;compauth=fail reason=001")))
        #expect(m.authservID == nil && m.spfAddress == "203.0.113.45")
        #expect(m.verdict("compauth")?.properties["reason"] == "001" && m.verdict("dmarc")?.properties["action"] == "none")
        let spf = try #require(AuthenticationResults(receivedSPF: field("SoftFail (protection.outlook.com: domain of transitioning n.example discourages use of 203.0.113.45 as permitted sender) receiver=protection.outlook.com; client-ip=203.0.113.45; helo=smtp.n.example;", "Received-SPF")))
        #expect(spf.verdict("spf")?.result == "softfail" && spf.spfAddress == "203.0.113.45")
        // Two DKIM signatures: one passing is the verdict.
        let two = try #require(AuthenticationResults(field("mx.example.org; dkim=fail header.d=esp.example; dkim=pass header.d=a.example")))
        #expect(two.verdict("dkim")?.properties["header.d"] == "a.example")
        #expect(AuthenticationResults(field("mx.example.org; none")) == nil)
    }

    // MARK: the reader

    private func sample(_ name: String) throws -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return try String(contentsOf: url.appendingPathComponent("samples/headers/" + name), encoding: .utf8)
    }

    @Test func gmailShowOriginalWithItsSummaryOnTop() throws {
        let all = try sessions(try sample("gmail-dmarc-quarantine.txt"))
        #expect(all.map(\.format) == ["message-headers", "message-headers"])
        #expect(all.map { $0.attributes["hop"] } == ["1/2", "2/2"])
        #expect(all.allSatisfy { $0.outcome == .delivered })
        let edge = all[1]
        #expect(edge.server.host == "mx.google.com" && edge.client.address == "198.51.100.23" && edge.tls?.version == "TLSv1.3")
        #expect(edge.attributes["auth-dmarc"] == "fail" && edge.attributes["auth-dmarc-disposition"] == "quarantine")
        #expect(edge.attributes["auth-spf"] == "softfail" && edge.attributes["auth-spf-domain"] == "shop.example")
        #expect(edge.attributes["hop-delay"] == "634" && edge.attributes["held-by"] == "mail.shop.example")
        #expect(edge.transactions.first?.recipients.first?.address == "alice.nguyen@gmail.com")
        #expect(edge.notes.contains { $0.text.hasPrefix("Authentication-Results: mx.google.com;") && $0.position.line == 32 })
        // The first hop has no verdicts: they belong to the receiver's side.
        #expect(all[0].attributes["auth-dmarc"] == nil && all[0].attributes["hop-delay"] == nil)
        #expect(all[0].transactions.first?.queueID == "4QxPq71bYzz1xn")
    }

    @Test func microsoftBoundaryIsTheHopSPFWasCheckedFor() throws {
        let all = try sessions(try sample("microsoft-365-junk.txt"))
        // Three SMTP hops; the last field (HTTPS to the mailbox) is not one.
        #expect(all.count == 3)
        #expect(all[0].attributes["ms-sfv"] == "SPM" && all[0].attributes["ms-cat"] == "SPOOF" && all[0].attributes["ms-scl"] == "5")
        #expect(all[0].attributes["auth-compauth-reason"] == "001")
        #expect(all[1].attributes["ms-sfv"] == nil && all[2].attributes["auth-spf"] == nil)
        #expect(all[0].server.address == nil && all[0].attributes["received-by-address"] == "10.167.243.160")
    }

    @Test func mboxGivesOneMessageAfterAnother() throws {
        let all = try sessions(try sample("rspamd-two-messages.mbox"))
        #expect(all.count == 4)
        #expect(all.map { $0.attributes["message"] ?? "1" } == ["1", "1", "2", "2"])
        #expect(all[0].attributes["spam-filter"] == "rspamd" && all[0].attributes["spam-action"] == "add header")
        #expect(all[0].attributes["spam-score"] == "9.40/15.00")
        #expect(all[0].attributes["spam-symbols"]?.hasPrefix("BAYES_SPAM 5.10; RBL_SPAMHAUS_CSS 2.00") == true)
        #expect(all[2].attributes["spam-action"] == "no action")
    }

    @Test func barracudaIsReadAsSpamAssassin() throws {
        let text = """
        Received: from mail.vendor.example (mail.vendor.example [198.51.100.41]) by mx.example.org (Postfix) with ESMTPS id 4QzC8; Fri, 04 Dec 2026 10:00:03 +0000
        Received: from mail.vendor.example (mail.vendor.example [198.51.100.41]) by gw.example.org with ESMTP id kQ2xZp; Fri, 04 Dec 2026 10:00:01 +0000
        X-Barracuda-Spam-Flag: YES
        X-Barracuda-Spam-Status: Yes, SCORE=8.21 using global scores of TAG_LEVEL=3.5 QUARANTINE_LEVEL=1000.0
        	KILL_LEVEL=9.0 tests=BSF_SC0_SA085b, HTML_MESSAGE, RDNS_NONE
        From: offers@vendor.example
        Subject: offer

        """
        let all = try sessions(text)
        let tagged = try #require(all.first { $0.attributes["spam-filter"] != nil })
        #expect(tagged.attributes["spam-filter"] == "barracuda" && tagged.attributes["spam-action"] == "tagged")
        #expect(tagged.attributes["spam-score"] == "8.21/3.5")
        #expect(tagged.attributes["spam-symbols"] == "BSF_SC0_SA085b; HTML_MESSAGE; RDNS_NONE")
    }

    @Test func bouncesStayBounces() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let dir = url.appendingPathComponent("samples/bounce")
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.hasSuffix(".txt") {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            #expect(try sessions(text).first?.format == "bounce", "\(f)")
        }
        // A bounce's own headers say so even when its body has no marker the bounce reader knows.
        let dsn = "Return-Path: <>\nReceived: from mx.example.org by mx.example.org with LMTP; Fri, 04 Dec 2026 10:00:03 +0000\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nSubject: Undelivered Mail Returned to Sender\nTo: a@example.org\n\nSorry.\n"
        #expect(try sessions(dsn).first?.format != "message-headers")
    }

    @Test func aTypedSessionWithHeadersInItsDataStaysATranscript() throws {
        let text = "220 mx.example.org ESMTP Postfix\nHELO laptop\n250 mx.example.org\nMAIL FROM:<a@example.net>\n250 2.1.0 Ok\nRCPT TO:<b@example.org>\n250 2.1.5 Ok\nDATA\n354 End data with <CR><LF>.<CR><LF>\nReceived: from laptop by laptop; Fri, 4 Dec 2026 10:00:00 +0000\nFrom: a@example.net\nTo: b@example.org\nSubject: test\n\nhello\n.\n250 2.0.0 Ok: queued as 4QzB2\n"
        let all = try sessions(text)
        #expect(all.first?.format == "telnet")
        #expect(all.first?.outcome == .delivered)
    }

    @Test func headersWithoutReceivedOrNoHeadersAtAll() throws {
        let sent = try sessions("From: a@example.org\nTo: b@example.net\nSubject: hi\nDate: Fri, 04 Dec 2026 10:00:03 +0000\n\nbody\n", format: "message-headers")
        #expect(sent.count == 1 && sent[0].exchanges.isEmpty)
        #expect(sent[0].notes.first?.text.contains("no Received: field") == true)
        let none = try sessions("just some text\n", format: "message-headers")
        #expect(none.first?.notes.first?.text.hasPrefix("No message header section found") == true)
    }

    @Test func hostileHeadersStayBounded() throws {
        // Endless fields, one endless folded field, endless Received fields: bounded state, no crash.
        var text = "Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTP id X; Fri, 04 Dec 2026 10:00:03 +0000\n"
        text += String(repeating: "X-Junk: \(String(repeating: "z", count: 50))\n", count: 20_000)
        text += "X-Long: start\n" + String(repeating: "\t\(String(repeating: "y", count: 200))\n", count: 5_000)
        text += String(repeating: "Received: from c.example ([192.0.2.2]) by d.example with SMTP; Fri, 04 Dec 2026 10:00:04 +0000\n", count: 5_000)
        text += "Received: (((((((((( unbalanced <<<< \"quote\n\n"
        let all = try sessions(text, format: "message-headers")
        #expect(all.count <= MessageHeaderReader.maxHops)
        #expect(!all.isEmpty)
        var section = HeaderSection()
        section.start(Array("X-Long: a".utf8)[...], nameLength: 6, number: 1)
        for i in 0..<1_000 { section.continueField(Array("\t\(String(repeating: "q", count: 100))".utf8)[...], number: i + 2) }
        section.close()
        #expect(section.fields[0].value.utf8.count == HeaderSection.maxValueBytes && section.truncated)
    }
}
