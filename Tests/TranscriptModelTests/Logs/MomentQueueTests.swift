import Testing
@testable import TranscriptModel

/// The queue two merged logs' readers use to wait a moment of log time.
@Suite struct MomentQueueTests {
    @Test func itemsGoOutOnceTheirMomentHasPassedOldestFirst() {
        var q = MomentQueue<String>()
        q.append("a", at: 10)
        q.append("b", at: 10.5)
        q.append("c", at: 12)
        #expect(q.due(now: 11).isEmpty)
        #expect(q.due(now: 12) == ["a", "b"])
        #expect(q.count == 1 && q.items.map(\.item) == ["c"])
        #expect(q.due(now: 12, all: true) == ["c"])
        #expect(q.isEmpty)
    }

    /// A long queue drained a few at a time (a busy log whose clock moves slowly) keeps its order and
    /// loses nothing when the drained front is dropped in batches.
    @Test func drainingALongQueueAFewAtATimeKeepsEverything() {
        var q = MomentQueue<Int>()
        var out: [Int] = []
        for i in 0..<20_000 {
            q.append(i, at: Double(i) / 1_000)
            out += q.due(now: Double(i) / 1_000)
            if i == 15_000 { q.removeAll { $0 % 2 == 1 && $0 > 14_000 } }
        }
        out += q.due(now: 0, all: true)
        let expected = (0..<20_000).filter { !($0 % 2 == 1 && $0 > 14_000 && $0 <= 15_000 && $0 > 13_500) }
        #expect(out == expected)
        #expect(q.isEmpty)
    }
}
