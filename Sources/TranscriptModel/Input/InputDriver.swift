#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input that cannot be read as anything we know. `position` says where the problem was found.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var input: String
    public var position: String?
    public var message: String

    public init(input: String, position: String? = nil, message: String) {
        self.input = input
        self.position = position
        self.message = message
    }

    public var description: String {
        if let position { return "\(input): \(position): \(message)" }
        return "\(input): \(message)"
    }
}

public struct InputOptions: Sendable {
    /// `--input-format`: skip detection.
    public var forcedFormat: String?
    /// Longer lines are cut (the rest is counted, not kept).
    public var maxLineBytes = 1 << 20
    public var readChunk = 1 << 20
    /// Most bytes a gzip input may inflate to (gzip bombs).
    public var maxDecompressedBytes = 64 << 30
    /// Filter and limits for packet captures.
    public var capture = CaptureOptions()
    /// Readers may emit placeholders (`Session.isPending`) for sessions that are costly to build; the caller
    /// resolves them, e.g. on worker threads. Off: every emitted session is built.
    public var deferBuilding = false
    public init(forcedFormat: String? = nil) { self.forcedFormat = forcedFormat }
}

/// What the driver found out about an input.
public struct InputInfo: Sendable {
    public var format: String
    public var confidence: Double
    public var fallback: Bool
    public var lines: Int
    public var bytes: Int
    public var cutLines: Int
}

/// Reads an input (file or stdin) in large chunks, splits it into lines on bytes, picks a reader from the
/// first lines and streams every line through it. Sessions are emitted as readers finish them.
public enum InputDriver {
    /// `name` is what sessions and errors call the input (a file taken out of an archive has a temporary
    /// path and the name `archive:member`); the path by default.
    public static func read(path: String, name: String? = nil, options: InputOptions = InputOptions(),
                            emit: (Session) -> Void) throws -> InputInfo {
        let name = name ?? path
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(input: name, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw InputError(input: name, message: "is a directory")
        }
        var source = FileSource(fd: fd, chunk: options.readChunk)
        return try dispatch(name: name, path: path == "-" ? nil : path, source: &source, options: options, emit: emit)
    }

