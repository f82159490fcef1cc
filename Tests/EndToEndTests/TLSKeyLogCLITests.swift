import Foundation
import Testing

/// `--tls-keylog` on the real Postfix STARTTLS capture (skipped when ../shared is absent).
@Suite struct TLSKeyLogCLITests {
    static let scenario: URL? = {
        let url = BinaryRunner.repo.deletingLastPathComponent()
            .appendingPathComponent("shared/corpus/real-mta/pf-starttls-delivered")
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("capture.pcap").path) ? url : nil
    }()

    @Test func keyLogDecryptsTheDialogueAfterSTARTTLS() throws {
        guard let dir = Self.scenario else { return }
        let capture = dir.appendingPathComponent("capture.pcap").path
        let keyLog = dir.appendingPathComponent("tls-keylog.txt").path
        let r = try BinaryRunner.run(["--tls-keylog", keyLog, capture])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        for line in ["C: STARTTLS", "S: 220 2.0.0 Ready to start TLS", "C: MAIL FROM:<carol@example.net>",
                     "C: RCPT TO:<alice@example.com>", "C: DATA", "S: 250 2.0.0 Ok: queued as A3CD3F7A091",
                     "C: QUIT", "S: 221 2.0.0 Bye", "decrypted with the key log (TLSv1.3, TLS_AES_256_GCM_SHA384"] {
            #expect(r.stdout.contains(line), "missing: \(line)")
        }
        // EHLO twice: before STARTTLS and again inside TLS.
        #expect(r.stdout.components(separatedBy: "C: EHLO client.example.net").count - 1 == 2)
        #expect(r.stdout.contains("Verdict: DELIVERED"))
        #expect(!r.stdout.contains("not visible without the TLS keys"))

        let doc = try BinaryRunner.json(["--tls-keylog", keyLog, capture])
        let session = try #require((doc["sessions"] as? [[String: Any]])?.first)
        #expect(session["outcome"] as? String == "delivered")

        // Without the flag (SSLKEYLOGFILE set or not) the dialogue stays encrypted.
        let plain = try BinaryRunner.run([capture], environment: ["SSLKEYLOGFILE": keyLog])
        #expect(plain.stdout.contains("not visible without the TLS keys"))
        #expect(!plain.stdout.contains("C: MAIL FROM"))
    }

    @Test func badKeyLogsAreReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keylog-cli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = BinaryRunner.repo.appendingPathComponent("samples").path
        let transcript = try #require(FileManager.default.enumerator(atPath: sample)?.allObjects
            .compactMap { $0 as? String }.first { $0.hasSuffix(".txt") })
        let input = sample + "/" + transcript

        let missing = try BinaryRunner.run(["--tls-keylog", dir.appendingPathComponent("none.txt").path, input])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the file"))

        let empty = dir.appendingPathComponent("empty.txt")
        try "# no secrets\nCLIENT_RANDOM 00 11\n".write(to: empty, atomically: true, encoding: .utf8)
        let r = try BinaryRunner.run(["--tls-keylog", empty.path, input])
        #expect(r.status == 2)
        #expect(r.stderr.contains("line 2: the client random must be 64 hex digits"))
        #expect(r.stderr.contains("no TLS secrets found"))

        // A damaged line among good ones is a warning, not an error.
        let mixed = dir.appendingPathComponent("mixed.txt")
        try "CLIENT_RANDOM \(String(repeating: "ab", count: 32)) \(String(repeating: "cd", count: 48))\nCLIENT_TRAFFIC_SECRET_0 xyz\n"
            .write(to: mixed, atomically: true, encoding: .utf8)
        let m = try BinaryRunner.run(["--tls-keylog", mixed.path, input])
        #expect(m.status != 2)
        #expect(m.stderr.contains("line 2: CLIENT_TRAFFIC_SECRET_0 needs 2 fields"))
    }
}
