/// Things that wait a moment of log time before they go out, oldest first. Two logs merged by time may give
/// lines of the same second in either order, so what the other file could still add to waits past it.
struct MomentQueue<Item> {
    /// Long enough to pass a one-second time stamp.
    static var moment: Double { 1.5 }
    private(set) var items: [(item: Item, time: Double)] = []
    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    mutating func append(_ item: Item, at time: Double) { items.append((item, time)) }

    /// The items whose moment has passed at `now` (every item with `all`), taken out, oldest first.
    mutating func due(now: Double, all: Bool = false) -> [Item] {
        var n = 0
        while n < items.count, all || now - items[n].time >= Self.moment { n += 1 }
        guard n > 0 else { return [] }
        defer { items.removeFirst(n) }
        return items.prefix(n).map(\.item)
    }

    mutating func removeAll(where drop: (Item) -> Bool) { items.removeAll { drop($0.item) } }
}
