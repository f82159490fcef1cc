import ArgumentParser
import Explainer
import Foundation
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// What every reading command shares: the inputs, how to read them, and which sessions to keep.
struct InputArguments: ParsableArguments {
    /// `SMTPEXPLAIN_THREADS=1` keeps everything on one thread (for comparing timings and for debugging).
    static let singleThreaded = getenv("SMTPEXPLAIN_THREADS").map { String(cString: $0) } == "1"

    @Argument(help: "Input files (transcripts, logs, journal files, captures; .gz, .xz, .zst, .bz2); '-' or none for standard input.")
    var files: [String] = []

    @Option(name: .customLong("input-format"), help: ArgumentHelp(
        "Skip detection and read inputs as this format.",
        discussion: "Known: \(FormatDetector.formatIDs.joined(separator: ", "))."))
    var inputFormat: String?

    @Option(name: .long, help: "What to hide: credentials (AUTH payloads and passwords, the default), personal (also address local parts, client IPs, subjects) or none.")
    var redact: RedactChoice = .credentials

    @Option(name: .long, help: "YAML file of your own reply rules (tried before the built-in ones).")
    var rules: String?

    @Option(name: .long, help: "Only sessions active at or after this time (2026-11-28, '2026-11-28 14:00', epoch seconds, or -2h / -3d).")
    var since: String?

    @Option(name: .long, help: "Only sessions active at or before this time (same forms as --since).")
    var until: String?

    @Option(name: .long, help: "Only sessions with this client (address, host or HELO name; a trailing '.' matches a prefix).")
    var client: String?

    @Option(name: .long, help: "Only sessions with this envelope sender (address, @domain, or <> for the null sender).")
    var sender: String?

    @Option(name: .long, help: "Only sessions with this recipient (address or @domain).")
    var recipient: String?

    @Option(name: .customLong("queue-id"), help: "Only sessions with this queue id.")
    var queueID: String?

    @Flag(name: .customLong("only-failures"), help: "Only sessions that did not deliver.")
    var onlyFailures = false

    @Option(name: .long, help: "Packet captures: a BPF filter expression compiled by libpcap.")
    var filter: String?

    // Only this flag, not SSLKEYLOGFILE: that variable tells programs where to write keys, and reading a
    // capture should not change because of it.
    @Option(name: .customLong("tls-keylog"), help: ArgumentHelp(
        "Packet captures: decrypt TLS (after STARTTLS, or on port 465) with the secrets in this key log.",
        discussion: "NSS key log format, as written by programs run with SSLKEYLOGFILE (OpenSSL, Python, curl, browsers). TLS 1.3 and TLS 1.2 with AES-GCM or ChaCha20-Poly1305.",
        valueName: "file"))
    var tlsKeylog: String?

    @Option(name: .long, help: "Capture live from this network interface (libpcap; needs root or CAP_NET_RAW); Ctrl-C ends.")
    var interface: String?

    @Flag(name: .long, help: "Keep reading a growing file (logs), or standard input (journalctl -f | smtpexplain --follow), and print sessions as they close; Ctrl-C ends.")
    var follow = false

    @Flag(name: .customLong("no-merge"), help: "Read each log file on its own (by default logs of the same format, e.g. maillog.1.gz maillog, are merged in time order so sessions and messages crossing a rotation are told once).")
    var noMerge = false

    @Option(name: .customLong("max-line-bytes"), help: "Limit: longer input lines are cut.")
    var maxLineBytes: Int = 1 << 20

    @Option(name: .customLong("max-reply-lines"), help: "Limit: lines kept per reply.")
    var maxReplyLines: Int = 500

    @Option(name: .customLong("max-exchanges"), help: "Limit: command/reply pairs kept per session.")
    var maxExchanges: Int = 50_000

    @Option(name: .customLong("max-flows"), help: "Limit: TCP connections tracked at once in a capture.")
    var maxFlows: Int = 32_000

    @Option(name: .customLong("max-flow-buffer"), help: "Limit: out-of-order bytes buffered per connection direction.")
    var maxFlowBuffer: Int = 4 << 20

