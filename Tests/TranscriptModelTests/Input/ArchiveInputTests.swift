import Foundation
import Testing
@testable import TranscriptModel

/// A tar of logs, or a zip of several, as attached to a ticket, stands for the files in it: each read as if
/// given on its own, named `archive:member`, whatever tar format and compression made it.
@Suite struct ArchiveInputTests {
    static let sample = repoRoot.appendingPathComponent("samples/archives/mail-logs.tar.gz")
    static let rotated = repoRoot.appendingPathComponent("samples/logs-rotated")

    /// GNU tar's own output, in its default format and in pax, with a member name too long for ustar's
    /// 100 bytes, compressed or not.
    private func tarball(format: String, flags: [String]) throws -> (path: String, dir: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tar-\(UUID().uuidString)")
        let deep = "var/log/" + String(repeating: "very-long-directory-name/", count: 5)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(deep), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.rotated.appendingPathComponent("maillog"), to: dir.appendingPathComponent(deep + "maillog"))
        try FileManager.default.copyItem(at: Self.rotated.appendingPathComponent("maillog.1.gz"),
                                         to: dir.appendingPathComponent(deep + "maillog.1.gz"))
        let out = dir.appendingPathComponent("logs.tar").path
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "--format=\(format)"] + flags + ["-cf", out, "-C", dir.path, "var"]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        return (out, dir)
    }

    @Test(arguments: [("gnu", [String]()), ("pax", []), ("gnu", ["-z"]), ("pax", ["-J"])])
    func membersOfAnyFormat(format: String, flags: [String]) throws {
        let (path, dir) = try tarball(format: format, flags: flags)
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = try #require(try ArchiveInput.extract(path: path, name: "logs.tar"))
        #expect(archive.error == nil)
        let names = archive.files.map(\.name)
        #expect(names.count == 2)
        #expect(names.allSatisfy { $0.hasPrefix("logs.tar:var/log/very-long-directory-name/") })
        #expect(Set(names.map { $0.split(separator: "/").last! }) == ["maillog", "maillog.1.gz"])
        for f in archive.files where f.name.hasSuffix("/maillog") {
            #expect(try Data(contentsOf: URL(fileURLWithPath: f.path)) == Data(contentsOf: Self.rotated.appendingPathComponent("maillog")))
        }
        // The temporary files go with the archive.
        let paths = archive.files.map(\.path)
        _ = consume archive
        #expect(paths.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    }

    /// The rotated log and the current one in the archive merge as when given as files.
    @Test func membersMergeAsFiles() throws {
        let archive = try #require(try ArchiveInput.extract(path: Self.sample.path, name: "mail-logs.tar.gz"))
        #expect(archive.files.map(\.name) == ["mail-logs.tar.gz:var/log/mail.log", "mail-logs.tar.gz:var/log/mail.log.1.gz"])
        var fromArchive: [String] = []
        let result = InputDriver.readMerged(files: archive.files) { fromArchive.append("\($0.input) \($0.outcome)") }
        #expect(result.errors.isEmpty)
        var fromFiles: [String] = []
        _ = InputDriver.readMerged(paths: [Self.rotated.appendingPathComponent("maillog").path,
                                           Self.rotated.appendingPathComponent("maillog.1.gz").path]) {
            fromFiles.append("\($0.input) \($0.outcome)")
        }
        #expect(fromArchive.count == 5)
        #expect(fromArchive.map { $0.split(separator: " ").last! } == fromFiles.map { $0.split(separator: " ").last! })
        #expect(fromArchive.first == "mail-logs.tar.gz:var/log/mail.log.1.gz rejected")
    }

    /// A cut download keeps the files before the cut and says where it broke; anything else is not an archive.
    @Test func cutArchiveKeepsWhatCameBefore() throws {
        let (path, dir) = try tarball(format: "gnu", flags: [])
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let members = try #require(try ArchiveInput.members(name: "t.tar", bytes: Array(whole), maxBytes: 1 << 20))
        #expect(members.files.count == 2 && members.error == nil)
        var damaged = Array(whole)
        // The second file's header (typeflag '0'; directories and long names have their own).
        let files = stride(from: 0, to: damaged.count - 512, by: 512).filter {
            TarReader<MemorySource>.isHeader(damaged[$0..<($0 + 512)]) && damaged[$0 + 156] == 0x30
        }
        #expect(files.count == 2)
        let second = try #require(files.last)
        // Cut in the middle of the second file's data (GNU tar pads the archive, so cutting its end is not enough).
        let cut = try #require(try ArchiveInput.members(name: "t.tar", bytes: Array(whole.prefix(second + 700)), maxBytes: 1 << 20))
        #expect(cut.files.count == 1)
        #expect(cut.error?.message == "tar: archive ends early (truncated file)")
        damaged[second + 10] ^= 0xFF
        let bad = try #require(try ArchiveInput.members(name: "t.tar", bytes: damaged, maxBytes: 1 << 20))
        #expect(bad.error?.message == "tar: damaged header")
        #expect(bad.error?.position?.hasPrefix("byte ") == true)
        // Over the size cap.
        let capped = try #require(try ArchiveInput.members(name: "t.tar", bytes: Array(whole), maxBytes: 1000))
        #expect(capped.error?.message.contains("stopped") == true)
        // Not archives: a log, a gzipped log, a capture.
        for name in ["maillog", "maillog.1.gz"] {
            #expect(try ArchiveInput.members(name: name, bytes: Array(Data(contentsOf: Self.rotated.appendingPathComponent(name))),
                                             maxBytes: 1 << 20) == nil)
        }
    }

    /// Exchange's hourly tracking logs zipped on Windows: merged as the two files are, in time order.
    @Test func zipOfSeveralLogs() throws {
        let path = repoRoot.appendingPathComponent("samples/archives/exchange-message-tracking.zip").path
        let archive = try #require(try ArchiveInput.extract(path: path, name: "t.zip"))
        #expect(archive.error == nil)
        #expect(archive.files.map(\.name) == ["t.zip:MessageTracking/MSGTRK2026112609-1.LOG", "t.zip:MessageTracking/MSGTRK2026112815-1.LOG"])
        var outcomes: [Outcome] = []
        _ = InputDriver.readMerged(files: archive.files) { outcomes.append($0.outcome) }
        var fromFiles: [Outcome] = []
        _ = InputDriver.readMerged(paths: ["exchange-tracking.log", "exchange-tracking-deferred.log"].map {
            repoRoot.appendingPathComponent("samples/logs/" + $0).path
        }) { fromFiles.append($0.outcome) }
        #expect(outcomes == fromFiles)
        #expect(outcomes.count == 5)
        // In memory (the web page): the same files.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let members = try #require(try ArchiveInput.members(name: "t.zip", bytes: bytes, maxBytes: 1 << 20))
        #expect(members.files.map(\.name) == archive.files.map(\.name))
        #expect(members.error == nil)
        // A damaged entry is skipped and named; the other is still there.
        var damaged = bytes
        let localHeader: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        let second = try #require((1..<(bytes.count - 4)).first { (i: Int) -> Bool in
            bytes[i..<(i + 4)].elementsEqual(localHeader)
        })
        damaged[second + 1] = 0
        let partial = try #require(try ArchiveInput.members(name: "t.zip", bytes: damaged, maxBytes: 1 << 20))
        #expect(partial.files.count == 1)
        #expect(partial.error?.message.hasPrefix("zip: damaged entry header for MessageTracking/MSGTRK2026112815-1.LOG") == true)
        // A zip of one file (a DMARC report) is not taken apart: the driver reads it under the zip's name.
        let dmarc = try FileManager.default.contentsOfDirectory(atPath: repoRoot.appendingPathComponent("samples/dmarc").path)
            .filter { $0.hasSuffix(".zip") }
        #expect(!dmarc.isEmpty)
        for name in dmarc {
            #expect(try ArchiveInput.extract(path: repoRoot.appendingPathComponent("samples/dmarc/" + name).path, name: name) == nil)
        }
    }

    /// Sizes and offsets come from the archive: huge ones (zip64 fields near `Int.max`, or past the end)
    /// are errors, not traps.
    @Test func hostileZipSizesAndOffsets() throws {
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        let local: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26)
        func central(_ name: String, zip64Compressed: UInt64) -> [UInt8] {
            let extra = le(1, 2) + le(16, 2) + le(10, 8) + le(zip64Compressed, 8)
            return le(0x0201_4B50, 4) + le(20, 2) + le(45, 2) + le(0, 2) + le(8, 2) + le(0, 4) + le(0, 4)
                + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(UInt64(name.utf8.count), 2) + le(UInt64(extra.count), 2)
                + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) + Array(name.utf8) + extra
        }
        for size in [UInt64(Int.max), UInt64.max, 1 << 40] {
            let directory = central("a.log", zip64Compressed: size) + central("b.log", zip64Compressed: size)
            let end = le(0x0605_4B50, 4) + le(0, 4) + le(2, 2) + le(2, 2) + le(UInt64(directory.count), 4)
                + le(UInt64(local.count), 4) + le(0, 2)
            let members = try #require(try ArchiveInput.members(name: "h.zip", bytes: local + directory + end, maxBytes: 1 << 20))
            #expect(members.files.isEmpty)
            #expect(members.error?.message.contains("lies outside the archive") == true, "\(String(describing: members.error))")
        }
        // A zip64 locator pointing far past the end: not read as a zip of several files.
        let locator = le(0x0706_4B50, 4) + le(0, 4) + le(UInt64.max - 7, 8) + le(1, 4)
        let end = le(0x0605_4B50, 4) + le(0, 4) + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
        #expect(try ArchiveInput.members(name: "h.zip", bytes: local + locator + end, maxBytes: 1 << 20) == nil)
    }

    /// On standard input (no file to take members from) an archive is one clear error.
    @Test func archiveOnStandardInputIsOneError() throws {
        do {
            _ = try InputDriver.read(name: "-", bytes: Array(Data(contentsOf: Self.sample))) { _ in }
            Issue.record("no error")
        } catch let e as InputError {
            #expect(e.message.hasPrefix("a tar archive"), "\(e)")
        }
    }
}
