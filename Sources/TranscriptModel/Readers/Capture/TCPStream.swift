/// What one direction of a TCP connection delivers, in sequence order.
package enum StreamEvent {
    /// In-order bytes, with the packet that carried them.
    case data(UnsafeRawBufferPointer, packet: Int, time: Double)
    /// Bytes that will never be seen (lost from the capture, cut by the snap length, or given up on).
    case gap(bytes: Int64, packet: Int, time: Double)
    /// The sender's FIN, reached in sequence.
    case fin(packet: Int, time: Double)
}

/// One direction of a TCP connection, reassembled: bytes are delivered once, in sequence order,
/// whatever order, duplication or overlap the segments came in. The first copy of a byte wins;
/// a later copy with different bytes is counted as a conflicting retransmission.
///
/// Sequence numbers are turned into 64-bit offsets from the first byte, relative to the next
/// expected byte, so wraparound at 2^32 needs no special case.
package struct TCPStream {
    struct Chunk {
        var offset: Int64
        var length: Int64
        /// Empty for a `missing` chunk.
        var bytes: [UInt8]
        var missing: Bool
        var packet: Int
        var time: Double
        var end: Int64 { offset + length }
    }

    private(set) var started = false
    /// Sequence number of offset 0.
    private(set) var base: UInt32 = 0
    /// Offset of the next byte to deliver.
    private(set) var next: Int64 = 0
    /// Out-of-order chunks, sorted, non-overlapping, all at or after `next`.
    private(set) var held: [Chunk] = []
    private(set) var heldBytes = 0
    private(set) var finOffset: Int64?
    private(set) var finDelivered = false
    private var finPacket = 0
    private var finTime = 0.0
    /// The synchronising segment was seen (so a missing start is a gap, not a late capture start).
    private(set) var sawSYN = false
    /// Highest offset the peer acknowledged.
    private(set) var ackedUpTo: Int64 = 0
    /// Highest acknowledged offset beyond what was delivered (a possible capture gap, not yet declared).
    private(set) var pendingAck: Int64?

    /// Tail of the delivered bytes, to compare retransmitted copies against.
    private var recent: [UInt8] = []
    private static let recentKeep = 1024

    // Statistics.
    private(set) var segments = 0
    private(set) var retransmissions = 0
    private(set) var outOfOrder = 0
    private(set) var conflicts = 0
    private(set) var firstConflictPacket: Int?
    private(set) var gaps = 0
    private(set) var missingBytes: Int64 = 0
    private(set) var deliveredBytes: Int64 = 0
    /// Large segments sent again while the peer had not acknowledged them.
    private(set) var unackedLargeRetransmissions = 0
    private(set) var firstUnackedLargeRetransmissionPacket: Int?
    /// Offset of the first large segment retransmitted without an ACK.
    private(set) var firstUnackedLargeRetransmissionOffset: Int64?

    /// The peer never acknowledged the large segments that were retransmitted (PMTUD black hole shape).
    var largeSegmentsNeverAcknowledged: Bool {
        guard unackedLargeRetransmissions >= 2, let off = firstUnackedLargeRetransmissionOffset else { return false }
        return ackedUpTo <= off
    }

    var minHeldPacket: Int? {
        guard !held.isEmpty else { return nil }
        var m = Int.max
        for c in held where c.packet < m { m = c.packet }
        return m
    }

    package init() {}

    /// Offset of a sequence number, taken as the nearest one to `next` (within 2^31).
    @inline(__always)
    func offset(of seq: UInt32) -> Int64 {
        let expected = base &+ UInt32(truncatingIfNeeded: next)
        return next + Int64(Int32(bitPattern: seq &- expected))
    }

    /// A SYN: the first data byte is `isn + 1`.
    package mutating func syn(isn: UInt32) {
        if !started || (!sawSYN && deliveredBytes == 0 && held.isEmpty) {
            started = true
            base = isn &+ 1
            next = 0
        }
        sawSYN = true
    }

    /// A segment from this direction's sender.
    package mutating func segment(seq: UInt32, payload: UnsafeRawBufferPointer, declaredLength: Int, fin: Bool,
                          packet: Int, time: Double, deliver: (StreamEvent) -> Void) {
        if !started {
            started = true
            base = seq
            next = 0
        }
        let off = offset(of: seq)
        let length = Int64(max(declaredLength, payload.count))
        if fin, finOffset == nil { finOffset = off + length; finPacket = packet; finTime = time }
        if length > 0 {
            segments += 1
            accept(off: off, length: length, payload: payload, packet: packet, time: time, deliver: deliver)
        }
        drain(deliver: deliver)
        if let p = pendingAck {
            if p <= next { pendingAck = nil }
            else if let first = held.first, first.offset > next { settleAck(packet: packet, time: time, deliver: deliver) }
        }
    }

    private mutating func accept(off: Int64, length: Int64, payload: UnsafeRawBufferPointer,
                                 packet: Int, time: Double, deliver: (StreamEvent) -> Void) {
        let end = off + length
        let captured = Int64(payload.count)
        // Keep-alive: one old byte (or none) just below the next expected one. Not a retransmission.
        if length <= 1, off == next - 1 { return }
        if end <= next {
            retransmissions += 1
            compareWithRecent(off: off, payload: payload, packet: packet)
            if length >= 1000, ackedUpTo <= off {
                unackedLargeRetransmissions += 1
                if firstUnackedLargeRetransmissionPacket == nil {
                    firstUnackedLargeRetransmissionPacket = packet
                    firstUnackedLargeRetransmissionOffset = off
                }
            }
            return
        }
        // Bounded: a hostile or broken segment far ahead of us is not buffered.
        if off - next > Int64(1) << 30 { return }
        var start = off
        if off < next {
            retransmissions += 1
            compareWithRecent(off: off, payload: payload, packet: packet)
            start = next
        }
        // Fast path: in order, nothing held, fully captured.
        if start == next, held.isEmpty, end - off == captured {
            let skip = Int(start - off)
            let slice = UnsafeRawBufferPointer(rebasing: payload[skip...])
            deliverData(slice, packet: packet, time: time, deliver: deliver)
            return
        }
        if start > next { outOfOrder += 1 }
        // Held pieces: the captured part, then what the snap length cut off.
        let capturedEnd = off + captured
        if capturedEnd > start {
            let from = Int(start - off)
            insert(Chunk(offset: start, length: capturedEnd - start, bytes: Array(payload[from...]),
                         missing: false, packet: packet, time: time))
        }
        let missingStart = max(capturedEnd, start)
        if end > missingStart {
            insert(Chunk(offset: missingStart, length: end - missingStart, bytes: [], missing: true,
                         packet: packet, time: time))
        }
    }

    private mutating func compareWithRecent(off: Int64, payload: UnsafeRawBufferPointer, packet: Int) {
        let recentStart = next - Int64(recent.count)
        let a = max(off, recentStart)
        let b = min(off + Int64(payload.count), next)
        guard a < b else { return }
        var i = Int(a - off), j = Int(a - recentStart)
        let n = Int(b - a)
        for _ in 0..<n {
            if payload[i] != recent[j] {
                conflicts += 1
                if firstConflictPacket == nil { firstConflictPacket = packet }
                return
            }
            i += 1; j += 1
        }
    }

    /// Insert keeping `held` sorted and non-overlapping; bytes already held win.
    private mutating func insert(_ chunk: Chunk) {
        var pieces: [Chunk] = [chunk]
        var idx = lowerBound(chunk.offset)
        if idx > 0 { idx -= 1 }
        var k = idx
        while k < held.count, held[k].offset < chunk.end {
            let h = held[k]
            var nextPieces: [Chunk] = []
            for p in pieces {
                if h.end <= p.offset || h.offset >= p.end { nextPieces.append(p); continue }
                // Overlap [max, min): compare when both carry bytes.
                let a = max(h.offset, p.offset), b = min(h.end, p.end)
                if !h.missing, !p.missing {
                    let hs = Int(a - h.offset), ps = Int(a - p.offset)
                    if h.bytes[hs..<(hs + Int(b - a))] != p.bytes[ps..<(ps + Int(b - a))] {
                        conflicts += 1
                        if firstConflictPacket == nil { firstConflictPacket = p.packet }
                    }
                }
                retransmissions += 1
                if p.offset < h.offset { nextPieces.append(p.cut(to: p.offset..<h.offset)) }
                if p.end > h.end { nextPieces.append(p.cut(to: h.end..<p.end)) }
            }
            pieces = nextPieces
            if pieces.isEmpty { return }
            k += 1
        }
        for p in pieces where p.length > 0 {
            let at = lowerBound(p.offset)
            held.insert(p, at: at)
            heldBytes += p.bytes.count
        }
    }

    private func lowerBound(_ offset: Int64) -> Int {
        var lo = 0, hi = held.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if held[mid].offset < offset { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private mutating func deliverData(_ bytes: UnsafeRawBufferPointer, packet: Int, time: Double,
                                      deliver: (StreamEvent) -> Void) {
        guard bytes.count > 0 else { return }
        next += Int64(bytes.count)
        deliveredBytes += Int64(bytes.count)
        if bytes.count >= Self.recentKeep {
            recent = Array(bytes[(bytes.count - Self.recentKeep)...])
        } else {
            recent.append(contentsOf: bytes)
            if recent.count > 2 * Self.recentKeep { recent.removeFirst(recent.count - Self.recentKeep) }
        }
        deliver(.data(bytes, packet: packet, time: time))
    }

    private mutating func deliverGap(_ n: Int64, packet: Int, time: Double, deliver: (StreamEvent) -> Void) {
        guard n > 0 else { return }
        next += n
        gaps += 1
        missingBytes += n
        recent.removeAll(keepingCapacity: true)
        deliver(.gap(bytes: n, packet: packet, time: time))
    }

    /// Deliver held chunks that have become contiguous, and the FIN when reached.
    private mutating func drain(deliver: (StreamEvent) -> Void) {
        while let first = held.first, first.offset <= next {
            held.removeFirst()
            heldBytes -= first.bytes.count
            guard first.end > next else { continue }
            let c = first.offset < next ? first.cut(to: next..<first.end) : first
            if c.missing {
                deliverGap(c.length, packet: c.packet, time: c.time, deliver: deliver)
            } else {
                c.bytes.withUnsafeBytes { deliverData($0, packet: c.packet, time: c.time, deliver: deliver) }
            }
        }
        if let f = finOffset, !finDelivered, next >= f {
            finDelivered = true
            deliver(.fin(packet: finPacket, time: finTime))
        }
    }

    /// The peer acknowledged up to `ack`: bytes before it that we never see are lost from the capture.
    /// The gap is not declared at once (captures merged from two interfaces, or rebuilt ones, can show an
    /// ACK before the data it covers): only when `settle` says the peer has acted on the data (it sent
    /// something itself), when the sender moves past the hole, or at the end.
    mutating func acknowledged(_ ack: UInt32, settle: Bool, packet: Int, time: Double,
                               deliver: (StreamEvent) -> Void) {
        guard started else { return }
        var ackOff = offset(of: ack)
        if let f = finOffset, ackOff == f + 1 { ackOff = f }
        if ackOff > ackedUpTo { ackedUpTo = ackOff }
        guard ackOff > next, ackOff - next < Int64(1) << 30 else {
            if settle { settleAck(packet: packet, time: time, deliver: deliver) }
            return
        }
        // One byte past everything seen is most likely the ACK of a FIN we did not capture.
        if held.isEmpty, ackOff == next + 1, finOffset == nil { return }
        if ackOff > (pendingAck ?? 0) { pendingAck = ackOff }
        if settle { settleAck(packet: packet, time: time, deliver: deliver) }
    }

    /// Acknowledged bytes still missing: declare them lost.
    mutating func settleAck(packet: Int, time: Double, deliver: (StreamEvent) -> Void) {
        guard var ackOff = pendingAck else { return }
        if let f = finOffset, ackOff > f { ackOff = f }   // the FIN's own sequence number is no data
        if ackOff <= next { pendingAck = nil; return }
        let upTo = min(ackOff, held.first?.offset ?? ackOff)
        if upTo > next {
            let (p, t) = held.first.map { ($0.packet, $0.time) } ?? (packet, time)
            deliverGap(upTo - next, packet: p, time: t, deliver: deliver)
        }
        drain(deliver: deliver)
        if ackOff <= next { pendingAck = nil }
    }

    /// Give up waiting for the first hole: skip to the first held chunk (buffer limit, or the end).
    mutating func skipHole(packet: Int, time: Double, deliver: (StreamEvent) -> Void) {
        guard let first = held.first else { return }
        if first.offset > next {
            deliverGap(first.offset - next, packet: first.packet, time: first.time, deliver: deliver)
        }
        drain(deliver: deliver)
    }

    /// The connection is over: deliver everything held, with gaps for the holes.
    package mutating func flush(packet: Int, time: Double, deliver: (StreamEvent) -> Void) {
        settleAck(packet: packet, time: time, deliver: deliver)
        while !held.isEmpty { skipHole(packet: packet, time: time, deliver: deliver) }
        settleAck(packet: packet, time: time, deliver: deliver)
        if let f = finOffset, !finDelivered, f > next {
            // The FIN came after bytes we never saw.
            deliverGap(f - next, packet: packet, time: time, deliver: deliver)
            drain(deliver: deliver)
        }
    }

    var bufferedBytes: Int { heldBytes + recent.count }

    /// Under memory pressure: forget the tail kept for comparing retransmissions.
    mutating func dropRecent() { recent = [] }

    mutating func releaseMemory() {
        held = []
        heldBytes = 0
        recent = []
    }
}

extension TCPStream.Chunk {
    /// The part of this chunk inside `range` (which must lie within it).
    func cut(to range: Range<Int64>) -> TCPStream.Chunk {
        var c = self
        c.offset = range.lowerBound
        c.length = range.upperBound - range.lowerBound
        if !missing {
            let s = Int(range.lowerBound - offset)
            c.bytes = Array(bytes[s..<(s + Int(c.length))])
        }
        return c
    }
}