    @Option(name: .customLong("max-decompressed"), help: "Limit: bytes a compressed input (.gz, .xz, .zst, .bz2) may inflate to.")
    var maxDecompressed: Int = 64 << 30

    @Flag(name: .shortAndLong, help: "Also print reading statistics (and lines a log reader did not understand) to standard error.")
    var verbose = false

    func validate() throws {
        if let f = inputFormat, !FormatDetector.formatIDs.contains(f) {
            throw ValidationError("unknown --input-format '\(f)' (known: \(FormatDetector.formatIDs.joined(separator: ", ")))")
        }
        if let s = since, TimeParser.parse(s) == nil { throw ValidationError("cannot read --since '\(s)'") }
        if let u = until, TimeParser.parse(u) == nil { throw ValidationError("cannot read --until '\(u)'") }
        if interface != nil && !files.isEmpty {
            throw ValidationError("--interface reads the network, not files")
        }
        if follow && files.count > 1 {
            throw ValidationError("--follow reads one file, or standard input (-)")
        }
    }

    var sessionFilter: SessionFilter {
        SessionFilter(since: since.flatMap(TimeParser.parse), until: until.flatMap(TimeParser.parse),
                      client: client, sender: sender, recipient: recipient, queueID: queueID,
                      onlyFailures: onlyFailures)
    }

    var inputOptions: InputOptions {
        var o = InputOptions(forcedFormat: inputFormat)
        o.maxLineBytes = max(512, maxLineBytes)
        o.maxDecompressedBytes = max(1 << 20, maxDecompressed)
        o.capture = CaptureOptions(filter: filter, maxFlows: maxFlows, maxBufferPerFlow: maxFlowBuffer)
        return o
    }

    /// The `--tls-keylog` secrets; an unreadable file, or one without a single usable line, is a usage error.
    /// Damaged lines are reported (with their numbers) and skipped.
    func loadKeyLog() throws -> TLSKeyLog? {
        guard let path = tlsKeylog else { return nil }
        let log: TLSKeyLog
        do {
            log = try TLSKeyLog(contentsOfFile: path)
        } catch let e as TLSKeyLogError {
            warn("smtpexplain: --tls-keylog \(e.description)")
            throw ExitCode(2)
        }
        for p in log.problems.prefix(5) {
            warn("smtpexplain: --tls-keylog \(path): \(p.description) (line skipped)")
        }
        if log.problems.count > 5 {
            warn("smtpexplain: --tls-keylog \(path): \(log.problems.count - 5) more bad lines skipped")
        }
        if log.isEmpty {
            warn("smtpexplain: --tls-keylog \(path): no TLS secrets found (expected lines like `CLIENT_RANDOM <64 hex digits> <96 hex digits>` or `CLIENT_TRAFFIC_SECRET_0 ...`)")
            throw ExitCode(2)
        }
        return log
    }

    /// `transcript`: whether the report prints transcript lines. Placeholders of `--redact personal` are
    /// numbered in the order strings are met, transcript lines included, so that mode keeps them.
    func builderLimits(transcript: Bool) -> SessionBuilder.Limits {
        var l = SessionBuilder.Limits()
        l.replyLines = max(1, maxReplyLines)
        l.exchanges = max(10, maxExchanges)
        l.transcript = transcript || redact == .personal
        return l
    }

    /// Reads every input, explains every session that passes the filters and hands it on in input order.
    /// Returns the inputs that could not be used (their one-line error is already on stderr).
    func forEachSession(transcript: Bool = true, _ body: (ExplainedSession) -> Void) throws -> [InputError] {
        try forEachSession(transcript: transcript, transform: { x, _ in x }, body)
    }

