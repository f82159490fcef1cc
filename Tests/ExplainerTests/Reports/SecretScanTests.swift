import Testing
import TranscriptModel
@testable import Explainer

/// `Scrubber.mayHoldSecret` skips ahead to anchor letters eight bytes at a time. It must answer exactly as a
/// plain scan that tries a key at every byte does, and say yes wherever `credentials` would rewrite a string.
@Suite struct SecretScanTests {
    /// The byte-by-byte scan the anchored one replaced: a key at each position, then its word.
    static func everyPosition(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { b in
            guard b.count >= 3 else { return false }
            for i in 0...(b.count - 3) where Scrubber.keyAt(b, i) && Scrubber.wordAt(b, i) { return true }
            return false
        }
    }

    static let pieces = ["auth", "AUTH", "Auth", "pass", "PASS", "pwd", "-ap", "-pw", "\rap", "secret", "SECRET", "secr",
                         "token", "toke", "apikey", "api_key", "api", "PLAIN", "LOGIN", "dXNlcgBwYXNz", "=", ":", " ", " ",
                         "  ", "word", "x", "-", "--password", "password", "password:", "k", "c", "u", "p", "P",
                         "é", "\u{0}", "\t", "\"", "{", ",", "0123", "Zm9v=", "sasl_method=LOGIN,", "auth=0/1"]

    @Test func anchoredScanAnswersAsTheScanOfEveryPosition() {
        var rng = SystemRandomNumberGenerator()
        var found = 0
        for _ in 0..<100_000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) { s += Self.pieces.randomElement(using: &rng)! }
            let want = Self.everyPosition(s)
            #expect(Scrubber.mayHoldSecret(s) == want, "\(s.debugDescription)")
            if want { found += 1 }
        }
        // Both answers occur often enough for the comparison to mean something.
        #expect(found > 10_000 && found < 90_000)
    }

    @Test func keysAtEveryOffsetOfALongLineAreSeen() {
        let scrubber = Scrubber(mode: .credentials, table: PlaceholderTable(), session: Session(input: "t", format: "telnet"))
        for key in ["password=x", "PASS hunter2", "AUTH PLAIN dXNlcgBwYXNz", "--password x", "token=abc", "-ap x",
                    "api_key=1", "secret: x"] {
            for pad in 0..<20 {
                let s = String(repeating: "a", count: pad) + " " + key + " and then some more prose"
                #expect(Scrubber.mayHoldSecret(s), "\(s)")
                #expect(scrubber.credentials(s) != s, "\(s)")
            }
        }
        #expect(!Scrubber.mayHoldSecret("SMTP AUTH on port 587 needs a password; the client passed the token check"))
        #expect(!Scrubber.mayHoldSecret("ehlo=2 starttls=1 mail=1 rcpt=1 auth=0/1 data=1 quit=1 commands=7"))
    }
}
