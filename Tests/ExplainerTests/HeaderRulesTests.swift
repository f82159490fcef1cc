import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// A delivered message's headers: why it went to Junk, what failed authentication, where it waited.
@Suite struct HeaderRulesTests {
    private func explained(_ file: String) throws -> [ExplainedSession] { try explainedSample("headers/" + file) }

    private func ids(_ e: ExplainedSession) -> [String] { e.findings.map(\.id).filter { $0 != "reached-data" } }

    @Test func gmailQuarantinedForDMARC() throws {
        let all = try explained("gmail-dmarc-quarantine.txt")
        #expect(ids(all[0]).isEmpty && all[0].primaryReason == .delivered)
        let edge = all[1]
        #expect(Set(ids(edge)) == ["dmarc-failed", "filed-as-spam", "spf-failed", "message-held"])
        #expect(edge.summary.hasPrefix("Filed as spam by mx.google.com: DMARC failed and shop.example's policy says quarantine"))
        #expect(edge.summary.hasSuffix("the recipient may not see it."))
        #expect(edge.primaryReason == .authfailure)
        let dmarc = try #require(edge.findings.first { $0.id == "dmarc-failed" })
        #expect(dmarc.title == "DMARC failed for shop.example (policy quarantine, applied: quarantine)")
        #expect(dmarc.explanation.contains("SPF: softfail for shop.example. DKIM: no result"))
        #expect(dmarc.actions.first?.hasPrefix("Sign with DKIM for shop.example itself (d=shop.example)") == true)
        #expect(dmarc.evidence.first?.text.hasPrefix("Authentication-Results: mx.google.com;") == true)
        let spf = try #require(edge.findings.first { $0.id == "spf-failed" })
        #expect(spf.title == "SPF soft-failed: 198.51.100.23 is not listed for shop.example")
        let held = try #require(edge.findings.first { $0.id == "message-held" })
        #expect(held.title == "Held 10m at mail.shop.example before mx.google.com received it")
    }

    @Test func microsoftJunkForSpoofing() throws {
        let all = try explained("microsoft-365-junk.txt")
        let edge = all[0]
        let junk = try #require(edge.findings.first { $0.id == "filed-as-spam" })
        #expect(junk.title == "Filed as spoofed mail (the From: domain failed authentication) by Microsoft 365 (the spam filter marked it as spam, spam confidence level 5)")
        #expect(junk.reason == .authfailure)
        #expect(junk.explanation.contains("SFV:SPM SCL:5 CAT:SPOOF IPV:NLI"))
        #expect(junk.actions.contains { $0.hasPrefix("Senders: make SPF, DKIM and DMARC pass") })
        let comp = try #require(edge.findings.first { $0.id == "composite-auth-failed" })
        #expect(comp.explanation.contains("Reason 001: the message failed implicit authentication"))
        #expect(edge.findings.first { $0.id == "dkim-failed" }?.title == "The message carries no DKIM signature")
        #expect(edge.findings.first { $0.id == "dmarc-failed" }?.title == "DMARC failed for northwind-traders.example (applied: none)")
        #expect(edge.summary.hasPrefix("Filed as spoofed mail"))
        // Microsoft's internal hops: nothing to say, and no internal-address warning for the server.
        #expect(ids(all[1]).isEmpty && ids(all[2]).isEmpty)
        #expect(!edge.findings.contains { $0.id == "name-resolves-internally" })
    }

    @Test func spamAssassinHeaderVerdict() throws {
        let edge = try explained("spamassassin-tagged.eml")[0]
        let tagged = try #require(edge.findings.first { $0.id == "spam-filter-tagged" })
        #expect(tagged.title == "SpamAssassin marked it as spam (score 7.9, spam from 5.0): the sending IP is on a DNS blocklist; SPF does not allow the sending IP for the envelope domain; the statistical (Bayes) filter finds the content spammy")
        #expect(tagged.evidence.first?.text.hasPrefix("X-Spam-Status: Yes, score=7.9") == true)
        #expect(edge.findings.first { $0.id == "client-without-reverse-dns" }?.title == "192.0.2.77 has no reverse DNS name")
        // DMARC passed (p=none, DKIM aligned): no DMARC finding, and SPF's says it did not hurt.
        #expect(!ids(edge).contains("dmarc-failed"))
        #expect(edge.findings.first { $0.id == "spf-failed" }?.explanation.contains("DMARC still passed (through DKIM)") == true)
    }