    /// Reads every input; each session is explained, redacted and passed through `transform` (rendering;
    /// it also gets the session's number, from 1), then handed to `body` in input order. Reading files, the
    /// transform runs on worker threads while the reader goes on; following a file or an interface, and `--redact personal` (whose placeholders are
    /// numbered in order), stay on one thread.
    /// `transcript: false` when the report never prints transcript lines (JSON, counts): they are not built.
    func forEachSession<R: Sendable>(transcript: Bool = true, transform: @escaping @Sendable (ExplainedSession, Int) -> R,
                                     _ body: (R) -> Void) throws -> [InputError] {
        let builderLimits = builderLimits(transcript: transcript)
        let explainer = try makeExplainer(rulesFile: rules)
        let redactor = Redactor(mode: redact.mode)
        let process: @Sendable (Session, Int) -> R = { transform(redactor.apply(explainer.explain($0.resolved())), $1) }
        // The processor count is only looked up once there is enough work for threads (see SessionPipeline).
        let pipeline: SessionPipeline<(Int, Session), R>? =
            follow || interface != nil || redact == .personal || Self.singleThreaded ? nil
            : SessionPipeline(workers: { min(4, ProcessInfo.processInfo.activeProcessorCount) }) { process($0.1, $0.0) }
        var number = 0
        defer { pipeline?.finish(deliver: body) }
        let filter = sessionFilter
        var options = inputOptions
        options.capture.tlsKeyLog = try loadKeyLog()
        // Costly session builds move to the workers too; a filter must see the built session first.
        options.deferBuilding = pipeline != nil && filter.isEmpty
        var errors: [InputError] = []
        if let interface {
            do {
                try SessionBuilder.$defaultLimits.withValue(builderLimits) {
                  try SessionBuilder.$redactByDefault.withValue(redact != .none) {
                    try FollowReader.live(interface: interface, options: options) { session in
                        guard filter.isEmpty || filter.matches(session) else { return }
                        number += 1
                        body(process(session, number))
                    }
                  }
                }
            } catch let e as InputError {
                warn("smtpexplain: \(e.description)")
                errors.append(e)
            }
            return errors
        }
        let given = files.isEmpty ? ["-"] : files
        // A tar of logs (or a zip of several files) stands for the files in it, taken out to a private
        // temporary directory that lives until every input is read; they are named `archive:member`.
        var archives: [ExtractedArchive] = []
        defer { withExtendedLifetime(archives) {} }
        var inputs: [String] = []
        var nameOf: [String: String] = [:]
        for input in given {
            guard !follow, input != "-" else { inputs.append(input); continue }
            // A journal directory (`/var/log/journal` or its machine's folder): its system journals.
            if let journals = Self.systemJournals(in: input) {
                if journals.isEmpty {
                    let e = InputError(input: input, message: "is a directory with no system journal files (system*.journal) in it; give the files to read")
                    errors.append(e)
                    warn("smtpexplain: \(e.description)")
                }
                inputs += journals
                continue
            }
            do {
                if let archive = try ArchiveInput.extract(path: input, name: input, options: options) {
                    archives.append(archive)
                    for f in archive.files { inputs.append(f.path); nameOf[f.path] = f.name }
                    if let e = archive.error { errors.append(e); warn("smtpexplain: \(e.description)") }
                    continue
                }
            } catch let e as InputError {
                errors.append(e)
                warn("smtpexplain: \(e.description)")
                continue
            }
            inputs.append(input)
        }
        let plan: [InputPlanItem] = noMerge || follow || inputs.count < 2
            ? inputs.map { .single($0) } : InputDriver.plan(inputs, options: options)
        func emit(_ session: Session) {
            guard filter.isEmpty || filter.matches(session) else { return }
            number += 1
            if let pipeline {
                pipeline.submit((number, session), weight: session.weight, deliver: body)
            } else {
                body(process(session, number))
            }
        }
        for item in plan {
            guard case .single(let path) = item else {
                if case .merged(let paths, _) = item {
                    errors += readMerged(paths.map { (name: nameOf[$0] ?? $0, path: $0) }, options: options,
                                         limits: builderLimits, emit: emit)
                }
                continue
            }
            let input = nameOf[path] ?? path
            do {
                let info = try SessionBuilder.$defaultLimits.withValue(builderLimits) {
                  try SessionBuilder.$redactByDefault.withValue(redact != .none) {
                    if follow {
                        return try FollowReader.read(path: path, options: options, emit: emit)
                    }
                    return try InputDriver.read(path: path, name: input, options: options, emit: emit)
                  }
                }
                if verbose {
                    warn("\(input): \(info.format) (\(Int(info.confidence * 100))% sure), \(info.lines) \(info.format.hasPrefix("pcap") ? "packets" : "lines"), \(info.bytes) bytes"
                         + (info.cutLines > 0 ? ", \(info.cutLines) over-long lines cut" : ""))
                }
                if let st = LogStatsRegistry.shared.take(input: input) {
                    if verbose {
                        writeStderr(Sanitizer.terminal(st.summaryLine) + "\n")
                        for u in st.unrecognisedSamples {
                            writeStderr("  not understood, line \(u.line): \(Sanitizer.terminal(u.text))\n")
                        }
                    }
                }
                if info.fallback {
                    warn("smtpexplain: \(input): no known format recognised; read as an unmarked paste")
                }
            } catch let e as InputError {
                errors.append(e)
                warn("smtpexplain: \(e.description)")
            }
        }
        return errors
    }

