import Foundation
import Testing

/// Log-facing commands: filters, summary, --follow.
@Suite struct LogCLITests {
    static let log = "samples/logs/postfix-inbound.log"

    @Test func filtersKeepOnlyMatchingSessions() throws {
        let all = try BinaryRunner.run([Self.log, "--brief"]).stdout.split(separator: "\n")
        let failures = try BinaryRunner.run([Self.log, "--brief", "--only-failures"]).stdout.split(separator: "\n")
        #expect(all.count > failures.count)
        #expect(failures.allSatisfy { !$0.hasPrefix("delivered") })
        let client = try BinaryRunner.run([Self.log, "--brief", "--client", "203.0.113.45"]).stdout.split(separator: "\n")
        #expect(client.count == 1)
        #expect(client.first?.contains("norelaying") == true)
        let none = try BinaryRunner.run([Self.log, "--brief", "--since", "2099-01-01"])
        #expect(none.stdout.isEmpty)
        #expect(try BinaryRunner.run([Self.log, "--since", "not a date"]).status == 2)
    }

    /// A tar of logs given with other inputs: its files are merged as files given together would be and named
    /// `archive:member`; its temporary files are gone afterwards; a cut archive keeps what came before the cut
    /// and says so (exit 2, as for any input that could not be read in full).
    @Test func archiveStandsForItsFiles() throws {
        let archive = "samples/archives/mail-logs.tar.gz"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("smtpexplain-archive-") })
        let r = try BinaryRunner.run([archive, "samples/telnet/disconnect-after-mail-from.txt", "--format", "jsonl"])
        #expect(r.status == 0)
        let inputs = r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.compactMap { $0["input"] as? String }
        #expect(inputs.count == 6)
        #expect(inputs.prefix(5).allSatisfy { $0.hasPrefix(archive + ":var/log/mail.log") })
        #expect(inputs.last == "samples/telnet/disconnect-after-mail-from.txt")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("smtpexplain-archive-") })
        #expect(after.subtracting(before).isEmpty)
        // Cut inside the second file.
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gunzip.arguments = ["gzip", "-dc", BinaryRunner.repo.appendingPathComponent(archive).path]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let plain = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        #expect(plain.count == 10240)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(getpid()).tar")
        defer { try? FileManager.default.removeItem(at: url) }
        try plain.prefix(2000).write(to: url)
        let cut = try BinaryRunner.run([url.path, "--brief"])
        #expect(cut.stderr.contains("tar: archive ends early (truncated file)"))
        #expect(cut.stdout.split(separator: "\n").count == 3)
        #expect(cut.status == 2)
    }

    /// A journal directory as journald keeps it (one folder per machine): its system journals are read, the
    /// users' left out; a directory with none is one error line.
    @Test func journalDirectoryReadsItsSystemJournals() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(getpid())")
        let machine = dir.appendingPathComponent("5d1f3b0c9a7e4e2b")
        try FileManager.default.createDirectory(at: machine, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gunzip.arguments = ["gzip", "-dc", BinaryRunner.repo.appendingPathComponent("samples/logs/postfix-system.journal.gz").path]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let journal = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        try journal.write(to: machine.appendingPathComponent("system.journal"))
        try journal.write(to: machine.appendingPathComponent("user-1000.journal"))
        let r = try BinaryRunner.run([dir.path, "--brief"])
        #expect(r.status == 0)
        let rows = r.stdout.split(separator: "\n")
        #expect(rows.count == 6)
        #expect(rows.allSatisfy { $0.contains("5d1f3b0c9a7e4e2b/system.journal:") })
        let none = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: none, withIntermediateDirectories: true)
        let e = try BinaryRunner.run([none.path])
        #expect(e.status == 2)
        #expect(e.stderr.contains("is a directory with no system journal files"))
    }

    /// Large inputs are built, explained and rendered on worker threads; the output must not change.
    @Test func workerThreadsKeepTheOutputByteForByte() throws {
        let one = try ["samples/logs/postfix-inbound.log", "samples/logs/postfix-outbound.log"].map {
            try String(contentsOf: BinaryRunner.repo.appendingPathComponent($0), encoding: .utf8)
        }.joined()
        // Enough sessions for several batches in flight at once.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("threads-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: url) }
        try String(repeating: one, count: 40).write(to: url, atomically: true, encoding: .utf8)
        for extra in [[], ["--only-failures"], ["--redact", "personal"]] {
            let args = [url.path, "--format", "jsonl"] + extra
            let threaded = try BinaryRunner.run(args)
            let single = try BinaryRunner.run(args, environment: ["SMTPEXPLAIN_THREADS": "1"])
            #expect(threaded.status == 0)
            #expect(threaded.stdout.split(separator: "\n").count > 200, "\(extra)")
            #expect(threaded.stdout == single.stdout, "\(extra)")
        }
    }

    /// A hostile log: one smtpd session with 1,200 refusals and one delivery attempt with 1,100 statuses among
    /// ordinary sessions. Each keeps at most 1,000 (a note says how many more there were), heavy sessions are
    /// batched fewer to a batch on the workers, and the output is the same on one thread.
    @Test func heavySessionsAreCappedAndKeepTheirOrder() throws {
        var lines: [String] = []
        let ordinary = try String(contentsOf: BinaryRunner.repo.appendingPathComponent("samples/logs/postfix-inbound.log"), encoding: .utf8)
        lines.append("Dec  6 09:00:00 mx1 postfix/smtpd[7001]: connect from a.example[192.0.2.1]")
        for i in 0..<1_200 {
            lines.append("Dec  6 09:00:00 mx1 postfix/smtpd[7001]: NOQUEUE: reject: RCPT from a.example[192.0.2.1]: 550 5.1.1 <u\(i)@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<x@a.example> to=<u\(i)@example.com> proto=ESMTP helo=<a.example>")
        }
        lines.append("Dec  6 09:00:01 mx1 postfix/smtpd[7001]: disconnect from a.example[192.0.2.1] ehlo=1 mail=1 rcpt=0/1200 quit=1 commands=3/1203")
        for i in 0..<1_100 {
            lines.append("Dec  6 09:00:02 mx1 postfix/smtp[7002]: 4QbX1A2bCd: to=<r\(i)@partner.example>, relay=mx.partner.example[198.51.100.60]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.partner.example[198.51.100.60] said: 451 4.7.1 Try again later (in reply to RCPT TO command))")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("heavy-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: url) }
        try (ordinary + lines.joined(separator: "\n") + "\n" + ordinary).write(to: url, atomically: true, encoding: .utf8)
        let args = [url.path, "--format", "jsonl"]
        let threaded = try BinaryRunner.run(args)
        let single = try BinaryRunner.run(args, environment: ["SMTPEXPLAIN_THREADS": "1"])
        #expect(threaded.status == 0)
        #expect(threaded.stdout == single.stdout)
        let sessions = threaded.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        func notes(_ s: [String: Any]) -> [String] { (s["notes"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String } }
        let inbound = try #require(sessions.first { ($0["attributes"] as? [String: String])?["pid"] == "7001" })
        #expect(notes(inbound).contains("200 more refusals and events of this session were not kept (at most 1000 per session)."))
        let attempt = try #require(sessions.first { ($0["attributes"] as? [String: String])?["pid"] == "7002" })
        let recipients = ((attempt["transactions"] as? [[String: Any]])?.first?["recipients"] as? [[String: Any]])?.count
        #expect(recipients == 1_000)
        #expect(notes(attempt).contains("100 more lines of this delivery attempt were not kept (at most 1000 per attempt)."))
    }

    /// Messages still queued when the log ends go out sorted by their last time; six of them in one second
    /// used to come out in the dictionary's order, which changes from process to process.
    @Test func sessionsKeepOneOrderWhenLogTimesTie() throws {
        let ids = (1...6).map { "1vXa\(["A", "B", "C", "D", "E", "F"][$0 - 1])\($0)-000Ab\($0)-Q\($0)" }
        var lines: [String] = []
        for (i, id) in ids.enumerated() {
            lines.append("2026-03-02 10:15:07 \(id) <= user\(i)@example.org H=client.example.org [192.0.2.10] P=esmtp S=1234 id=\(i)@example.org")
        }
        for (i, id) in ids.enumerated() {
            lines.append("2026-03-02 10:15:07 \(id) == rcpt\(i)@remote.example R=dnslookup T=remote_smtp defer (-44) H=mx.remote.example [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<rcpt\(i)@remote.example>: 451 4.7.1 Try again later")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tied-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: url) }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        for _ in 0..<5 {
            let r = try BinaryRunner.run([url.path, "--format", "jsonl"])
            #expect(r.status == 0)
            let outbound = r.stdout.split(separator: "\n").compactMap { line -> String? in
                let s = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard s?["direction"] as? String == "outbound" else { return nil }
                return (s?["attributes"] as? [String: String])?["queue-id"]
            }
            #expect(outbound == ids)
        }
    }

    @Test func summaryCountsOutcomes() throws {
        let r = try BinaryRunner.run(["summary", "--format", "json", Self.log])
        #expect(r.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let summary = try #require(doc?["summary"] as? [String: Any])
        let outcomes = try #require(summary["outcomes"] as? [String: Int])
        let sessions = try #require(summary["sessions"] as? Int)
        #expect(sessions == outcomes.values.reduce(0, +))
        #expect(outcomes["delivered"] ?? 0 >= 1)
        #expect(outcomes["rejected"] ?? 0 >= 3)
        let text = try BinaryRunner.run(["summary", Self.log])
        #expect(text.stdout.contains("Outcome"))
    }

    @Test func followPrintsSessionsAsTheyCloseAndStopsOnInterrupt() throws {
        let dir = FileManager.default.temporaryDirectory
        let logURL = dir.appendingPathComponent("follow-\(getpid()).log")
        let outURL = dir.appendingPathComponent("follow-\(getpid()).out")
        defer { try? FileManager.default.removeItem(at: logURL); try? FileManager.default.removeItem(at: outURL) }
        let lines = try String(contentsOf: BinaryRunner.repo.appendingPathComponent(Self.log), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        try (lines.prefix(8).joined(separator: "\n") + "\n").write(to: logURL, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let p = try Self.follow([logURL.path], output: outURL)
        Thread.sleep(forTimeInterval: 1.5)
        let first = try String(contentsOf: outURL, encoding: .utf8)
        let h = try FileHandle(forWritingTo: logURL)
        h.seekToEndOfFile()
        h.write(Data((lines.dropFirst(8).joined(separator: "\n")).utf8))
        try h.close()
        Thread.sleep(forTimeInterval: 1.5)
        let stopped = Self.interrupt(p)
        #expect(stopped, "--follow did not stop on SIGINT")
        let all = try String(contentsOf: outURL, encoding: .utf8)
        #expect(first.split(separator: "\n").count == 1)
        #expect(all.split(separator: "\n").count > 3)
        if stopped { #expect(p.terminationStatus == 0) }
    }

    /// `journalctl -f | smtpexplain --follow`: standard input is read as it comes (detection uses the first
    /// lines once the writer pauses), each session is printed when it closes, and Ctrl-C still prints the
    /// sessions left open.
    @Test func followReadsStandardInputAsItComes() throws {
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("follow-stdin-\(getpid()).out")
        defer { try? FileManager.default.removeItem(at: outURL) }
        let lines = try String(contentsOf: BinaryRunner.repo.appendingPathComponent(Self.log), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let pipe = Pipe()
        let p = try Self.follow([], input: pipe, output: outURL)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        pipe.fileHandleForWriting.write(Data((lines.prefix(8).joined(separator: "\n") + "\n").utf8))
        Thread.sleep(forTimeInterval: 1.5)
        let first = try String(contentsOf: outURL, encoding: .utf8)
        pipe.fileHandleForWriting.write(Data((lines.dropFirst(8).joined(separator: "\n") + "\n").utf8))
        pipe.fileHandleForWriting.write(Data("Dec  7 11:00:00 mx1 postfix/smtpd[1]: connect from x[192.0.2.1]\n".utf8))
        Thread.sleep(forTimeInterval: 1.5)
        let before = try String(contentsOf: outURL, encoding: .utf8)
        let stopped = Self.interrupt(p)
        try? pipe.fileHandleForWriting.close()
        #expect(stopped, "--follow - did not stop on SIGINT")
        let all = try String(contentsOf: outURL, encoding: .utf8).split(separator: "\n")
        #expect(first.split(separator: "\n").count == 1)
        #expect(before.split(separator: "\n").count == 6)
        #expect(all.count == 7)
        #expect(all.last?.hasPrefix("incomplete") == true)
        if stopped { #expect(p.terminationStatus == 0) }
    }

    /// `--follow` follows the name, as `tail -F` does: logrotate moving the file away and creating a new one,
    /// then `copytruncate` emptying it in place, lose no session.
    @Test func followSurvivesRotationAndTruncation() throws {
        let dir = FileManager.default.temporaryDirectory
        let logURL = dir.appendingPathComponent("follow-rotate-\(getpid()).log")
        let oldURL = dir.appendingPathComponent("follow-rotate-\(getpid()).log.1")
        let outURL = dir.appendingPathComponent("follow-rotate-\(getpid()).out")
        defer { for u in [logURL, oldURL, outURL] { try? FileManager.default.removeItem(at: u) } }
        let lines = try String(contentsOf: BinaryRunner.repo.appendingPathComponent(Self.log), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
        func text(_ r: Range<Int>) -> String { lines[r].joined(separator: "\n") + "\n" }
        func append(_ r: Range<Int>, to url: URL) throws {
            let h = try FileHandle(forWritingTo: url)
            h.seekToEndOfFile()
            h.write(Data(text(r).utf8))
            try h.close()
        }
        try text(0..<8).write(to: logURL, atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let p = try Self.follow([logURL.path], output: outURL)
        Thread.sleep(forTimeInterval: 1.5)
        // The writer adds to the file, which is then moved away; a new file takes the name.
        try append(8..<11, to: logURL)
        try FileManager.default.moveItem(at: logURL, to: oldURL)
        try text(11..<17).write(to: logURL, atomically: false, encoding: .utf8)
        Thread.sleep(forTimeInterval: 1.5)
        // Emptied in place, then written again.
        try FileHandle(forWritingTo: logURL).truncate(atOffset: 0)
        Thread.sleep(forTimeInterval: 1.2)
        try append(17..<22, to: logURL)
        Thread.sleep(forTimeInterval: 1.5)
        let stopped = Self.interrupt(p)
        #expect(stopped, "--follow did not stop on SIGINT")
        let all = try String(contentsOf: outURL, encoding: .utf8).split(separator: "\n")
        #expect(all.map { $0.split(separator: "\t").first.map(String.init) ?? "" }
                == ["delivered", "rejected", "rejected", "rejected", "disconnected", "rejected"])
    }

    /// `journalctl -f | smtpexplain --follow -` of every unit: the first lines are other programs'; the
    /// reader is picked when Postfix's come.
    @Test func followedStandardInputWaitsForMailLines() throws {
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("follow-syslog-\(getpid()).out")
        defer { try? FileManager.default.removeItem(at: outURL) }
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let pipe = Pipe()
        let p = try Self.follow([], input: pipe, output: outURL)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        pipe.fileHandleForWriting.write(Data("""
        Dec  7 10:00:00 mx1 CRON[100]: (root) CMD (run-parts /etc/cron.hourly)
        Dec  7 10:00:01 mx1 systemd[1]: Started Session 5 of user root.

        """.utf8))
        Thread.sleep(forTimeInterval: 1.5)
        let log = try String(contentsOf: BinaryRunner.repo.appendingPathComponent(Self.log), encoding: .utf8)
        pipe.fileHandleForWriting.write(Data(log.utf8))
        Thread.sleep(forTimeInterval: 1.5)
        #expect(Self.interrupt(p))
        try? pipe.fileHandleForWriting.close()
        let all = try String(contentsOf: outURL, encoding: .utf8).split(separator: "\n")
        #expect(all.count > 3)
        #expect(!all.contains { $0.hasPrefix("incomplete\t-\t-\t- -> -") }, "read as a paste")
        #expect(all.first?.hasSuffix(":3") == true, "line numbers count the lines before")
    }

    /// Right after logrotate the log is empty: `--follow` waits for its first lines instead of calling it
    /// empty input.
    @Test func followWaitsOnAnEmptyLog() throws {
        let dir = FileManager.default.temporaryDirectory
        let logURL = dir.appendingPathComponent("follow-empty-\(getpid()).log")
        let outURL = dir.appendingPathComponent("follow-empty-\(getpid()).out")
        defer { for u in [logURL, outURL] { try? FileManager.default.removeItem(at: u) } }
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let p = try Self.follow([logURL.path], output: outURL)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1.2)
        #expect(p.isRunning, "--follow gave up on an empty file")
        let lines = try String(contentsOf: BinaryRunner.repo.appendingPathComponent(Self.log), encoding: .utf8)
        let h = try FileHandle(forWritingTo: logURL)
        h.write(Data(lines.utf8))
        try h.close()
        Thread.sleep(forTimeInterval: 1.5)
        #expect(Self.interrupt(p))
        #expect(p.terminationStatus == 0)
        #expect(try String(contentsOf: outURL, encoding: .utf8).split(separator: "\n").count > 3)
    }

    /// A log that goes quiet: the session held for its deferred message's deliveries comes out once the quiet
    /// (wall time) outlasts the hold (15 minutes of log time; the last line is two seconds short of it), not
    /// only on Ctrl-C.
    @Test func followClosesHeldSessionsWhenTheLogGoesQuiet() throws {
        let dir = FileManager.default.temporaryDirectory
        let logURL = dir.appendingPathComponent("follow-quiet-\(getpid()).log")
        let outURL = dir.appendingPathComponent("follow-quiet-\(getpid()).out")
        defer { for u in [logURL, outURL] { try? FileManager.default.removeItem(at: u) } }
        try QuietLog.postfix.joined(separator: "\n").appending("\n").write(to: logURL, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let p = try Self.follow([logURL.path], output: outURL)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        func lines() throws -> [Substring] { try String(contentsOf: outURL, encoding: .utf8).split(separator: "\n") }
        Thread.sleep(forTimeInterval: 1.5)
        // The outbound attempt is told at once; the inbound session waits.
        #expect(try lines().count == 1)
        let deadline = Date().addingTimeInterval(12)
        while try lines().count < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.25) }
        let quiet = try lines()
        #expect(Self.interrupt(p))
        #expect(quiet.count == 2)
        #expect(quiet.last?.hasPrefix("delivered") == true)
        #expect(try lines().count == 2, "the held session was told again on Ctrl-C")
    }

    /// The log of `followClosesHeldSessionsWhenTheLogGoesQuiet`: a message taken in and deferred, then a last
    /// line 14 min 57 s after the session's end.
    enum QuietLog {
        static let postfix = [
            "Dec  7 10:00:00 mx1 postfix/smtpd[2001]: connect from mail.sender.example[192.0.2.10]",
            "Dec  7 10:00:00 mx1 postfix/smtpd[2001]: 4Q1AB2CDEF: client=mail.sender.example[192.0.2.10]",
            "Dec  7 10:00:01 mx1 postfix/cleanup[2002]: 4Q1AB2CDEF: message-id=<m1@sender.example>",
            "Dec  7 10:00:01 mx1 postfix/qmgr[900]: 4Q1AB2CDEF: from=<alice@sender.example>, size=1200, nrcpt=1 (queue active)",
            "Dec  7 10:00:01 mx1 postfix/smtpd[2001]: disconnect from mail.sender.example[192.0.2.10] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
            "Dec  7 10:00:02 mx1 postfix/smtp[2003]: 4Q1AB2CDEF: to=<bob@far.example>, relay=mx.far.example[198.51.100.7]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=4.7.1, status=deferred (host mx.far.example[198.51.100.7] said: 451 4.7.1 Try again later (in reply to RCPT TO command))",
            "Dec  7 10:14:58 mx1 postfix/anvil[800]: statistics: max connection rate 1/60s for (smtp:192.0.2.10) at Dec  7 10:00:00",
        ]
    }

    /// `smtpexplain --follow --brief ARGS` started in the background, its output going to `output`.
    static func follow(_ args: [String], input: Pipe? = nil, output: URL) throws -> Process {
        let p = Process()
        p.executableURL = BinaryRunner.binary
        p.arguments = ["--follow", "--brief"] + args
        if let input { p.standardInput = input }
        p.standardOutput = try FileHandle(forWritingTo: output)
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Ctrl-C for a `--follow` run: whether it stopped. Never hangs the suite: after five seconds it is
    /// killed (and the caller's expectation fails).
    static func interrupt(_ p: Process) -> Bool {
        p.interrupt()
        let deadline = Date().addingTimeInterval(5)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let stopped = !p.isRunning
        if !stopped { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return stopped
    }
}
