#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log reader whose input can be several files read as one stream in time order (`maillog.1 maillog`, in
/// any order, `.gz` rotations too), so a session or a message story crossing a rotation is told once.
protocol MergeableLogReader: LineReader {
    /// The file the next lines come from: positions and evidence name it.
    var input: String { get set }
    /// Place of the next line in the merged stream (`SourcePosition.sequence`).
    var sequence: Int? { get set }
    /// The time of a line as the reader reads it (nil when the line carries none: it then follows the line
    /// before it in its own file).
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double?
    /// Formats of other programs' logs this reader joins to its own sessions when read with them.
    static var companions: Set<String> { get }
    /// Lines of a companion format are in the stream.
    mutating func readsCompanion(_ format: String)
}

extension MergeableLogReader {
    static var companions: Set<String> { [] }
    mutating func readsCompanion(_ format: String) {}
}

extension PostfixLogReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? { parser.parse(line).time }
    /// Dovecot's own log file (`log_path`) or a mail log it shares with other programs: its deliveries say
    /// where each message Postfix handed it went.
    static var companions: Set<String> { [DovecotLogReader.formatID] }
    mutating func readsCompanion(_ format: String) { if format == DovecotLogReader.formatID { joinsDovecot = true } }
}

extension SendmailLogReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? { parser.parse(line).time }
}

extension OpenSMTPDLogReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? { parser.parse(line).time }
}

extension CourierLogReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? { parser.parse(line).time }
}

extension QmailLogReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? { QmailLine.parse(line, header: &parser).time }
}

extension EximLogReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? {
        if let (t, _) = parser.clock.iso(line, allowSpace: true) { return t }
        return parser.parse(line).time
    }
    /// Debian's Exim writes its own mainlog while Dovecot's deliveries go to the syslog mail log: read
    /// together, Dovecot's lines say where each message the mainlog received went.
    static var companions: Set<String> { [DovecotLogReader.formatID] }
    mutating func readsCompanion(_ format: String) { if format == DovecotLogReader.formatID { joinsDovecot = true } }
}

extension ExchangeTrackingReader: MergeableLogReader {
    static func lineTime(_ line: ArraySlice<UInt8>, parser: inout LogHeaderParser) -> Double? {
        guard let f = line.first, f != 0x23 else { return nil }
        return parser.clock.iso(line)?.0
    }
}

/// One input of a merged read: what `--verbose` reports for it.
public struct MergedInputInfo: Sendable {
    public var input: String
    public var info: InputInfo
}

/// What a merged read did: per-file facts, the statistics label, and the files that failed (the others were
/// still read).
public struct MergedReadResult: Sendable {
    public var inputs: [MergedInputInfo] = []
    public var errors: [InputError] = []
    /// The name the reader's statistics are recorded under (`LogStatsRegistry`): the files joined by ` + `.
    public var label: String = ""
    public var format: String = ""
}

/// How the CLI reads a list of inputs: alone, or merged with other logs of the same format.
public enum InputPlanItem: Sendable, Equatable {
    case single(String)
    /// Logs of one format (`format`), in the order given.
    case merged([String], format: String)
}

extension InputDriver {
    /// Group the inputs: logs of the same format (as detection, or `--input-format`, says) are read together
    /// in time order, with the logs of other programs their reader joins (Dovecot's with an Exim mainlog);
    /// everything else (transcripts, captures, standard input, files that cannot be opened) stays one input.
    /// A group takes the place of its first file.
    public static func plan(_ paths: [String], options: InputOptions = InputOptions()) -> [InputPlanItem] {
        var formats: [String?] = []
        for p in paths { formats.append(p == "-" ? nil : mergeableFormat(path: p, options: options)) }
        return groups(formats).map { g in
            g.format.map { .merged(g.members.map { paths[$0] }, format: $0) } ?? .single(paths[g.members[0]])
        }
    }

    /// The same for inputs already in memory (the web page's uploads), by position: each group is one input
    /// (`format` nil) or logs read together. A group takes the place of its first input.
    public static func plan(inputs: [(name: String, bytes: [UInt8])], options: InputOptions = InputOptions())
        -> [(members: [Int], format: String?)] {
        groups(inputs.map { input in
            (try? LineStream.open(source: MemorySource(bytes: input.bytes, chunk: 64 << 10), name: input.name, options: options,
                                  chunk: 64 << 10))??.format
        })
    }

