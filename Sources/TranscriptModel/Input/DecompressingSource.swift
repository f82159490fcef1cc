import CDecompress
import CZlib

/// The compressed formats rotated logs, archives and attached captures come in: gzip (logrotate's default),
/// and what its `compresscmd` is commonly set to besides (xz, zstd, bzip2), recognised by their magic
/// numbers; and raw deflate, a zip entry's data (no magic of its own).
enum Compression: String, Sendable, CaseIterable {
    case gzip, xz, zstd, bzip2, deflate

    static func detect(_ p: [UInt8]) -> Compression? {
        if p.starts(with: [0x1F, 0x8B]) { return .gzip }
        if p.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if p.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        // "BZh" and the block size, 1 to 9.
        if p.count >= 4, p.starts(with: [0x42, 0x5A, 0x68]), (0x31...0x39).contains(p[3]) { return .bzip2 }
        return nil
    }

    func decoder() throws -> any StreamDecoder {
        switch self {
        // Window bits 15 + 32: a zlib or gzip header, told apart by zlib; -15: raw deflate.
        case .gzip: try ZlibDecoder(windowBits: 15 + 32)
        case .deflate: try ZlibDecoder(windowBits: -15)
        case .xz: try XZDecoder()
        case .zstd: try ZstdDecoder()
        case .bzip2: try Bzip2Decoder()
        }
    }
}

/// What one step of a decoder did.
struct DecodeStep {
    var consumed: Int
    var produced: Int
    /// A whole stream (frame) ended here; another may follow.
    var streamEnded: Bool
}

/// A streaming decoder over one C library. A class: the library keeps pointers to its state.
protocol StreamDecoder: AnyObject {
    /// Decode what fits; throws `DecodeError`, the library's reason, on corrupt data.
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep
    /// Start over for the next concatenated stream (throws `DecodeError`).
    func reset() throws
}

struct DecodeError: Error { var reason: String }

/// Decompresses another source chunk by chunk (several concatenated streams too, as `cat a.gz b.gz` or
/// logrotate make), so `mail.log.2.gz` streams like a plain file. Bombs are capped: `maxOutput` in all, and
/// past 256 MiB out, no more than `maxRatio` times what came in (text logs compress 5-30:1; deflate's
/// ceiling is about 1030:1). Memory is one input chunk, one output chunk and the decoder's window (xz's is
/// capped at `XZDecoder.memoryLimit`).
struct DecompressingSource<Inner: ByteSource>: ByteSource {
    let format: Compression
    var inner: Inner
    let decoder: any StreamDecoder
    let maxOutput: Int
    let maxRatio: Int
    let outChunk: Int
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var innerDone = false
    private var finished = false
    /// Input of a stream was taken and its end not yet seen.
    private var midStream = false
    private var betweenStreams = false
    /// The last step filled the output: the decoder may hold more without needing input.
    private var outputFull = false
    private(set) var totalIn = 0
    private(set) var totalOut = 0

    /// Stop after the first stream: a zip entry, followed by the rest of the archive.
    let singleStream: Bool

    /// `first`: bytes already read from `inner` (to look at the magic number).
    init(_ format: Compression, inner: Inner, first: [UInt8], name: String, maxOutput: Int = 64 << 30,
         maxRatio: Int = 250, outChunk: Int = 1 << 20, singleStream: Bool = false) throws {
        self.format = format
        self.singleStream = singleStream
        self.inner = inner
        do { decoder = try format.decoder() } catch let e as DecodeError {
            throw InputError(input: name, message: "\(format.rawValue): \(e.reason)")
        }
        self.maxOutput = maxOutput
        self.maxRatio = maxRatio
        self.outChunk = outChunk
        pending = first
        totalIn = first.count
    }