    /// The system journal files (`system.journal`, rotated `system@….journal`, `system@….journal~`) under a
    /// directory and its folders one level down (journald keeps one folder per machine), in name order;
    /// nil when `path` is not a directory. Users' journals hold no mail and are left out.
    static func systemJournals(in path: String) -> [String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let fm = FileManager.default
        func journals(_ dir: String) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
                .filter { $0.hasPrefix("system") && ($0.hasSuffix(".journal") || $0.hasSuffix(".journal~")) }
                .map { dir + "/" + $0 }
        }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        var found = journals(base)
        for sub in ((try? fm.contentsOfDirectory(atPath: base)) ?? []).sorted() {
            var isSubdirectory: ObjCBool = false
            if fm.fileExists(atPath: base + "/" + sub, isDirectory: &isSubdirectory), isSubdirectory.boolValue {
                found += journals(base + "/" + sub)
            }
        }
        return found
    }

    /// Logs of one format read together in time order. Each file that cannot be used gets its one error line;
    /// the others are still explained.
    private func readMerged(_ files: [(name: String, path: String)], options: InputOptions, limits: SessionBuilder.Limits,
                            emit: (Session) -> Void) -> [InputError] {
        let result = SessionBuilder.$defaultLimits.withValue(limits) {
            SessionBuilder.$redactByDefault.withValue(redact != .none) {
                InputDriver.readMerged(files: files, options: options, emit: emit)
            }
        }
        if verbose {
            if !result.label.isEmpty { warn("merged in time order (\(result.format)): \(result.label)") }
            for m in result.inputs {
                warn("\(m.input): \(m.info.format) (\(Int(m.info.confidence * 100))% sure), \(m.info.lines) lines, \(m.info.bytes) bytes"
                     + (m.info.cutLines > 0 ? ", \(m.info.cutLines) over-long lines cut" : ""))
            }
        }
        if let st = LogStatsRegistry.shared.take(input: result.label), verbose {
            writeStderr(Sanitizer.terminal(st.summaryLine) + "\n")
            for u in st.unrecognisedSamples {
                writeStderr("  not understood, \(u.input.map { "\($0) " } ?? "")line \(u.line): \(Sanitizer.terminal(u.text))\n")
            }
        }
        for e in result.errors { warn("smtpexplain: \(e.description)") }
        return result.errors
    }
}

/// `--since`/`--until`: dates and times in the local zone, epoch seconds, or a time relative to now.
enum TimeParser {
    static func parse(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if let v = Double(t), v > 1_000_000 { return v }
        if t.hasPrefix("-"), let unit = t.last, let n = Double(t.dropFirst().dropLast()) {
            let seconds: Double? = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800][String(unit)]
            if let seconds { return Date().timeIntervalSince1970 - n * seconds }
        }
        for format in ["yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss",
                       "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone.current
            f.dateFormat = format
            if let d = f.date(from: t) { return d.timeIntervalSince1970 }
        }
        return nil
    }
}