    /// Inputs of the same mergeable format, with the companions their reader joins, grouped; the others alone.
    static func groups(_ detected: [String?]) -> [(members: [Int], format: String?)] {
        var formats = detected
        // A companion's file goes with the first format given that takes it.
        formats = formats.map { f in
            guard let f, let host = formats.lazy.compactMap({ $0 }).first(where: { h in
                h != f && (Self.mergeableType(h)?.companions.contains(f) ?? false) }) else { return f }
            return host
        }
        // A companion left on its own is read on its own.
        formats = formats.map { f in f.flatMap { Self.mergeableType($0) == nil ? nil : $0 } }
        var count: [String: Int] = [:]
        for f in formats { if let f { count[f, default: 0] += 1 } }
        var out: [(members: [Int], format: String?)] = []
        var placed = Set<String>()
        for (i, f) in formats.enumerated() {
            guard let f, count[f, default: 0] > 1 else { out.append(([i], nil)); continue }
            if placed.insert(f).inserted {
                out.append((formats.indices.filter { formats[$0] == f }, f))
            }
        }
        return out
    }

    /// Formats read only as some mergeable reader's companion.
    static let companionFormats: Set<String> = FormatDetector.lineReaders
        .compactMap { $0 as? any MergeableLogReader.Type }.reduce(into: []) { $0.formUnion($1.companions) }

    /// The reader of a format when it can read merged logs.
    static func mergeableType(_ format: String) -> (any MergeableLogReader.Type)? {
        FormatDetector.lineReaders.first(where: { $0.formatID == format }) as? any MergeableLogReader.Type
    }

    /// The log format of a file when it is a log a merged read can take, else nil. Reads a bounded prefix.
    static func mergeableFormat(path: String, options: InputOptions) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return nil }
        do {
            let stream = try LineStream.open(fd: fd, name: path, options: options, chunk: 64 << 10)
            guard let stream else { return nil }
            return stream.format
        } catch {
            return nil
        }
    }

    /// Read logs of one format as one stream: a k-way merge by time holding one pending line per file,
    /// earliest first; equal times keep the order of the files' first times (then the order given), and a
    /// line without a time follows the line before it in its own file. Each session's lines keep their own
    /// file and line number (`SourcePosition.input`, `.line`; `.sequence` is the merged order). A file that
    /// cannot be opened or fails midway is reported in `errors`; the others are still read.
    public static func readMerged(paths: [String], options: InputOptions = InputOptions(),
                                  emit: (Session) -> Void) -> MergedReadResult {
        readMerged(files: paths.map { (name: $0, path: $0) }, options: options, emit: emit)
    }

    /// The same for files known by another name than their path (taken out of an archive).
    public static func readMerged(files: [(name: String, path: String)], options: InputOptions = InputOptions(),
                                  emit: (Session) -> Void) -> MergedReadResult {
        readMerged(names: files.map(\.name), options: options, emit: emit) { i in
            let (name, p) = files[i]
            let fd = open(p, O_RDONLY)
            guard fd >= 0 else { throw InputError(input: name, message: "cannot open: \(String(cString: strerror(errno)))") }
            do {
                guard let s = try LineStream.open(fd: fd, name: name, options: options, chunk: 256 << 10, ownsFD: true, path: p) else {
                    close(fd)
                    return nil
                }
                return s
            } catch {
                close(fd)
                throw error
            }
        }
    }

    /// The same for inputs already in memory (the web page's uploads; `.gz` ones too).
    public static func readMerged(inputs: [(name: String, bytes: [UInt8])], options: InputOptions = InputOptions(),
                                  emit: (Session) -> Void) -> MergedReadResult {
        readMerged(names: inputs.map(\.name), options: options, emit: emit) { i in
            try LineStream.open(source: MemorySource(bytes: inputs[i].bytes, chunk: 256 << 10), name: inputs[i].name,
                                options: options, chunk: 256 << 10)
        }
    }

    /// Opens each input (`open(i)`: nil when it is not a log a merged read takes) and reads the ones that open
    /// as one stream; the others are reported in `errors`.
    private static func readMerged(names: [String], options: InputOptions, emit: (Session) -> Void,
                                   open: (Int) throws -> LineStream?) -> MergedReadResult {
        var result = MergedReadResult()
        var streams: [LineStream] = []
        for (i, name) in names.enumerated() {
            do {
                guard let s = try open(i) else {
                    result.errors.append(InputError(input: name, message: "not a log of the other files' format"))
                    continue
                }
                streams.append(s)
            } catch let e as InputError {
                result.errors.append(e)
            } catch {
                result.errors.append(InputError(input: name, message: "\(error)"))
            }
        }
        defer { for s in streams { s.closeFile() } }
        guard let first = streams.first else { return result }
        // One format for the group: its first log a merged read takes (`plan` groups equal ones and their companions).
        let format = options.forcedFormat ?? streams.first { Self.mergeableType($0.format) != nil }?.format ?? first.format
        let companions = Self.mergeableType(format)?.companions ?? []
        streams = streams.filter { s in
            if s.format == format || companions.contains(s.format) { return true }
            s.closeFile()
            result.errors.append(InputError(input: s.name, message: "detected as \(s.format), not \(format): read it on its own"))
            return false
        }
        guard let type = Self.mergeableType(format) else { return result }
        result.format = format
        var merger = LogMerger(streams: streams)
        merger.prime(type: type, errors: &result.errors)
        result.label = merger.streams.map(\.name).joined(separator: " + ")
        var confidence: [String: Double] = [:]
        for s in merger.streams { confidence[s.name] = s.confidence }
        let known = confidence
        func annotate(_ s: Session) {
            emit(s.adjusted { s in
                // The session belongs to the file it started in; its lines name their own files.
                if let i = s.start?.input, !i.isEmpty { s.input = i }
                s.formatConfidence = known[s.input] ?? s.formatConfidence
            })
        }
        merger.run(type: type, label: result.label, deferBuilding: options.deferBuilding,
                   companions: Set(merger.streams.map(\.format)).intersection(companions), errors: &result.errors, emit: annotate)
        for s in merger.streams {
            result.inputs.append(MergedInputInfo(input: s.name, info: InputInfo(
                format: s.format, confidence: s.confidence, fallback: false, lines: s.lineNumber, bytes: s.bytes,
                cutLines: s.cutLines)))
        }
        return result
    }
}

