import Testing
@testable import Explainer
import TranscriptModel

/// The phrase automaton must find exactly what a substring search finds, for every phrase of the table.
@Suite struct PhraseIndexTests {
    static let phrases = ReplyKnowledge.rows.flatMap { $0.any + $0.all + $0.none }

    func agrees(_ index: PhraseIndex, _ phrases: [String], on text: String) {
        let found = index.find(in: text)
        for p in Set(phrases) where !p.isEmpty {
            let id = index.id(p)!
            #expect(found.contains(id) == Bytes.contains(text, p), "\(p) in \(text)")
        }
    }

    @Test func overlappingPhrases() {
        let phrases = ["he", "she", "his", "hers", "user unknown", "unknown", "user", "ser u", "s"]
        let index = PhraseIndex(phrases)
        #expect(index.count == phrases.count)
        for text in ["ushers", "this user unknown here", "unknow", "", "hhhers", "a user", "uuser unknownn"] {
            agrees(index, phrases, on: text)
        }
    }

    @Test func knowledgeTableReplies() {
        let index = ReplyKnowledge.phrases
        let replies = [
            "550 5.1.1 <bob@example.com>: recipient address rejected: user unknown in virtual mailbox table",
            "554 5.7.1 service unavailable; client host [203.0.113.9] blocked using zen.spamhaus.org",
            "450 4.2.0 <erin@example.test>: recipient address rejected: greylisted, see https://postgrey.example.test/",
            "550 5.7.26 this mail has been blocked because the sender is unauthenticated. gmail requires all senders to authenticate with either spf or dkim.",
            "421 4.7.0 [192.0.2.1] our system has detected an unusual rate of unsolicited mail originating from your ip address.",
            "550 5.7.606 access denied, banned sending ip [192.0.2.1].",
            "552 5.3.4 message size exceeds fixed limit", "530 5.7.0 must issue a starttls command first",
            "535 5.7.8 error: authentication failed: authentication failure", "250 2.0.0 ok: queued as 4f2a11c0a3",
        ] + Self.phrases.prefix(200).map { "x \($0) y" }
        for r in replies { agrees(index, Self.phrases, on: r) }
    }

    @Test func randomTextAgreesWithSubstringSearch() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghilmnorstu .:-0123456789".utf8)
        let phrases = Array(Self.phrases.prefix(400))
        let index = PhraseIndex(phrases)
        for _ in 0..<200 {
            // Glue random phrases and random bytes, so phrases overlap and straddle each other.
            var text = ""
            for _ in 0..<6 {
                if Bool.random(using: &rng), let p = phrases.randomElement(using: &rng) { text += String(p.dropFirst(Int.random(in: 0...2, using: &rng))) }
                text += String(decoding: (0..<Int.random(in: 0...5, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
            }
            agrees(index, phrases, on: text)
        }
    }
}
