/// An IPv4 fragment as decoded from one packet. `payload` points into the packet buffer (valid until the
/// next packet).
struct IPv4Fragment {
    var source: TCPEndpoint
    var destination: TCPEndpoint
    var id: UInt16
    var proto: UInt8
    /// Byte offset of this fragment's payload in the datagram's payload.
    var offset: Int
    var more: Bool
    var payload: UnsafeRawBufferPointer
    /// Payload length the IP header declares; more than `payload.count` when the snap length cut it.
    var declaredLength: Int
}

/// IPv4 fragments put back together (RFC 791), so a TCP segment split by a small-MTU link is read like any
/// other. Everything is bounded: at most `maxDatagrams` datagrams and `maxBytes` bytes wait at once, each
/// for at most `timeout` seconds of capture time and `maxFragments` fragments. Overlapping fragments keep
/// the first copy's bytes, as the TCP stream does with retransmissions (later copies cannot rewrite what
/// was already read, the classic IDS-evasion trick).
struct IPv4Reassembler {
    struct Key: Hashable {
        var source: UInt64
        var destination: UInt64
        var id: UInt16
        var proto: UInt8
    }

    /// A datagram handed back: complete, or given up (timeout, limits, its connection ending) with what
    /// arrived from offset 0 on.
    struct Datagram {
        var source: TCPEndpoint
        var destination: TCPEndpoint
        var proto: UInt8
        /// The captured bytes of the IP payload, contiguous from offset 0.
        var bytes: [UInt8]
        /// Payload length the fragments declare, contiguous from offset 0 (more than `bytes` when the snap
        /// length cut fragments).
        var declaredLength: Int
        var fragments: Int
        var complete: Bool
        /// The packet that completed it, or (given up) the packet of its first fragment.
        var packet: Int
        var time: Double
    }

    private struct Pending {
        var source: TCPEndpoint
        var destination: TCPEndpoint
        var proto: UInt8
        var data: [UInt8] = []
        /// Sorted, merged byte ranges: captured (bytes known) and declared (bytes the headers announce).
        var captured: [Range<Int>] = []
        var declared: [Range<Int>] = []
        var total: Int?
        var fragments = 0
        var started: Double
        var order: Int
        var headPacket: Int?
        var headTime = 0.0
    }

    /// The largest IPv4 payload (a 65,535-byte datagram less a 20-byte header); fragments reaching past it
    /// are the "ping of death" and drop their datagram.
    static let maxPayload = 65_535 - 20

    var timeout: Double = 30
    var maxDatagrams = 1024
    var maxBytes = 8 << 20
    var maxFragments = 256

    private var table: [Key: Pending] = [:]
    /// Pending datagrams per (source, destination), so a packet can tell cheaply whether any wait for it.
    private var pairs: [Pair: Int] = [:]
    private struct Pair: Hashable { var source: UInt64; var destination: UInt64 }
    private var order = 0
    /// Datagrams in arrival order, for evicting the oldest without a scan; entries whose datagram is gone
    /// are skipped when reached.
    private var arrivals: [(order: Int, key: Key)] = []
    private var arrivalsHead = 0
    private(set) var bufferedBytes = 0
    /// Datagrams given up because a fragment was impossible (beyond 64 KiB, misaligned) or limits were hit.
    private(set) var refused = 0

    var isEmpty: Bool { table.isEmpty }
    var pendingDatagrams: Int { table.count }

    /// Adds a fragment; returns the datagram when this fragment completes it. Datagrams pushed out to stay
    /// within the limits go to `evicted`.
    mutating func add(_ f: IPv4Fragment, packet: Int, time: Double, evicted: (Datagram) -> Void) -> Datagram? {
        let key = Key(source: f.source.lo, destination: f.destination.lo, id: f.id, proto: f.proto)
        let start = f.offset
        let declaredEnd = start + f.declaredLength
        guard f.declaredLength > 0 else { return nil }   // nothing to place
        guard declaredEnd <= Self.maxPayload, !(f.more && f.declaredLength % 8 != 0) else {
            // Impossible fragment: the whole datagram is suspect.
            if let p = remove(key) { bufferedBytes -= p.data.count }
            refused += 1
            return nil
        }
        if table[key] == nil {
            while table.count >= maxDatagrams, let oldest = oldestKey() {
                giveUp(oldest, evicted)
                refused += 1
            }
            order += 1
            table[key] = Pending(source: f.source, destination: f.destination, proto: f.proto, started: time, order: order)
            arrivals.append((order, key))
            if arrivals.count - arrivalsHead > 4 * max(maxDatagrams, 64) {
                // Completed datagrams leave stale entries: drop them (at most `maxDatagrams` stay live).
                arrivals = arrivals[arrivalsHead...].filter { table[$0.key]?.order == $0.order }
                arrivalsHead = 0
            }
            pairs[Pair(source: key.source, destination: key.destination), default: 0] += 1
        }
        var p = table[key]!
        table[key] = nil   // edited outside the table: no copy of its buffer
        if !f.more, p.total == nil { p.total = declaredEnd }
        let limit = p.total ?? Self.maxPayload
        let capturedEnd = min(start + f.payload.count, declaredEnd, limit)
        if capturedEnd > p.data.count {
            bufferedBytes += capturedEnd - p.data.count
            p.data.append(contentsOf: repeatElement(0, count: capturedEnd - p.data.count))
        }
        if capturedEnd > start {
            // First copy wins: only bytes not captured yet are written.
            for gap in Self.uncovered(start..<capturedEnd, by: p.captured) {
                p.data.replaceSubrange(gap, with: UnsafeRawBufferPointer(rebasing: f.payload[(gap.lowerBound - start)..<(gap.upperBound - start)]))
            }
            p.captured = Self.merged(p.captured, start..<capturedEnd)
        }
        if min(declaredEnd, limit) > start { p.declared = Self.merged(p.declared, start..<min(declaredEnd, limit)) }
        p.fragments += 1
        if start == 0, p.headPacket == nil { p.headPacket = packet; p.headTime = time }
        if let total = p.total, let head = p.declared.first, head.lowerBound == 0, head.upperBound >= total {
            bufferedBytes -= p.data.count
            unpair(key)
            return Self.datagram(p, complete: true, packet: packet, time: time)
        }
        table[key] = p
        if p.fragments > maxFragments {
            giveUp(key, evicted)
            refused += 1
        }
        while bufferedBytes > maxBytes, let oldest = oldestKey() {
            giveUp(oldest, evicted)
            refused += 1
        }
        return nil
    }