/// The k-way merge itself.
struct LogMerger {
    var streams: [LineStream]
    /// Per stream: the pending line and its time; nil when the stream is done.
    var pending: [(line: ArraySlice<UInt8>, number: Int, time: Double)?] = []
    var parsers: [LogHeaderParser] = []
    /// Untimed lines read before a stream's first timed line, fed before anything else.
    var leading: [[(line: ArraySlice<UInt8>, number: Int)]] = []

    init(streams: [LineStream]) {
        self.streams = streams
    }

    /// Read each file up to its first timed line; order the files by that time (then as given).
    mutating func prime(type: any MergeableLogReader.Type, errors: inout [InputError]) {
        var firsts: [(stream: LineStream, lead: [(ArraySlice<UInt8>, Int)], first: (ArraySlice<UInt8>, Int, Double)?, rank: Int)] = []
        for (rank, var s) in streams.enumerated() {
            var parser = LogHeaderParser()
            var lead: [(ArraySlice<UInt8>, Int)] = []
            var first: (ArraySlice<UInt8>, Int, Double)?
            do {
                while let line = try s.next() {
                    if let t = type.lineTime(line, parser: &parser) { first = (line, s.lineNumber, t); break }
                    // Bounded: a file that never shows a time is fed in order before the others.
                    lead.append((line, s.lineNumber))
                    if lead.count >= 10_000 { break }
                }
            } catch let e as InputError {
                errors.append(e)
                s.failed = true
            } catch {
                errors.append(InputError(input: s.name, message: "\(error)"))
                s.failed = true
            }
            firsts.append((s, lead, first, rank))
        }
        firsts.sort { a, b in
            switch (a.first?.2, b.first?.2) {
            case let (x?, y?) where x != y: return x < y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return a.rank < b.rank
            }
        }
        streams = firsts.map(\.stream)
        leading = firsts.map { $0.lead.map { (line: $0.0, number: $0.1) } }
        pending = firsts.map { f in f.first.map { (line: $0.0, number: $0.1, time: $0.2) } }
        parsers = firsts.map { _ in LogHeaderParser() }
    }

