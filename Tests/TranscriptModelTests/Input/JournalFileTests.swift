import Foundation
import Testing
@testable import TranscriptModel

/// A binary systemd journal file reads as the mail log it holds: the same sessions and verdicts as the
/// syslog file it was made from, other services' entries left out, from a file, a `.gz` or memory.
@Suite struct JournalFileTests {
    /// Made by scripts/make-journal-sample from samples/logs/postfix-inbound.log, with sshd, cron, kernel
    /// and systemd entries between the mail ones; its submission service logs without a syslog facility.
    static let sample = repoRoot.appendingPathComponent("samples/logs/postfix-system.journal.gz")
    static let plain = repoRoot.appendingPathComponent("samples/logs/postfix-inbound.log")

    private func sessions(path: String) throws -> [Session] {
        var out: [Session] = []
        _ = try InputDriver.read(path: path) { out.append($0) }
        return out
    }

    /// The sample unpacked to a file of its own, as it lies in /var/log/journal.
    private func unpacked() throws -> String {
        let bytes = try Gzip.decompress(Array(Data(contentsOf: Self.sample)))
        let path = NSTemporaryDirectory() + "system-\(UUID().uuidString).journal"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func journalFileReadsAsItsMailLog() throws {
        let path = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromJournal = try sessions(path: path)
        let fromLog = try sessions(path: Self.plain.path)
        #expect(fromJournal.count == 6)
        #expect(fromJournal.map(\.outcome) == fromLog.map(\.outcome))
        #expect(fromJournal.map(\.failedStage) == fromLog.map(\.failedStage))
        #expect(fromJournal.map { $0.exchanges.map(\.reply?.code) } == fromLog.map { $0.exchanges.map(\.reply?.code) })
        for s in fromJournal {
            #expect(s.format == "postfix-log")
            #expect(s.attributes["input-wrapper"] == "systemd journal file")
        }
        // Line numbers count the mail entries; the evidence is the entry as journalctl prints it.
        let first = try #require(fromJournal.first?.notes.first)
        #expect(first.position.line == 1)
        let last = try #require(fromJournal.last)
        #expect(last.start?.line == 21)
        #expect(last.attributes["service"] == "postfix/submission/smtpd")
        // 2025-11-28 09:14:02 UTC.
        #expect(fromJournal.first?.start?.time == 1_764_321_242)
    }

    /// The file reopened at the same entry every few entries (what keeps memory flat on a large journal)
    /// gives every entry once.
    @Test func reopeningLosesAndRepeatsNothing() throws {
        let path = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [[UInt8]] = []
        for every in [1, 2, 3, 7, 1000] {
            var source = try JournalFileSource(path: path, name: "j", reopenEvery: every)
            var all: [UInt8] = []
            while let chunk = try source.next(name: "j") { all += chunk }
            #expect(source.entries == 29 && source.kept == 22, "every \(every)")
            if every == 1000 { lines.append(all) } else { lines.insert(all, at: 0) }
        }
        #expect(Set(lines).count == 1)
    }

    /// Compressed, on standard input or uploaded to the web page: spooled to a file sd-journal can open.
    @Test func compressedOrInMemoryJournalIsSpooled() throws {
        let gz = try sessions(path: Self.sample.path)
        #expect(gz.map(\.outcome) == [.delivered, .rejected, .rejected, .rejected, .disconnected, .rejected])
        var fromMemory: [Session] = []
        let info = try InputDriver.read(name: "upload.journal.gz", bytes: Array(Data(contentsOf: Self.sample))) {
            fromMemory.append($0)
        }
        #expect(fromMemory.map(\.outcome) == gz.map(\.outcome))
        #expect(info.format == "postfix-log" && info.lines == 22)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("smtpexplain-journal-") }
        #expect(leftovers.isEmpty)
    }

    /// A rotated journal and the current one are read as one stream in time order.
    @Test func journalFilesMergeWithOtherLogsOfTheirFormat() throws {
        let path = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(InputDriver.plan([path, Self.plain.path]).count == 1)
        var out: [Session] = []
        let result = InputDriver.readMerged(paths: [path]) { out.append($0) }
        #expect(result.errors.isEmpty)
        #expect(out.count == 6)
    }

    /// A file with the journal's signature that sd-journal cannot read is one clear error.
    @Test func damagedJournalIsOneError() throws {
        let path = NSTemporaryDirectory() + "bad-\(UUID().uuidString).journal"
        try Data(Array("LPKSHHRH".utf8) + [UInt8](repeating: 0x41, count: 300)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try sessions(path: path)
            Issue.record("no error")
        } catch let e as InputError {
            #expect(e.input == path)
            #expect(e.position == "byte 0")
            #expect(e.message.hasPrefix("journal: cannot read"))
        }
    }

    /// One entry's line parses back to its time, host, program and pid; its line breaks do not split it.
    @Test func entryLineParsesBack() throws {
        var out: [UInt8] = []
        JournalFileSource.line(usec: 1_764_321_242_250_000, host: Array("mx 1".utf8), ident: Array("postfix/smtpd".utf8),
                               pid: Array("2211".utf8), message: Array("first\nsecond".utf8), to: &out)
        #expect(String(decoding: out, as: UTF8.self)
                == "2025-11-28T09:14:02.250000+00:00 mx_1 postfix/smtpd[2211]: first second\n")
        var parser = LogHeaderParser()
        let line = parser.parse(out.dropLast())
        #expect(line.time == 1_764_321_242.25)
        #expect(Array(line.program) == Array("postfix/smtpd".utf8))
        #expect(line.pid == 2211)
        out.removeAll()
        JournalFileSource.line(usec: 0, host: nil, ident: nil, pid: nil, message: [], to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1970-01-01T00:00:00.000000+00:00 localhost unknown: \n")
    }

    /// Which entries are mail entries, and the line each gives. A whole syslog line written to standard
    /// output (a mail container under Docker's journald log driver, Postfix's `maillog_file = /dev/stdout`)
    /// keeps its own host, program and pid.
    @Test(arguments: [
        (nil, "3f2a9c1b7d4e", "Dec  7 10:14:40 mail postfix/smtpd[4120]: connect from unknown[198.51.100.77]",
         "2026-12-07T10:14:40.500000+00:00 mail postfix/smtpd[4120]: connect from unknown[198.51.100.77]"),
        ("3", "postfix", "Dec  7 10:14:40 mx1 postfix/qmgr[880]: 4F2A11C0A3: removed",
         "2026-12-07T10:14:40.500000+00:00 mx1 postfix/qmgr[880]: 4F2A11C0A3: removed"),
        ("2", "exim", "2026-12-07 10:14:40 1vXyZa-000123-AB Completed",
         "2026-12-07T10:14:40.500000+00:00 host exim[77]: 2026-12-07 10:14:40 1vXyZa-000123-AB Completed"),
        ("2", "cron", "connect from unknown[198.51.100.77]",
         "2026-12-07T10:14:40.500000+00:00 host cron[77]: connect from unknown[198.51.100.77]"),
        ("4", "sshd", "Accepted publickey for admin from 192.0.2.10 port 51234 ssh2", nil),
        (nil, "3f2a9c1b7d4e", "Dec  7 10:14:40 web nginx[1]: 192.0.2.1 GET /", nil),
    ] as [(String?, String, String, String?)])
    func mailEntries(facility: String?, ident: String, message: String, line: String?) {
        var out: [UInt8] = []
        let kept = JournalFileSource.entry(usec: 1_796_638_480_500_000, facility: facility.map { Array($0.utf8) },
                                           host: Array("host".utf8), ident: Array(ident.utf8), pid: Array("77".utf8),
                                           message: Array(message.utf8), to: &out)
        #expect(kept == (line != nil))
        #expect(String(decoding: out, as: UTF8.self) == line.map { $0 + "\n" } ?? "")
    }

    @Test(arguments: [
        ("postfix/smtpd", true), ("postfix-out/qmgr", true), ("exim4", true), ("sm-mta", true), ("smtpd", true),
        ("dovecot", true), ("sshd", false), ("postfixadmin", false), ("eximstats", false), ("CRON", false),
    ])
    func mailPrograms(ident: String, isMail: Bool) {
        #expect(JournalFileSource.isMailProgram(Array(ident.utf8)) == isMail)
    }
}
