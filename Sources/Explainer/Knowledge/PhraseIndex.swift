/// Every phrase of the knowledge table in one Aho–Corasick automaton: a single pass over a reply finds all
/// the phrases it contains, where testing row by row meant hundreds of substring searches per reply.
/// States live in flat arrays (no allocation per state), so building it costs little at start-up.
struct PhraseIndex: Sendable {
    private var ids: [String: Int32] = [:]
    /// The root's transitions as a full table; other states keep a linked list of edges.
    private var root = [Int32](repeating: 0, count: 256)
    private var firstEdge: [Int32] = [-1]
    private var edgeByte: [UInt8] = []
    private var edgeTarget: [Int32] = []
    private var nextEdge: [Int32] = []
    private var fail: [Int32] = [0]
    /// The phrase ending exactly at a state (-1: none); phrases are unique, so there is at most one.
    private var own: [Int32] = [-1]
    /// The nearest state along the fail chain that ends a phrase (0: none).
    private var outLink: [Int32] = [0]

    var count: Int { ids.count }

    init(_ phrases: some Sequence<String>) {
        for p in phrases where !p.isEmpty && ids[p] == nil {
            let id = Int32(ids.count)
            ids[p] = id
            var s: Int32 = 0
            for b in p.utf8 {
                if let next = step(s, b) { s = next; continue }
                let n = Int32(firstEdge.count)
                firstEdge.append(-1); fail.append(0); own.append(-1); outLink.append(0)
                if s == 0 {
                    root[Int(b)] = n
                } else {
                    edgeByte.append(b); edgeTarget.append(n); nextEdge.append(firstEdge[Int(s)])
                    firstEdge[Int(s)] = Int32(edgeByte.count - 1)
                }
                s = n
            }
            own[Int(s)] = id
        }
        // Breadth first: a state's fail link is the longest proper suffix that is also a prefix.
        var queue: [Int32] = root.filter { $0 != 0 }
        var head = 0
        while head < queue.count {
            let s = queue[head]; head += 1
            var e = firstEdge[Int(s)]
            while e >= 0 {
                let b = edgeByte[Int(e)], n = edgeTarget[Int(e)]
                var f = fail[Int(s)]
                while f != 0, step(f, b) == nil { f = fail[Int(f)] }
                let target = f == 0 ? root[Int(b)] : step(f, b)!
                fail[Int(n)] = target
                outLink[Int(n)] = own[Int(target)] >= 0 ? target : outLink[Int(target)]
                queue.append(n)
                e = nextEdge[Int(e)]
            }
        }
    }

    @inline(__always)
    private func step(_ s: Int32, _ b: UInt8) -> Int32? {
        if s == 0 { let n = root[Int(b)]; return n == 0 ? nil : n }
        var e = firstEdge[Int(s)]
        while e >= 0 {
            if edgeByte[Int(e)] == b { return edgeTarget[Int(e)] }
            e = nextEdge[Int(e)]
        }
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
                if own[Int(s)] >= 0 { found.insert(own[Int(s)]) }
                var o = outLink[Int(s)]
                while o != 0 { found.insert(own[Int(o)]); o = outLink[Int(o)] }
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