    mutating func run(type: any MergeableLogReader.Type, label: String, deferBuilding: Bool = false,
                      companions: Set<String> = [], errors: inout [InputError], emit: (Session) -> Void) {
        runTyped(type, label: label, deferBuilding: deferBuilding, companions: companions, errors: &errors, emit: emit)
    }

    private mutating func runTyped<R: MergeableLogReader>(_ type: R.Type, label: String, deferBuilding: Bool,
                                                          companions: Set<String>, errors: inout [InputError],
                                                          emit: (Session) -> Void) {
        var reader = R(input: label)
        if deferBuilding { reader.deferBuilding() }
        for c in companions.sorted() { reader.readsCompanion(c) }
        var sequence = 0
        var current = -1
        func feed(_ i: Int, _ line: ArraySlice<UInt8>, _ number: Int) {
            if i != current { reader.input = streams[i].name; current = i }
            sequence += 1
            reader.sequence = sequence
            reader.read(line: line, number: number, emit: emit)
        }
        for i in leading.indices { for l in leading[i] { feed(i, l.line, l.number) } }
        leading = []
        let n = streams.count
        while true {
            // Earliest pending line; equal times go to the earlier-ranked file (streams are in rank order).
            var best = -1
            var bestTime = 0.0
            for i in 0..<n {
                guard let p = pending[i] else { continue }
                if best < 0 || p.time < bestTime { best = i; bestTime = p.time }
            }
            guard best >= 0, let p = pending[best] else { break }
            feed(best, p.line, p.number)
            pending[best] = nil
            guard !streams[best].failed else { continue }
            // Advance that file; untimed lines follow their predecessor at once.
            do {
                while let line = try streams[best].next() {
                    if let t = R.lineTime(line, parser: &parsers[best]) {
                        pending[best] = (line, streams[best].lineNumber, t)
                        break
                    }
                    feed(best, line, streams[best].lineNumber)
                }
            } catch let e as InputError {
                errors.append(e)
                streams[best].failed = true
            } catch {
                errors.append(InputError(input: streams[best].name, message: "\(error)"))
                streams[best].failed = true
            }
        }
        reader.sequence = sequence + 1
        reader.finish(emit: emit)
    }
}

/// Lines of one file, pulled one at a time (gzip inflated), for the merge. Detects the file's format from
/// its first lines like `InputDriver.read` does.
struct LineStream {
    let name: String
    let fd: Int32
    let ownsFD: Bool
    var source: any ByteSource
    let maxLine: Int
    var format = ""
    var confidence = 0.0
    /// A container platform's wrapper around each line, taken off (`ContainerLogPrefix`).
    var wrapper: ContainerLogPrefix?
    private var chunk: [UInt8] = []
    private var offset = 0
    private var carry: [UInt8] = []
    private var carryCut = false
    private var done = false
    private(set) var lineNumber = 0
    private(set) var bytes = 0
    private(set) var cutLines = 0
    var failed = false

    init(name: String, fd: Int32, ownsFD: Bool, source: any ByteSource, maxLine: Int) {
        self.name = name
        self.fd = fd
        self.ownsFD = ownsFD
        self.source = source
        self.maxLine = maxLine
    }

    func closeFile() { if ownsFD { close(fd) } }

    /// A stream over `fd` when it holds a log a merged read can take (nil for captures, HTML, binary data,
    /// transcripts); the bytes read to decide are read again.
    static func open(fd: Int32, name: String, options: InputOptions, chunk: Int, ownsFD: Bool = false,
                     path: String? = nil) throws -> LineStream? {
        try open(source: FileSource(fd: fd, chunk: chunk), name: name, options: options, chunk: chunk, fd: fd,
                 ownsFD: ownsFD, path: path ?? name)
    }