    mutating func next(name: String) throws -> [UInt8]? {
        if finished { return nil }
        var out = [UInt8](repeating: 0, count: outChunk)
        var produced = 0
        while produced == 0 {
            if pendingOffset >= pending.count, !outputFull {
                if innerDone {
                    finished = true
                    if midStream {
                        throw InputError(input: name, position: "byte \(totalIn)", message: "\(format.rawValue): compressed data ends early (truncated file)")
                    }
                    return nil
                }
                if let chunk = try inner.next(name: name) {
                    pending = chunk
                    pendingOffset = 0
                    totalIn += chunk.count
                } else {
                    innerDone = true
                }
                continue
            }
            if betweenStreams, singleStream {
                finished = true
                break
            }
            if betweenStreams {
                // Another stream follows, or padding (xz allows zero bytes between streams).
                while pendingOffset < pending.count, pending[pendingOffset] == 0 { pendingOffset += 1 }
                if pendingOffset >= pending.count { continue }
                do { try decoder.reset() } catch let e as DecodeError { throw failure(name, e) }
                betweenStreams = false
            }
            let offset = pendingOffset
            let room = outChunk - produced
            let start = produced
            let step: DecodeStep
            do {
                step = try pending.withUnsafeBytes { inBuf in
                    try out.withUnsafeMutableBytes { outBuf in
                        try decoder.decode(UnsafeRawBufferPointer(rebasing: inBuf[offset...]),
                                           into: UnsafeMutableRawBufferPointer(rebasing: outBuf[start...]))
                    }
                }
            } catch let e as DecodeError {
                finished = true
                throw failure(name, e)
            }
            pendingOffset += step.consumed
            produced += step.produced
            outputFull = step.produced == room
            if step.consumed > 0 || step.produced > 0 { midStream = true }
            if step.streamEnded {
                midStream = false
                betweenStreams = true
                outputFull = false
            } else if step.consumed == 0, step.produced == 0, pendingOffset < pending.count {
                finished = true
                throw InputError(input: name, position: "byte \(totalIn - (pending.count - pendingOffset))", message: "\(format.rawValue): corrupt data")
            }
        }
        if produced == 0 { return nil }
        totalOut += produced
        if totalOut > maxOutput {
            finished = true
            throw InputError(input: name, message: "\(format.rawValue): more than \(maxOutput >> 30) GiB decompressed; stopped (decompression bomb?)")
        }
        if totalOut > 256 << 20, totalIn > 0, totalOut / totalIn > maxRatio {
            finished = true
            throw InputError(input: name, message: "\(format.rawValue): expands more than \(maxRatio):1; stopped (decompression bomb?)")
        }
        out.removeSubrange(produced...)
        return out
    }

    private func failure(_ name: String, _ error: DecodeError) -> InputError {
        InputError(input: name, position: "byte \(totalIn - (pending.count - pendingOffset))", message: "\(format.rawValue): \(error.reason)")
    }
}

/// gzip members, zlib streams and raw deflate (zlib).
final class ZlibDecoder: StreamDecoder {
    private let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init(windowBits: Int32) throws {
        z.initialize(to: z_stream())
        let rc = inflateInit2_(z, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw DecodeError(reason: "cannot initialise zlib (\(rc))") }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        z.pointee.avail_in = UInt32(input.count)
        z.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        z.pointee.avail_out = UInt32(output.count)
        let rc = inflate(z, Z_NO_FLUSH)
        let step = DecodeStep(consumed: input.count - Int(z.pointee.avail_in), produced: output.count - Int(z.pointee.avail_out),
                              streamEnded: rc == Z_STREAM_END)
        switch rc {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR: return step
        default: throw DecodeError(reason: z.pointee.msg.map { String(cString: $0) } ?? "error \(rc)")
        }
    }

    func reset() throws {
        guard inflateReset(z) == Z_OK else { throw DecodeError(reason: "cannot reset zlib") }
    }

    deinit {
        inflateEnd(z)
        z.deinitialize(count: 1)
        z.deallocate()
    }
}

/// xz (liblzma), one stream at a time.
final class XZDecoder: StreamDecoder {
    /// xz -9 needs 65 MiB; a header asking for more is refused rather than honoured.
    static let memoryLimit: UInt64 = 256 << 20
    private let s = UnsafeMutablePointer<lzma_stream>.allocate(capacity: 1)

    init() throws {
        s.initialize(to: lzma_stream())
        try start()
    }

