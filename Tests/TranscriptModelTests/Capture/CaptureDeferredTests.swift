import Foundation
import Testing
@testable import TranscriptModel

/// The CLI has capture sessions built on worker threads (`DeferredSink`): the reader records what each
/// connection said and the recording is replayed later. A session built that way, or built in place after
/// the recording grew too big, must be the very session a direct build makes.
@Suite("Capture: sessions built later from a recording")
struct CaptureDeferredTests {
    /// Every session of `path`, resolved, each as a full dump of its fields.
    static func dumps(_ path: String, deferred: Bool,
                      options: CaptureOptions = CaptureOptions()) throws -> (dumps: [String], pending: Int) {
        var out: [String] = []
        var pending = 0
        try CaptureReader(input: path, options: options).readWithStatistics(path: path, deferBuilding: deferred) { s in
            if s.isPending { pending += 1 }
            // Dictionaries iterate in an order of their own: attributes are compared sorted.
            var built = s.resolved()
            var d = built.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
            built.attributes = [:]
            dump(built, to: &d)
            out.append(d)
        }
        return (out, pending)
    }

    static func conversation(bodyLines: Int) -> Conversation {
        var c = Conversation()
        c.handshake()
        c.server("220 mx.example.com ESMTP Postfix\r\n", advance: 0.120)
        c.client("EHLO client.example.org\r\n")
        c.server("250-mx.example.com\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250 CHUNKING\r\n")
        c.client("MAIL FROM:<a@example.org>\r\n")
        c.server("250 2.1.0 Ok\r\n")
        c.client("RCPT TO:<b@example.com>\r\n")
        c.server("550 5.1.1 <b@example.com>: Recipient address rejected: User unknown\r\n")
        c.client("RCPT TO:<c@example.com>\r\n")
        c.server("250 2.1.5 Ok\r\n")
        c.client("DATA\r\n")
        c.server("354 End data with <CR><LF>.<CR><LF>\r\n")
        c.client("Subject: hi\r\nFrom: <a@example.org>\r\n\r\n")
        let line = String(repeating: "0123456789", count: 9) + "\r\n"
        var sent = 0
        while sent < bodyLines {
            let n = min(10, bodyLines - sent)
            c.client(String(repeating: line, count: n))
            sent += n
        }
        c.client(".\r\n")
        c.server("250 2.0.0 Ok: queued as ABC123\r\n", advance: 0.050)
        c.client("QUIT\r\n")
        c.server("221 2.0.0 Bye\r\n")
        c.close()
        return c
    }

    @Test func smallSessionIsRecordedAndReplayedTheSame() throws {
        let path = try Self.conversation(bodyLines: 20).writer.writeTemp("deferred-small.pcap")
        defer { PcapWriter.removeTemp(path) }
        let direct = try Self.dumps(path, deferred: false)
        let later = try Self.dumps(path, deferred: true)
        #expect(direct.pending == 0)
        #expect(later.pending == 1)
        #expect(direct.dumps == later.dumps)
        #expect(direct.dumps.first?.contains("XXXXXXXA") == true)
    }

    /// 4,000 body lines are about 370 KB: past the recording cap, so the connection is built in place
    /// from the middle of its message on.
    @Test func longMessageIsBuiltInPlaceTheSame() throws {
        let path = try Self.conversation(bodyLines: 4_000).writer.writeTemp("deferred-long.pcap")
        defer { PcapWriter.removeTemp(path) }
        let direct = try Self.dumps(path, deferred: false)
        let later = try Self.dumps(path, deferred: true)
        #expect(later.pending == 0)
        #expect(direct.dumps.count == 1)
        #expect(direct.dumps == later.dumps)
    }

    /// Under memory pressure (a total budget of 64 KB) a connection gives up its recording and is built
    /// in place: a 92 KB message is recorded past the budget, below the recording's own cap.
    @Test func memoryPressureBuildsInPlaceTheSame() throws {
        let path = try Self.conversation(bodyLines: 1_000).writer.writeTemp("deferred-pressure.pcap")
        defer { PcapWriter.removeTemp(path) }
        let tight = CaptureOptions(totalBuffer: 1 << 16)
        let direct = try Self.dumps(path, deferred: false, options: tight)
        let later = try Self.dumps(path, deferred: true, options: tight)
        #expect(later.pending == 0)
        #expect(direct.dumps.count == 1)
        #expect(direct.dumps == later.dumps)
        // With the default budget the same connection stays a recording.
        #expect(try Self.dumps(path, deferred: true).pending == 1)
    }

    @Test func everyCaptureSampleIsTheSame() throws {
        var dirs = [URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/pcap")]
        if let shared = CaptureTestSupport.sharedDirectory {
            dirs.append(URL(fileURLWithPath: shared).appendingPathComponent("corpus"))
        }
        var files = 0, sessions = 0
        for dir in dirs {
            guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let f as URL in e where ["pcap", "pcapng", "cap"].contains(f.pathExtension) {
                guard let direct = try? Self.dumps(f.path, deferred: false) else { continue }   // unreadable ones fail both ways
                let later = try Self.dumps(f.path, deferred: true)
                #expect(direct.dumps == later.dumps, "\(f.lastPathComponent)")
                files += 1
                sessions += direct.dumps.count
            }
        }
        #expect(files >= 10)
        #expect(sessions >= 20)
    }
}
