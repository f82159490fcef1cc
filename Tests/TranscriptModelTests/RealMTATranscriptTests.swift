import Foundation
import Testing
@testable import TranscriptModel

/// The telnet-style transcripts recorded from real Postfix and Exim (../shared/corpus/real-mta).
@Suite struct RealMTATranscriptTests {
    static let expectations: [(String, Outcome, Stage?)] = [
        ("pf-delivered", .delivered, nil),
        ("pf-relay-denied", .rejected, .rcpt),
        ("pf-unknown-recipient", .rejected, .rcpt),
        ("pf-bad-helo", .rejected, .rcpt),
        ("pf-no-angle-brackets", .rejected, .mail),
        ("pf-size-declared", .rejected, .mail),
        ("pf-starttls-delivered", .delivered, nil),
        ("pf-submission-tls-required", .rejected, .mail),
        ("connection-refused", .unreachable, .connect),
        ("ex-delivered", .delivered, nil),
        ("ex-relay-denied", .rejected, .rcpt),
        ("ex-unknown-user", .rejected, .rcpt),
    ]

    @Test(arguments: expectations.map(\.0))
    func verdict(scenario: String) throws {
        guard let corpus = sharedCorpus else { return }
        let url = corpus.appendingPathComponent("real-mta/\(scenario)/transcript.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        let s = try session(text)
        let expected = Self.expectations.first { $0.0 == scenario }!
        #expect(s.outcome == expected.1, "\(scenario): outcome")
        #expect(s.failedStage == expected.2, "\(scenario): failedStage")
        #expect(s.format == "telnet")
    }
}
