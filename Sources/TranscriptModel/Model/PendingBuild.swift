/// Building a session can cost more than reading it (a log reader replays each dialogue through
/// `SessionBuilder`). Such a reader may emit a placeholder that holds the recipe instead, so the CLI can
/// build it on a worker thread while the reader goes on. Readers do so only when asked
/// (`LineReader.deferBuilding()`, set by `InputDriver` from `InputOptions.deferBuilding`); whoever asks
/// calls `resolved()` before looking inside.
public final class PendingBuild: Sendable {
    let recipe: @Sendable () -> Session
    /// About how many lines the recipe replays: the CLI batches heavy sessions fewer to a batch.
    let weight: Int

    init(weight: Int = 1, _ recipe: @escaping @Sendable () -> Session) {
        self.recipe = recipe
        self.weight = max(1, weight)
    }
}

extension Session {
    /// A placeholder for a session `recipe` will build. The builder settings in force now (limits,
    /// credential redaction) are the ones used later, on whatever thread.
    /// `weight`: about how many lines the recipe replays (see `weight`).
    public init(input: String, format: String, weight: Int = 1, pending recipe: @escaping @Sendable () -> Session) {
        self.init(input: input, format: format)
        let limits = SessionBuilder.defaultLimits, redact = SessionBuilder.redactByDefault
        pendingBuild = PendingBuild(weight: weight) {
            SessionBuilder.$defaultLimits.withValue(limits) {
                SessionBuilder.$redactByDefault.withValue(redact) { recipe() }
            }
        }
    }

    /// Still to be built (see `PendingBuild`).
    public var isPending: Bool { pendingBuild != nil }

    /// About how much work and memory explaining and rendering the session takes, in lines: the recipe's
    /// estimate for a placeholder, else its exchanges, notes and transcript lines.
    public var weight: Int { pendingBuild?.weight ?? max(1, exchanges.count + notes.count + lines.count) }

    /// The built session (itself when it is not a placeholder).
    public func resolved() -> Session { pendingBuild?.recipe() ?? self }

    /// `change` applied now, or right after building for a placeholder.
    public func adjusted(_ change: @escaping @Sendable (inout Session) -> Void) -> Session {
        guard let p = pendingBuild else {
            var s = self
            change(&s)
            return s
        }
        var s = emptyCopy()
        s.pendingBuild = PendingBuild(weight: p.weight) {
            var built = p.recipe()
            change(&built)
            return built
        }
        return s
    }
}
