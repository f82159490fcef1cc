import Foundation
import Testing
@testable import ExplainServer

@Suite("serve: parts")
struct ServeUnitTests {
    @Test func sizesAndDurations() {
        #expect(ServeOptions.parseSize("50MB") == 50_000_000)
        #expect(ServeOptions.parseSize("512k") == 512_000)
        #expect(ServeOptions.parseSize("1GiB") == 1 << 30)
        #expect(ServeOptions.parseSize("1000") == 1000)
        #expect(ServeOptions.parseSize("2 MiB") == 2 << 20)
        #expect(ServeOptions.parseSize("lots") == nil)
        #expect(ServeOptions.parseSize("5XB") == nil)
        #expect(ServeOptions.parseDuration("10s") == 10)
        #expect(ServeOptions.parseDuration("500ms") == 0.5)
        #expect(ServeOptions.parseDuration("2m") == 120)
        #expect(ServeOptions.parseDuration("7") == 7)
        #expect(ServeOptions.parseDuration("soon") == nil)
        #expect(ServeOptions.describe(bytes: 50_000_000) == "50 MB")
    }

    @Test func loopbackAddresses() {
        for h in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"] {
            #expect(ServeOptions.isLoopback(h), "\(h)")
        }
        for h in ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "127.0.0.1.nip.io", "1270.0.0.1"] {
            #expect(!ServeOptions.isLoopback(h), "\(h)")
        }
    }

    @Test func nonLoopbackHostIsWarnedAbout() {
        #expect(ServeOptions(host: "127.0.0.1").exposureWarning == nil)
        #expect(ServeOptions(host: "::1").exposureWarning == nil)
        let w = ServeOptions(host: "0.0.0.0", port: 8025).exposureWarning
        #expect(w?.hasPrefix("WARNING: serving on 0.0.0.0") == true)
        #expect(w?.contains("port 8025") == true)
    }

    @Test func multipartParsing() throws {
        let body = Array(("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"paste\"\r\n\r\nline 1\r\nline 2\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a %22b%22;c.log\"\r\nContent-Type: text/plain\r\n\r\n"
            + "--XyZ is not a boundary here\r\n--XyZ--\r\nepilogue").utf8)
        let parts = try Multipart.parse(body, boundary: "XyZ")
        #expect(parts.count == 2)
        #expect(parts[0].name == "paste")
        #expect(String(decoding: parts[0].body, as: UTF8.self) == "line 1\r\nline 2")
        #expect(parts[1].filename == "a \"b\";c.log")
        #expect(parts[1].contentType == "text/plain")
        #expect(String(decoding: parts[1].body, as: UTF8.self) == "--XyZ is not a boundary here")
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(Multipart.boundary(contentType: "text/plain") == nil)
    }

    @Test func multipartMalformed() {
        let cases = [
            "no boundary at all",
            "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed",
            "--XyZ",
            "--XyZ\r\n" + String(repeating: "H", count: 20_000),
        ]
        for c in cases {
            #expect(throws: MultipartError.self) { try Multipart.parse(Array(c.utf8), boundary: "XyZ") }
        }
        // Too many parts.
        let many = String(repeating: "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n", count: 100) + "--XyZ--"
        #expect(throws: MultipartError.self) { try Multipart.parse(Array(many.utf8), boundary: "XyZ") }
    }

    @Test func urlEncoded() {
        let fields = FormURLEncoded.parse(Array("paste=220+hi%0D%0A%3Cb%3E&x=%zz&empty".utf8))
        #expect(fields.count == 3)
        #expect(fields[0].0 == "paste")
        #expect(String(decoding: fields[0].1, as: UTF8.self) == "220 hi\r\n<b>")
        #expect(String(decoding: fields[1].1, as: UTF8.self) == "%zz")
    }

    @Test func uploadNames() {
        #expect(Submission.uploadName("C:\\logs\\mail.log") == "mail.log")
        #expect(Submission.uploadName("../../etc/passwd") == "passwd")
        #expect(Submission.uploadName("..") == "upload")
        #expect(Submission.uploadName("a\u{1B}[31mb") == "a[31mb")
        #expect(KeepFolder.safe("../x y.log") == "x-y.log")
    }

    @Test func escaping() {
        #expect(Page.escape("<a href=\"x\">&'</a>\u{0}\u{1B}") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(Page.escape("tab\tnew\nline") == "tab\tnew\nline")
    }

    @Test func timeLimitCutsOffSlowWorkButKeepsItsPlace() async throws {
        let gate = ConcurrencyGate(limit: 1)
        // The work waits for the test's word, so it is certainly still running when the limit strikes.
        let go = DispatchSemaphore(value: 0)
        do {
            let held = try #require(gate.tryAcquire())
            _ = try await withTimeLimit(seconds: 0.1) {
                try await onWorker(holding: held) { () -> Int in
                    go.wait()
                    return 1
                }
            }
            Issue.record("expected the time limit")
        } catch is TimeLimitExceeded {}
        // The work is still running: its place is still taken.
        #expect(gate.current == 1)
        #expect(gate.tryAcquire() == nil)
        go.signal()
        for _ in 0..<200 where gate.current > 0 { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(gate.current == 0)
    }

    @Test func workInTimeReturnsItsValue() async throws {
        let gate = ConcurrencyGate(limit: 1)
        let lease = try #require(gate.tryAcquire())
        let v = try await withTimeLimit(seconds: 5) { try await onWorker(holding: lease) { 42 } }
        #expect(v == 42)
    }
}