    @Test func proofpointBulkVerdict() throws {
        let all = try explained("proofpoint-bulk.eml")
        let edge = all[0]
        #expect(edge.session.attributes["spam-filter"] == "proofpoint" && edge.session.attributes["spam-rule"] == "inbound_bulk")
        #expect(edge.session.attributes["spam-symbols"] == "bulkscore 92; spamscore 61; suspectscore 4")
        let tagged = try #require(edge.findings.first { $0.id == "spam-filter-tagged" })
        // Categories under 50 of 100 are listed, not named as causes; the engine's own scores (mlx, clx) are left out.
        #expect(tagged.title == "Proofpoint marked it as bulk mail (score 92): it is bulk mail (newsletters, marketing); the classifier rates the content as spam")
        #expect(tagged.explanation.hasSuffix("Rule inbound_bulk; category scores (out of 100): bulkscore 92, spamscore 61, suspectscore 4."))
        #expect(tagged.evidence.first?.text.hasPrefix("X-Proofpoint-Spam-Details: rule=inbound_bulk") == true)
        #expect(tagged.actions.first?.hasPrefix("Bulk mail is filed apart by policy") == true)
        #expect(ids(all[1]).isEmpty)
    }

    /// `rule=..._notspam` is Proofpoint's pass: no finding, whatever a category scored.
    @Test func proofpointPassIsNoFinding() throws {
        let text = """
        Received: from mail.partner.example (mail.partner.example [198.51.100.8]) by pps.example.org (PPS) with ESMTPS id 3w1; Fri, 04 Dec 2026 10:00:03 +0000
        X-Proofpoint-Spam-Details: rule=inbound_notspam policy=inbound score=0 phishscore=0 bulkscore=12
         spamscore=0 mlxscore=0 mlxlogscore=999 classifier=spam adjust=0 reason=mlx scancount=1
        From: a@partner.example
        Subject: minutes

        """
        var out: [ExplainedSession] = []
        _ = try InputDriver.read(name: "h.eml", bytes: Array(text.utf8)) { out.append(Explainer().explain($0)) }
        let s = try #require(out.first)
        #expect(s.session.attributes["spam-action"] == "no action" && s.session.attributes["spam-score"] == "0")
        #expect(!s.findings.contains { $0.id.hasPrefix("spam-filter") })
    }

    /// A hosting provider's SpamExperts filter in front of Exim: class, combined probability and its advice.
    @Test func spamExpertsVerdict() throws {
        let all = try explained("spamexperts-spam.eml")
        let edge = all[0]
        #expect(edge.session.attributes["spam-filter"] == "spamexperts" && edge.session.attributes["spam-rule"] == "spam")
        let tagged = try #require(edge.findings.first { $0.id == "spam-filter-tagged" })
        #expect(tagged.title == "SpamExperts marked it as spam (spam probability 0.97)")
        #expect(tagged.explanation.hasSuffix("Class spam; its advice to the receiving server: reject."))
        #expect(tagged.evidence.first?.text == "X-SpamExperts-Class: spam")
        #expect(edge.primaryReason == .spamdetected)
        #expect(ids(all[1]).isEmpty)
    }

    private func headers(_ text: String) throws -> ExplainedSession {
        var out: [ExplainedSession] = []
        _ = try InputDriver.read(name: "h.eml", bytes: Array(text.utf8)) { out.append(Explainer().explain($0)) }
        return try #require(out.first)
    }

    private let hop = "Received: from mail.partner.example (mail.partner.example [198.51.100.8]) by mx.example.org with ESMTPS id 3w1; Fri, 04 Dec 2026 10:00:03 +0000\n"

    /// The sender's provider's outgoing filter (`-Outgoing-` fields, the older `X-Spampanel` name) judged the
    /// message on its way out; `ham` and `unsure` are passes.
    @Test func spamExpertsOutgoingClassAndPasses() throws {
        let out = try headers(hop + "X-Spampanel-Outgoing-Class: virus\nX-Spampanel-Outgoing-Evidence: Combined (1.00)\nX-Recommended-Action: reject\nSubject: x\n\n")
        let tagged = try #require(out.findings.first { $0.id == "spam-filter-tagged" })
        #expect(tagged.title == "SpamExperts marked it as a virus (spam probability 1.00)")
        #expect(tagged.explanation.contains("the sender's provider's outgoing filter"))
        #expect(tagged.actions.contains { $0.hasPrefix("The sender should ask their provider") })
        for cls in ["ham", "unsure"] {
            let pass = try headers(hop + "X-SpamExperts-Outgoing-Class: \(cls)\nX-SpamExperts-Outgoing-Evidence: Combined (0.88)\nX-Recommended-Action: accept\nSubject: x\n\n")
            #expect(pass.session.attributes["spam-action"] == "no action" && pass.session.attributes["spam-score"] == "0.88")
            #expect(!pass.findings.contains { $0.id.hasPrefix("spam-filter") }, "\(cls)")
        }
    }