    /// Keep reading a growing file: at its end, wait for more instead of finishing, until `shouldStop`.
    /// Sessions are emitted as the reader closes them; the rest when stopped.
    public static func follow(path: String, options: InputOptions = InputOptions(), pollInterval: Double = 0.5,
                              shouldStop: @escaping () -> Bool, emit: (Session) -> Void) throws -> InputInfo {
        if path == "-" {
            var pipe = PipeSource(file: FileSource(fd: 0, chunk: options.readChunk), shouldStop: shouldStop)
            return try read(name: path, source: &pipe, options: options, emit: emit)
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw InputError(input: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        var tail = TailSource(path: path, file: FileSource(fd: fd, chunk: options.readChunk), interval: pollInterval,
                              shouldStop: shouldStop)
        // The file read last (a rotation may have replaced the first).
        defer { close(tail.file.fd) }
        return try read(name: path, source: &tail, options: options, emit: emit)
    }

    /// Read from memory (tests, the web page).
    public static func read(name: String, bytes: [UInt8], options: InputOptions = InputOptions(),
                            emit: (Session) -> Void) throws -> InputInfo {
        var source = MemorySource(bytes: bytes)
        return try dispatch(name: name, path: nil, source: &source, options: options, emit: emit)
    }

    /// Look at the first bytes: a capture goes to libpcap, a journal file to sd-journal, compressed data is
    /// inflated and looked at again, anything else is split into lines for the line readers. `path` is the
    /// file when there is one (not stdin).
    static func dispatch<S: ByteSource>(name: String, path: String?, source: inout S, options: InputOptions,
                                        emit: (Session) -> Void) throws -> InputInfo {
        guard let first = try source.next(name: name), !first.isEmpty else {
            throw InputError(input: name, message: "empty input")
        }
        if JournalFileSource.isJournal(first) {
            if let path { return try journal(name: name, path: path, options: options, emit: emit) }
            return try spoolAndJournal(name: name, first: first, rest: &source, options: options, emit: emit)
        }
        if let format = Compression.detect(first) {
            var inflated = try DecompressingSource(format, inner: source, first: first, name: name,
                                                   maxOutput: options.maxDecompressedBytes)
            return try readDecompressed(name: name, kind: format.rawValue, source: &inflated, options: options, emit: emit)
        }
        switch CaptureContainer.detect(Array(first.prefix(4))) {
        case .pcap, .pcapng:
            if let path, options.forcedFormat == nil { return try capture(name: name, path: path, options: options, emit: emit) }
            return try spoolAndCapture(name: name, first: first, rest: &source, options: options, emit: emit)
        case .gzip, .unknown:
            if ZipEntry.isZip(Array(first.prefix(4))) {
                var head = first
                let h = try ZipEntry.header(first: &head, rest: &source, name: name)
                guard h.flags & 1 == 0 else { throw InputError(input: name, position: "byte 0", message: "zip: \(h.name) is encrypted; unzip it first") }
                let data = PrefixedSource(first: Array(head[h.dataOffset...]), rest: source)
                switch h.method {
                case 8:
                    var inflated = try DecompressingSource(.deflate, inner: data, first: [], name: name,
                                                           maxOutput: options.maxDecompressedBytes, singleStream: true)
                    return try read(name: name, source: &inflated, options: options, emit: emit)
                case 0 where h.flags & 8 == 0:
                    var stored = LimitedSource(inner: data, limit: h.compressedSize)
                    return try read(name: name, source: &stored, options: options, emit: emit)
                default:
                    throw InputError(input: name, position: "byte 0", message: "zip: \(h.name) uses compression method \(h.method), which is not read; unzip it first")
                }
            }
            if let order = UTF16Text.detect(first) {
                var text = UTF16Source(inner: PrefixedSource(first: first, rest: source), order: order)
                return try read(name: name, source: &text, options: options, emit: emit)
            }
            // A UTF-8 byte order mark (Notepad, `Out-File -Encoding utf8`) is not part of the first line.
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let text = first.starts(with: bom) ? Array(first.dropFirst(3)) : first
            var rest = PrefixedSource(first: text.isEmpty ? nil : text, rest: source)
            return try read(name: name, source: &rest, options: options, emit: emit)
        }
    }

    /// What a compressed input holds: a capture or a journal file (spooled for the library that reads it),
    /// or text.
    static func readDecompressed<S: ByteSource>(name: String, kind: String, source: inout S, options: InputOptions,
                                                emit: (Session) -> Void) throws -> InputInfo {
        guard let inner = try source.next(name: name), !inner.isEmpty else {
            throw InputError(input: name, message: "empty input (\(kind) holds no data)")
        }
        if [.pcap, .pcapng].contains(CaptureContainer.detect(Array(inner.prefix(4)))) {
            return try spoolAndCapture(name: name, first: inner, rest: &source, options: options, emit: emit)
        }
        if JournalFileSource.isJournal(inner) {
            return try spoolAndJournal(name: name, first: inner, rest: &source, options: options, emit: emit)
        }
        var rest = PrefixedSource(first: inner, rest: source)
        return try read(name: name, source: &rest, options: options, emit: emit)
    }

    static func capture(name: String, path: String, options: InputOptions, emit: (Session) -> Void) throws -> InputInfo {
        var format = "pcap"
        do {
            let stats = try CaptureReader(input: name, options: options.capture).readWithStatistics(path: path,
                                                                                      deferBuilding: options.deferBuilding) {
                format = $0.format
                emit($0)
            }
            var st = stat()
            let size = stat(path, &st) == 0 ? Int(st.st_size) : 0
            return InputInfo(format: format, confidence: 1, fallback: false, lines: stats.packets, bytes: size, cutLines: 0)
        } catch let e as CaptureError {
            throw InputError(input: name, position: e.packet.map { "packet \($0)" }, message: e.message)
        }
    }

    /// libpcap reads files: stdin, memory and inflated captures are written to a private temporary file.
    static func spoolAndCapture<S: ByteSource>(name: String, first: [UInt8], rest: inout S, options: InputOptions,
                                               emit: (Session) -> Void) throws -> InputInfo {
        let tmp = try spool(name: name, first: first, rest: &rest, kind: "capture")
        defer { unlink(tmp) }
        return try capture(name: name, path: tmp, options: options, emit: emit)
    }

    /// A journal file's mail entries, read through sd-journal (`JournalFileSource`) and then as any log.
    static func journal(name: String, path: String, options: InputOptions, emit: (Session) -> Void) throws -> InputInfo {
        var source = try JournalFileSource(path: path, name: name)
        return try read(name: name, source: &source, options: options, allowHTML: false) { s in
            emit(s.adjusted { $0.attributes["input-wrapper"] = JournalFileSource.label })
        }
    }

    /// sd-journal reads files too: a journal from stdin, memory or a `.gz` goes through a temporary file.
    static func spoolAndJournal<S: ByteSource>(name: String, first: [UInt8], rest: inout S, options: InputOptions,
                                               emit: (Session) -> Void) throws -> InputInfo {
        let tmp = try spool(name: name, first: first, rest: &rest, kind: "journal")
        defer { unlink(tmp) }
        return try journal(name: name, path: tmp, options: options, emit: emit)
    }

    /// All of `bytes` to `fd` (short writes continued); false on an error.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// The whole input written to a private temporary file; the caller removes it.
    static func spool<S: ByteSource>(name: String, first: [UInt8], rest: inout S, kind: String) throws -> String {
        var template = Array("/tmp/smtpexplain-\(kind)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw InputError(input: name, message: "cannot create a temporary file for the \(kind)") }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func put(_ bytes: [UInt8]) throws {
            guard bytes.withUnsafeBytes({ writeAll(fd, $0) }) else {
                throw InputError(input: name, message: "cannot write the temporary \(kind) file")
            }
        }
        do {
            try put(first)
            while let chunk = try rest.next(name: name) { try put(chunk) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        return tmp
    }

    static func read<S: ByteSource>(name: String, source: inout S, options: InputOptions, allowHTML: Bool = true,
                                    emit: (Session) -> Void) throws -> InputInfo {
        var splitter = LineSplitter(maxLine: options.maxLineBytes)
        // Gather a bounded prefix for detection.
        var prefixLines: [ArraySlice<UInt8>] = []
        var pendingChunks: [[UInt8]] = []
        var total = 0
        var ended = false
        while prefixLines.count < FormatDetector.prefixLines, total < FormatDetector.prefixBytes {
            guard let chunk = try source.next(name: name), !chunk.isEmpty else { ended = true; break }
            total += chunk.count
            pendingChunks.append(chunk)
            splitter.peekLines(chunk, into: &prefixLines, limit: FormatDetector.prefixLines)
        }
        if total == 0 { throw InputError(input: name, message: "empty input") }
        // A paste often ends without a newline; its last line (for a one-line error message, its only line)
        // counts for detection too.
        if ended, prefixLines.count < FormatDetector.prefixLines {
            let all = pendingChunks.count == 1 ? pendingChunks[0] : Array(pendingChunks.joined())
            let tail = all.lastIndex(of: Bytes.lf).map { $0 + 1 } ?? 0
            if tail < all.count { prefixLines.append(LineSplitter.dropCR(all[tail...])) }
        } else if prefixLines.isEmpty {
            // A first line longer than the whole prefix (minified JSON): its start is all there is to go by.
            prefixLines.append(Array(pendingChunks.joined().prefix(FormatDetector.prefixBytes))[...])
        }
        if let bad = binaryOffset(pendingChunks.first ?? []) {
            // Only `--follow` reads a file without looking at its magic number first.
            if JournalFileSource.isJournal(pendingChunks.first ?? []) {
                throw InputError(input: name, position: "byte 0", message: "a systemd journal file is not followed; follow the journal with `journalctl -f -o short-iso | smtpexplain --follow -`")
            }
            // Standard input, or an archive in an archive: there is no file to take its members from.
            if TarReader<MemorySource>.isHeader(pendingChunks.first ?? []) {
                throw InputError(input: name, position: "byte 0", message: "a tar archive: give it as a file (`smtpexplain logs.tar.gz`) so its files can be read, or unpack it first")
            }
            throw InputError(input: name, position: "byte \(bad)",
                             message: "binary data: not a transcript, mail log or packet capture")
        }
        // A transcript pasted into a ticket or a web page: turn the HTML into text (libxml2), then read that.
        if allowHTML, options.forcedFormat == nil,
           HTMLInput.looksLikeHTML(Array(pendingChunks.joined().prefix(FormatDetector.prefixBytes))) {
            var html = Array(pendingChunks.joined())
            while let c = try source.next(name: name) {
                html += c
                if html.count > HTMLInput.maxBytes {
                    throw InputError(input: name, message: "HTML page larger than \(HTMLInput.maxBytes >> 20) MiB")
                }
            }
            let (text, hidden) = HTMLInput.convert(html)
            guard !text.isEmpty else { throw InputError(input: name, message: "HTML page holds no text") }
            var inner = MemorySource(bytes: text)
            return try read(name: name, source: &inner, options: options, allowHTML: false) { s in
                emit(s.adjusted { s in
                    s.attributes["input-markup"] = "html"
                    if hidden { HTMLInput.markAddressesHidden(&s) }
                })
            }
        }
        // A log as a container platform shows it: the wrapper comes off every line, before detection too.
        var foundWrapper = ContainerLogPrefix.detect(prefixLines)
        if let foundWrapper { prefixLines = prefixLines.map(foundWrapper.strip) }
        guard var choice = FormatDetector.choose(prefix: prefixLines, forced: options.forcedFormat) else {
            throw InputError(input: name, message: "unknown --input-format '\(options.forcedFormat ?? "")' (known: \(FormatDetector.formatIDs.joined(separator: ", ")))")
        }
        // A whole syslog (or journal) whose first lines are all other programs': the mail lines come later.
        var waited: [(line: ArraySlice<UInt8>, number: Int)] = []
        var sourceEnded = false
        if choice.fallback, source.isLive || !ended, FormatDetector.isSystemLog(prefixLines) {
            let found = try MailLineSearch.run(name: name, source: &source, splitter: &splitter, pending: pendingChunks,
                                               total: &total)
            pendingChunks.removeAll()
            sourceEnded = found.ended
            guard let known = found.choice else {
                // A system log, only not a mail server's: say so, rather than read it as a paste.
                let lines = splitter.lineNumber
                emit(.nothingToExplain("A system log, but none of its \(lines) lines comes from a mail server this tool reads (Postfix, Exim, Sendmail, OpenSMTPD, qmail, Courier, Dovecot, ...). If mail is logged elsewhere (/var/log/mail.log, /var/log/maillog, `journalctl -u postfix`), read that.",
                                       input: name, format: "syslog"))
                return InputInfo(format: "syslog", confidence: 0.9, fallback: false, lines: lines, bytes: total,
                                 cutLines: splitter.cutLines)
            }
            choice = known
            foundWrapper = found.wrapper
            waited = found.lines
        }
        let wrapper = foundWrapper
        splitter.maxLine = max(splitter.maxLine, choice.reader.maxLineBytes)
        var reader = choice.reader.init(input: name)
        if options.deferBuilding { reader.deferBuilding() }
        let confidence = choice.confidence
        let format = choice.reader.formatID
        let fallback = choice.fallback
        var counted = 0
        func annotate(_ s: Session) {
            emit(s.adjusted { s in
                s.formatConfidence = confidence
                if fallback { s.attributes["detection"] = "no known dialect recognised; read as an unmarked paste" }
                if let wrapper { s.attributes["input-wrapper"] = wrapper.label }
            })
        }
        func feed(_ line: ArraySlice<UInt8>, _ number: Int) {
            counted = number
            reader.read(line: wrapper?.strip(line) ?? line, number: number, emit: annotate)
        }
        for w in waited { feed(w.line, w.number) }
        for chunk in pendingChunks { splitter.push(chunk, feed) }
        pendingChunks.removeAll()
        while !sourceEnded, let chunk = try source.next(name: name) {
            if chunk.isEmpty {
                if let quiet = source.quietSeconds { reader.idle(seconds: quiet, emit: annotate) }
                continue
            }
            total += chunk.count
            splitter.push(chunk, feed)
        }
        splitter.finish(feed)
        reader.finish(emit: annotate)
        return InputInfo(format: format, confidence: confidence, fallback: choice.fallback, lines: counted,
                         bytes: total, cutLines: splitter.cutLines)
    }

    /// Offset of the first sign that the data is binary (NULs or mostly control bytes), nil for text.
    static func binaryOffset(_ chunk: [UInt8]) -> Int? {
        let sample = chunk.prefix(4096)
        guard !sample.isEmpty else { return nil }
        var control = 0
        var firstNul: Int?
        for (i, b) in sample.enumerated() {
            if b == 0 { firstNul = firstNul ?? i; control += 1 }
            else if b < 0x20 && b != 0x0A && b != 0x0D && b != 0x09 && b != 0x08 && b != 0x1B { control += 1 }
        }
        if control * 10 > sample.count { return firstNul ?? 0 }
        return nil
    }
}

/// Where bytes come from, chunk by chunk.
protocol ByteSource {
    mutating func next(name: String) throws -> [UInt8]?
    /// A file or pipe followed as it grows (`--follow`): more may come after the lines there are now.
    var isLive: Bool { get }
    /// A live source (`--follow`) with no data for a while returns an empty chunk every few seconds
    /// (`QuietTimer`); this is the wall time it stands for (since the data or the chunk before), so readers
    /// can close what waits on the log's clock. Nil for other empty chunks.
    var quietSeconds: Double? { get }
}

extension ByteSource {
    var isLive: Bool { false }
    var quietSeconds: Double? { nil }
}

/// When a live source last had data or said it was quiet: every `every` seconds of wall time without data,
/// `due` gives the seconds since then.
struct QuietTimer {
    let every: Double
    private var last = monotonicNow()
    init(every: Double = 5) { self.every = every }
    mutating func sawData() { last = monotonicNow() }
    mutating func due() -> Double? {
        let t = monotonicNow()
        guard t - last >= every else { return nil }
        defer { last = t }
        return t - last
    }
}

/// Monotonic clock in seconds: a followed input's quiet, the probe's deadlines and banner delay.
package func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct FileSource: ByteSource {
    let fd: Int32
    let chunk: Int
    mutating func next(name: String) throws -> [UInt8]? {
        while true {
            // Read straight into uninitialised storage: zero-filling a 1 MiB chunk first costs more than a
            // pasted transcript takes to explain.
            var n = 0
            let buf = [UInt8](unsafeUninitializedCapacity: chunk) { b, count in
                n = Glibc.read(fd, b.baseAddress, chunk)
                count = max(n, 0)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(input: name, message: "read error: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return nil }
            return buf
        }
    }
}

/// A file that grows: at its end, poll until more arrives or the caller says stop. Like `tail -F`, it
/// follows the name: when logrotate moves the file away and a new one takes its name, the rest of the old
/// one is read and then the new one from its start; a file truncated in place (`copytruncate`) is read
/// again from its start. Line numbers go on counting across the switch.
struct TailSource: ByteSource {
    let path: String
    var file: FileSource
    let interval: Double
    let shouldStop: () -> Bool
    /// At the first end of file after some data an empty chunk says "caught up" (detection uses what is
    /// there); after that, reading waits for more, with an empty chunk every few seconds of quiet
    /// (`QuietTimer`). An empty file (just rotated) is waited on until its first data.
    var sawData = false
    var caughtUp = false
    var quiet = QuietTimer()
    var quietSeconds: Double?
    var isLive: Bool { true }
    mutating func next(name: String) throws -> [UInt8]? {
        while true {
            if let chunk = try file.next(name: name) { sawData = true; quiet.sawData(); return chunk }
            if shouldStop() { return nil }
            if !caughtUp, sawData { caughtUp = true; return [] }
            if caughtUp, let q = quiet.due() { quietSeconds = q; return [] }
            if let fresh = replacement() {
                // What the writer added to the old file before it let go of it comes first.
                if let chunk = try file.next(name: name) { close(fresh); return chunk }
                close(file.fd)
                file = FileSource(fd: fresh, chunk: file.chunk)
                continue
            }
            usleep(UInt32(interval * 1_000_000))
        }
    }

    /// A descriptor for the file that now has our name, when it is another file than ours; rewinds ours
    /// when it was truncated below where we read.
    private func replacement() -> Int32? {
        var ours = stat()
        guard fstat(file.fd, &ours) == 0 else { return nil }
        var named = stat()
        if stat(path, &named) == 0, named.st_ino != ours.st_ino || named.st_dev != ours.st_dev {
            let fd = open(path, O_RDONLY)
            return fd >= 0 ? fd : nil
        }
        if lseek(file.fd, 0, SEEK_CUR) > ours.st_size { lseek(file.fd, 0, SEEK_SET) }
        return nil
    }
}

/// Standard input while following (`journalctl -f | smtpexplain --follow -`): once some data came and no more
/// arrives for a moment, an empty chunk says "caught up" (detection uses the lines there are instead of
/// waiting for a full prefix); then reading waits for more, checking `shouldStop` twice a second, until the
/// writer closes the pipe.
struct PipeSource: ByteSource {
    var file: FileSource
    let shouldStop: () -> Bool
    var sawData = false
    var caughtUp = false
    var quiet = QuietTimer()
    var quietSeconds: Double?
    var isLive: Bool { true }
    mutating func next(name: String) throws -> [UInt8]? {
        while true {
            if shouldStop() { return nil }
            var p = pollfd(fd: file.fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, sawData && !caughtUp ? 200 : 500)
            if r < 0 {
                if errno == EINTR { continue }
                throw InputError(input: name, message: "read error: \(String(cString: strerror(errno)))")
            }
            if r == 0 {
                if sawData && !caughtUp { caughtUp = true; return [] }
                if caughtUp, let q = quiet.due() { quietSeconds = q; return [] }
                continue
            }
            guard let chunk = try file.next(name: name) else { return nil }
            sawData = true
            quiet.sawData()
            return chunk
        }
    }
}

/// Bytes already read (to look at the magic number) followed by the rest of the source.
struct PrefixedSource<Rest: ByteSource>: ByteSource {
    var first: [UInt8]?
    var rest: Rest
    mutating func next(name: String) throws -> [UInt8]? {
        if let f = first { first = nil; return f }
        return try rest.next(name: name)
    }
}

struct MemorySource: ByteSource {
    let bytes: [UInt8]
    /// Bytes per chunk; all at once by default. A merged read takes uploads a chunk at a time, so detecting a
    /// format (a prefix) does not copy the whole input.
    let chunk: Int
    private var offset = 0
    init(bytes: [UInt8], chunk: Int = .max) {
        self.bytes = bytes
        self.chunk = max(1, chunk)
    }
    mutating func next(name: String) throws -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        let end = offset + min(chunk, bytes.count - offset)
        defer { offset = end }
        return offset == 0 && end == bytes.count ? bytes : Array(bytes[offset..<end])
    }
}

/// Splits chunks into lines on LF; a trailing CR is removed. Lines longer than `maxLine` are cut.
package struct LineSplitter {
    /// Settable until the first `push`.
    var maxLine: Int
    private var carry: [UInt8] = []
    private var carryCut = false
    private(set) var lineNumber = 0
    private(set) var cutLines = 0

    package init(maxLine: Int) { self.maxLine = maxLine }

    /// Lines of a chunk for detection, without consuming it.
    func peekLines(_ chunk: [UInt8], into out: inout [ArraySlice<UInt8>], limit: Int) {
        var start = 0
        let all = carry.isEmpty ? chunk : carry + chunk
        while out.count < limit, let nl = all[start...].firstIndex(of: Bytes.lf) {
            out.append(Self.dropCR(all[start..<nl]))
            start = nl + 1
        }
    }

    package mutating func push(_ chunk: [UInt8], _ feed: (ArraySlice<UInt8>, Int) -> Void) {
        var start = 0
        if !carry.isEmpty {
            guard let nl = chunk.firstIndex(of: Bytes.lf) else {
                appendCarry(chunk[...])
                return
            }
            appendCarry(chunk[0..<nl])
            lineNumber += 1
            let line = carry
            carry.removeAll(keepingCapacity: true)
            if carryCut { cutLines += 1; carryCut = false }
            feed(Self.dropCR(line[...]), lineNumber)
            start = nl + 1
        }
        chunk.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            let count = buf.count
            while start < count {
                guard let p = memchr(base + start, Int32(Bytes.lf), count - start) else { break }
                let nl = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                lineNumber += 1
                var line = chunk[start..<nl]
                if line.count > maxLine { line = line.prefix(maxLine); cutLines += 1 }
                feed(Self.dropCR(line), lineNumber)
                start = nl + 1
            }
        }
        if start < chunk.count { appendCarry(chunk[start...]) }
    }

    package mutating func finish(_ feed: (ArraySlice<UInt8>, Int) -> Void) {
        guard !carry.isEmpty else { return }
        lineNumber += 1
        let line = carry
        carry.removeAll()
        if carryCut { cutLines += 1 }
        feed(Self.dropCR(line[...]), lineNumber)
    }

    private mutating func appendCarry(_ bytes: ArraySlice<UInt8>) {
        let room = maxLine - carry.count
        if room <= 0 { carryCut = true; return }
        if bytes.count > room { carry.append(contentsOf: bytes.prefix(room)); carryCut = true }
        else { carry.append(contentsOf: bytes) }
    }

    @inline(__always)
    static func dropCR(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if let l = s.last, l == Bytes.cr { return s.dropLast() }
        return s
    }
}
