import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TranscriptModel
@testable import ExplainServer

/// The server on an ephemeral loopback port (HummingbirdTesting `.live` binds localhost:0 and reads the bound
/// port from onServerRunning), driven over real HTTP.
@Suite("serve: page and API over loopback")
struct ServerTests {
    let relayDenied = "telnet/relay-denied-postfix-indented.txt"

    @Test func healthz() async throws {
        let server = try makeServer()
        try await server.application().test(.live) { client in
            #expect(client.port != nil && client.port != 0)
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.text == "ok\n")
            }
        }
    }

    @Test func onRunningGetsTheBoundPort() async throws {
        let server = try makeServer()
        let seen = PortBox()
        try await server.application(onRunning: { await seen.set($0) }).test(.live) { client in
            _ = try await client.execute(uri: "/healthz", method: .get)
            let port = await seen.port
            #expect(port == client.port)
            #expect((port ?? 0) > 0)
        }
    }

    @Test func homePageHasTheFormAndNoScript() async throws {
        let server = try makeServer()
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(r.text.contains("<form method=\"post\" action=\"/\" enctype=\"multipart/form-data\""))
                #expect(r.text.contains("name=\"paste\""))
                #expect(r.text.contains("type=\"file\""))
                #expect(!r.text.lowercased().contains("<script"))
                #expect(r.text.contains("Up to 50 MB"))
            }
        }
    }

    @Test func pasteThroughTheForm() async throws {
        let server = try makeServer()
        let paste = String(decoding: try sample(relayDenied), as: UTF8.self)
        var form = MultipartBody()
        form.field("paste", paste)
        form.file("file", filename: "", [])  // the file field left empty, as browsers send it
        let (fh, fb) = (form.headers, form.body)
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .ok)
                let html = r.text
                #expect(html.contains("REJECTED"))
                #expect(html.contains("Relay access denied"))
                #expect(html.contains("class=\"finding"))
                #expect(html.contains("pasted text"))
                // The form is on the result page, with the paste shown again (escaped).
                #expect(html.contains("<textarea id=\"paste\""))
                #expect(html.contains("MAIL FROM:&lt;scanner@example.net&gt;"))
                #expect(!html.lowercased().contains("<script"))
            }
        }
    }

    /// The page the form returns for `paste` (as a browser sends it: multipart, no file chosen).
    private func pageForPaste(_ paste: String) async throws -> (HTTPResponse.Status, String) {
        let server = try makeServer()
        var form = MultipartBody()
        form.field("paste", paste)
        form.file("file", filename: "", [])
        let (fh, fb) = (form.headers, form.body)
        return try await server.application().test(.live) { client in
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in (r.status, r.text) }
        }
    }

    /// A textarea sends no final newline: a one-line error message pasted there is still read as one.
    @Test func oneLineErrorPastedWithoutNewline() async throws {
        let (status, text) = try await pageForPaste("smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')")
        #expect(status == .ok)
        #expect(text.contains("REJECTED"))
        #expect(text.contains("client-error"))
        #expect(text.contains("auth-failed"))
    }

    @Test func webhookEventPastedIsExplained() async throws {
        let (status, text) = try await pageForPaste(#"{"event":"bounce","email":"x@example.org","sg_event_id":"e1","sg_message_id":"m1","timestamp":1764921731,"reason":"550 5.1.1 <x@example.org>: Recipient address rejected: User unknown","status":"5.1.1","type":"bounce"}"#)
        #expect(status == .ok)
        #expect(text.contains("REJECTED"))
        #expect(text.contains("esp-event"))
        #expect(text.contains("SendGrid event: bounce (bounce) for x@example.org"))
    }

    @Test func pasteUrlEncoded() async throws {
        let server = try makeServer()
        let paste = String(decoding: try sample(relayDenied), as: UTF8.self)
        let encoded = "paste=" + paste.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: encoded)) { r in
                #expect(r.status == .ok)
                #expect(r.text.contains("REJECTED"))
                #expect(r.text.contains("Relay access denied"))
            }
        }
    }

    @Test func apiRawTranscript() async throws {
        let server = try makeServer()
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain?name=relay.txt", method: .post,
                                     headers: [.contentType: "text/plain"],
                                     body: ByteBuffer(bytes: try sample(relayDenied))) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(r.json["version"] as? Int == 1)
                let s = r.sessions
                #expect(s.count == 1)
                #expect(s.first?["outcome"] as? String == "rejected")
                #expect(s.first?["failedStage"] as? String == "rcpt")
                #expect(s.first?["input"] as? String == "relay.txt")
                #expect(r.errors.isEmpty)
            }
        }
    }

    @Test("upload each input kind", arguments: [
        ("telnet/relay-denied-postfix-indented.txt", "rejected"),
        ("exchange/smtpreceive-rcpt-rejected-two-sessions.log", "rejected"),
        ("hmailserver/smtpd-relay-needs-auth.log", nil),
        ("pcap/relay-denied-postfix.pcap", "rejected"),
        ("pcap/connection-refused.pcap", "unreachable"),
        ("logs/postfix-outbound.log", nil),
        ("logs/exim-mainlog", nil),
    ] as [(String, String?)])
    func uploadEachKind(path: String, outcome: String?) async throws {
        guard sampleExists(path) else { return }
        let bytes = try sample(path)
        let filename = String(path.split(separator: "/").last!)
        // What the driver itself makes of the file: the server must agree (captures arrive in the driver
        // separately; until then the page must say clearly that it cannot read them).
        var direct: [Session] = []
        var directError: InputError?
        do { _ = try InputDriver.read(name: filename, bytes: bytes) { direct.append($0) } } catch let e as InputError {
            directError = e
        }
        let (directCount, dError) = (direct.count, directError)
        let server = try makeServer()
        var form = MultipartBody()
        form.field("paste", "")
        form.file("file", filename: filename, bytes)
        let (fh, fb) = (form.headers, form.body)
        try await server.application().test(.live) { client in
            // The JSON API with a multipart upload.
            try await client.execute(uri: "/api/explain", method: .post, headers: fh, body: fb) { r in
                if let dError {
                    #expect(r.status == .unprocessableContent)
                    #expect(r.errors.first?["message"] as? String == dError.message)
                } else {
                    #expect(r.status == .ok)
                    #expect(r.sessions.count == directCount)
                    #expect(r.sessions.first?["input"] as? String == filename)
                    if let outcome { #expect(r.sessions.first?["outcome"] as? String == outcome) }
                }
            }
            // The page with the same upload.
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.text.contains("<textarea id=\"paste\""))
                if let dError {
                    #expect(r.status == .unprocessableContent)
                    #expect(r.text.contains(Page.escape(dError.message)))
                } else {
                    #expect(r.status == .ok)
                    #expect(r.text.contains(filename))
                    if let outcome { #expect(r.text.contains(outcome.uppercased())) }
                }
            }
        }
    }

    @Test func gzippedLogUpload() async throws {
        let path = samplesDirectory.appendingPathComponent("exchange/smtpreceive-rcpt-rejected-two-sessions.log").path
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { return }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-c", path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let gz = Array(pipe.fileHandleForReading.readDataToEndOfFile())
        gzip.waitUntilExit()
        var direct = 0
        _ = try? InputDriver.read(name: "x", bytes: gz) { _ in direct += 1 }
        let expected = direct
        let server = try makeServer()
        var form = MultipartBody()
        form.file("file", filename: "smtpreceive.log.gz", gz, type: "application/gzip")
        let (fh, fb) = (form.headers, form.body)
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain", method: .post, headers: fh, body: fb) { r in
                #expect(r.sessions.count == expected)
                if expected > 0 {
                    #expect(r.status == .ok)
                    #expect(r.sessions.first?["outcome"] as? String == "rejected")
                }
            }
        }
    }

    /// Uploads of one server's logs are read together as the CLI reads files given together: a rotation's two
    /// halves tell a session once; Postfix's mail log with Dovecot's own log says where each message went.
    @Test func logsUploadedTogetherAreMerged() async throws {
        let server = try makeServer()
        var rotated = MultipartBody()
        rotated.file("file", filename: "maillog", try sample("logs-rotated/maillog"))
        rotated.file("file", filename: "maillog.1.gz", try sample("logs-rotated/maillog.1.gz"), type: "application/gzip")
        var dovecot = MultipartBody()
        dovecot.field("paste", "")
        dovecot.file("file", filename: "dovecot.log", try sample("logs-postfix-dovecot/dovecot.log"))
        dovecot.file("file", filename: "mail.log", try sample("logs-postfix-dovecot/mail.log"))
        // The same two files in one uploaded tar.gz; and a journal file.
        var archive = MultipartBody()
        archive.file("file", filename: "mail-logs.tar.gz", try sample("archives/mail-logs.tar.gz"), type: "application/gzip")
        archive.file("file", filename: "postfix-system.journal.gz", try sample("logs/postfix-system.journal.gz"), type: "application/gzip")
        let forms = [(rotated.headers, rotated.body), (dovecot.headers, dovecot.body), (archive.headers, archive.body)]
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain", method: .post, headers: forms[0].0, body: forms[0].1) { r in
                #expect(r.status == .ok)
                // Five, not the six of the halves read apart: the session cut at midnight is one.
                #expect(r.sessions.count == 5)
                #expect(r.sessions.first?["input"] as? String == "maillog.1.gz")
            }
            try await client.execute(uri: "/api/explain", method: .post, headers: forms[2].0, body: forms[2].1) { r in
                #expect(r.status == .ok)
                #expect(r.sessions.count == 11)
                #expect(r.sessions.first?["input"] as? String == "mail-logs.tar.gz:var/log/mail.log.1.gz")
                #expect(r.sessions.last?["input"] as? String == "postfix-system.journal.gz")
            }
            try await client.execute(uri: "/api/explain", method: .post, headers: forms[1].0, body: forms[1].1) { r in
                #expect(r.status == .ok)
                #expect(r.sessions.count == 8)
                let targets = r.sessions.map { ($0["attributes"] as? [String: String])?["mailbox-target"] }
                #expect(targets.prefix(4) == ["INBOX", "INBOX", "Junk", "Junk"])
                #expect(r.sessions[3]["reason"] as? String == "spamdetected")
                #expect(r.sessions.prefix(7).allSatisfy { $0["input"] as? String == "mail.log" })
            }
            // The page's form takes several files.
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.text.contains("<input type=\"file\" id=\"file\" name=\"file\" multiple>"))
            }
        }
    }

    @Test func pasteAndFileTogether() async throws {
        let server = try makeServer()
        var form = MultipartBody()
        form.field("paste", String(decoding: try sample(relayDenied), as: UTF8.self))
        form.file("file", filename: "C:\\Users\\agent\\exchange.log",
                  try sample("exchange/smtpreceive-rcpt-rejected-two-sessions.log"))
        let (fh, fb) = (form.headers, form.body)
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .ok)
                let inputs = Set(r.sessions.compactMap { $0["input"] as? String })
                #expect(inputs == ["pasted text", "exchange.log"])
            }
        }
    }

    @Test func oversizeBodyIs413() async throws {
        let server = try makeServer { $0.maxBody = 2_000 }
        let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: 5_000)
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain", method: .post, body: big) { r in
                #expect(r.status == .contentTooLarge)
                #expect(r.text.contains("larger than this server's limit of 2 kB"))
            }
            var form = MultipartBody()
            form.field("paste", String(repeating: "250 ok\n", count: 1_000))
            let (fh, fb) = (form.headers, form.body)
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .contentTooLarge)
                #expect(r.text.contains("serve-alert"))
                #expect(r.text.contains("larger than this server"))
                #expect(r.text.contains("<form"))
            }
            // The connection and the server are still fine afterwards.
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test func binaryJunkGetsAClearMessage() async throws {
        let server = try makeServer()
        var junk: [UInt8] = []
        var x: UInt32 = 12345
        for _ in 0..<4096 { x = x &* 1103515245 &+ 12345; junk.append(UInt8(truncatingIfNeeded: x >> 16)) }
        junk[10] = 0
        let junkBytes = junk
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain?name=junk.bin", method: .post,
                                     headers: [.contentType: "application/octet-stream"],
                                     body: ByteBuffer(bytes: junkBytes)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.sessions.isEmpty)
                let message = r.errors.first?["message"] as? String ?? ""
                #expect(message.contains("binary") || message.contains("not"))
            }
            var form = MultipartBody()
            form.file("file", filename: "junk.bin", junkBytes)
            let (fh, fb) = (form.headers, form.body)
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.text.contains("could not be read"))
                #expect(r.text.contains("junk.bin"))
                #expect(r.text.contains("serve-alert"))
            }
        }
    }

    @Test func emptySubmissionAndBadForms() async throws {
        let server = try makeServer()
        try await server.application().test(.live) { client in
            var form = MultipartBody()
            form.field("paste", "  \r\n ")
            form.file("file", filename: "", [])
            let (fh, fb) = (form.headers, form.body)
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .badRequest)
                #expect(r.text.contains("Nothing to explain"))
            }
            try await client.execute(uri: "/", method: .post,
                                     headers: [.contentType: "multipart/form-data; boundary=nothere"],
                                     body: ByteBuffer(string: "this is not multipart")) { r in
                #expect(r.status == .badRequest)
                #expect(r.text.contains("Could not read the form"))
            }
            try await client.execute(uri: "/api/explain", method: .post) { r in
                #expect(r.status == .badRequest)
                #expect(r.text.contains("Nothing to explain"))
            }
            try await client.execute(uri: "/nope", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(!r.text.isEmpty)
            }
            try await client.execute(uri: "/api/explain", method: .get) { r in
                #expect(r.status.code >= 400)
                #expect(!r.text.isEmpty)
            }
        }
    }

    @Test func scriptInInputIsShownAsText() async throws {
        let server = try makeServer()
        let hostile = """
        220 mx.example.net ESMTP <script>alert('banner')</script>
        EHLO <img src=x onerror=alert(1)>
        250 mx.example.net
        MAIL FROM:<a@example.org>
        250 2.1.0 Ok
        RCPT TO:<b@example.net>
        550 5.1.1 <script>alert("reply")</script> User unknown
        QUIT
        221 Bye
        """
        var form = MultipartBody()
        form.field("paste", hostile)
        let (fh, fb) = (form.headers, form.body)
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .ok)
                let html = r.text
                #expect(!html.lowercased().contains("<script"))
                #expect(!html.contains("<img src=x"))
                #expect(html.contains("&lt;script&gt;"))
            }
        }
    }

    @Test func credentialsAreRedacted() async throws {
        let server = try makeServer()
        // AUTH PLAIN of "\0joe@example.org\0hunter2".
        let secret = "AGpvZUBleGFtcGxlLm9yZwBodW50ZXIy"
        let paste = """
        220 mail.example.com ESMTP
        EHLO client.example.org
        250-mail.example.com
        250 AUTH PLAIN LOGIN
        AUTH PLAIN \(secret)
        535 5.7.8 Authentication credentials invalid
        QUIT
        221 Bye
        """
        var form = MultipartBody()
        form.field("paste", paste)
        let (fh, fb) = (form.headers, form.body)
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain", method: .post, body: ByteBuffer(string: paste)) { r in
                #expect(r.status == .ok)
                #expect(!r.text.contains(secret))
                #expect(!r.text.contains("hunter2"))
            }
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .ok)
                // The report part must not show it; the paste box shows back only what the user pasted.
                let report = r.text.components(separatedBy: "</textarea>").last ?? ""
                #expect(!report.contains(secret))
                #expect(!report.contains("hunter2"))
            }
        }
    }

    @Test func busyServerAnswers503WithText() async throws {
        let server = try makeServer { $0.maxConcurrent = 2 }
        try await server.application().test(.live) { client in
            // Hold every place, as two long requests would.
            let a = try #require(server.gate.tryAcquire())
            let b = try #require(server.gate.tryAcquire())
            #expect(server.gate.tryAcquire() == nil)
            try await client.execute(uri: "/api/explain", method: .post, body: ByteBuffer(string: "220 hi\n")) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.text.contains("Busy"))
                #expect(r.headers[.retryAfter] != nil)
            }
            var form = MultipartBody()
            form.field("paste", "220 hi\n")
            let (fh, fb) = (form.headers, form.body)
            try await client.execute(uri: "/", method: .post, headers: fh, body: fb) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.text.contains("Busy"))
                #expect(r.text.contains("<form"))
            }
            // healthz and the page itself are not explain requests: still served.
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
            withExtendedLifetime((a, b)) {}
        }
        #expect(server.gate.current == 0)
    }

    @Test func concurrentRequestsAreBounded() async throws {
        let server = try makeServer { $0.maxConcurrent = 2 }
        // Enough text that each request takes a moment to explain.
        let one = String(decoding: try sample(relayDenied), as: UTF8.self)
        let input = String(repeating: one + "\n", count: 300)
        try await server.application().test(.ahc(.http)) { client in
            let statuses = try await withThrowingTaskGroup(of: (UInt16, String).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let r = try await client.execute(uri: "/api/explain", method: .post, body: ByteBuffer(string: input))
                        return (UInt16(r.status.code), r.text)
                    }
                }
                var out: [(UInt16, String)] = []
                for try await x in group { out.append(x) }
                return out
            }
            #expect(statuses.count == 10)
            for (code, text) in statuses {
                #expect(code == 200 || code == 503)
                if code == 503 { #expect(text.contains("Busy")) }
            }
            #expect(statuses.contains { $0.0 == 200 })
        }
        #expect(server.gate.current == 0)
    }

    @Test func timeLimitAnswersWithText() async throws {
        // Seconds of explaining (2,000 sessions, debug build) against a limit of 0.5 s; the upload itself is
        // quick, but on a loaded machine it may be the upload that runs out of time: both must answer in words.
        let server = try makeServer { $0.timeout = 0.5 }
        let one = String(decoding: try sample(relayDenied), as: UTF8.self)
        let input = String(repeating: one + "\n", count: 2_000)
        try await server.application().test(.ahc(.http)) { client in
            try await client.execute(uri: "/api/explain", method: .post, body: ByteBuffer(string: input)) { r in
                if r.status == .requestTimeout {
                    #expect(r.text.contains("did not arrive within 500 ms"))
                } else {
                    #expect(r.status == .serviceUnavailable)
                    #expect(r.text.contains("took longer than the server's limit of 500 ms"))
                }
            }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
        // The cut-off work finishes in the background and gives its place back.
        for _ in 0..<100 where server.gate.current > 0 { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(server.gate.current == 0)
    }

    @Test func keepStoresInputsOnlyWhenAsked() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-keep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try makeServer { $0.keepDirectory = dir.path }
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/api/explain?name=../../etc/relay.txt", method: .post,
                                     body: ByteBuffer(bytes: try sample(relayDenied))) { r in
                #expect(r.status == .ok)
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files.count == 2)
        #expect(files.contains { $0.hasSuffix("-1-relay.txt") })
        #expect(files.contains { $0.hasSuffix(".json") })
        let attrs = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(files[0]).path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
    }
}

actor PortBox {
    var port: Int?
    func set(_ p: Int) { port = p }
}