    /// A stream over any source (`fd` -1 when there is no file to close). `path` names the file when there is
    /// one: a journal file is read through sd-journal, which opens it by name.
    static func open<S: ByteSource>(source file: S, name: String, options: InputOptions, chunk: Int, fd: Int32 = -1,
                                    ownsFD: Bool = false, path: String? = nil) throws -> LineStream? {
        var file = file
        guard let first = try file.next(name: name), !first.isEmpty else { return nil }
        var source: any ByteSource
        if JournalFileSource.isJournal(first) {
            guard let path else { return nil }
            source = try JournalFileSource(path: path, name: name)
        } else if let format = Compression.detect(first) {
            source = try DecompressingSource(format, inner: file, first: first, name: name,
                                             maxOutput: options.maxDecompressedBytes, outChunk: chunk)
        } else if [.pcap, .pcapng].contains(CaptureContainer.detect(Array(first.prefix(4)))) {
            return nil
        } else {
            source = QueuedSource(queued: [first], rest: file)
        }
        // Detection prefix.
        var head: [[UInt8]] = []
        var total = 0
        var lines = 0
        while total < FormatDetector.prefixBytes, lines < FormatDetector.prefixLines {
            guard let c = try source.next(name: name), !c.isEmpty else { break }
            head.append(c)
            total += c.count
            lines += c.reduce(0) { $0 + ($1 == Bytes.lf ? 1 : 0) }
        }
        guard let firstChunk = head.first, InputDriver.binaryOffset(firstChunk) == nil else { return nil }
        let joined = Array(head.joined().prefix(FormatDetector.prefixBytes))
        if options.forcedFormat == nil, HTMLInput.looksLikeHTML(joined) { return nil }
        var prefix: [ArraySlice<UInt8>] = []
        var start = 0
        while prefix.count < FormatDetector.prefixLines, let nl = joined[start...].firstIndex(of: Bytes.lf) {
            prefix.append(LineSplitter.dropCR(joined[start..<nl]))
            start = nl + 1
        }
        let wrapper = ContainerLogPrefix.detect(prefix)
        if let wrapper { prefix = prefix.map(wrapper.strip) }
        guard let choice = FormatDetector.choose(prefix: prefix, forced: options.forcedFormat), !choice.fallback,
              choice.reader is any MergeableLogReader.Type || InputDriver.companionFormats.contains(choice.reader.formatID)
        else { return nil }
        var s = LineStream(name: name, fd: fd, ownsFD: ownsFD, source: QueuedSource(queued: head, rest: source),
                           maxLine: options.maxLineBytes)
        s.format = choice.reader.formatID
        s.confidence = choice.confidence
        s.wrapper = wrapper
        return s
    }

    /// The next line without its terminator (a trailing CR removed) and its wrapper, nil at the end.
    mutating func next() throws -> ArraySlice<UInt8>? {
        guard let line = try nextRaw() else { return nil }
        return wrapper?.strip(line) ?? line
    }

    private mutating func nextRaw() throws -> ArraySlice<UInt8>? {
        while true {
            if offset < chunk.count {
                let nl: Int? = chunk.withUnsafeBufferPointer { buf in
                    guard let base = buf.baseAddress,
                          let p = memchr(base + offset, Int32(Bytes.lf), buf.count - offset) else { return nil }
                    return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                }
                if let nl {
                    lineNumber += 1
                    defer { offset = nl + 1 }
                    if carry.isEmpty {
                        var line = chunk[offset..<nl]
                        if line.count > maxLine { line = line.prefix(maxLine); cutLines += 1 }
                        return LineSplitter.dropCR(line)
                    }
                    appendCarry(chunk[offset..<nl])
                    let line = carry
                    carry = []
                    if carryCut { cutLines += 1; carryCut = false }
                    return LineSplitter.dropCR(line[...])
                }
                appendCarry(chunk[offset...])
                offset = chunk.count
            }
            if done {
                guard !carry.isEmpty else { return nil }
                lineNumber += 1
                let line = carry
                carry = []
                if carryCut { cutLines += 1; carryCut = false }
                return LineSplitter.dropCR(line[...])
            }
            guard let c = try source.next(name: name) else { done = true; continue }
            bytes += c.count
            chunk = c
            offset = 0
        }
    }

    private mutating func appendCarry(_ b: ArraySlice<UInt8>) {
        let room = maxLine - carry.count
        if room <= 0 { carryCut = carryCut || !b.isEmpty; return }
        if b.count > room { carry.append(contentsOf: b.prefix(room)); carryCut = true } else { carry.append(contentsOf: b) }
    }
}

/// Chunks already read, then the rest of a source.
struct QueuedSource: ByteSource {
    var queued: [[UInt8]]
    var rest: any ByteSource
    init(queued: [[UInt8]], rest: any ByteSource) {
        self.queued = queued
        self.rest = rest
    }
    mutating func next(name: String) throws -> [UInt8]? {
        if !queued.isEmpty { return queued.removeFirst() }
        return try rest.next(name: name)
    }
}
