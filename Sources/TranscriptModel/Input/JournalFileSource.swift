#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemd

/// A systemd journal file (`/var/log/journal/<machine-id>/system.journal`, a rotated `system@….journal`, the
/// `.journal~` journald leaves after a crash), read through libsystemd's sd-journal. Its mail entries come
/// out as the lines `journalctl --file F -o short-iso-precise` prints, so the log readers read them like any
/// other syslog-style log, and evidence quotes readable lines.
///
/// A system journal holds every service's entries; detection looks at the first 200 lines only, so only
/// mail entries are passed on: those of the mail facility, and those of a program in `mailPrograms` (a
/// service logging to standard output has no facility of its own). Line numbers count the entries passed on.
struct JournalFileSource: ByteSource {
    /// The file header's signature.
    static let magic: [UInt8] = Array("LPKSHHRH".utf8)

    static func isJournal(_ prefix: [UInt8]) -> Bool { prefix.starts(with: magic) }

    /// What sessions read from a journal file say about their input (`input-wrapper`).
    static let label = "systemd journal file"

    /// Programs whose entries are kept whatever their facility: the MTAs and the filters, policy servers and
    /// delivery agents whose lines the log readers join to the MTA's.
    static let mailPrograms: [String] = [
        "postfix", "exim", "sendmail", "sm-mta", "sm-msp-queue", "smtpd", "opensmtpd", "dovecot", "rspamd",
        "qmail", "courier", "amavis", "opendkim", "opendmarc", "postgrey", "policyd-spf", "spamd", "spamass-milter",
        "clamav-milter", "postsrsd", "mailman",
    ]

    /// Fields longer than this are cut by sd-journal (its default is 64 KiB); a log line is never that long.
    static let dataThreshold = 64 << 10

    /// sd-journal maps the file in windows it keeps while open, and their pages count as the process's
    /// memory; reopening the file at the same entry every so many entries lets them go, so memory stays
    /// flat however large the journal.
    static let defaultReopenEvery = 20_000
    let reopenEvery: Int

    private let journal: JournalHandle
    private let chunk: Int
    private(set) var entries = 0
    private(set) var kept = 0
    private var ended = false

    /// Opens the file; a file sd-journal cannot read throws a one-line error naming it.
    init(path: String, name: String, chunk: Int = 256 << 10, reopenEvery: Int = defaultReopenEvery) throws {
        journal = JournalHandle(try Self.open(path, name: name), path: path)
        self.chunk = chunk
        self.reopenEvery = max(1, reopenEvery)
    }

    fileprivate static func open(_ path: String, name: String) throws -> OpaquePointer {
        var j: OpaquePointer?
        let rc = path.withCString { p -> Int32 in
            var paths: [UnsafePointer<CChar>?] = [p, nil]
            return paths.withUnsafeMutableBufferPointer { sd_journal_open_files(&j, $0.baseAddress, 0) }
        }
        guard rc >= 0, let j else { throw Self.error(name, rc, position: "byte 0") }
        _ = sd_journal_set_data_threshold(j, Self.dataThreshold)
        return j
    }

