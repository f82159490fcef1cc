import CPcap
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A capture that could not be read: names the file and, when known, the packet.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public var input: String
    public var packet: Int?
    public var message: String

    public init(input: String, packet: Int? = nil, message: String) {
        self.input = input
        self.packet = packet
        self.message = message
    }

    public var description: String {
        if let packet { return "\(input): packet \(packet): \(message)" }
        return "\(input): \(message)"
    }
}

/// The container format, from the file's first bytes.
enum CaptureContainer: Sendable, Equatable {
    case pcap, pcapng, gzip, unknown

    static func detect(_ p: [UInt8]) -> CaptureContainer {
        guard p.count >= 4 else {
            if p.count >= 2, p[0] == 0x1F, p[1] == 0x8B { return .gzip }
            return .unknown
        }
        let m = (p[0], p[1], p[2], p[3])
        switch m {
        case (0xD4, 0xC3, 0xB2, 0xA1), (0xA1, 0xB2, 0xC3, 0xD4),   // microsecond, both byte orders
             (0x4D, 0x3C, 0xB2, 0xA1), (0xA1, 0xB2, 0x3C, 0x4D),   // nanosecond
             (0x34, 0xCD, 0xB2, 0xA1), (0xA1, 0xB2, 0xCD, 0x34):   // Kuznetzov's modified pcap
            return .pcap
        case (0x0A, 0x0D, 0x0D, 0x0A):
            return .pcapng
        default:
            if p[0] == 0x1F, p[1] == 0x8B { return .gzip }
            return .unknown
        }
    }
}

/// One packet as libpcap hands it over. `data` is only valid until the next call to `next()`.
struct CapturedPacket {
    var number: Int
    var time: Double
    var wireLength: Int
    var data: UnsafeRawBufferPointer
}

/// libpcap offline reader over a file, stdin, or a gzip-compressed capture (decompressed by `gzip -dc`
/// through a pipe, so no zlib dependency and constant memory).
final class PcapSource {
    let input: String
    private var handle: OpaquePointer?
    private var gunzip: Process?
    private var gunzipErrors: Pipe?
    private(set) var linkType: Int32 = 0
    private(set) var container: CaptureContainer = .unknown
    private(set) var packetNumber = 0
    private(set) var live = false
    private var nanoseconds = true
    /// Bytes read from a capture file at a time.
    static let streamBuffer = 1 << 20
    /// The stream's buffer; freed only after the stream is closed.
    private var streamBufferMemory: UnsafeMutableRawPointer?

    init(path: String?, input: String, filter: String?) throws {
        self.input = input
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)

