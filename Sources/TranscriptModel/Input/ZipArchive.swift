#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input read at any offset: a file (pread) or bytes in memory. A zip archive's directory is at its end.
protocol RandomAccessInput {
    var size: Int { get }
    func read(at offset: Int, count: Int, name: String) throws -> [UInt8]
}

struct FileRandomAccess: RandomAccessInput {
    let fd: Int32
    let size: Int

    func read(at offset: Int, count: Int, name: String) throws -> [UInt8] {
        // Offsets come from the archive itself: anything outside the file reads nothing.
        guard offset >= 0, offset <= size else { return [] }
        let count = max(0, min(count, size - offset))
        var n = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buf, done in
            while n < count {
                let r = pread(fd, buf.baseAddress! + n, count - n, off_t(offset + n))
                if r < 0, errno == EINTR { continue }
                if r <= 0 { break }
                n += r
            }
            done = n
        }
        guard n == count else { throw InputError(input: name, position: "byte \(offset + n)", message: "read error") }
        return bytes
    }
}

struct MemoryRandomAccess: RandomAccessInput {
    let bytes: [UInt8]
    var size: Int { bytes.count }
    func read(at offset: Int, count: Int, name: String) throws -> [UInt8] {
        guard offset >= 0, offset <= bytes.count else { return [] }
        return Array(bytes[offset..<(offset + max(0, min(count, bytes.count - offset)))])
    }
}

/// `length` bytes from `offset`, chunk by chunk.
struct RangeSource<Access: RandomAccessInput>: ByteSource {
    let access: Access
    var offset: Int
    let end: Int
    let chunk = 256 << 10
    mutating func next(name: String) throws -> [UInt8]? {
        guard offset < end else { return nil }
        let bytes = try access.read(at: offset, count: min(chunk, end - offset), name: name)
        guard !bytes.isEmpty else { throw InputError(input: name, position: "byte \(offset)", message: "zip: the archive ends early (truncated file)") }
        offset += bytes.count
        return bytes
    }
}

/// A zip archive's central directory (at its end): every entry with its sizes and where its data is. Logs
/// zipped on Windows ("Send to > Compressed folder", Exchange's `MSGTRK*.LOG` files) arrive this way.
/// Zip64 archives (over 4 GiB or 65,535 entries) are read too.
struct ZipDirectory {
    struct Entry {
        var name: String
        var method: Int
        var flags: Int
        var compressedSize: Int
        var size: Int
        var localHeader: Int

        var isDirectory: Bool { name.hasSuffix("/") }
        var isEncrypted: Bool { flags & 1 != 0 }
    }

    var entries: [Entry] = []

