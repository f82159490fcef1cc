/// A whole syslog, or `journalctl -f` of every unit: the first lines (all that detection looks at) may all be
/// other programs'. Rather than read the rest as an unmarked paste, read on until lines a reader knows come.
/// Lines before them are counted (numbers stay right) but only the latest are kept, to be read with them.
struct MailLineSearch {
    struct Result {
        /// Nil: the input ended first.
        var choice: FormatDetector.Choice?
        var wrapper: ContainerLogPrefix?
        /// The lines to read first: the latest before the known ones, the known ones, the rest of their chunk.
        var lines: [(line: ArraySlice<UInt8>, number: Int)]
        var ended: Bool
    }

    /// Kept lines: the latest `FormatDetector.prefixLines` and 256 KiB (besides the newest), as `window[head...]`
    /// (lines leave by moving `head`; the array is compacted now and then). Once a reader is found, every
    /// line of the chunk being read.
    private var window: [(line: ArraySlice<UInt8>, number: Int)] = []
    private var head = 0
    private var bytes = 0
    /// Lines not scored yet, scored together as detection scores a prefix.
    private var unscored: [ArraySlice<UInt8>] = []
    private var unscoredBytes = 0
    /// Lines scored per program. After `perProgram` of a program's lines gave nothing, its further lines are
    /// not scored (cron, systemd and the kernel do not turn into a mail server); scoring costs more than
    /// parsing the line's header.
    private var scored: [[UInt8]: Int] = [:]
    private var parser = LogHeaderParser()
    private(set) var found: (choice: FormatDetector.Choice, wrapper: ContainerLogPrefix?)?

    static let perProgram = 50
    static let windowBytes = 256 << 10

    static func run<S: ByteSource>(name: String, source: inout S, splitter: inout LineSplitter, pending: [[UInt8]],
                                   total: inout Int) throws -> Result {
        var search = MailLineSearch()
        for chunk in pending { splitter.push(chunk) { search.add($0, number: $1) } }
        var ended = false
        while true {
            if search.found == nil { search.look() }
            if let found = search.found {
                return Result(choice: found.choice, wrapper: found.wrapper, lines: search.lines, ended: ended)
            }
            if ended { return Result(choice: nil, wrapper: nil, lines: search.lines, ended: true) }
            if let chunk = try source.next(name: name) {
                total += chunk.count
                splitter.push(chunk) { search.add($0, number: $1) }
            } else {
                ended = true
                splitter.finish { search.add($0, number: $1) }
            }
        }
    }

    var lines: [(line: ArraySlice<UInt8>, number: Int)] { Array(window[head...]) }

    mutating func add(_ line: ArraySlice<UInt8>, number: Int) {
        // A copy: a slice would keep its whole chunk alive.
        let copy = Array(line)[...]
        window.append((copy, number))
        bytes += copy.count
        guard found == nil else { return }
        if worthScoring(copy) {
            unscored.append(copy)
            unscoredBytes += copy.count
            if unscored.count >= FormatDetector.prefixLines || unscoredBytes > Self.windowBytes { look() }
            guard found == nil else { return }
        }
        let full = window.count - head > FormatDetector.prefixLines || bytes > Self.windowBytes
        // Lines are scored before they could leave the window.
        if full, !unscored.isEmpty {
            look()
            guard found == nil else { return }
        }
        while window.count - head > 1, window.count - head > FormatDetector.prefixLines || bytes > Self.windowBytes {
            bytes -= window[head].line.count
            window[head].line = []
            head += 1
        }
        if head >= 4_096 { window.removeFirst(head); head = 0 }
    }

    /// Score the lines not looked at yet, all at once.
    mutating func look() {
        guard !unscored.isEmpty else { return }
        var lines = unscored
        unscored.removeAll(keepingCapacity: true)
        unscoredBytes = 0
        let wrapper = ContainerLogPrefix.detect(lines)
        if let wrapper { lines = lines.map(wrapper.strip) }
        if let c = FormatDetector.choose(prefix: lines), !c.fallback { found = (c, wrapper) }
    }

    private mutating func worthScoring(_ line: ArraySlice<UInt8>) -> Bool {
        let program = parser.parse(line).program
        guard !program.isEmpty else { return true }
        let key = Array(program)
        let n = scored[key, default: 0]
        if n >= Self.perProgram { return false }
        // Bounded: a log naming ever new programs is scored in full.
        if scored.count < 4_096 || n > 0 { scored[key] = n + 1 }
        return true
    }
}
