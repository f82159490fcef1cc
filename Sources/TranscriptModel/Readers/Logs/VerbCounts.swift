/// Per-verb numbers for one session (a `disconnect` line's counters and what the replay has left of them).
/// A handful of verbs at most: a linear search over short strings costs less than hashing them.
struct VerbCounts<Value>: Sequence {
    private var rows: [(verb: String, value: Value)] = []

    init() { rows.reserveCapacity(8) }

    subscript(_ verb: String) -> Value? {
        get {
            for r in rows where r.verb == verb { return r.value }
            return nil
        }
        set {
            if let i = rows.firstIndex(where: { $0.verb == verb }) {
                if let newValue { rows[i].value = newValue } else { rows.remove(at: i) }
            } else if let newValue {
                rows.append((verb, newValue))
            }
        }
    }

    subscript(_ verb: String, default value: Value) -> Value {
        get { self[verb] ?? value }
        set { self[verb] = newValue }
    }

    func makeIterator() -> IndexingIterator<[(verb: String, value: Value)]> { rows.makeIterator() }
}