    /// The directory, nil when the input has none (not a zip, or one cut before its end).
    static func read(_ access: some RandomAccessInput, name: String) throws -> ZipDirectory? {
        let tail = min(access.size, 22 + 0xFFFF)
        let end = try access.read(at: access.size - tail, count: tail, name: name)
        // The end record: its signature, searched from the end (a comment may follow it).
        guard end.count >= 22, let at = stride(from: end.count - 22, through: 0, by: -1).first(where: {
            end[$0] == 0x50 && end[$0 + 1] == 0x4B && end[$0 + 2] == 0x05 && end[$0 + 3] == 0x06
        }) else { return nil }
        var count = u16(end, at + 10)
        var directorySize = u32(end, at + 12)
        var directoryOffset = u32(end, at + 16)
        let endOffset = access.size - tail + at
        if directoryOffset == 0xFFFF_FFFF || count == 0xFFFF, endOffset >= 20 {
            // Zip64: a locator just before the end record points to the zip64 end record.
            let locator = try access.read(at: endOffset - 20, count: 20, name: name)
            if locator.count == 20, u32(locator, 0) == 0x0706_4B50 {
                let record = try access.read(at: u64(locator, 8), count: 56, name: name)
                guard record.count == 56, u32(record, 0) == 0x0606_4B50 else {
                    throw InputError(input: name, position: "byte \(u64(locator, 8))", message: "zip: damaged zip64 directory record")
                }
                count = u64(record, 32)
                directorySize = u64(record, 40)
                directoryOffset = u64(record, 48)
            }
        }
        guard directoryOffset >= 0, directorySize >= 0, directorySize < 64 << 20,
              directoryOffset <= access.size - directorySize else {
            throw InputError(input: name, position: "byte \(endOffset)", message: "zip: the directory lies outside the archive (damaged or cut file)")
        }
        let directory = try access.read(at: directoryOffset, count: directorySize, name: name)
        var zip = ZipDirectory()
        var i = 0
        while zip.entries.count < count, i + 46 <= directory.count {
            guard u32(directory, i) == 0x0201_4B50 else {
                throw InputError(input: name, position: "byte \(directoryOffset + i)", message: "zip: damaged directory")
            }
            let nameLength = u16(directory, i + 28), extraLength = u16(directory, i + 30), commentLength = u16(directory, i + 32)
            guard i + 46 + nameLength + extraLength <= directory.count else { break }
            var entry = Entry(name: Bytes.string(directory[(i + 46)..<(i + 46 + nameLength)]), method: u16(directory, i + 10),
                              flags: u16(directory, i + 8), compressedSize: u32(directory, i + 20), size: u32(directory, i + 24),
                              localHeader: u32(directory, i + 42))
            // Zip64 sizes and offset, in this order, for the fields that say 0xFFFFFFFF.
            var e = i + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(directory, e), length = u16(directory, e + 2)
                if id == 1 {
                    var f = e + 4
                    for field in [\Entry.size, \Entry.compressedSize, \Entry.localHeader] where entry[keyPath: field] == 0xFFFF_FFFF {
                        guard f + 8 <= e + 4 + length, f + 8 <= extraEnd else { break }
                        entry[keyPath: field] = u64(directory, f)
                        f += 8
                    }
                }
                e += 4 + length
            }
            zip.entries.append(entry)
            i += 46 + nameLength + extraLength + commentLength
        }
        return zip
    }

    /// An entry's data, decompressed: stored, deflated, or bzip2 / zstd / xz (methods 12, 93, 95).
    static func data<Access: RandomAccessInput>(of entry: Entry, in access: Access, name: String,
                                                options: InputOptions) throws -> any ByteSource {
        guard !entry.isEncrypted else { throw InputError(input: name, message: "zip: \(entry.name) is encrypted; unzip it first") }
        let local = try access.read(at: entry.localHeader, count: 30, name: name)
        guard local.count == 30, u32(local, 0) == 0x0403_4B50 else {
            throw InputError(input: name, position: "byte \(entry.localHeader)", message: "zip: damaged entry header for \(entry.name)")
        }
        let start = entry.localHeader + 30 + u16(local, 26) + u16(local, 28)
        guard entry.compressedSize >= 0, entry.compressedSize <= access.size - start else {
            throw InputError(input: name, position: "byte \(start)", message: "zip: \(entry.name) lies outside the archive (damaged or cut file)")
        }
        let raw = RangeSource(access: access, offset: start, end: start + entry.compressedSize)
        switch entry.method {
        case 0: return raw
        case 8: return try DecompressingSource(.deflate, inner: raw, first: [], name: name, maxOutput: options.maxDecompressedBytes,
                                               singleStream: true)
        case 12, 93, 95:
            var head = raw
            let first = try head.next(name: name) ?? []
            guard let format = Compression.detect(first) else {
                throw InputError(input: name, position: "byte \(start)", message: "zip: \(entry.name): damaged data")
            }
            return try DecompressingSource(format, inner: head, first: first, name: name, maxOutput: options.maxDecompressedBytes)
        default:
            throw InputError(input: name, message: "zip: \(entry.name) uses compression method \(entry.method), which is not read; unzip it first")
        }
    }

    private static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }
    private static func u64(_ b: [UInt8], _ i: Int) -> Int { Int(truncatingIfNeeded: UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32) }
}
