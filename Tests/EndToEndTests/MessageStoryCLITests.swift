import Foundation
import Testing

/// Issue 4: a message deferred several times and then delivered, bounced or expired is one story, told in
/// order with its delays, with a finding about the chain; logs given as several files (rotations, any order,
/// .gz) are merged by time; Exchange tracking rows of one message are one session.
@Suite struct MessageStoryCLITests {
    static let dir = "samples/logs/"

    func sessions(_ args: [String]) throws -> (sessions: [[String: Any]], errors: [[String: Any]], status: Int32, stderr: String) {
        let r = try BinaryRunner.run(args + ["--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout.prefix(300)) \(r.stderr)")
        return (doc["sessions"] as? [[String: Any]] ?? [], doc["errors"] as? [[String: Any]] ?? [], r.status, r.stderr)
    }

    static func history(_ s: [String: Any]) -> [String: Any]? { s["history"] as? [String: Any] }
    static func attempts(_ h: [String: Any]) -> [[String: Any]] { h["attempts"] as? [[String: Any]] ?? [] }
    static func findings(_ s: [String: Any]) -> [[String: Any]] { s["findings"] as? [[String: Any]] ?? [] }
    static func attributes(_ s: [String: Any]) -> [String: String] { s["attributes"] as? [String: String] ?? [:] }

    /// Exactly one session carries the story of `queueID`.
    func story(_ all: [[String: Any]], _ queueID: String) throws -> (session: [String: Any], history: [String: Any]) {
        let carriers = all.filter { (Self.history($0)?["queueId"] as? String) == queueID }
        #expect(carriers.count == 1, "\(queueID): \(carriers.count) sessions carry the story")
        let s = try #require(carriers.first)
        return (s, try #require(Self.history(s)))
    }

    // MARK: Postfix

    @Test func postfixGreylistedThreeTimesThenDelivered() throws {
        let r = try sessions([Self.dir + "postfix-deferred-greylisted.log"])
        #expect(r.status == 0)
        let (s, h) = try story(r.sessions, "9C1E21C0F3")
        // The story rides on the attempt that delivered, the last outbound session.
        #expect(s["outcome"] as? String == "delivered")
        #expect(Self.attributes(s)["attempt"] == "4")
        let a = Self.attempts(h)
        #expect(a.map { $0["status"] as? String } == ["deferred", "deferred", "deferred", "sent"])
        #expect(a.map { $0["number"] as? Int } == [1, 2, 3, 4])
        #expect(a.map { $0["delay"] as? Double } == [1.2, 303, 903, 2104])
        #expect(a.map { $0["line"] as? Int } == [8, 10, 12, 15])
        let times = a.compactMap { $0["time"] as? Double }
        #expect(times == times.sorted() && times.count == 4)
        #expect(a.prefix(3).allSatisfy { ($0["reply"] as? String)?.hasPrefix("451 4.7.1") == true && $0["inReplyTo"] as? String == "RCPT TO" })
        #expect((a.last?["reply"] as? String)?.hasPrefix("250 2.0.0 Ok") == true)
        #expect(h["deferrals"] as? Int == 3)
        #expect(h["attemptCount"] as? Int == 4)
        let received = try #require(h["received"] as? [String: Any])
        #expect(received["sender"] as? String == "alice@example.com")
        #expect(received["size"] as? Int == 5120)
        #expect(received["recipients"] as? Int == 1)
        #expect(received["client"] as? String == "laptop.example.com[192.0.2.58]")
        let end = try #require(h["end"] as? [String: Any])
        #expect(end["outcome"] as? String == "delivered")
        #expect(end["totalDelay"] as? Double == 2104)
        #expect((h["headline"] as? String)?.hasPrefix("deferred 3 times over 35m: 451 4.7.1") == true)
        let f = try #require(Self.findings(s).first { $0["id"] as? String == "delivered-after-deferrals" })
        #expect(f["title"] as? String == "Delivered after 35m, after 3 deferrals")
        #expect(f["reason"] as? String == "greylisted")
        #expect(!(Self.findings(s).contains { $0["id"] as? String == "message-gave-up" }))
    }

    @Test func postfixDeferredForADayThenExpired() throws {
        let r = try sessions([Self.dir + "postfix-deferred-expired.log"])
        #expect(r.sessions.count == 26)
        let (s, h) = try story(r.sessions, "5B7D31C0E8")
        // Carried by the 26th and last attempt, not a session of its own.
        #expect((s["start"] as? [String: Any])?["line"] as? Int == 79)
        #expect(Self.attributes(s)["story"] == nil)
        #expect(h["attemptCount"] as? Int == 26)
        #expect(h["deferrals"] as? Int == 26)
        // Bounded: the first three and the last three attempts are kept, the rest counted.
        let a = Self.attempts(h)
        #expect(a.map { $0["number"] as? Int } == [1, 2, 3, 24, 25, 26])
        #expect(h["omittedAttempts"] as? Int == 20)
        #expect(a.allSatisfy { $0["status"] as? String == "deferred" && $0["relay"] as? String == "none" })
        #expect(a.allSatisfy { ($0["reply"] as? String)?.contains("Connection timed out") == true })
        let delays = a.compactMap { $0["delay"] as? Double }
        #expect(delays == delays.sorted() && delays.first == 30 && delays.last! > 86_400)
        let end = try #require(h["end"] as? [String: Any])
        #expect(end["outcome"] as? String == "expired")
        #expect((end["detail"] as? String)?.contains("returned to sender") == true)
        #expect((end["detail"] as? String)?.contains("6E0A41C0F9") == true)
        #expect(end["line"] as? Int == 84)
        // The finding: gave up after N deferrals over T, with what the deferral means and what to do.
        #expect(s["reason"] as? String == "expired")
        let f = try #require(Self.findings(s).first { $0["id"] as? String == "message-gave-up" })
        #expect(f["title"] as? String == "Gave up after 26 deferrals over 1d0h48m (expired)")
        #expect(f["severity"] as? String == "error")
        #expect((f["explanation"] as? String)?.contains("could not connect to the recipient's mail server") == true)
        let actions = f["actions"] as? [String] ?? []
        #expect(actions.contains { $0.contains("maximal_queue_lifetime") })
        #expect(actions.contains { $0.contains("nc -vz") })
        #expect((s["summary"] as? String)?.contains("Message 5B7D31C0E8: deferred 26 times over 1d0h48m") == true)
    }

    @Test func textAndMarkdownTellTheStory() throws {
        let text = try BinaryRunner.run([Self.dir + "postfix-deferred-expired.log", "--color", "never"]).stdout
        #expect(text.contains("Message 5B7D31C0E8: deferred 26 times over 1d0h48m: connect to mail.example.invalid[203.0.113.77]:25: Connection timed out; then expired"))
        #expect(text.contains("… 20 more attempts not shown"))
        #expect(text.contains("end: expired after 1d0h48m (returned to sender; non-delivery notification 6E0A41C0F9)"))
        let md = try BinaryRunner.run([Self.dir + "postfix-deferred-greylisted.log", "--format", "markdown"]).stdout
        #expect(md.contains("**Message `9C1E21C0F3`**: deferred 3 times over 35m"))
        let html = try BinaryRunner.run([Self.dir + "postfix-deferred-greylisted.log", "--format", "html"]).stdout
        #expect(html.contains("<h3>Message 9C1E21C0F3</h3>"))
    }

    @Test func personalRedactionReachesTheStory() throws {
        let r = try BinaryRunner.run([Self.dir + "postfix-deferred-greylisted.log", "--redact", "personal", "--format", "json"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"history\":{\"queueId\":\"9C1E21C0F3\""))
        for secret in ["alice@example.com", "dan@example.org", "192.0.2.58"] { #expect(!r.stdout.contains(secret), "\(secret)") }
    }

    // MARK: Exim, Sendmail, OpenSMTPD

    @Test func eximDeferredThenDeliveredAndRetryTimeoutExceeded() throws {
        let r = try sessions([Self.dir + "exim-deferred.log"])
        let (s1, h1) = try story(r.sessions, "1tGhQz-000Abc-7K")
        #expect(s1["outcome"] as? String == "delivered")
        #expect(Self.attempts(h1).map { $0["status"] as? String } == ["deferred", "deferred", "sent"])
        #expect(Self.attempts(h1).last?["delay"] as? Double == 2703)
        #expect(Self.attempts(h1).first?["relay"] as? String == "mx.example.org[198.51.100.7]")
        #expect((h1["end"] as? [String: Any])?["outcome"] as? String == "delivered")
        #expect(Self.findings(s1).contains { $0["id"] as? String == "delivered-after-deferrals" })
        // No attempt was open when Exim gave up: the story is a session of its own.
        let (s2, h2) = try story(r.sessions, "1tGi0A-000Bcd-2M")
        #expect(Self.attributes(s2)["story"] == "message")
        #expect(s2["outcome"] as? String == "rejected")
        #expect(s2["failedStage"] as? String == "connect")
        #expect(Self.attempts(h2).map { $0["status"] as? String } == ["deferred", "deferred", "deferred", "expired"])
        #expect(Self.attempts(h2).prefix(3).allSatisfy { $0["relay"] as? String == "mail.example.net[203.0.113.5]" })
        #expect((h2["end"] as? [String: Any])?["outcome"] as? String == "expired")
        #expect((h2["end"] as? [String: Any])?["totalDelay"] as? Double == 345_608.0)
        let f = try #require(Self.findings(s2).first { $0["id"] as? String == "message-gave-up" })
        #expect(f["title"] as? String == "Gave up after 3 deferrals over 4d (expired)")
        // One session per connection attempt: the `H=... Connection refused` line joins its `==` line.
        #expect(r.sessions.filter { $0["outcome"] as? String == "unreachable" }.count == 3)
    }

    @Test func sendmailDeferredThenBounced() throws {
        let r = try sessions([Self.dir + "sendmail-deferred.log"])
        let (s, h) = try story(r.sessions, "4ASE0A8Q020101")
        #expect(s["outcome"] as? String == "rejected")
        let a = Self.attempts(h)
        // The first run delivered one recipient and deferred the other: one attempt, two results.
        #expect(a.map { $0["number"] as? Int } == [1, 1, 2, 3])
        #expect(a.map { $0["status"] as? String } == ["sent", "deferred", "deferred", "bounced"])
        #expect(a.map { $0["delay"] as? Double } == [1, 2, 1805, 5409])
        #expect((h["end"] as? [String: Any])?["outcome"] as? String == "partial")
        let f = try #require(Self.findings(s).first { $0["id"] as? String == "message-gave-up" })
        #expect(f["title"] as? String == "Gave up after 2 deferrals over 1h30m (bounced)")
        #expect(f["reason"] as? String == "userunknown")
    }

    @Test func openSMTPDTempFailTwiceThenOk() throws {
        let r = try sessions([Self.dir + "opensmtpd-deferred.log"])
        let (s, h) = try story(r.sessions, "3c4d5e6f")
        #expect(s["outcome"] as? String == "delivered")
        #expect(Self.attempts(h).map { $0["status"] as? String } == ["deferred", "deferred", "sent"])
        #expect(Self.attempts(h).map { $0["delay"] as? Double } == [2, 724, 2166])
        #expect(Self.attempts(h).first?["relay"] as? String == "mx.example.org[203.0.113.90]")
        #expect((h["received"] as? [String: Any])?["recipients"] as? Int == 1)
    }

    // MARK: Exchange message tracking

    @Test func exchangeRowsOfOneMessageAreOneStory() throws {
        let r = try sessions([Self.dir + "exchange-tracking-deferred.log"])
        // Two messages, fifteen rows: two sessions.
        #expect(r.sessions.count == 2)
        let (a, ha) = try story(r.sessions, "<DB9PR01MB1234.20261128T0700@example.com>")
        #expect(a["outcome"] as? String == "delivered")
        #expect(Self.attributes(a)["events"] == "6")
        #expect((a["notes"] as? [Any])?.count == 6)
        #expect(Self.attempts(ha).map { $0["status"] as? String } == ["deferred", "deferred", "deferred", "sent"])
        #expect((ha["received"] as? [String: Any])?["client"] as? String == "mailbox submission (STOREDRIVER)")
        #expect(Self.findings(a).contains { $0["id"] as? String == "delivered-after-deferrals" })
        let (b, hb) = try story(r.sessions, "<DB9PR01MB5678.20261126T0900@example.com>")
        #expect(hb["deferrals"] as? Int == 6)
        #expect((hb["end"] as? [String: Any])?["outcome"] as? String == "expired")
        #expect(Self.attempts(hb).last?["reply"] as? String == "550 4.4.7 QUEUE.Expired; message expired")
        let f = try #require(Self.findings(b).first { $0["id"] as? String == "message-gave-up" })
        #expect(f["title"] as? String == "Gave up after 6 deferrals over 2d (expired)")
    }

    // MARK: Several files at once

    /// A Postfix log cut by logrotate in the middle of an smtpd session and of a message's retry chain.
    static let rotated = """
    Nov 28 23:58:40 mx1 postfix/smtpd[7001]: connect from relay.example.net[198.51.100.33]
    Nov 28 23:58:41 mx1 postfix/smtpd[7001]: 3F2A81C0D1: client=relay.example.net[198.51.100.33]
    Nov 28 23:58:41 mx1 postfix/cleanup[7002]: 3F2A81C0D1: message-id=<r1@example.net>
    Nov 28 23:58:41 mx1 postfix/qmgr[880]: 3F2A81C0D1: from=<news@example.net>, size=2200, nrcpt=1 (queue active)
    Nov 28 23:58:42 mx1 postfix/smtp[7003]: 3F2A81C0D1: to=<kim@example.org>, relay=mx.example.org[203.0.113.9]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.org[203.0.113.9] said: 450 4.7.1 Client host rejected: try again later (in reply to RCPT TO command))
    Nov 28 23:59:58 mx1 postfix/smtpd[7010]: connect from mail.example.com[192.0.2.80]
    Nov 28 23:59:59 mx1 postfix/smtpd[7010]: NOQUEUE: reject: RCPT from mail.example.com[192.0.2.80]: 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table; from=<a@example.com> to=<nobody@example.org> proto=ESMTP helo=<mail.example.com>
    --- rotation ---
    Nov 29 00:00:01 mx1 postfix/smtpd[7010]: disconnect from mail.example.com[192.0.2.80] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4
    Nov 29 00:03:43 mx1 postfix/qmgr[880]: 3F2A81C0D1: from=<news@example.net>, size=2200, nrcpt=1 (queue active)
    Nov 29 00:03:44 mx1 postfix/smtp[7020]: 3F2A81C0D1: to=<kim@example.org>, relay=mx.example.org[203.0.113.9]:25, delay=303, delays=302/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.org[203.0.113.9] said: 450 4.7.1 Client host rejected: try again later (in reply to RCPT TO command))
    Nov 29 00:13:43 mx1 postfix/qmgr[880]: 3F2A81C0D1: from=<news@example.net>, size=2200, nrcpt=1 (queue active)
    Nov 29 00:13:45 mx1 postfix/smtp[7031]: 3F2A81C0D1: to=<kim@example.org>, relay=mx.example.org[203.0.113.9]:25, delay=904, delays=903/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8C7B)
    Nov 29 00:13:45 mx1 postfix/qmgr[880]: 3F2A81C0D1: removed
    """

    /// maillog.1.gz (older, gzip) and maillog, in a temporary folder.
    func rotatedFiles() throws -> (dir: URL, old: String, new: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-rot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let parts = Self.rotated.components(separatedBy: "--- rotation ---\n")
        let old = dir.appendingPathComponent("maillog.1")
        let new = dir.appendingPathComponent("maillog")
        try parts[0].write(to: old, atomically: true, encoding: .utf8)
        try (parts[1] + "\n").write(to: new, atomically: true, encoding: .utf8)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gz.arguments = ["gzip", "-f", old.path]
        try gz.run()
        gz.waitUntilExit()
        return (dir, old.path + ".gz", new.path)
    }

    @Test func rotatedFilesGivenInReverseOrderAreOneStream() throws {
        let (dir, old, new) = try rotatedFiles()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try sessions([new, old])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.errors.isEmpty)
        // The smtpd session crossing the rotation is one session, named after the file it started in, and its
        // evidence keeps each line's own file and line number.
        let crossing = r.sessions.filter { ($0["client"] as? [String: Any])?["address"] as? String == "192.0.2.80" }
        #expect(crossing.count == 1)
        let c = try #require(crossing.first)
        #expect(c["input"] as? String == old)
        #expect(c["outcome"] as? String == "rejected")
        let notes = c["notes"] as? [[String: Any]] ?? []
        #expect(notes.map { "\($0["input"] as? String ?? "?"):\($0["line"] as? Int ?? 0)" } == ["\(old):6", "\(old):7", "\(new):1"])
        // The message's three attempts across both files are one story, in order.
        let (s, h) = try story(r.sessions, "3F2A81C0D1")
        #expect(s["outcome"] as? String == "delivered")
        let a = Self.attempts(h)
        #expect(a.map { $0["status"] as? String } == ["deferred", "deferred", "sent"])
        #expect(a.map { $0["input"] as? String } == [old, new, new])
        #expect(a.map { $0["line"] as? Int } == [5, 3, 5])
        #expect(a.map { $0["delay"] as? Double } == [1.1, 303, 904])
        #expect((h["received"] as? [String: Any])?["client"] as? String == "relay.example.net[198.51.100.33]")
        #expect(Self.findings(s).contains { $0["id"] as? String == "delivered-after-deferrals" })
        // Same result whatever the order on the command line.
        let again = try sessions([old, new])
        #expect(again.sessions.count == r.sessions.count)
        // --no-merge: each file on its own, the session and the story are cut in two.
        let apart = try sessions(["--no-merge", new, old])
        #expect(apart.sessions.count > r.sessions.count)
        #expect(!apart.sessions.contains { (Self.history($0)?["attemptCount"] as? Int) == 3 })
    }

    /// Debian's Exim writes its own mainlog; Dovecot's LMTP deliveries go to the syslog mail log. Given
    /// together, in any order, Dovecot's lines join the sessions that brought the messages (by Message-ID),
    /// whose recipients come from the delivery lines when the arrival did not name them.
    @Test func eximMainlogWithDovecotsMailLogIsOneStory() throws {
        let main = "samples/logs-exim-dovecot/mainlog", mail = "samples/logs-exim-dovecot/mail.log"
        for args in [[main, mail], [mail, main]] {
            let r = try sessions(args)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.sessions.count == 3)
            #expect(r.sessions.allSatisfy { $0["input"] as? String == main && $0["format"] as? String == "exim-log" })
            let folder = r.sessions[0]
            #expect(Self.attributes(folder)["mailbox-target"] == "Newsletters")
            #expect(Self.findings(folder).contains { $0["id"] as? String == "delivered-to-folder" })
            let notes = folder["notes"] as? [[String: Any]] ?? []
            #expect(notes.contains { $0["input"] as? String == mail && $0["line"] as? Int == 3 })
            let recipients = ((folder["transactions"] as? [[String: Any]])?.first?["recipients"] as? [[String: Any]])?.compactMap { $0["address"] as? String }
            #expect(recipients == ["kim@example.net"])
            let full = r.sessions[1]
            #expect(full["reason"] as? String == "mailboxfull")
            #expect((full["summary"] as? String)?.hasPrefix("Accepted, then delivery to bob@example.net failed") == true)
            #expect(Self.findings(r.sessions[2]).contains { $0["id"] as? String == "saved-to-mailbox" })
        }
        // Apart, Dovecot's file is read on its own: each delivery a session of its own.
        let apart = try sessions(["--no-merge", main, mail])
        #expect(apart.sessions.count == 6)
        // Dovecot's own log file (`log_path`), BSD time without host or program: joined the same way. It starts
        // earlier, so its line of 14:10:02 comes before the arrival of that second: the arrival still claims it.
        // A delivery of a message the mainlog did not receive over SMTP is a session of its own.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-dovecot-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let own = dir.appendingPathComponent("dovecot.log")
        try """
        Dec 06 14:09:58 imap-login: Info: Login: user=<kim@example.net>, method=PLAIN, rip=198.51.100.14, lip=203.0.113.25, mpid=30110, TLS
        Dec 06 14:10:02 lmtp(kim@example.net)<30121><8Lq2A1a1c2mpdQAAUe6P4w>: Info: sieve: msgid=<n501.20261206141001@partner.example>: fileinto action: stored mail into mailbox 'Newsletters'
        Dec 06 14:13:30 lmtp(kim@example.net)<30144><bQc1H1j1c2m9dQAAUe6P4w>: Info: msgid=<cron.1733494410@mail.example.net>: saved mail to INBOX
        Dec 06 14:15:10 lmtp(kim@example.net)<30152><4Nn0J3q1c2mQdQAAUe6P4w>: Info: msgid=<20261206141509.77A1@example.com>: saved mail to INBOX

        """.write(to: own, atomically: true, encoding: .utf8)
        for args in [[main, own.path], [own.path, main]] {
            let r = try BinaryRunner.run(args + ["--format", "json"], environment: ["SMTPEXPLAIN_LOG_YEAR": "2026"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let all = doc["sessions"] as? [[String: Any]] ?? []
            #expect(all.map { Self.attributes($0)["mailbox-target"] } == ["Newsletters", "LMTP error after end of data: 552 5.2.2 <bob@example.net> Quota exceeded (mailbox for user is full)", "INBOX", "INBOX"])
            #expect(all.map { $0["format"] as? String } == ["exim-log", "exim-log", "dovecot-log", "exim-log"])
            #expect(Self.attributes(all[2])["message-id"] == "cron.1733494410@mail.example.net")
        }
    }

    /// Postfix's syslog file with Dovecot's own `log_path` file. Both start in the same second, so the order
    /// given decides which file's lines of a second come first: mail.log first puts Dovecot's line after
    /// Postfix's `removed` (the removal waits for it); dovecot.log first puts it before cleanup's `message-id=`
    /// (the delivery waits for it). Either way the same eight sessions.
    @Test func postfixLogWithDovecotsOwnLogIsOneStory() throws {
        let mail = "samples/logs-postfix-dovecot/mail.log", dovecot = "samples/logs-postfix-dovecot/dovecot.log"
        var runs: [[String]] = []
        for args in [[mail, dovecot], [dovecot, mail]] {
            let r = try sessions(args)
            #expect(r.status == 0, "\(r.stderr)")
            let all = r.sessions
            #expect(all.count == 8)
            runs.append(all.map { "\($0["input"] as? String ?? "")|\($0["reason"] as? String ?? "")|\($0["direction"] as? String ?? "")" })
            // Postfix's sessions are named after mail.log, even when Dovecot's line of the attempt came first.
            #expect(all.prefix(7).allSatisfy { $0["input"] as? String == mail && $0["format"] as? String == "postfix-log" })
            let target = all.map { Self.attributes($0)["mailbox-target"] }
            #expect(target[0] == "INBOX" && target[1] == "INBOX", "the report, attempt and arrival")
            #expect(target[2] == "Junk" && target[3] == "Junk")
            #expect(all[3]["reason"] as? String == "spamdetected")
            #expect(Self.findings(all[3]).contains { $0["id"] as? String == "delivered-to-junk" })
            #expect(all[5]["reason"] as? String == "mailboxfull")
            #expect((all[5]["summary"] as? String)?.hasPrefix("Accepted, then delivery to ravi@example.com failed") == true)
            // Dovecot's line is evidence of the arrival and of the LMTP attempt.
            for k in [0, 1] {
                let notes = all[k]["notes"] as? [[String: Any]] ?? []
                #expect(notes.contains { $0["input"] as? String == dovecot && $0["line"] as? Int == 3 }, "session \(k)")
            }
            #expect((all[0]["start"] as? [String: Any])?["line"] as? Int == 6, "the attempt starts at Postfix's line")
            // The cron report: no Postfix line names it.
            #expect(all[7]["format"] as? String == "dovecot-log")
            #expect(Self.attributes(all[7])["message-id"] == "cron.1733479770@backup.example.com")
        }
        #expect(runs[0] == runs[1])
        // Apart: Postfix's sessions know only LMTP's `250 Saved`; each Dovecot delivery is a session.
        let apart = try sessions(["--no-merge", mail, dovecot])
        #expect(apart.sessions.count == 11)
        #expect(apart.sessions.prefix(7).allSatisfy { Self.attributes($0)["mailbox-target"] == nil })
    }

    @Test func aBrokenRotationIsReportedAndTheOthersStillMerge() throws {
        let (dir, old, new) = try rotatedFiles()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A third rotation whose gzip stream is cut short: the lines before the cut are read, then one error.
        var lines: [String] = []
        for i in 0..<4000 {
            lines.append("Nov 27 10:\(String(format: "%02d", i / 60 % 60)):\(String(format: "%02d", i % 60)) mx1 postfix/smtpd[\(9000 + i)]: connect from c\(i).example.com[192.0.2.\(i % 250 + 1)]")
        }
        let plain = dir.appendingPathComponent("maillog.2")
        try (lines.joined(separator: "\n") + "\n").write(to: plain, atomically: true, encoding: .utf8)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gz.arguments = ["gzip", "-f", plain.path]
        try gz.run()
        gz.waitUntilExit()
        let full = try Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz"))
        let cut = dir.appendingPathComponent("maillog.2.gz")
        try full.prefix(full.count * 2 / 3).write(to: cut)
        let r = try sessions([new, cut.path, old, "/nonexistent/maillog.3"])
        #expect(r.status == 2)
        let errLines = r.stderr.split(separator: "\n")
        #expect(errLines.count == 2, "\(r.stderr)")
        #expect(errLines.contains { $0.contains(cut.path) && $0.contains("gzip") })
        #expect(errLines.contains { $0.contains("/nonexistent/maillog.3") })
        #expect(r.errors.count == 2)
        // The good files were still merged: the story across them is whole.
        _ = try story(r.sessions, "3F2A81C0D1")
        #expect(r.sessions.contains { ($0["input"] as? String) == cut.path })
    }
}
