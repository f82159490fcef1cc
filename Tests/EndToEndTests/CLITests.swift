import Foundation
import Testing

/// The command line contract: formats, exit codes, stdin, safety of what is printed.
@Suite struct CLITests {
    static let delivered = "samples/telnet/exim-accepted-data-line-missing.txt"
    static let relay = "samples/telnet/relay-denied-postfix-indented.txt"

    @Test func textReportShowsTranscriptExplanationsAndVerdict() throws {
        let r = try BinaryRunner.run([Self.relay])
        #expect(r.status == 0)
        #expect(r.stdout.contains("C: "))
        #expect(r.stdout.contains("S: "))
        #expect(r.stdout.contains("Verdict: REJECTED"))
        #expect(r.stdout.contains("relay-denied"))
        #expect(r.stdout.contains("Next steps"))
    }

    @Test func jsonContractShape() throws {
        let doc = try BinaryRunner.json([Self.delivered])
        #expect(doc["version"] as? Int == 1)
        let s = try #require((doc["sessions"] as? [[String: Any]])?.first)
        for key in ["input", "format", "outcome", "failedStage", "client", "server", "transactions", "exchanges", "findings"] {
            #expect(s.keys.contains(key), "missing \(key)")
        }
        #expect(s["outcome"] as? String == "delivered")
        #expect(s["failedStage"] is NSNull)
        let exchanges = try #require(s["exchanges"] as? [[String: Any]])
        let data = try #require(exchanges.first { ($0["command"] as? [String: Any])?["verb"] as? String == "DATA" })
        let cmd = try #require(data["command"] as? [String: Any])
        #expect(cmd["inferred"] as? Bool == true)
        #expect(cmd["line"] is NSNull || cmd["line"] is Int)
        let reply = try #require(data["reply"] as? [String: Any])
        #expect(reply["code"] as? Int == 354)
        #expect(reply["line"] as? Int != nil)
        #expect(data["findings"] is [String])
        let f = try #require((s["findings"] as? [[String: Any]])?.first)
        for key in ["id", "severity", "reason", "title", "explanation", "actions", "evidence"] {
            #expect(f.keys.contains(key), "finding missing \(key)")
        }
        let t = try #require((s["transactions"] as? [[String: Any]])?.first)
        #expect(t["queueId"] as? String == "1vQ2xY-000Abc-7Z")
    }

    @Test func readsStandardInput() throws {
        let text = try String(contentsOf: BinaryRunner.repo.appendingPathComponent(Self.relay), encoding: .utf8)
        let doc = try BinaryRunner.json(["-"], stdin: Data(text.utf8))
        let s = try #require((doc["sessions"] as? [[String: Any]])?.first)
        #expect(s["input"] as? String == "-")
        #expect(s["outcome"] as? String == "rejected")
    }

    @Test func exitCodes() throws {
        #expect(try BinaryRunner.run([Self.relay]).status == 0)
        #expect(try BinaryRunner.run([Self.relay, "--fail-on-problems"]).status == 1)
        #expect(try BinaryRunner.run([Self.delivered, "--fail-on-problems"]).status == 0)
        // Accepted in SMTP, then discarded by a filter: a problem, though every session's outcome is delivered.
        #expect(try BinaryRunner.run(["samples/logs/exim-discard.log", "--fail-on-problems"]).status == 1)
        #expect(try BinaryRunner.run(["samples/logs/exim-discard.log"]).status == 0)
        #expect(try BinaryRunner.run(["--no-such-flag"]).status == 2)
        #expect(try BinaryRunner.run(["--input-format", "nonsense", Self.relay]).status == 2)
    }

    @Test func unusableInputIsOneLineAndOthersStillExplain() throws {
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("smtpexplain-junk-\(getpid()).bin")
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        let r = try BinaryRunner.run([junk.path, "/nonexistent/file.txt", Self.relay, "--format", "json"])
        #expect(r.status == 2)
        let errLines = r.stderr.split(separator: "\n")
        #expect(errLines.count == 2)
        #expect(errLines.contains { $0.contains(junk.path) && $0.contains("byte") })
        #expect(errLines.contains { $0.contains("/nonexistent/file.txt") })
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((doc?["sessions"] as? [Any])?.count == 1)
        #expect((doc?["errors"] as? [Any])?.count == 2)
    }

