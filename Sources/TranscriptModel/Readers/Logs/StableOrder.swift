extension Dictionary where Key: Comparable {
    /// The entries sorted by `less` on their values, ties broken by key. A dictionary's own order changes
    /// from run to run, and log times tie often (one-second stamps), so without the key the same log could
    /// list its sessions, or pick the sessions to evict, differently each time.
    func sortedStably(by less: (Value, Value) -> Bool) -> [(key: Key, value: Value)] {
        sorted { less($0.value, $1.value) || (!less($1.value, $0.value) && $0.key < $1.key) }
    }

    /// The keys of the entries `isIncluded` keeps, in that stable order.
    func keysStably(where isIncluded: (Value) -> Bool, by less: (Value, Value) -> Bool) -> [Key] {
        filter { isIncluded($0.value) }.sortedStably(by: less).map(\.key)
    }
}
