/// Things that wait a moment of log time before they go out, oldest first. Two logs merged by time may give
/// lines of the same second in either order, so what the other file could still add to waits past it.
struct MomentQueue<Item> {
    /// Long enough to pass a one-second time stamp.
    static var moment: Double { 1.5 }
    /// Items from `head` on are waiting; the ones before it went out and are dropped in batches (taking a
    /// few from the front of a long queue on every line must not move the rest each time).
    private var storage: [(item: Item, time: Double)] = []
    private var head = 0
    var items: ArraySlice<(item: Item, time: Double)> { storage[head...] }
    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }

    mutating func append(_ item: Item, at time: Double) { storage.append((item, time)) }

    /// The items whose moment has passed at `now` (every item with `all`), taken out, oldest first.
    mutating func due(now: Double, all: Bool = false) -> [Item] {
        var end = head
        while end < storage.count, all || now - storage[end].time >= Self.moment { end += 1 }
        guard end > head else { return [] }
        let out = storage[head..<end].map(\.item)
        head = end
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.count <= 4_096)
            head = 0
        } else if head >= 4_096, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return out
    }

    mutating func removeAll(where drop: (Item) -> Bool) {
        storage.removeFirst(head)
        head = 0
        storage.removeAll { drop($0.item) }
    }
}
