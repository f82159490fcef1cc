import Foundation
import Testing
@testable import TranscriptModel

/// Positions keep a long input name as a number in a shared table; they must behave as if they held the string.
@Suite struct SourcePositionTests {
    @Test func longAndShortNamesReadBackAndCompareByValue() {
        for name in ["-", "mail.log", "/var/log/mail/mail.log.1", "/tmp/a directory with spaces/ünïcode-maillog.gz"] {
            let a = SourcePosition(input: name, line: 3)
            let b = SourcePosition(input: String(name.reversed().reversed()), line: 3)   // a separate string
            #expect(a.input == name)
            #expect(a == b)
            #expect(Set([a, b]).count == 1)
            #expect(a != SourcePosition(input: name + "x", line: 3))
            #expect(a != SourcePosition(input: name, line: 4))
            var c = a
            c.input = "/another/long/path/to/a/log"
            #expect(c.input == "/another/long/path/to/a/log" && a.input == name)
        }
    }

    @Test func namesPastTheTableStillWork() throws {
        // Fill the table (the web page names uploads after their files), then keep going.
        let names = (0..<(InputNameTable.capacity + 50)).map { "/uploads/file-number-\($0).log" }
        let positions = names.map { SourcePosition(input: $0, line: 1) }
        for (p, n) in zip(positions, names) { #expect(p.input == n) }
        let last = try #require(names.last)
        #expect(SourcePosition(input: last, line: 1) == positions.last)
        #expect(Set(positions).count == names.count)
        // A name first seen before the table filled still equals a copy made after.
        #expect(SourcePosition(input: names[0], line: 1) == positions[0])
    }

    @Test func codableRoundTrip() throws {
        let p = SourcePosition(input: "/var/log/mail.log.2.gz", line: 12, time: 1_773_210_300, sequence: 40)
        let q = try JSONDecoder().decode(SourcePosition.self, from: JSONEncoder().encode(p))
        #expect(q == p && q.input == "/var/log/mail.log.2.gz" && q.sequence == 40)
    }
}