        // Sniff the first bytes ourselves: for the container kind, and so gzip goes through a pipe.
        let fd: Int32
        if let path {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw CaptureError(input: input, message: "cannot open: \(String(cString: strerror(errno)))")
            }
        } else {
            fd = dup(0)
            guard fd >= 0 else { throw CaptureError(input: input, message: "cannot read standard input") }
        }
        guard let file = fdopen(fd, "r") else {
            close(fd)
            throw CaptureError(input: input, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        // Peek one byte: gzip starts with 0x1F, no capture magic does. A file is peeked with pread, so that
        // the stream is untouched and can still be given a large buffer (stdio's own is 4 KB, one read(2)
        // per 4 KB for libpcap, which reads through it); a pipe with getc/ungetc.
        var peek: UInt8 = 0
        let first: Int32
        if pread(fd, &peek, 1, 0) == 1 {
            first = Int32(peek)
            // Not for gzip: its stream is read and closed by the feeder thread, which may outlive `self`.
            if first != 0x1F {
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.streamBuffer, alignment: 16)
                if setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, Self.streamBuffer) == 0 {
                    streamBufferMemory = buffer
                } else {
                    buffer.deallocate()
                }
            }
        } else {
            first = getc(file)
            if first != EOF { ungetc(first, file) }
        }
        if first == EOF {
            fclose(file)
            throw CaptureError(input: input, message: "empty input: not a packet capture")
        }

        let source: UnsafeMutablePointer<FILE>
        if first == 0x1F {
            container = .gzip
            source = try Self.gunzipStream(from: file, owner: self)
        } else {
            source = file
        }
        guard let p = pcap_fopen_offline_with_tstamp_precision(source, precision, &errbuf) else {
            fclose(source)
            let reason = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(input: input, message: "not a readable packet capture (\(reason))")
        }
        handle = p
        linkType = pcap_datalink(p)
        if container != .gzip {
            container = first == 0x0A ? .pcapng : .pcap
        } else {
            container = input.hasSuffix(".pcapng.gz") || input.hasSuffix(".pcapng.gzip") ? .pcapng : .pcap
        }

        try applyFilter(filter)
    }

    /// A live capture on a network interface (needs root or CAP_NET_RAW).
    init(interface: String, filter: String?) throws {
        input = interface
        live = true
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let p = pcap_create(interface, &errbuf) else {
            let reason = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(input: interface, message: "cannot capture on this interface: \(reason)")
        }
        handle = p
        pcap_set_snaplen(p, 262_144)
        pcap_set_promisc(p, 0)
        pcap_set_timeout(p, 250)
        _ = pcap_set_tstamp_precision(p, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let rc = pcap_activate(p)
        if rc < 0 {
            let reason = String(cString: pcap_geterr(p))
            let hint = rc == PCAP_ERROR_PERM_DENIED ? " (run as root or give the binary CAP_NET_RAW)" : ""
            throw CaptureError(input: interface, message: "cannot capture on this interface: \(reason)\(hint)")
        }
        linkType = pcap_datalink(p)
        container = .pcap
        nanoseconds = pcap_get_tstamp_precision(p) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        try applyFilter(filter)
    }

    private func applyFilter(_ filter: String?) throws {
        guard let p = handle, let filter, !filter.isEmpty else { return }
        var program = bpf_program()
        if pcap_compile(p, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            let reason = String(cString: pcap_geterr(p))
            throw CaptureError(input: input, message: "bad --filter expression: \(reason)")
        }
        defer { pcap_freecode(&program) }
        if pcap_setfilter(p, &program) != 0 {
            let reason = String(cString: pcap_geterr(p))
            throw CaptureError(input: input, message: "cannot apply --filter: \(reason)")
        }
    }

    deinit {
        if let handle { pcap_close(handle) }
        if let gunzip, gunzip.isRunning { gunzip.terminate() }
        streamBufferMemory?.deallocate()
    }

    /// `gzip -dc` fed from `file` by a helper thread, read through a pipe.
    private static func gunzipStream(from file: UnsafeMutablePointer<FILE>, owner: PcapSource) throws
        -> UnsafeMutablePointer<FILE> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc"]
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        do { try process.run() } catch {
            fclose(file)
            throw CaptureError(input: owner.input, message: "cannot run gzip to decompress: \(error)")
        }
        owner.gunzip = process
        owner.gunzipErrors = errPipe
        let writeFD = dup(inPipe.fileHandleForWriting.fileDescriptor)
        try? inPipe.fileHandleForWriting.close()
        let fileBits = UInt(bitPattern: file)
        let feeder = Thread {
            guard let f = UnsafeMutablePointer<FILE>(bitPattern: fileBits) else { return }
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
                if n <= 0 { break }
                var off = 0
                var failed = false
                while off < n {
                    let w = buf.withUnsafeBytes { write(writeFD, $0.baseAddress! + off, n - off) }
                    if w <= 0 { failed = true; break }
                    off += w
                }
                if failed { break }
            }
            fclose(f)
            close(writeFD)
        }
        feeder.start()
        let readFD = dup(outPipe.fileHandleForReading.fileDescriptor)
        try? outPipe.fileHandleForReading.close()
        guard let out = fdopen(readFD, "r") else {
            throw CaptureError(input: owner.input, message: "cannot read from gzip")
        }
        return out
    }

    /// The next packet, or nil at the end of the capture. Live: nil also when `idle()` says stop; `idle`
    /// is called about four times a second while no packet comes.
    func next(idle: () -> Bool = { false }) throws -> CapturedPacket? {
        guard let handle else { return nil }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var rc = pcap_next_ex(handle, &header, &data)
        while rc == 0, live {
            if idle() { return nil }
            rc = pcap_next_ex(handle, &header, &data)
        }
        if live, idle() { return nil }
        switch rc {
        case 1:
            packetNumber += 1
            guard let h = header, let d = data else { return try next(idle: idle) }
            let hdr = h.pointee
            let time = Double(hdr.ts.tv_sec) + Double(hdr.ts.tv_usec) / (nanoseconds ? 1e9 : 1e6)
            return CapturedPacket(number: packetNumber, time: time, wireLength: Int(hdr.len),
                             data: UnsafeRawBufferPointer(start: d, count: Int(hdr.caplen)))
        case -2, 0:
            try checkGunzip()
            return nil
        default:
            let reason = String(cString: pcap_geterr(handle))
            try checkGunzip()
            throw CaptureError(input: input, packet: packetNumber + 1, message: "cannot read packet: \(reason)")
        }
    }

    private func checkGunzip() throws {
        guard let gunzip else { return }
        if let h = handle { pcap_close(h); handle = nil }   // closes the pipe so gzip can finish
        gunzip.waitUntilExit()
        if gunzip.terminationStatus != 0 {
            let err = gunzipErrors?.fileHandleForReading.readDataToEndOfFile() ?? Data()
            let text = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            self.gunzip = nil
            throw CaptureError(input: input, packet: packetNumber == 0 ? nil : packetNumber,
                               message: "gzip-compressed capture is damaged" + (text.isEmpty ? "" : " (\(text))"))
        }
        self.gunzip = nil
    }
}
