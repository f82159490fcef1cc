import Testing
@testable import TranscriptModel

/// EHLO capabilities are read on the reply's bytes; a plain split-and-map version is the reference.
@Suite struct ServerIdentityTests {
    /// What `parseCapabilities` computed before it read bytes in place: split on space and `=`, upper-case.
    static func reference(_ lines: [String]) -> (keywords: [String], size: Int?, auth: [String]) {
        var keywords: [String] = [], size: Int?, auth: [String] = []
        func upper(_ s: ArraySlice<UInt8>) -> String {
            String(decoding: s.map { $0 >= 0x61 && $0 <= 0x7A ? $0 & 0xDF : $0 }, as: UTF8.self)
        }
        for line in lines.dropFirst() {
            let parts = Array(line.utf8).split(whereSeparator: { $0 == 0x20 || $0 == 0x3D })
            guard let kw = parts.first else { continue }
            let keyword = upper(kw)
            keywords.append(keyword)
            if keyword == "SIZE" { size = parts.count > 1 ? Bytes.integer(parts[1]) : 0 }
            if keyword == "AUTH" { auth += parts.dropFirst().map(upper) }
        }
        return (keywords, size, auth)
    }

    static func parsed(_ lines: [String]) -> Capabilities {
        ServerIdentity.parseCapabilities(Reply(code: 250, enhanced: nil, lines: lines, position: SourcePosition(input: "t")))
    }

    @Test func readsKeywordsSizeAndMechanisms() {
        let c = Self.parsed(["mx.example.com", "pipelining", "SIZE 52428800", "AUTH=login plain", "auth  PLAIN  cram-md5 ",
                             "  8BITMIME", "", "=", "STARTTLS"])
        #expect(c.keywords == ["PIPELINING", "SIZE", "AUTH", "AUTH", "8BITMIME", "STARTTLS"])
        #expect(c.size == 52_428_800)
        #expect(c.authMechanisms == ["LOGIN", "PLAIN", "PLAIN", "CRAM-MD5"])
        #expect(Self.parsed(["mx", "SIZE"]).size == 0)
        #expect(Self.parsed(["mx", "SIZE unlimited"]).size == nil)
        #expect(Self.parsed(["mx", "SIZE=1000"]).size == 1000)
    }

    @Test func matchesTheReferenceOnRandomLines() {
        var rng = SystemRandomNumberGenerator()
        // Bytes that matter to the split and the case mapping, plus some that are not UTF-8 on their own.
        let alphabet: [UInt8] = Array("aZ zSIZEsizeAUTHauth=09 -".utf8) + [0xC3, 0xA9, 0xFF, 0x80, 0x00, 0x7A, 0x7B, 0x60]
        for _ in 0..<3_000 {
            let lines = (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                String(decoding: (0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! },
                       as: UTF8.self)
            }
            let c = Self.parsed(lines)
            let r = Self.reference(lines)
            #expect(c.keywords == r.keywords, "\(lines)")
            #expect(c.size == r.size, "\(lines)")
            #expect(c.authMechanisms == r.auth, "\(lines)")
        }
    }
}
