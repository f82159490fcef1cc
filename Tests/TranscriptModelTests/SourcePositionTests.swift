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

    /// The numbers are stored without optional flags: every combination of present and absent reads back,
    /// compares and orders as the optionals did.
    @Test func optionalNumbersReadBack() {
        let lines: [Int?] = [nil, 0, 1, 99, Int.max], packets: [Int?] = [nil, 1, 7]
        let times: [Double?] = [nil, 0, 1_773_210_300.25, -1, .infinity], sequences: [Int?] = [nil, 0, 40]
        for l in lines { for p in packets { for t in times { for q in sequences {
            var a = SourcePosition(input: "mail.log", line: l, packet: p, time: t, sequence: q)
            #expect(a.line == l && a.packet == p && a.time == t && a.sequence == q)
            #expect(a.order == (q ?? l ?? p ?? 0))
            #expect(a == SourcePosition(input: "mail.log", line: l, packet: p, time: t, sequence: q))
            a.line = nil; a.packet = 5; a.time = nil; a.sequence = 3
            #expect(a.line == nil && a.packet == 5 && a.time == nil && a.sequence == 3)
        } } } }
        // A NaN time is a value, as it was: not equal to itself, and not nil.
        let n = SourcePosition(input: "x", time: .nan)
        #expect(n.time != nil && n.time!.isNaN && n != n)
    }

    @Test func codableRoundTrip() throws {
        let p = SourcePosition(input: "/var/log/mail.log.2.gz", line: 12, time: 1_773_210_300, sequence: 40)
        let q = try JSONDecoder().decode(SourcePosition.self, from: JSONEncoder().encode(p))
        #expect(q == p && q.input == "/var/log/mail.log.2.gz" && q.sequence == 40)
    }
}