    mutating func next(name: String) throws -> [UInt8]? {
        guard !ended else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chunk + 4096)
        while out.count < chunk {
            let rc = sd_journal_next(journal.j)
            if rc == 0 { ended = true; break }
            if rc < 0 {
                ended = true
                throw Self.error(name, rc, position: "entry \(entries + 1)")
            }
            entries += 1
            if appendEntry(to: &out) { kept += 1 }
            if entries % reopenEvery == 0 { try journal.reopen(name: name) }
        }
        if ended, kept == 0 {
            throw InputError(input: name, message: "journal: none of its \(entries) entries is of the mail facility or a mail program")
        }
        return out.isEmpty ? nil : out
    }

    /// The current entry as one line, when it is a mail entry with a message.
    private func appendEntry(to out: inout [UInt8]) -> Bool {
        guard let message = field("MESSAGE") else { return false }
        var usec: UInt64 = 0
        guard sd_journal_get_realtime_usec(journal.j, &usec) >= 0 else { return false }
        return Self.entry(usec: usec, facility: field("SYSLOG_FACILITY"), host: field("_HOSTNAME"),
                          ident: field("SYSLOG_IDENTIFIER") ?? field("_COMM"), pid: field("SYSLOG_PID") ?? field("_PID"),
                          message: message, to: &out)
    }

    /// One entry's line, when it is a mail entry: of the mail facility (2), or of a mail program. A service
    /// or container that writes whole syslog lines to standard output (Postfix's `maillog_file =
    /// /dev/stdout`, a mail container under Docker's journald log driver) gives a message that is the log
    /// line itself: its own host, program and pid are kept, with the entry's exact time.
    static func entry(usec: UInt64, facility: [UInt8]?, host: [UInt8]?, ident: [UInt8]?, pid: [UInt8]?,
                      message: [UInt8], to out: inout [UInt8]) -> Bool {
        if let first = message.first, Bytes.isLetter(first) || Bytes.isDigit(first) {
            var parser = LogHeaderParser()
            let inner = parser.parse(message[...])
            if inner.time != nil, !inner.program.isEmpty, isMailProgram(Array(inner.program)) {
                line(usec: usec, host: inner.host.isEmpty ? host : Array(inner.host), ident: Array(inner.program),
                     pid: inner.pid.map { Array(String($0).utf8) }, message: Array(inner.message), to: &out)
                return true
            }
        }
        let isMail = facility.map { $0.elementsEqual("2".utf8) } ?? false || ident.map(isMailProgram) ?? false
        guard isMail else { return false }
        line(usec: usec, host: host, ident: ident, pid: pid, message: message, to: &out)
        return true
    }

    /// `2025-11-28T09:14:02.000000+00:00 host program[pid]: message`, as `journalctl -o short-iso-precise`
    /// prints an entry (in UTC). A message's line breaks become spaces, so an entry stays one line.
    static func line(usec: UInt64, host: [UInt8]?, ident: [UInt8]?, pid: [UInt8]?, message: [UInt8],
                     to out: inout [UInt8]) {
        var t = time_t(usec / 1_000_000)
        var tm = tm()
        gmtime_r(&t, &tm)
        func digits(_ v: Int, _ width: Int) {
            var d = [UInt8](repeating: 0x30, count: width)
            var v = v
            for k in stride(from: width - 1, through: 0, by: -1) { d[k] = UInt8(0x30 + v % 10); v /= 10 }
            out.append(contentsOf: d)
        }
        digits(Int(tm.tm_year) + 1900, 4); out.append(0x2D)
        digits(Int(tm.tm_mon) + 1, 2); out.append(0x2D)
        digits(Int(tm.tm_mday), 2); out.append(0x54)
        digits(Int(tm.tm_hour), 2); out.append(0x3A)
        digits(Int(tm.tm_min), 2); out.append(0x3A)
        digits(Int(tm.tm_sec), 2); out.append(0x2E)
        digits(Int(usec % 1_000_000), 6)
        out.append(contentsOf: "+00:00 ".utf8)
        Self.word(host.flatMap { $0.isEmpty ? nil : $0 } ?? Array("localhost".utf8), to: &out)
        out.append(Bytes.space)
        Self.word(ident.flatMap { $0.isEmpty ? nil : $0 } ?? Array("unknown".utf8), to: &out)
        if let pid, !pid.isEmpty { out.append(0x5B); Self.word(pid, to: &out); out.append(0x5D) }
        out.append(contentsOf: ": ".utf8)
        for b in message { out.append(b == Bytes.lf || b == Bytes.cr ? Bytes.space : b) }
        out.append(Bytes.lf)
    }

    /// A header field: no blanks or line breaks inside, so the line's header parses as it should.
    private static func word(_ bytes: [UInt8], to out: inout [UInt8]) {
        for b in bytes { out.append(b <= Bytes.space ? 0x5F : b) }
    }

    /// A field's value in the current entry (sd-journal hands out `NAME=value`), copied: the next call may
    /// reuse the buffer (a compressed field is inflated into one the journal keeps).
    private func field(_ name: StaticString) -> [UInt8]? {
        var data: UnsafeRawPointer?
        var length = 0
        let rc = name.withUTF8Buffer { n in
            n.withMemoryRebound(to: CChar.self) { sd_journal_get_data(journal.j, $0.baseAddress, &data, &length) }
        }
        let skip = name.utf8CodeUnitCount + 1
        guard rc >= 0, let data, length >= skip else { return nil }
        return Array(UnsafeRawBufferPointer(start: data + skip, count: length - skip))
    }

    static func isMailProgram(_ ident: [UInt8]) -> Bool {
        mailPrograms.contains { p in
            let n = p.utf8.count
            guard ident.count >= n, ident.prefix(n).elementsEqual(p.utf8) else { return false }
            // `postfix/smtpd`, `exim4`, `postfix-out/qmgr`, `sm-mta`: the name, then a separator or a digit.
            return ident.count == n || !Bytes.isLetter(ident[n])
        }
    }

    static func error(_ name: String, _ rc: Int32, position: String) -> InputError {
        let reason = String(cString: strerror(-rc))
        let hint: String
        switch -rc {
        case EPROTONOSUPPORT: hint = " (written by a newer systemd? `journalctl --file F -o short-iso` there gives what this reads)"
        case ENODATA, EBADMSG: hint = " (damaged or cut short?)"
        default: hint = ""
        }
        return InputError(input: name, position: position, message: "journal: cannot read: \(reason)\(hint)")
    }
}

/// The open journal; closed when the last copy of the source goes.
private final class JournalHandle {
    private(set) var j: OpaquePointer
    let path: String
    init(_ j: OpaquePointer, path: String) {
        self.j = j
        self.path = path
    }

    /// The same file opened afresh, at the current entry (the next `sd_journal_next` gives the one after it).
    func reopen(name: String) throws {
        var cursor: UnsafeMutablePointer<CChar>?
        guard sd_journal_get_cursor(j, &cursor) >= 0, let cursor else { return }
        defer { free(cursor) }
        let fresh = try JournalFileSource.open(path, name: name)
        guard sd_journal_seek_cursor(fresh, cursor) >= 0, sd_journal_next(fresh) > 0, sd_journal_test_cursor(fresh, cursor) > 0 else {
            // Keep reading from the old handle rather than lose or repeat an entry.
            sd_journal_close(fresh)
            return
        }
        sd_journal_close(j)
        j = fresh
    }

    deinit { sd_journal_close(j) }
}
