import Foundation

/// Bounds the explain requests in progress. A request takes a lease before reading its body; the lease is
/// given back when the last holder lets go of it: the request handler, or the worker thread still explaining
/// after the request timed out (so work cut off by the time limit still counts until it really stops).
final class ConcurrencyGate: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var inUse = 0

    init(limit: Int) { self.limit = max(1, limit) }

    /// nil when `limit` requests are already in progress.
    func tryAcquire() -> Lease? {
        lock.lock(); defer { lock.unlock() }
        guard inUse < limit else { return nil }
        inUse += 1
        return Lease(gate: self)
    }

    var current: Int {
        lock.lock(); defer { lock.unlock() }
        return inUse
    }

    fileprivate func release() {
        lock.lock(); defer { lock.unlock() }
        inUse -= 1
    }
}

/// One place in the gate; released on deinit, i.e. when nobody holds it any more.
final class Lease: Sendable {
    private let gate: ConcurrencyGate
    fileprivate init(gate: ConcurrencyGate) { self.gate = gate }
    deinit { gate.release() }
}

/// The request ran past `--timeout`.
struct TimeLimitExceeded: Error {}

/// Runs `operation` with a time limit: past `seconds` the operation is cancelled and `TimeLimitExceeded`
/// is thrown. The operation must react to cancellation (body reading does; `onWorker` does).
func withTimeLimit<T: Sendable>(seconds: Double,
                                _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TimeLimitExceeded() }
        guard let value = first else { throw TimeLimitExceeded() }
        return value
    }
}

/// Runs CPU-bound, synchronous work (reading and explaining, rendering) on a Dispatch worker thread rather
/// than on Swift's cooperative pool or the server's event loops. If the awaiting task is cancelled (time
/// limit), this returns at once with `CancellationError`; the work itself cannot be interrupted, finishes in
/// the background and its result is dropped. It holds `lease` until then.
func onWorker<T: Sendable>(holding lease: Lease, _ work: @escaping @Sendable () -> T) async throws -> T {
    let box = ResumeOnce<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            box.install(c)
            DispatchQueue.global(qos: .userInitiated).async {
                let value = work()
                withExtendedLifetime(lease) {}
                box.resume(.success(value))
            }
        }
    } onCancel: {
        box.resume(.failure(CancellationError()))
    }
}

/// A continuation resumed exactly once, whichever comes first: the result or the cancellation (which may
/// even arrive before the continuation is installed).
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?
    private var done = false

    func install(_ c: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let early {
            done = true
            lock.unlock()
            c.resume(with: early)
            return
        }
        continuation = c
        lock.unlock()
    }

    func resume(_ r: Result<T, any Error>) {
        lock.lock()
        if done { lock.unlock(); return }
        guard let c = continuation else {
            if early == nil { early = r }
            lock.unlock()
            return
        }
        done = true
        continuation = nil
        lock.unlock()
        c.resume(with: r)
    }
}
