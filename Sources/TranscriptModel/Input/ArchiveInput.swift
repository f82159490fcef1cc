#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Archives given as inputs: a tar of logs (plain or compressed in any format read), or a zip of several
/// files, stands for the files in it, each read (and merged with its kind) as if given on its own, named
/// `archive:member`. An archive that breaks midway (a cut download) keeps the files before the break, and
/// says where it broke. A zip of one file (a DMARC report) is read as that file, under the zip's name.
public enum ArchiveInput {
    /// Most members taken from one archive.
    public static let maxMembers = 10_000

    /// When the file at `path` is an archive, its files are written to a private temporary directory
    /// (removed when the result goes) and listed with their names; nil for anything else.
    public static func extract(path: String, name: String, options: InputOptions = InputOptions()) throws -> ExtractedArchive? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        var archive: ExtractedArchive?
        var total = 0
        let walked = try walk(FileRandomAccess(fd: fd, size: Int(st.st_size)), name: name, options: options) { member, stream in
            if archive == nil {
                var template = Array("/tmp/smtpexplain-archive-XXXXXX".utf8CString)
                guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
                    throw InputError(input: name, message: "cannot create a temporary directory for the archive")
                }
                archive = ExtractedArchive(directory: String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            guard let archive, let directory = archive.directory else { return }
            // Never the member's own path on disk: a name like `../x` stays a name.
            let file = directory + "/\(archive.written.count)"
            let out = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard out >= 0 else { throw InputError(input: name, message: "cannot write the temporary file for \(member)") }
            archive.written.append(file)
            defer { close(out) }
            try stream { chunk in
                total += chunk.count
                if total > options.maxDecompressedBytes { throw tooLarge(name, options.maxDecompressedBytes) }
                guard chunk.withUnsafeBytes({ InputDriver.writeAll(out, $0) }) else {
                    throw InputError(input: name, message: "cannot write the temporary file for \(member)")
                }
            }
            archive.files.append((name: "\(name):\(member)", path: file))
        }
        guard case .walked(let error) = walked else { return nil }
        let result = archive ?? ExtractedArchive(directory: nil)
        result.error = error ?? (result.files.isEmpty ? InputError(input: name, message: "the archive holds no files") : nil)
        return result
    }

    /// The same for an input in memory (the web page's uploads): its files' names and bytes, at most
    /// `maxBytes` in all, and the error that stopped the archive early; nil when it is not an archive.
    public static func members(name: String, bytes: [UInt8], maxBytes: Int) throws
        -> (files: [(name: String, bytes: [UInt8])], error: InputError?)? {
        var options = InputOptions()
        options.maxDecompressedBytes = maxBytes
        var out: [(name: String, bytes: [UInt8])] = []
        var total = 0
        let walked = try walk(MemoryRandomAccess(bytes: bytes), name: name, options: options) { member, stream in
            var data: [UInt8] = []
            try stream { chunk in
                total += chunk.count
                if total > maxBytes { throw tooLarge(name, maxBytes) }
                data += chunk
            }
            out.append((name: "\(name):\(member)", bytes: data))
        }
        guard case .walked(let error) = walked else { return nil }
        return (out, error ?? (out.isEmpty ? InputError(input: name, message: "the archive holds no files") : nil))
    }

    private static func tooLarge(_ name: String, _ limit: Int) -> InputError {
        InputError(input: name, message: "more than \(limit >> 20) MiB in the archive's files; stopped")
    }

    /// A file of the archive: its name, and a function that hands its data, chunk by chunk, to another.
    typealias Visit = (_ member: String, _ stream: (_ chunk: (ArraySlice<UInt8>) throws -> Void) throws -> Void) throws -> Void

    enum Walk {
        case notArchive
        /// The files were visited; the error that stopped one or all of them, if any.
        case walked(InputError?)
    }

    /// Visits each file of a tar archive, or of a zip archive of several files.
    static func walk<A: RandomAccessInput>(_ access: A, name: String, options: InputOptions, _ visit: Visit) throws -> Walk {
        let head = try access.read(at: 0, count: 4, name: name)
        if ZipEntry.isZip(head) {
            // A damaged or cut zip is read by the driver from its first entry on, as before.
            guard let zip = try? ZipDirectory.read(access, name: name) else { return .notArchive }
            let files = zip.entries.filter { !$0.isDirectory && $0.size > 0 }
            guard files.count > 1 else { return .notArchive }
            var firstError: InputError?
            for (k, entry) in files.enumerated() {
                guard k < maxMembers else {
                    firstError = firstError ?? InputError(input: name, message: "zip: more than \(maxMembers) files; stopped")
                    break
                }
                // Entries stand alone (the directory says where each is): one that cannot be read is skipped.
                do {
                    var source = try ZipDirectory.data(of: entry, in: access, name: name, options: options)
                    try visit(entry.name) { chunk in
                        while let c = try source.next(name: name) { try chunk(c[...]) }
                    }
                } catch let e as InputError {
                    firstError = firstError ?? e
                }
            }
            return .walked(firstError)
        }
        guard let source = try archiveSource(RangeSource(access: access, offset: 0, end: access.size), name: name, options: options) else {
            return .notArchive
        }
        return .walked(each(source, name: name) { member, reader in
            try visit(member.name) { chunk in try reader.data(name: name, chunk) }
        })
    }

    /// The archive's regular, non-empty files in order; the error that stopped it, if one did.
    private static func each(_ source: QueuedSource, name: String,
                             _ body: (TarMember, inout TarReader<QueuedSource>) throws -> Void) -> InputError? {
        var reader = TarReader(source: source)
        var count = 0
        do {
            while let member = try reader.next(name: name) {
                guard member.isFile, member.size > 0 else { continue }
                count += 1
                guard count <= maxMembers else { throw InputError(input: name, message: "tar: more than \(maxMembers) files; stopped") }
                try body(member, &reader)
            }
        } catch let e as InputError {
            return e
        } catch {
            return InputError(input: name, message: "tar: \(error)")
        }
        return nil
    }

    /// The stream of a tar archive, inflated when compressed; nil when the input is not one.
    static func archiveSource<S: ByteSource>(_ source: S, name: String, options: InputOptions) throws -> QueuedSource? {
        var source = source
        guard let first = try source.next(name: name), !first.isEmpty else { return nil }
        var inner: any ByteSource
        if let format = Compression.detect(first) {
            inner = try DecompressingSource(format, inner: source, first: first, name: name, maxOutput: options.maxDecompressedBytes)
        } else {
            inner = PrefixedSource(first: first, rest: source)
        }
        // The first header, read to decide, goes back in front. A compressed input that is not a tar
        // (a rotated log) is only inflated this far.
        var head: [UInt8] = []
        do {
            while head.count < 512, let chunk = try inner.next(name: name) { head += chunk }
        } catch {
            return nil
        }
        guard TarReader<QueuedSource>.isHeader(head) else { return nil }
        return QueuedSource(queued: [head], rest: inner)
    }
}

/// Files taken out of an archive into a private temporary directory, removed with it.
public final class ExtractedArchive: @unchecked Sendable {
    /// The members written in full: display name and temporary file.
    public fileprivate(set) var files: [(name: String, path: String)] = []
    /// What stopped the archive or one of its files (the others are still there); also an archive with no
    /// file in it.
    public fileprivate(set) var error: InputError?
    fileprivate var written: [String] = []
    let directory: String?

    init(directory: String?) { self.directory = directory }

    deinit {
        for f in written { unlink(f) }
        if let directory { rmdir(directory) }
    }
}