    @Test func controlCharactersNeverReachTheTerminalRaw() throws {
        let evil = "220 mx.example.com ESMTP \u{1B}]0;owned\u{07}\u{1B}[2J\nHELO a.example.net\n250 ok \u{1B}[31mred\u{9B}\nQUIT\n221 bye\n"
        for format in ["text", "json"] {
            let r = try BinaryRunner.run(["-", "--format", format, "--color", "never"], stdin: Data(evil.utf8))
            #expect(r.status == 0)
            #expect(!r.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B })
        }
    }

    @Test func authCredentialsAreRedactedByDefault() throws {
        let session = """
        220 mx.example.com ESMTP
        EHLO c.example.net
        250-mx.example.com
        250 AUTH PLAIN LOGIN
        AUTH PLAIN AGFsaWNlAHMzY3JldDEyMw==
        235 2.7.0 ok
        AUTH LOGIN
        334 VXNlcm5hbWU6
        YWxpY2VAZXhhbXBsZS5jb20=
        334 UGFzc3dvcmQ6
        c3VwZXJzZWNyZXQ=
        235 2.7.0 ok
        QUIT
        221 bye

        """
        for format in ["text", "json", "jsonl"] {
            let r = try BinaryRunner.run(["-", "--format", format], stdin: Data(session.utf8))
            for secret in ["AGFsaWNlAHMzY3JldDEyMw==", "YWxpY2VAZXhhbXBsZS5jb20=", "c3VwZXJzZWNyZXQ="] {
                #expect(!r.stdout.contains(secret), "\(format) leaks \(secret)")
            }
            #expect(r.stdout.contains("[redacted]"))
        }
        let shown = try BinaryRunner.run(["-", "--redact", "none"], stdin: Data(session.utf8))
        #expect(shown.stdout.contains("c3VwZXJzZWNyZXQ="))
    }

    @Test func replyCommandExplainsOneReply() throws {
        let r = try BinaryRunner.run(["reply", "--format", "json", "554 5.7.1 <x@example.org>: Relay access denied"])
        #expect(r.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let first = (doc?["replies"] as? [[String: Any]])?.first
        #expect(first?["code"] as? Int == 554)
        #expect(first?["enhanced"] as? String == "5.7.1")
        #expect(first?["reason"] as? String == "norelaying")
    }

    @Test func helpHasExamples() throws {
        let r = try BinaryRunner.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Examples"))
    }
}

/// Limits are flags with defaults (hostile-input issue).
@Suite struct LimitFlagTests {
    @Test func replyLinesAndLineBytesAreBounded() throws {
        var text = "220 mx.example.com ESMTP\nEHLO c.example.net\n"
        for i in 0..<50 { text += "250-CAP\(i)\n" }
        text += "250 OK\nMAIL FROM:<" + String(repeating: "x", count: 5000) + "@example.net>\n250 ok\nQUIT\n221 bye\n"
        let r = try BinaryRunner.run(["-", "--format", "json", "--max-reply-lines", "5", "--max-line-bytes", "1024"],
                                     stdin: Data(text.utf8))
        #expect(r.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let s = try #require((doc?["sessions"] as? [[String: Any]])?.first)
        let ex = try #require(s["exchanges"] as? [[String: Any]])
        let ehlo = try #require(ex.first { ($0["command"] as? [String: Any])?["verb"] as? String == "EHLO" })
        #expect(((ehlo["reply"] as? [String: Any])?["lines"] as? [Any])?.count == 5)
        let mail = try #require(ex.first { ($0["command"] as? [String: Any])?["verb"] as? String == "MAIL" })
        #expect((((mail["command"] as? [String: Any])?["argument"] as? String)?.utf8.count ?? 0) <= 1024)
    }
}
