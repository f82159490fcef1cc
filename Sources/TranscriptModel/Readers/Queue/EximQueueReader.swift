/// Reads Exim's queue listing (`exim -bp`, `mailq` on an Exim host): per message its age, size, id and
/// sender (`*** frozen ***` when Exim stopped trying it), then its recipients (`D` before those already
/// delivered). The listing holds no reasons, so there is no attempt to rebuild: the reader says what the
/// queue holds and which command shows why (`exim -Mvl ID`, the message's own log, which the Exim log reader
/// explains).
public struct EximQueueReader: LineReader {
    public static let formatID = "exim-queue"
    public static let summary = "Exim queue listings: exim -bp"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var entries = 0, recipients = 0
        for l in prefix {
            if Entry(line: l) != nil { entries += 1 } else if l.first == Bytes.space, Bytes.trimmed(l).contains(0x40) { recipients += 1 }
        }
        // Below the Exim log reader: a paste of `exim -bp` followed by `exim -Mvl` output is the log's.
        return entries > 0 && recipients > 0 ? 0.85 : 0
    }

    /// ` 4d   14K 1w1Aa0-0009Zz-1Q <> *** frozen ***`.
    struct Entry {
        var age: String
        var id: String
        var sender: String
        var frozen: Bool
        var line = 0
        var waiting = 0
        var delivered = 0

        init?(line l: ArraySlice<UInt8>) {
            let words = l.split(separator: Bytes.space, maxSplits: 4, omittingEmptySubsequences: true)
            guard words.count >= 4, let unit = words[0].last, [0x73, 0x6D, 0x68, 0x64, 0x77].contains(unit),
                  words[0].dropLast().allSatisfy(Bytes.isDigit), words[0].count >= 2,
                  let f = words[1].first, Bytes.isDigit(f), words[1].count <= 8,
                  let id = EximLogReader.msgID(words[2]), id.count == words[2].count,
                  words[3].first == 0x3C else { return nil }
            age = Bytes.string(words[0])
            self.id = Bytes.string(id)
            var s = words[3]
            if s.last == 0x3E { s = s.dropFirst().dropLast() }
            sender = Bytes.string(s.prefix(512))
            frozen = words.count > 4 && LogBytes.find(words[4], "*** frozen ***") != nil
        }
    }

    private let input: String
    private var entry: Entry?
    private var messages = 0
    private var frozen: [Entry] = []
    private var oldest: Entry?
    private var recipients = 0

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if var e = Entry(line: line) {
            close()
            e.line = number
            entry = e
            messages += 1
            return
        }
        let t = Bytes.trimmed(line)
        guard entry != nil, line.first == Bytes.space, !t.isEmpty else { close(); return }
        // `D addr` delivered, `+D addr` delivered to a child address.
        if LogBytes.starts(t, "D ") || LogBytes.starts(t, "+D ") { entry!.delivered += 1 } else if t.contains(0x40) { entry!.waiting += 1 }
    }

    public mutating func finish(emit: (Session) -> Void) {
        close()
        guard messages > 0 else { return emit(.nothingToExplain("The mail queue is empty.", input: input, format: Self.formatID)) }
        var b = SessionBuilder(input: input, format: Self.formatID)
        let p = SourcePosition(input: input, line: 1)
        var text = "\(messages) message(s) in Exim's queue for \(recipients) recipient(s) not yet delivered"
        if let o = oldest { text += "; the oldest, \(o.id), has waited \(o.age)" }
        text += ". The listing holds no reasons: `exim -Mvl ID` prints a message's own log with each attempt's result (paste it here to have it explained)."
        b.note(text, kind: .tool, at: p)
        for f in frozen.prefix(20) {
            b.note("\(f.id) is frozen: Exim stopped trying it\(f.sender.isEmpty ? " (a bounce that could not be returned)" : ""). "
                   + "`exim -Mvl \(f.id)` says why; `exim -Mt \(f.id)` thaws it, `exim -Mrm \(f.id)` removes it.",
                   kind: .tool, at: SourcePosition(input: input, line: f.line))
        }
        var s = b.finish()
        s.direction = .outbound
        emit(s)
    }

    private mutating func close() {
        guard let e = entry else { return }
        entry = nil
        recipients += e.waiting
        if e.frozen, frozen.count < 1_000 { frozen.append(e) }
        if oldest == nil || Self.seconds(e.age) > Self.seconds(oldest!.age) { oldest = e }
    }

    /// `25m`, `4h`, `3d`, `2w` in seconds, to find the oldest message.
    static func seconds(_ age: String) -> Int {
        let n = Int(age.dropLast()) ?? 0
        switch age.last {
        case "m": return n * 60
        case "h": return n * 3_600
        case "d": return n * 86_400
        case "w": return n * 604_800
        default: return n
        }
    }
}
