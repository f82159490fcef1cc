import Testing
@testable import Explainer

/// The rules test host names and reply lines on bytes when the text is ASCII (`ASCIIText`). On any text,
/// the answer must be the one the `String` version gives; random strings over the characters these tests
/// care about compare the two.
@Suite struct ASCIITextTests {
    /// The `String` version of `SessionFacts.isIPLiteral`, as it was written before the byte path.
    static func ipLiteralByCharacters(_ n: String) -> Bool {
        let parts = n.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) { return true }
        return n.contains(":") && n.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } || n.hasPrefix("ipv6:")
    }

    static let pieces = ["1", "0", "25", "255", "256", "007", "-0", "-1", "+3", ".", ".", ":", "::", "a", "F", "g",
                         "ipv6:", "IPv6:", "localhost", "LOCALHOST", ".local", ".LAN", ".internal", ".home", ".corp",
                         ".localdomain", "*", "*", " ", " ", "[", "]", "<", ">", "mx", "Example", "X", "x", "XCLIENT",
                         "STARTTLS", "starttls", "\r\n", "\t", "99999999999999999999", "-", "é", "\u{301}", "ſ", "K"]

    static func randomStrings(_ count: Int, asciiOnly: Bool) -> [String] {
        var rng = SystemRandomNumberGenerator()
        let pool = asciiOnly ? pieces.filter { $0.utf8.allSatisfy { $0 < 0x80 } } : pieces
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...7, using: &rng)).map { _ in pool.randomElement(using: &rng)! }.joined()
        }
    }

    @Test func byteTestsAgreeWithStringTests() {
        var ascii = 0
        for s in Self.randomStrings(60_000, asciiOnly: false) + Self.randomStrings(60_000, asciiOnly: true) {
            if ASCIIText.isASCII(s) { ascii += 1 }
            #expect(ASCIIText.isASCII(s) == s.utf8.allSatisfy { $0 < 0x80 }, "\(s.debugDescription)")
            #expect(SessionFacts.isNotFQDN(s) == SessionFacts.isNotFQDNUnicode(s), "\(s.debugDescription)")
            #expect(SessionFacts.isIPLiteral(s) == Self.ipLiteralByCharacters(s), "\(s.debugDescription)")
            #expect(SessionFacts.isPrivateAddress(s) == SessionFacts.isPrivateAddressUnicode(s), "\(s.debugDescription)")
            #expect(ASCIIText.firstWord(s) == (s.split(separator: " ").first ?? ""), "\(s.debugDescription)")
            #expect(ASCIIText.hasPrefix(s, lowercased: "starttls") == s.uppercased().hasPrefix("STARTTLS"), "\(s.debugDescription)")
            if ASCIIText.isASCII(s) {
                #expect(ASCIIText.count(0x2A, in: s) == s.filter { $0 == "*" }.count, "\(s.debugDescription)")
            }
        }
        #expect(ascii > 60_000)
    }

    /// Dotted numbers, where the four-part test decides.
    @Test func dottedNumbersAgree() {
        var rng = SystemRandomNumberGenerator()
        let numbers = ["0", "1", "255", "256", "-0", "-1", "+7", "010", "", "99999999999999999999", "a", "-", "+",
                       "10", "172", "16", "31", "192", "168", "169", "254", "100", "64", "127", "FE80:", "fc", "Fd",
                       "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809"]
        var literals = 0, privates = 0
        for _ in 0..<40_000 {
            let s = (0..<Int.random(in: 3...5, using: &rng)).map { _ in numbers.randomElement(using: &rng)! }
                .joined(separator: Bool.random(using: &rng) ? "." : "..")
            #expect(SessionFacts.isIPLiteral(s) == Self.ipLiteralByCharacters(s), "\(s.debugDescription)")
            #expect(SessionFacts.isPrivateAddress(s) == SessionFacts.isPrivateAddressUnicode(s), "\(s.debugDescription)")
            #expect(s.split(separator: ".").map { ASCIIText.int(Array($0.utf8)[...]) } == s.split(separator: ".").map { Int($0) },
                    "\(s.debugDescription)")
            if Self.ipLiteralByCharacters(s) { literals += 1 }
            if SessionFacts.isPrivateAddressUnicode(s) { privates += 1 }
        }
        #expect(literals > 300)
        #expect(privates > 100)
    }

    @Test func knownAnswers() {
        #expect(SessionFacts.isNotFQDN("[192.0.2.1]") == "address")
        #expect(SessionFacts.isNotFQDN(" <LocalHost.> ") == "localhost")
        #expect(SessionFacts.isNotFQDN("mail.corp") == "internal")
        #expect(SessionFacts.isNotFQDN("mailserver") == "bare")
        #expect(SessionFacts.isNotFQDN("****") == "masked")
        #expect(SessionFacts.isNotFQDN("mx1.example.com") == nil)
        #expect(SessionFacts.isIPLiteral("2001:db8::25"))
        #expect(SessionFacts.isIPLiteral("IPv6:2001:db8::25") == false)   // the prefix test is on lower case
        #expect(!SessionFacts.isIPLiteral("1.2.3.256"))
        #expect(ASCIIText.firstWord("  mx.example.com ESMTP") == "mx.example.com")
    }
}