    /// Kaspersky names a class; Trend Micro gives a score and the threshold it is measured against.
    @Test func kasperskyAndTrendMicroVerdicts() throws {
        let k = try headers(hop + "X-Spamtest-Status: Probable Spam\nX-Spamtest-Status-Extended: probable_spam\nSubject: x\n\n")
        #expect(k.findings.first { $0.id == "spam-filter-tagged" }?.title == "Kaspersky Anti-Spam marked it as probable spam")
        #expect(k.findings.first { $0.id == "spam-filter-tagged" }?.evidence.first?.text == "X-Spamtest-Status-Extended: probable_spam")
        let kPass = try headers(hop + "X-Spamtest-Status: Not detected\nSubject: x\n\n")
        #expect(kPass.session.attributes["spam-action"] == "no action")
        let t = try headers(hop + "X-TMASE-Version: SMEX-14.0.0.3197-9.1.1006-28072.004\nX-TMASE-Result: 10-8.545900-5.000000\nSubject: x\n\n")
        #expect(t.findings.first { $0.id == "spam-filter-tagged" }?.title == "Trend Micro marked it as spam (score 8.55, spam from 5.00)")
        let tPass = try headers(hop + "X-TMASE-Result: 10--2.311400-5.000000\nSubject: x\n\n")
        #expect(tPass.session.attributes["spam-score"] == "-2.31/5.00" && tPass.session.attributes["spam-action"] == "no action")
        #expect(!tPass.findings.contains { $0.id.hasPrefix("spam-filter") })
    }

    @Test func eximHopHeldTwentyFiveMinutes() throws {
        let all = try explained("exim-held-25-minutes.eml")
        #expect(ids(all[0]).isEmpty)
        #expect(ids(all[1]) == ["message-held"])
        #expect(all[1].findings.first { $0.id == "message-held" }?.title == "Held 25m at mail-out2.acme-analytics.example before mx.example.co.uk received it")
        #expect(all[1].summary.hasPrefix("Delivered: "))
    }

    @Test func rspamdVerdictPerMessage() throws {
        let all = try explained("rspamd-two-messages.mbox")
        #expect(all[0].findings.first?.id == "spam-filter-tagged")
        let dkim = try #require(all[0].findings.first { $0.id == "dkim-failed" })
        #expect(dkim.explanation.contains("a signed header changed on the way"))
        #expect(all[2].primaryReason == .delivered && ids(all[2]).isEmpty)
    }

    @Test func dmarcReportRecords() throws {
        let all = try explainedSample("dmarc/google.com!shop.example!1796342400!1796428799.xml")
        #expect(ids(all[0]).isEmpty && all[0].primaryReason == .delivered)
        let esp = all[1]
        #expect(esp.summary.hasPrefix("Filed as spam by google.com: DMARC failed and shop.example's policy says quarantine (340 messages from 203.0.113.80)"))
        let dmarc = try #require(esp.findings.first { $0.id == "dmarc-failed" })
        #expect(dmarc.explanation.contains("SPF passed, but for bounces.mailer-esp.example (the envelope sender's domain), not shop.example"))
        #expect(dmarc.explanation.contains("DKIM passed, but signed by mailer-esp.example, not shop.example"))
        #expect(dmarc.evidence.first?.text.hasPrefix("340 messages from 203.0.113.80") == true)
        #expect(!esp.findings.contains { $0.id == "accepted-then-filtered" })
        let list = try #require(all[3].findings.first { $0.id == "dmarc-failed" })
        #expect(list.explanation.contains("The receiver did not apply the policy (mailing_list): it came through a mailing list"))
        let rejected = try explainedSample("dmarc/enterprise.protection.outlook.com!northwind-traders.example!1796342400!1796428800.xml.gz")[0]
        #expect(rejected.primaryReason == .authfailure && rejected.session.outcome == .rejected)
    }

