import Foundation
import Testing
@testable import TranscriptModel

/// The byte search behind `contains` and `range(of:)` on strings in this module finds what Foundation's
/// finds, at the same indices, for the phrases readers look for.
@Suite struct ByteSearchTests {
    static let texts = [
        "host mx.example.org[192.0.2.25] said: 550 5.1.1 <a@example.org>: Recipient address rejected (in reply to RCPT TO command)",
        "Name service error for name=example.net type=MX: Host not found, try again",
        "user@web01:~$ telnet mx.example.org 25",
        "Größe überschritten: 552 5.3.4 Nachricht zu groß — bitte kürzen",
        "550 5.7.1 メールボックスが見つかりません said: ok",
        "",
    ]
    static let needles = [" said: ", "(in reply to ", "$ ", "Host not found", "groß", "kürzen", "見つかり", "a", "ok", "missing", "550"]

    @Test func matchesFoundationOnStrings() {
        for t in Self.texts {
            for n in Self.needles {
                let ns = NSString(string: t)
                let found = ns.range(of: n)
                #expect(t.contains(n) == (found.location != NSNotFound), "\(t) / \(n)")
                let r = t.range(of: n)
                if found.location == NSNotFound {
                    #expect(r == nil)
                } else {
                    // Same place: the text before the match is the same.
                    #expect(r.map { String(t[..<$0.lowerBound]) } == ns.substring(to: found.location), "\(t) / \(n)")
                    #expect(r.map { String(t[$0]) } == n)
                }
            }
        }
    }

    /// A substring's indices are those of its base string, and only its own part is searched.
    @Test func substringsSearchTheirOwnPart() throws {
        let line = "Dec  6 10:00:00 mail postfix/smtp[7001]: 4Xyz: to=<a@example.org>, status=sent (250 ok)"
        let message = line[try #require(line.range(of: "]: ")).upperBound...]
        #expect(message.contains("status=sent"))
        #expect(!message.contains("postfix/smtp"))
        let r = try #require(message.range(of: "to=<"))
        #expect(line[r.upperBound...].hasPrefix("a@example.org>"))
        #expect(message.range(of: "mail") == nil)
    }

    /// Foundation's answer for an empty needle (not found) is kept.
    @Test func emptyNeedleIsNotFound() {
        #expect(!"abc".contains(""))
        #expect("abc".range(of: "") == nil)
        #expect(!"abc"[...].contains(""))
    }
}