    /// Gives up datagrams older than `timeout` at capture time `now`.
    mutating func expire(now: Double, evicted: (Datagram) -> Void) {
        for (key, p) in table where now - p.started > timeout {
            giveUp(key, evicted)
        }
    }

    /// Gives up the datagrams waiting from `source` to `destination`: a packet coming back the other way
    /// (its acknowledgement covers them) or a connection ending says the missing fragments are not coming.
    /// What arrived is then read before that packet, so the TCP stream sees a hole, not a late copy.
    mutating func flush(from source: TCPEndpoint, to destination: TCPEndpoint, evicted: (Datagram) -> Void) {
        guard pairs[Pair(source: source.lo, destination: destination.lo)] != nil else { return }
        let keys = table.filter { $0.key.source == source.lo && $0.key.destination == destination.lo }
            .sorted { $0.value.order < $1.value.order }.map(\.key)
        for key in keys { giveUp(key, evicted) }
    }

    mutating func flushAll(evicted: (Datagram) -> Void) {
        for key in table.keys.sorted(by: { table[$0]!.order < table[$1]!.order }) {
            giveUp(key, evicted)
        }
    }

    private mutating func remove(_ key: Key) -> Pending? {
        guard let p = table.removeValue(forKey: key) else { return nil }
        unpair(key)
        return p
    }

    private mutating func unpair(_ key: Key) {
        let pair = Pair(source: key.source, destination: key.destination)
        if let n = pairs[pair], n > 1 { pairs[pair] = n - 1 } else { pairs[pair] = nil }
    }

    private mutating func giveUp(_ key: Key, _ evicted: (Datagram) -> Void) {
        guard let p = remove(key) else { return }
        bufferedBytes -= p.data.count
        evicted(Self.datagram(p, complete: false, packet: p.headPacket ?? 0, time: p.headTime))
    }

    private mutating func oldestKey() -> Key? {
        while arrivalsHead < arrivals.count {
            let a = arrivals[arrivalsHead]
            if table[a.key]?.order == a.order { return a.key }
            arrivalsHead += 1
            if arrivalsHead > 1024, arrivalsHead * 2 > arrivals.count {
                arrivals.removeFirst(arrivalsHead)
                arrivalsHead = 0
            }
        }
        return nil
    }

    private static func datagram(_ p: Pending, complete: Bool, packet: Int, time: Double) -> Datagram {
        // Only what is contiguous from offset 0 can be read as TCP (a hole in the middle is a TCP gap).
        // Fragments placed before the last one said where the datagram ends may reach past it.
        let end = p.total ?? Int.max
        let captured = min(end, p.captured.first.flatMap { $0.lowerBound == 0 ? $0.upperBound : nil } ?? 0)
        let declared = min(end, p.declared.first.flatMap { $0.lowerBound == 0 ? $0.upperBound : nil } ?? 0)
        return Datagram(source: p.source, destination: p.destination, proto: p.proto, bytes: Array(p.data[0..<captured]),
                        declaredLength: declared, fragments: p.fragments, complete: complete,
                        packet: packet, time: time)
    }

    /// The parts of `r` that no range in `ranges` (sorted, merged) covers.
    static func uncovered(_ r: Range<Int>, by ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var at = r.lowerBound
        for c in ranges where c.upperBound > at {
            if c.lowerBound >= r.upperBound { break }
            if c.lowerBound > at { out.append(at..<c.lowerBound) }
            at = max(at, c.upperBound)
            if at >= r.upperBound { break }
        }
        if at < r.upperBound { out.append(at..<r.upperBound) }
        return out
    }

    /// `ranges` (sorted, merged) with `r` added, still sorted and merged (touching ranges join).
    static func merged(_ ranges: [Range<Int>], _ r: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var cur = r
        var placed = false
        for c in ranges {
            if c.upperBound < cur.lowerBound {
                out.append(c)
            } else if c.lowerBound > cur.upperBound {
                if !placed { out.append(cur); placed = true }
                out.append(c)
            } else {
                cur = min(c.lowerBound, cur.lowerBound)..<max(c.upperBound, cur.upperBound)
            }
        }
        if !placed { out.append(cur) }
        return out
    }
}