    @Test func mailingListBrokeTheSignature() throws {
        let all = try explainedSample("headers/mailing-list-broke-dkim.eml")
        #expect(all.count == 3 && ids(all[0]).isEmpty && ids(all[1]).isEmpty)
        let edge = all[2]
        #expect(edge.session.attributes["arc-first-by"] == "lists.forum.example" && edge.session.attributes["arc-first-dmarc"] == "pass")
        let broke = try #require(edge.findings.first { $0.id == "forwarding-broke-authentication" })
        #expect(broke.title == "DMARC and DKIM passed at lists.forum.example (the first ARC seal) and failed at mx.google.com: forwarding broke it")
        #expect(broke.evidence.contains { $0.text.hasPrefix("ARC-Authentication-Results: i=1; lists.forum.example;") })
        #expect(edge.findings.first { $0.id == "dkim-failed" }?.explanation.contains("The body changed after it was signed") == true)
        #expect(edge.findings.first { $0.id == "dmarc-failed" }?.explanation.contains("SPF passed, but for lists.forum.example") == true)
        // Gmail's own ARC record of its own verdict is not a forwarder's.
        let gmail = try explainedSample("headers/gmail-dmarc-quarantine.txt")[1]
        #expect(gmail.session.attributes["arc-first-by"] == nil && !ids(gmail).contains("forwarding-broke-authentication"))
    }

    @Test func alignmentIsNamed() {
        let a = ["auth-spf": "pass", "auth-spf-domain": "bounces.esp.example", "auth-dkim": "pass", "auth-dkim-domain": "esp.example"]
        #expect(HeaderRules.alignment(a, domain: "shop.example")
                == "SPF passed, but for bounces.esp.example (the envelope sender's domain), not shop.example: it does not count for DMARC. DKIM passed, but signed by esp.example, not shop.example: it does not count for DMARC.")
        #expect(HeaderRules.aligned("mail.shop.example", "shop.example"))
        #expect(!HeaderRules.aligned("shop.example.net", "shop.example"))
    }

    @Test func outboxDelayAndAWrongClock() throws {
        let text = """
        Received: from mx.example.org (mx.example.org [192.0.2.20]) by mail.example.net (Postfix) with ESMTPS id 4QzD1; Fri, 04 Dec 2026 12:00:30 +0000
        Received: from laptop.example.org (laptop.example.org [198.51.100.30]) (Authenticated sender: jo@example.org) by mx.example.org (Postfix) with ESMTPSA id 4QzD0; Fri, 04 Dec 2026 12:10:00 +0000
        Date: Fri, 04 Dec 2026 09:05:00 +0000
        From: jo@example.org
        Subject: minutes

        """
        var out: [Session] = []
        _ = try InputDriver.read(name: "late.eml", bytes: Array(text.utf8)) { out.append($0) }
        let all = out.map { Explainer().explain($0) }
        let late = try #require(all[0].findings.first { $0.id == "sent-late" })
        #expect(late.title == "Received by the first server 3h5m after its Date:")
        #expect(late.evidence.contains { $0.text == "Date: Fri, 04 Dec 2026 09:05:00 +0000" })
        // The second server's clock is 9.5 minutes behind the first's.
        #expect(all[1].findings.first { $0.id == "clock-skew" }?.title == "The clocks of mx.example.org and mail.example.net disagree by 9m30s")
        #expect(!all[1].findings.contains { $0.id == "message-held" })
        #expect(all[1].session.attributes["transit"] == "-570")
    }

    @Test func unencryptedPublicHop() throws {
        let text = "Received: from mail.partner.example (mail.partner.example [198.51.100.9]) by mx.example.org (Postfix) with ESMTP id 4QzA1; Fri, 04 Dec 2026 10:00:03 +0000\nAuthentication-Results: mx.example.org; spf=pass smtp.mailfrom=partner.example; dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example\nFrom: a@partner.example\nSubject: x\n\n"
        var out: [Session] = []
        _ = try InputDriver.read(name: "h.eml", bytes: Array(text.utf8)) { out.append($0) }
        let e = Explainer().explain(try #require(out.first))
        #expect(e.findings.first { $0.id == "unencrypted-hop" }?.title == "Sent without TLS from 198.51.100.9 to mx.example.org")
        #expect(e.findings.allSatisfy { $0.severity != .error })
    }
}
