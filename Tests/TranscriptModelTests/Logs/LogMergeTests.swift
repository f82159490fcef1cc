import Foundation
import Testing
@testable import TranscriptModel

/// Several log files read as one stream in time order (`InputDriver.plan` / `readMerged`).
@Suite struct LogMergeTests {
    /// Files in a fresh temporary folder.
    func files(_ contents: [String: String]) throws -> (URL, [String: String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var paths: [String: String] = [:]
        for (name, text) in contents {
            let u = dir.appendingPathComponent(name)
            try text.write(to: u, atomically: true, encoding: .utf8)
            paths[name] = u.path
        }
        return (dir, paths)
    }

    func merged(_ paths: [String]) -> (sessions: [Session], result: MergedReadResult) {
        var out: [Session] = []
        let r = InputDriver.readMerged(paths: paths) { out.append($0) }
        return (out, r)
    }

    @Test func planGroupsLogsOfOneFormatAndLeavesTheRestAlone() throws {
        let (dir, p) = try files([
            "a.log": "Nov 28 10:00:00 mx postfix/smtpd[1]: connect from a.example.com[192.0.2.1]\n",
            "b.log": "Nov 28 09:00:00 mx postfix/smtpd[2]: connect from b.example.com[192.0.2.2]\n",
            "t.txt": "220 mx.example.com ESMTP\nHELO x\n250 hi\nQUIT\n221 bye\n",
            "x.log": "2026-11-28 12:00:01 1xYkQm-000Abc-2D <= a@example.net H=m.example.net [198.51.100.20] P=esmtp S=1\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = InputDriver.plan([p["t.txt"]!, p["a.log"]!, "-", p["x.log"]!, p["b.log"]!])
        #expect(plan == [.single(p["t.txt"]!), .merged([p["a.log"]!, p["b.log"]!], format: "postfix-log"), .single("-"),
                         .single(p["x.log"]!)])
    }

    @Test func linesAreReadInTimeOrderAndKeepTheirFileAndLine() throws {
        // Two servers' logs interleaved in time; the second file is given first.
        let a = """
        Nov 28 10:00:00 mx postfix/smtpd[11]: connect from a.example.com[192.0.2.1]
        Nov 28 10:00:04 mx postfix/smtpd[11]: NOQUEUE: reject: RCPT from a.example.com[192.0.2.1]: 554 5.7.1 <x@example.org>: Relay access denied; from=<s@example.com> to=<x@example.org> proto=ESMTP helo=<a.example.com>
        Nov 28 10:00:06 mx postfix/smtpd[11]: disconnect from a.example.com[192.0.2.1] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4

        """
        let b = """
        Nov 28 10:00:02 mx postfix/smtpd[22]: connect from b.example.com[192.0.2.2]
        Nov 28 10:00:05 mx postfix/smtpd[22]: disconnect from b.example.com[192.0.2.2] ehlo=1 quit=1 commands=2

        """
        let (dir, p) = try files(["a.log": a, "b.log": b])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (s, r) = merged([p["b.log"]!, p["a.log"]!])
        #expect(r.errors.isEmpty)
        #expect(r.label == "\(p["a.log"]!) + \(p["b.log"]!)")
        #expect(r.inputs.map(\.info.lines) == [3, 2])
        #expect(s.count == 2)
        // b's session closes first (10:00:05), a's at 10:00:06.
        #expect(s.map(\.input) == [p["b.log"]!, p["a.log"]!])
        #expect(s[1].notes.map(\.position.line) == [1, 2, 3])
        #expect(s[1].notes.allSatisfy { $0.position.input == p["a.log"]! })
        // The merged order: a1 b1 a2 b2 a3.
        #expect(s[1].notes.map(\.position.sequence) == [1, 3, 5])
        #expect(s[0].notes.map(\.position.sequence) == [2, 4])
        #expect(s[1].notes[0].position.label == "a.log line 1")
    }

    /// Two halves of a log saved from `docker compose logs` (a rotation, or two saves of one container): each
    /// file's wrapper comes off and they merge in time order as plain logs do; a session crossing the two is
    /// told once.
    @Test func wrappedLogsMergeAsPlainOnes() throws {
        let first = """
        mail-1  | Nov 28 10:00:00 mx postfix/smtpd[11]: connect from a.example.com[192.0.2.1]
        mail-1  | Nov 28 10:00:04 mx postfix/smtpd[11]: NOQUEUE: reject: RCPT from a.example.com[192.0.2.1]: 554 5.7.1 <x@example.org>: Relay access denied; from=<s@example.com> to=<x@example.org> proto=ESMTP helo=<a.example.com>

        """
        let second = """
        mail-1  | Nov 28 10:00:06 mx postfix/smtpd[11]: disconnect from a.example.com[192.0.2.1] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4

        """
        let (dir, p) = try files(["mail.log": second, "mail.log.1": first])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(InputDriver.plan([p["mail.log"]!, p["mail.log.1"]!]) == [.merged([p["mail.log"]!, p["mail.log.1"]!], format: "postfix-log")])
        let (s, r) = merged([p["mail.log"]!, p["mail.log.1"]!])
        #expect(r.errors.isEmpty)
        #expect(s.count == 1)
        #expect(s.first?.outcome == .rejected)
        #expect(s.first?.closedBy == .client)
        #expect(s.first?.notes.first?.text.hasPrefix("Nov 28 10:00:00 mx postfix/smtpd[11]") == true)
    }

    @Test func equalTimesKeepTheOrderOfTheFilesFirstTimes() throws {
        // Both files log 10:00:05; a.log starts earlier, so its 10:00:05 line goes first.
        let a = "Nov 28 10:00:01 mx postfix/smtpd[1]: connect from a.example.com[192.0.2.1]\nNov 28 10:00:05 mx postfix/smtpd[1]: disconnect from a.example.com[192.0.2.1] quit=1 commands=1\n"
        let b = "Nov 28 10:00:05 mx postfix/smtpd[2]: connect from b.example.com[192.0.2.2]\nNov 28 10:00:05 mx postfix/smtpd[2]: disconnect from b.example.com[192.0.2.2] quit=1 commands=1\n"
        let (dir, p) = try files(["a.log": a, "b.log": b])
        defer { try? FileManager.default.removeItem(at: dir) }
        for order in [[p["b.log"]!, p["a.log"]!], [p["a.log"]!, p["b.log"]!]] {
            let (s, _) = merged(order)
            #expect(s.map(\.input) == [p["a.log"]!, p["b.log"]!])
            #expect(s[0].notes.map(\.position.sequence) == [1, 2])
            #expect(s[1].notes.map(\.position.sequence) == [3, 4])
        }
    }

    @Test func untimedLinesFollowTheLineBeforeThemInTheirFile() throws {
        // Exim rejectlog: the envelope lines after a rejection carry no time.
        let a = """
        2026-11-28 12:05:10 SMTP connection from [203.0.113.45]:50123 I=[192.0.2.10]:25 (TCP/IP connection count = 1)
        2026-11-28 12:05:11 H=(spam.example) [203.0.113.45]:50123 I=[192.0.2.10]:25 F=<p@example.org> rejected RCPT <x@example.org>: relay not permitted
        Envelope-from: <p@example.org>
        Envelope-to: <x@example.org>
        2026-11-28 12:05:12 SMTP connection from (spam.example) [203.0.113.45]:50123 I=[192.0.2.10]:25 closed by QUIT

        """
        let b = """
        2026-11-28 12:05:11 SMTP connection from [198.51.100.20]:41922 I=[192.0.2.10]:25 (TCP/IP connection count = 2)
        2026-11-28 12:05:13 SMTP connection from [198.51.100.20]:41922 I=[192.0.2.10]:25 lost

        """
        let (dir, p) = try files(["mainlog": a, "mainlog.other": b])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (s, r) = merged([p["mainlog.other"]!, p["mainlog"]!])
        #expect(r.format == "exim-log")
        let spam = try #require(s.first { $0.client.address == "203.0.113.45" })
        #expect(spam.notes.map(\.position.line) == [1, 2, 3, 4, 5])
        #expect(spam.notes.map { $0.text.hasPrefix("Envelope") } == [false, false, true, true, false])
        #expect(spam.outcome == .rejected)
    }

    @Test func syslogYearIsInferredTheSameWayInEveryFile() throws {
        // A log read in January that ends in December: the December lines belong to the year before, in both
        // files, so the New Year rotation still merges in order (the rule needs a reading date after Jan 1).
        var tmv = tm()
        var now = time(nil)
        localtime_r(&now, &tmv)
        guard tmv.tm_mon != 11 else { return }
        let old = "Dec 31 23:59:58 mx postfix/smtpd[5]: connect from a.example.com[192.0.2.1]\n"
        let new = "Jan  1 00:00:01 mx postfix/smtpd[5]: disconnect from a.example.com[192.0.2.1] ehlo=1 quit=1 commands=2\n"
        let (dir, p) = try files(["maillog.1": old, "maillog": new])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (s, _) = merged([p["maillog"]!, p["maillog.1"]!])
        #expect(s.count == 1)
        #expect(s.first?.notes.map(\.position.input) == [p["maillog.1"]!, p["maillog"]!])
        let times = s.first?.notes.compactMap(\.position.time) ?? []
        #expect(times.count == 2 && times[1] - times[0] == 3)
    }

    @Test func exchangeFilesKeepTheirOwnColumns() throws {
        // Two tracking logs with different #Fields orders (an older server writes fewer columns).
        let wide = """
        #Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address
        2026-11-28T15:01:10.112Z,198.51.100.20,mail.example.net,192.0.2.40,EX01,,Default Frontend EX01,SMTP,RECEIVE,1001,<m1@example.net>,n1,bob@example.com,,3120,1,,,Hello,alice@example.net

        """
        let narrow = """
        #Log-type: Message Tracking Log
        #Fields: date-time,event-id,source,message-id,internal-message-id,sender-address,recipient-address,recipient-status,server-hostname,server-ip,client-ip,client-hostname
        2026-11-28T15:00:00.000Z,FAIL,SMTP,<m2@example.com>,2002,carol@example.com,dave@example.org,550 5.1.1 RESOLVER.ADR.RecipNotFound; not found,mx.example.org,192.0.2.30,192.0.2.41,EX02

        """
        let (dir, p) = try files(["MSGTRK2026112815-1.LOG": wide, "MSGTRK2026112815-2.LOG": narrow])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (s, r) = merged([p["MSGTRK2026112815-1.LOG"]!, p["MSGTRK2026112815-2.LOG"]!])
        #expect(r.format == "exchange-tracking")
        #expect(r.errors.isEmpty)
        #expect(s.count == 2)
        let fail = try #require(s.first { $0.attributes["event"] == "FAIL" })
        #expect(fail.outcome == .rejected)
        #expect(fail.server.host == "mx.example.org")
        #expect(fail.transactions.first?.sender == "carol@example.com")
        let recv = try #require(s.first { $0.attributes["event"] == "RECEIVE" })
        #expect(recv.client.address == "198.51.100.20")
        #expect(recv.transactions.first?.recipients.map(\.address) == ["bob@example.com"])
    }

    @Test func aFileOfAnotherFormatIsReadOnItsOwn() throws {
        let (dir, p) = try files([
            "a.log": "Nov 28 10:00:00 mx postfix/smtpd[1]: connect from a.example.com[192.0.2.1]\n",
            "e.log": "2026-11-28 12:00:01 1xYkQm-000Abc-2D <= a@example.net H=m.example.net [198.51.100.20] P=esmtp S=1\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = InputDriver.readMerged(paths: [p["a.log"]!, p["e.log"]!]) { _ in }
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.input == p["e.log"]!)
    }

    /// Inputs already in memory (the web page's uploads, a `.gz` among them) group and merge as the same files
    /// on disk do: same sessions, same lines, named after the inputs.
    @Test func inputsInMemoryMergeAsFilesDo() throws {
        let dir = repoRoot.appendingPathComponent("samples")
        let paths = ["logs-rotated/maillog", "logs-rotated/maillog.1.gz", "logs-postfix-dovecot/dovecot.log",
                     "logs-postfix-dovecot/mail.log", "telnet/connect-refused.txt"].map { dir.appendingPathComponent($0).path }
        let inputs = try paths.map { (name: $0, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
        let groups = InputDriver.plan(inputs: inputs)
        #expect(groups.map(\.members) == [[0, 1, 2, 3], [4]])
        #expect(groups.first?.format == "postfix-log")
        func digest(_ sessions: [Session]) -> [String] {
            sessions.map { s in "\(s.input)|\(s.outcome)|\(s.start?.line ?? -1)|\(s.notes.map { "\($0.position.input):\($0.position.line ?? -1)" })" }
        }
        var fromFiles: [Session] = [], fromMemory: [Session] = []
        _ = InputDriver.readMerged(paths: Array(paths.prefix(4))) { fromFiles.append($0.resolved()) }
        _ = InputDriver.readMerged(inputs: Array(inputs.prefix(4))) { fromMemory.append($0.resolved()) }
        #expect(!fromFiles.isEmpty)
        #expect(digest(fromFiles) == digest(fromMemory))
        // A chunked memory source gives every byte once, in order.
        var m = MemorySource(bytes: Array(0..<10), chunk: 4)
        var got: [[UInt8]] = []
        while let c = try m.next(name: "m") { got.append(c) }
        #expect(got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    }
}
