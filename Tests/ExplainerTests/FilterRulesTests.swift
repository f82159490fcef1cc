import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// Every session of a file in samples/logs, explained.
func explainedLogSample(_ file: String) throws -> [ExplainedSession] { try explainedSample("logs/" + file) }

/// Every session of a file under samples/, explained.
func explainedSample(_ path: String) throws -> [ExplainedSession] {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    let data = try Data(contentsOf: url.appendingPathComponent("samples/" + path))
    var out: [Session] = []
    _ = try InputDriver.read(name: (path as NSString).lastPathComponent, bytes: Array(data)) { out.append($0) }
    return out.map { Explainer().explain($0) }
}

/// A message accepted in SMTP and then stopped by a filter: the verdict must not read as a success.
@Suite struct FilterRulesTests {
    private func explained(_ file: String) throws -> [ExplainedSession] { try explainedLogSample(file) }

    @Test func amavisDiscardIsTheReasonOnBothLegs() throws {
        let all = try explained("postfix-filtered.log")
        let inbound = try #require(all.first { $0.session.client.address == "198.51.100.7" })
        let f = try #require(inbound.findings.first)
        #expect(f.id == "accepted-then-filtered")
        #expect(f.reason == .spamdetected)
        #expect(f.title == "Accepted, then discarded as spam by amavis")
        #expect(f.actions.contains("If it is wanted, release the quarantined copy: `amavisd-release spam-Xq3xYz8Kp2Lm.gz`."))
        #expect(f.evidence.first?.text.contains("Blocked SPAM") == true)
        #expect(inbound.primaryReason == .spamdetected)
        #expect(inbound.session.outcome == .delivered)
        #expect(inbound.summary.hasPrefix("Accepted, then discarded as spam by amavis (queue id 4QbC1M2xYz): SMTP reported success"))
        // Postfix's hand-off to amavis: amavis's own 250 says it discarded the message.
        let handoff = try #require(all.first { $0.session.direction == .outbound })
        #expect(handoff.findings.first?.id == "accepted-then-filtered")
        #expect(handoff.findings.first?.title == "Accepted, then discarded as spam by the receiving side's filter")
        #expect(handoff.findings.first?.evidence.contains { $0.text.hasPrefix("250 2.7.0 Ok, discarded") } == true)
    }

    @Test func postfixRulesAndMilters() throws {
        let all = try explained("postfix-filtered.log")
        func finding(_ client: String) -> Finding? { all.first { $0.session.client.address == client }?.findings.first { $0.id == "accepted-then-filtered" } }
        #expect(finding("203.0.113.44")?.title == "Accepted, then discarded by a Postfix rule")
        #expect(finding("203.0.113.44")?.actions.first == "A discarded message is gone: once the cause is fixed, the sender has to send it again.")
        #expect(finding("198.51.100.60")?.reason == .onhold)
        #expect(finding("198.51.100.60")?.actions.first == "Look at it with `postcat -q 4QbD3P4zAb`; release it with `postsuper -H 4QbD3P4zAb`, or delete it with `postsuper -d 4QbD3P4zAb`.")
        #expect(finding("192.0.2.80")?.title == "Accepted, then discarded by a milter")
        // Passed by amavis and delivered: nothing to say.
        let clean = try #require(all.first { $0.session.client.address == "198.51.100.90" })
        #expect(clean.primaryReason == .delivered)
        #expect(clean.summary.hasPrefix("Delivered: "))
        #expect(all.filter { $0.session.direction == .outbound }.last?.findings.contains { $0.id == "accepted-then-filtered" } == false)
    }

    @Test func eximDiscardsAndBlackholes() throws {
        let all = try explained("exim-discard.log")
        #expect(all.map { $0.primaryReason } == [.spamdetected, .filtered, .delivered])
        #expect(all[0].findings.first?.title == "Accepted, then discarded as spam by an Exim ACL")
        #expect(all[1].findings.first?.title == "Accepted, then discarded by an Exim router (:blackhole:)")
    }

    @Test func aRefusedMessageIsNotAlsoFiltered() throws {
        // A 554 at the end of data (amavis as a before-queue proxy) is a rejection; the rule stays quiet.
        var out: [Session] = []
        let paste = "220 mx.example.com ESMTP\nEHLO c.example.net\n250 mx.example.com\nMAIL FROM:<a@example.net>\n250 2.1.0 Ok\nRCPT TO:<b@example.com>\n250 2.1.5 Ok\nDATA\n354 go ahead\nSubject: x\n\nhi\n.\n554 5.7.0 Reject, id=20025-09 - spam discarded\nQUIT\n221 Bye\n"
        _ = try InputDriver.read(name: "t.txt", bytes: Array(paste.utf8)) { out.append($0) }
        let x = Explainer().explain(try #require(out.first))
        #expect(!x.findings.contains { $0.id == "accepted-then-filtered" })
    }
}

/// Where the delivery agent put an accepted message.
@Suite struct MailboxRulesTests {
    private func explained() throws -> [ExplainedSession] { try explainedLogSample("postfix-dovecot.log") }

