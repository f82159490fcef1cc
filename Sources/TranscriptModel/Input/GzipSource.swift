import CZlib

/// Decompresses a gzip stream (also several concatenated members, as `cat a.gz b.gz` or logrotate make)
/// chunk by chunk from another `ByteSource`, so a rotated `mail.log.2.gz` streams like a plain file.
///
/// Gzip bombs: the output is capped. `maxOutput` (default 64 GiB) bounds the total; and once more than
/// 256 MiB came out, a ratio above `maxRatio` (default 250:1; text logs compress 5-30:1, deflate's
/// ceiling is about 1030:1) stops with a clear error. Memory is constant either way (one input chunk and
/// one output chunk).
struct GzipSource<Inner: ByteSource>: ByteSource {
    var inner: Inner
    var maxOutput: Int
    var maxRatio: Int
    let outChunk: Int
    /// zlib keeps a pointer back to its z_stream, so it lives at a fixed address.
    private let z = ZStream()
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var innerDone = false
    private var finished = false
    private var memberEnded = false
    private(set) var totalIn = 0
    private(set) var totalOut = 0

    static var magic: [UInt8] { [0x1F, 0x8B] }

    /// The first bytes of an input are a gzip header.
    static func isGzip(_ prefix: [UInt8]) -> Bool { prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B }

    /// zlib's window bits: 15 + 32 reads a zlib or gzip header; -15 is raw deflate (a zip entry).
    let windowBits: Int32
    /// Stop after the first deflate stream (a zip entry, followed by the archive's directory).
    let singleMember: Bool

    init(inner: Inner, maxOutput: Int = 64 << 30, maxRatio: Int = 250, outChunk: Int = 1 << 20,
         windowBits: Int32 = 15 + 32, singleMember: Bool = false) {
        self.inner = inner
        self.maxOutput = maxOutput
        self.maxRatio = maxRatio
        self.outChunk = outChunk
        self.windowBits = windowBits
        self.singleMember = singleMember
    }

    /// Feed already-read bytes first (the driver read them to look at the magic number).
    mutating func prepend(_ bytes: [UInt8]) {
        pending = bytes + pending[pendingOffset...]
        pendingOffset = 0
        totalIn += bytes.count
    }

    mutating func next(name: String) throws -> [UInt8]? {
        if finished { return nil }
        if !z.initialised {
            // windowBits 15 + 32: zlib or gzip header, detected automatically.
            let rc = inflateInit2_(z.p, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { throw InputError(input: name, message: "gzip: cannot initialise zlib (\(rc))") }
            z.initialised = true
        }
        var out = [UInt8](repeating: 0, count: outChunk)
        var produced = 0
        while produced == 0 {
            if memberEnded && singleMember {
                finished = true
                end()
                return nil
            }
            if pendingOffset >= pending.count {
                if innerDone {
                    if !memberEnded && totalIn > 0 {
                        finished = true
                        end()
                        throw InputError(input: name, position: "byte \(totalIn)", message: "gzip: compressed data ends early (truncated file)")
                    }
                    finished = true
                    end()
                    return nil
                }
                if let chunk = try inner.next(name: name) {
                    pending = chunk
                    pendingOffset = 0
                    totalIn += chunk.count
                } else {
                    innerDone = true
                    continue
                }
            }
            if memberEnded {
                // Another gzip member follows (or trailing garbage: zero bytes are padding, anything else is an error).
                while pendingOffset < pending.count, pending[pendingOffset] == 0 { pendingOffset += 1 }
                if pendingOffset >= pending.count { continue }
                guard inflateReset(z.p) == Z_OK else { throw InputError(input: name, message: "gzip: cannot reset zlib") }
                memberEnded = false
            }
            let availIn = pending.count - pendingOffset
            var rc: Int32 = Z_OK
            var consumed = 0
            let offset = pendingOffset
            let room = outChunk - produced
            let strm = z.p
            pending.withUnsafeMutableBufferPointer { inBuf in
                out.withUnsafeMutableBufferPointer { outBuf in
                    strm.pointee.next_in = inBuf.baseAddress! + offset
                    strm.pointee.avail_in = UInt32(availIn)
                    strm.pointee.next_out = outBuf.baseAddress! + produced
                    strm.pointee.avail_out = UInt32(room)
                    rc = inflate(strm, Z_NO_FLUSH)
                    consumed = availIn - Int(strm.pointee.avail_in)
                    produced += room - Int(strm.pointee.avail_out)
                }
            }
            pendingOffset += consumed
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                if rc == Z_BUF_ERROR && consumed == 0 && produced == 0 && pendingOffset < pending.count {
                    throw InputError(input: name, position: "byte \(totalIn - (pending.count - pendingOffset))", message: "gzip: corrupt data")
                }
            case Z_STREAM_END:
                memberEnded = true
            default:
                let msg = z.p.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                finished = true
                end()
                throw InputError(input: name, position: "byte \(totalIn - (pending.count - pendingOffset))", message: "gzip: \(msg)")
            }
            if produced == 0 && innerDone && pendingOffset >= pending.count && memberEnded {
                finished = true
                end()
                return nil
            }
        }
        totalOut += produced
        if totalOut > maxOutput {
            finished = true; end()
            throw InputError(input: name, message: "gzip: more than \(maxOutput >> 30) GiB decompressed; stopped (gzip bomb?)")
        }
        if totalOut > 256 << 20, totalIn > 0, totalOut / totalIn > maxRatio {
            finished = true; end()
            throw InputError(input: name, message: "gzip: expands more than \(maxRatio):1; stopped (gzip bomb?)")
        }
        out.removeSubrange(produced...)
        return out
    }

    private mutating func end() { z.end() }
}

final class ZStream {
    let p = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    var initialised = false
    init() { p.initialize(to: z_stream()) }
    func end() {
        if initialised { inflateEnd(p); initialised = false }
    }
    deinit {
        end()
        p.deinitialize(count: 1)
        p.deallocate()
    }
}

/// Decompress a whole gzip buffer (tests, the web page), with the same limits.
enum Gzip {
    static func decompress(_ bytes: [UInt8], name: String = "-", maxOutput: Int = 1 << 30) throws -> [UInt8] {
        var src = GzipSource(inner: MemorySource(bytes: bytes), maxOutput: maxOutput)
        var out: [UInt8] = []
        while let c = try src.next(name: name) { out += c }
        return out
    }
}
