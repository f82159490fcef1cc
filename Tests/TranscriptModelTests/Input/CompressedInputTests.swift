import Foundation
import Testing
@testable import TranscriptModel

/// Rotated logs compressed the other ways logrotate's `compresscmd` is set to (xz, zstd, bzip2) read as the
/// gzip one does: the same bytes, merged with the current log, several streams one after another, and a
/// cut or damaged file is one error naming the format.
@Suite struct CompressedInputTests {
    static let dir = repoRoot.appendingPathComponent("samples/logs-rotated")

    private func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: Self.dir.appendingPathComponent(name))) }

    private func decompress(_ data: [UInt8], maxOutput: Int = 1 << 30) throws -> [UInt8] {
        let format = try #require(Compression.detect(data))
        var source = try DecompressingSource(format, inner: MemorySource(bytes: [], chunk: 1), first: data, name: "t",
                                             maxOutput: maxOutput, outChunk: 64)
        var out: [UInt8] = []
        while let c = try source.next(name: "t") { out += c }
        return out
    }

    @Test(arguments: [("xz", Compression.xz), ("zst", .zstd), ("bz2", .bzip2)])
    func sameBytesAsTheGzipRotation(suffix: String, format: Compression) throws {
        let data = try bytes("maillog.1.\(suffix)")
        #expect(Compression.detect(data) == format)
        let plain = try Gzip.decompress(bytes("maillog.1.gz"))
        #expect(try decompress(data) == plain)
        // Two streams one after the other (`cat a.xz b.xz`), as one.
        #expect(try decompress(data + data) == plain + plain)
    }

    @Test(arguments: ["xz", "zst", "bz2"])
    func mergesWithTheCurrentLog(suffix: String) throws {
        func stories(_ older: String) -> [String] {
            var out: [String] = []
            let paths = [Self.dir.appendingPathComponent("maillog").path, Self.dir.appendingPathComponent(older).path]
            let result = InputDriver.readMerged(paths: paths) { s in
                out.append("\(s.outcome) \(s.failedStage) \(s.start?.line ?? 0)")
            }
            #expect(result.errors.isEmpty)
            return out
        }
        let gz = stories("maillog.1.gz")
        // The session cut at midnight told once (rejected), the message's three attempts, the inbound one.
        #expect(gz.count == 5)
        #expect(gz.first?.hasPrefix("rejected ") == true, "\(gz)")
        #expect(stories("maillog.1.\(suffix)") == gz)
    }

    @Test(arguments: ["xz", "zst", "bz2"])
    func cutFileIsOneError(suffix: String) throws {
        let data = try bytes("maillog.1.\(suffix)")
        do {
            _ = try decompress(Array(data.prefix(data.count / 2)))
            Issue.record("no error")
        } catch let e as InputError {
            #expect(e.message.hasSuffix("compressed data ends early (truncated file)"), "\(e)")
        }
        var damaged = data
        for i in stride(from: 20, to: damaged.count - 20, by: 7) { damaged[i] ^= 0x5A }
        do {
            _ = try decompress(damaged)
            Issue.record("no error")
        } catch let e as InputError {
            #expect(e.position?.hasPrefix("byte ") == true)
            #expect(e.message.hasPrefix(Compression.detect(data)!.rawValue + ": "), "\(e)")
        }
    }

    /// Decompression bombs stop at the cap.
    @Test func outputIsCapped() throws {
        do {
            _ = try decompress(try bytes("maillog.1.zst"), maxOutput: 100)
            Issue.record("no error")
        } catch let e as InputError {
            #expect(e.message.contains("stopped (decompression bomb?)"))
        }
    }

    /// The whole driver: a compressed log on its own, and compressed data that is not a log.
    @Test func driverReadsEachFormat() throws {
        for suffix in ["xz", "zst", "bz2"] {
            var sessions: [Session] = []
            let info = try InputDriver.read(path: Self.dir.appendingPathComponent("maillog.1.\(suffix)").path) { sessions.append($0) }
            #expect(info.format == "postfix-log")
            #expect(info.lines == 7)
            #expect(sessions.map(\.outcome) == [.deferred, .delivered, .rejected])
        }
    }
}
