/// The first file of a zip archive, as DMARC reports arrive from Google and others (one XML file per zip):
/// its local header is read here, its data through zlib's raw inflate (`DecompressingSource`, `.deflate`)
/// or as stored. Encrypted entries and other compression methods get a clear error; zip64 sizes are not
/// needed (a deflated entry ends where its stream ends).
enum ZipEntry {
    static func isZip(_ p: [UInt8]) -> Bool {
        p.count >= 4 && p[0] == 0x50 && p[1] == 0x4B && p[2] == 0x03 && p[3] == 0x04
    }

    struct Header {
        var method: Int
        var flags: Int
        var compressedSize: Int
        var name: String
        /// Bytes from the start of the archive to the entry's data.
        var dataOffset: Int
    }

    /// Reads from `first` (and more of `rest` when the header is longer than the first chunk).
    static func header<S: ByteSource>(first: inout [UInt8], rest: inout S, name: String) throws -> Header {
        func u16(_ i: Int) -> Int { Int(first[i]) | Int(first[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        while first.count < 30, let more = try rest.next(name: name) { first += more }
        guard first.count >= 30 else { throw InputError(input: name, position: "byte 0", message: "zip: the archive ends inside its first header") }
        let nameLength = u16(26), extraLength = u16(28)
        let dataOffset = 30 + nameLength + extraLength
        while first.count < dataOffset, let more = try rest.next(name: name) { first += more }
        guard first.count >= dataOffset else { throw InputError(input: name, position: "byte 30", message: "zip: the archive ends inside its first header") }
        let entryName = Bytes.string(first[30..<(30 + nameLength)])
        return Header(method: u16(8), flags: u16(6), compressedSize: u32(18), name: entryName, dataOffset: dataOffset)
    }
}

/// At most `limit` bytes of another source: a stored zip entry.
struct LimitedSource<Inner: ByteSource>: ByteSource {
    var inner: Inner
    var limit: Int
    mutating func next(name: String) throws -> [UInt8]? {
        guard limit > 0, let chunk = try inner.next(name: name) else { return nil }
        if chunk.count <= limit { limit -= chunk.count; return chunk }
        defer { limit = 0 }
        return Array(chunk.prefix(limit))
    }
}
