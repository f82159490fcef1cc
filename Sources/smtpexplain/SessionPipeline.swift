import Foundation

/// Explaining and rendering a session costs more than reading it, so while the reader goes on, sessions
/// are handed in batches to worker threads and their results come back in input order. The number of
/// batches in flight is bounded, so memory still follows open sessions, not input size.
final class SessionPipeline<Item: Sendable, Result: Sendable>: @unchecked Sendable {
    private let work: @Sendable (Item) -> Result
    private let cond = NSCondition()
    // Guarded by `cond`.
    private var waiting: [(seq: Int, items: [Item])] = []
    private var done: [Int: [Result]] = [:]
    private var closed = false
    // Used by the submitting thread only.
    private var batch: [Item] = []
    /// The weights of the items in `batch` added up.
    private var batchWeight = 0
    private var submitted = 0
    private var delivered = 0
    private var threads: [Thread] = []
    private let batchSize: Int
    /// A batch also closes at this much weight: a few heavy sessions (thousands of lines each) make a batch,
    /// so the batches in flight hold a bounded number of lines, not `batchSize` heavy sessions each.
    private let batchWeightLimit: Int

    private let workers: () -> Int
    private var maxInFlight = 2
    /// Fewer than two processors: batches are worked on the calling thread.
    private var inline = false

    /// Threads start with the first full batch: a pasted transcript (a few sessions) is done on the calling
    /// thread, without paying for starting threads or counting processors.
    init(workers: @escaping () -> Int, batchSize: Int = 32, batchWeight: Int = 4_000, work: @escaping @Sendable (Item) -> Result) {
        self.work = work
        self.batchSize = max(1, batchSize)
        self.batchWeightLimit = max(1, batchWeight)
        self.workers = workers
    }

    private func startWorkers() {
        let n = workers()
        guard n >= 2 else { inline = true; return }
        // Four batches per worker: sessions vary in cost, and with fewer the reader stalled on a slow
        // batch while a worker went idle (9% of a capture run's time on two cores); more gave nothing.
        maxInFlight = n * 4
        for _ in 0..<n {
            let t = Thread { [self] in self.workerLoop() }
            t.stackSize = 8 << 20
            threads.append(t)
            t.start()
        }
    }

    /// Queue one item of about `weight` lines; results that are ready are passed to `deliver` on this thread,
    /// in order.
    func submit(_ item: Item, weight: Int = 1, deliver: (Result) -> Void) {
        batch.append(item)
        batchWeight += max(1, weight)
        guard batch.count >= batchSize || batchWeight >= batchWeightLimit else { return }
        if threads.isEmpty, !inline { startWorkers() }
        if inline { return workBatchHere(deliver) }
        enqueueBatch()
        drain(wait: submitted - delivered >= maxInFlight, deliver: deliver)
    }

    /// Deliver everything still pending, then stop the workers.
    func finish(deliver: (Result) -> Void) {
        if threads.isEmpty { return workBatchHere(deliver) }   // never started, or one processor
        if !batch.isEmpty { enqueueBatch() }
        while delivered < submitted { drain(wait: true, deliver: deliver) }
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
    }

    private func workBatchHere(_ deliver: (Result) -> Void) {
        for item in batch { deliver(work(item)) }
        batch.removeAll(keepingCapacity: true)
        batchWeight = 0
    }

    private func enqueueBatch() {
        cond.lock()
        waiting.append((submitted, batch))
        cond.signal()
        cond.unlock()
        submitted += 1
        batch = []
        batch.reserveCapacity(batchSize)
        batchWeight = 0
    }

    /// Hand over finished batches in sequence; with `wait`, block until at least the next one is done.
    private func drain(wait: Bool, deliver: (Result) -> Void) {
        var mustWait = wait
        while true {
            cond.lock()
            while mustWait, done[delivered] == nil { cond.wait() }
            let ready = done.removeValue(forKey: delivered)
            cond.unlock()
            guard let ready else { return }
            for r in ready { deliver(r) }
            delivered += 1
            mustWait = false
        }
    }

    private func workerLoop() {
        // The reading thread is the one everything waits for: with more threads than processors, the
        // workers give way to it (a higher nice value; on Linux it applies to the calling thread only).
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        while true {
            cond.lock()
            while waiting.isEmpty, !closed { cond.wait() }
            if waiting.isEmpty { cond.unlock(); return }
            let (seq, items) = waiting.removeFirst()
            cond.unlock()
            let results = items.map(work)
            cond.lock()
            done[seq] = results
            cond.broadcast()
            cond.unlock()
        }
    }
}