    private func start() throws {
        let rc = lzma_stream_decoder(s, Self.memoryLimit, 0)
        guard rc == LZMA_OK else { throw DecodeError(reason: "cannot initialise liblzma (\(rc.rawValue))") }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        s.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        s.pointee.avail_in = input.count
        s.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        s.pointee.avail_out = output.count
        let rc = lzma_code(s, LZMA_RUN)
        let step = DecodeStep(consumed: input.count - s.pointee.avail_in, produced: output.count - s.pointee.avail_out,
                              streamEnded: rc == LZMA_STREAM_END)
        switch rc {
        case LZMA_OK, LZMA_STREAM_END, LZMA_BUF_ERROR: return step
        case LZMA_MEMLIMIT_ERROR: throw DecodeError(reason: "the stream asks for more than \(Self.memoryLimit >> 20) MiB to decode; refused")
        case LZMA_FORMAT_ERROR: throw DecodeError(reason: "not an xz stream")
        case LZMA_OPTIONS_ERROR: throw DecodeError(reason: "unsupported options (written by a newer xz?)")
        case LZMA_DATA_ERROR, LZMA_UNSUPPORTED_CHECK: throw DecodeError(reason: "corrupt data")
        default: throw DecodeError(reason: "error \(rc.rawValue)")
        }
    }

    func reset() throws { try start() }

    deinit {
        lzma_end(s)
        s.deinitialize(count: 1)
        s.deallocate()
    }
}

/// Zstandard (libzstd): frames follow one another in one context.
final class ZstdDecoder: StreamDecoder {
    private let d: OpaquePointer

    init() throws {
        guard let d = ZSTD_createDStream() else { throw DecodeError(reason: "cannot initialise libzstd") }
        self.d = d
        // The default window limit (128 MiB, `--long=27`) bounds memory; a frame asking for more is refused.
        _ = ZSTD_initDStream(d)
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuf = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let rc = ZSTD_decompressStream(d, &outBuf, &inBuf)
        if ZSTD_isError(rc) != 0 {
            throw DecodeError(reason: String(cString: ZSTD_getErrorName(rc)).lowercased())
        }
        // 0: a frame was decoded and flushed in full.
        return DecodeStep(consumed: inBuf.pos, produced: outBuf.pos, streamEnded: rc == 0)
    }

    /// The next frame starts in the same context.
    func reset() {}

    deinit { ZSTD_freeDStream(d) }
}

/// bzip2 (libbz2), one stream at a time (`pbzip2` and `cat` make several).
final class Bzip2Decoder: StreamDecoder {
    private let s = UnsafeMutablePointer<bz_stream>.allocate(capacity: 1)
    private var open = false

    init() throws {
        s.initialize(to: bz_stream())
        try start()
    }

    private func start() throws {
        if open { BZ2_bzDecompressEnd(s); open = false }
        let rc = BZ2_bzDecompressInit(s, 0, 0)
        guard rc == BZ_OK else { throw DecodeError(reason: "cannot initialise libbz2 (\(rc))") }
        open = true
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        s.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self))
        s.pointee.avail_in = UInt32(input.count)
        s.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: CChar.self)
        s.pointee.avail_out = UInt32(output.count)
        let rc = BZ2_bzDecompress(s)
        let step = DecodeStep(consumed: input.count - Int(s.pointee.avail_in), produced: output.count - Int(s.pointee.avail_out),
                              streamEnded: rc == BZ_STREAM_END)
        switch rc {
        case BZ_OK, BZ_STREAM_END: return step
        case BZ_DATA_ERROR_MAGIC: throw DecodeError(reason: "not a bzip2 stream")
        case BZ_DATA_ERROR: throw DecodeError(reason: "corrupt data")
        case BZ_MEM_ERROR: throw DecodeError(reason: "out of memory")
        default: throw DecodeError(reason: "error \(rc)")
        }
    }

    func reset() throws { try start() }

    deinit {
        if open { BZ2_bzDecompressEnd(s) }
        s.deinitialize(count: 1)
        s.deallocate()
    }
}

/// Decompress a whole buffer (tests, the web page), with the same limits.
enum Gzip {
    static func decompress(_ bytes: [UInt8], name: String = "-", maxOutput: Int = 1 << 30) throws -> [UInt8] {
        var src = try DecompressingSource(.gzip, inner: MemorySource(bytes: []), first: bytes, name: name, maxOutput: maxOutput)
        var out: [UInt8] = []
        while let c = try src.next(name: name) { out += c }
        return out
    }
}
