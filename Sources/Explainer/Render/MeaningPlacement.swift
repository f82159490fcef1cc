import TranscriptModel

/// Where a reply's meaning goes in a printed transcript: under the reply's server line, or under its
/// command when the reply was inferred and no server line shows it (a log replay prints its inferred
/// replies; a lossy paste does not). One place for the text, HTML and Markdown reports.
struct MeaningPlacement {
    private let exchanges: [Exchange]
    private let answered: Set<Int>
    private var lastShown = -1

    init(_ s: Session) {
        exchanges = s.exchanges
        answered = Set(s.lines.lazy.filter { $0.role == .server }.compactMap(\.exchange))
    }

    /// The exchange whose meaning is printed after `line`, at most once per exchange.
    mutating func exchange(after line: TranscriptLine) -> Int? {
        guard let ex = line.exchange, ex >= 0, ex != lastShown, ex < exchanges.count, let r = exchanges[ex].reply,
              line.role == .server || line.role == .client && r.inferred && !answered.contains(ex) else { return nil }
        lastShown = ex
        return ex
    }
}
