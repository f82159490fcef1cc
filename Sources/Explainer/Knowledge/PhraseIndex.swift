/// Every phrase of the knowledge table in one Aho–Corasick automaton: a single pass over a reply finds all
/// the phrases it contains, where testing row by row meant hundreds of substring searches per reply.
struct PhraseIndex: Sendable {
    private var ids: [String: Int32] = [:]
    /// Per state: outgoing edges as (byte, state), few per state; the root has a full table instead.
    private var edges: [[(UInt8, Int32)]] = [[]]
    private var root = [Int32](repeating: 0, count: 256)
    private var fail: [Int32] = [0]
    /// Phrases that end at a state, including those ending at its fail states.
    private var output: [[Int32]] = [[]]

    var count: Int { ids.count }

    init(_ phrases: some Sequence<String>) {
        for p in phrases where !p.isEmpty && ids[p] == nil {
            let id = Int32(ids.count)
            ids[p] = id
            var s: Int32 = 0
            for b in p.utf8 {
                if let next = step(s, b) { s = next; continue }
                edges.append([]); fail.append(0); output.append([])
                let n = Int32(edges.count - 1)
                if s == 0 { root[Int(b)] = n } else { edges[Int(s)].append((b, n)) }
                s = n
            }
            output[Int(s)].append(id)
        }
        // Breadth first: a state's fail link is the longest proper suffix that is also a prefix.
        var queue: [Int32] = root.filter { $0 != 0 }
        var head = 0
        while head < queue.count {
            let s = queue[head]; head += 1
            for (b, n) in edges[Int(s)] {
                var f = fail[Int(s)]
                while f != 0, step(f, b) == nil { f = fail[Int(f)] }
                let target = f == 0 ? root[Int(b)] : step(f, b)!
                fail[Int(n)] = target
                output[Int(n)].append(contentsOf: output[Int(fail[Int(n)])])
                queue.append(n)
            }
        }
    }

    @inline(__always)
    private func step(_ s: Int32, _ b: UInt8) -> Int32? {
        if s == 0 { let n = root[Int(b)]; return n == 0 ? nil : n }
        for (e, n) in edges[Int(s)] where e == b { return n }
        return nil
    }

    func id(_ phrase: String) -> Int32? { ids[phrase] }

    /// The phrases found in `text`.
    func find(in text: String) -> PhraseSet {
        var found = PhraseSet(count: ids.count)
        var text = text
        text.withUTF8 { u in
            var s: Int32 = 0
            for b in u {
                while true {
                    if let n = step(s, b) { s = n; break }
                    if s == 0 { break }
                    s = fail[Int(s)]
                }
                for id in output[Int(s)] { found.insert(id) }
            }
        }
        return found
    }
}

/// A set of phrase ids as bits.
struct PhraseSet: Sendable {
    private var bits: [UInt64]

    init(count: Int) { bits = [UInt64](repeating: 0, count: (count + 63) / 64) }

    mutating func insert(_ id: Int32) { bits[Int(id) >> 6] |= 1 << UInt64(id & 63) }

    func contains(_ id: Int32) -> Bool { bits[Int(id) >> 6] & (1 << UInt64(id & 63)) != 0 }
}