    @Test func junkFolderIsTheReasonAndTheVerdict() throws {
        let all = try explained()
        let junk = try #require(all.first { $0.session.direction == .inbound && $0.session.attributes["queue-id"] == "4QbF2B3cDe" })
        #expect(junk.primaryReason == .spamdetected)
        #expect(junk.summary == "Delivered into the 'Junk' folder of bob@example.com by a Sieve rule (queue id 4QbF2B3cDe): the recipient may not see it.")
        #expect(junk.findings.first?.id == "delivered-to-junk")
        #expect(junk.findings.first?.evidence.first?.text.contains("stored mail into mailbox 'Junk'") == true)
    }

    @Test func otherPlacesAreInfo() throws {
        let all = try explained().filter { $0.session.direction == .inbound }
        func ids(_ qid: String) -> [String] { all.first { $0.session.attributes["queue-id"] == qid }?.findings.map(\.id) ?? [] }
        #expect(ids("4QbF1A2bCd").contains("saved-to-mailbox"))
        #expect(ids("4QbF3C4dEf").contains("delivered-to-folder"))
        #expect(ids("4QbF5E6fGh").contains("forwarded-by-sieve"))
        #expect(ids("4QbF4D5eFg").first == "accepted-then-filtered")
        let inbox = try #require(all.first { $0.session.attributes["queue-id"] == "4QbF1A2bCd" })
        #expect(inbox.primaryReason == .delivered)
        #expect(inbox.findings.first { $0.id == "saved-to-mailbox" }?.title == "Saved in the INBOX of bob@example.com")
        let discarded = try #require(all.first { $0.session.attributes["queue-id"] == "4QbF4D5eFg" })
        #expect(discarded.findings.first?.title == "Accepted, then discarded by the recipient's Sieve rule")
        #expect(discarded.findings.first?.actions.contains { $0.contains("doveadm sieve list -u USER") } == true)
        #expect(discarded.findings.first?.evidence.first?.text.contains("marked message to be discarded") == true)
    }
}

/// Rspamd's score in words: the heaviest tests with a known meaning name the cause and the next steps.
@Suite struct SpamFilterRulesTests {
    private func explained(_ file: String) throws -> [ExplainedSession] { try explainedLogSample(file) }

    @Test func aRejectNamesItsHeaviestCauses() throws {
        for file in ["rspamd.log", "postfix-rspamd.log"] {
            let x = try #require(try explained(file).first { $0.session.client.address == "198.51.100.7" })
            let f = try #require(x.findings.first { $0.id == "spam-filter-refused" })
            #expect(f.title == "Rspamd refused it (score 18.42, refused from 15.00): the sending IP is on a DNS blocklist; the statistical (Bayes) filter finds the content spammy; the sending IP has no reverse DNS name that resolves back", "\(file)")
            #expect(f.reason == .blocked)
            #expect(x.primaryReason == .blocked)
            #expect(f.actions.first?.contains("check.spamhaus.org") == true)
            #expect(f.explanation.contains("RBL_SPAMHAUS_ZEN 7"))
        }
    }

    @Test func aTagIsTheJunkFolderWarning() throws {
        let x = try #require(try explained("rspamd.log").first { $0.session.attributes["spam-action"] == "add header" })
        #expect(x.primaryReason == .spamdetected)
        #expect(x.summary.hasPrefix("Rspamd marked it as spam (score 7.80, refused from 15.00): the statistical (Bayes) filter finds the content spammy; links in the message point to listed domains"))
        #expect(x.summary.hasSuffix("the recipient may not see it."))
    }

    @Test func greylistingAndCleanMailAreNotContentVerdicts() throws {
        let all = try explained("rspamd.log")
        #expect(all[1].findings.allSatisfy { !SpamFilterRules.ids.contains($0.id) })
        #expect(all[1].primaryReason == .delivered)
        #expect(all[3].primaryReason == .greylisted)
        #expect(all[3].findings.allSatisfy { $0.id != "spam-filter-refused" })
    }
}

@Suite struct SpamAssassinRulesTests {
    @Test func rulesWithoutScoresRankByTheTable() throws {
        let all = try explainedLogSample("postfix-spamassassin.log")
        let tagged = try #require(all.first { $0.session.client.address == "203.0.113.44" })
        let f = try #require(tagged.findings.first)
        #expect(f.id == "spam-filter-tagged")
        // The allow-list lookup (RCVD_IN_DNSWL_NONE) is no cause; the blocklist comes before Bayes.
        #expect(f.title == "SpamAssassin marked it as spam (score 14, spam from 5.0): the sending IP is on a DNS blocklist; the DKIM signature does not verify; the statistical (Bayes) filter finds the content spammy")
        #expect(tagged.summary.hasSuffix("(queue id 4QbG1H2iJk): the recipient may not see it."))
        let clean = try #require(all.first { $0.session.client.address == "198.51.100.60" })
        #expect(clean.primaryReason == .delivered)
        #expect(!clean.findings.contains { SpamFilterRules.ids.contains($0.id) })
    }
}
