import Explainer
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer binary, several targets: `FUZZ_TARGET` names one — `detect` (format detection and whatever
/// reader it picks), a reader's format id (that reader forced), `all-readers` (every reader in turn), `capture`
/// (libpcap and TCP reassembly), `tls` (captures decrypted with a key log), `html` (the HTML reader), `merged`
/// (two logs read as one stream) or `archive` (tar and zip archives taken apart).
/// Each input goes through the whole path: read, rebuild, explain, render text and JSON.
enum Harness {
    nonisolated(unsafe) static var target = "detect"

    static func run(_ bytes: [UInt8]) {
        switch target {
        case "detect":
            explain(bytes, forced: nil)
        case "all-readers":
            for id in FormatDetector.formatIDs { explain(bytes, forced: id) }
        case "capture":
            // Keep mutations inside the pcap/TCP layer: without a capture magic, give the bytes a pcap header.
            explain(hasCaptureMagic(bytes) ? bytes : pcapHeader + bytes, forced: nil)
        case "tls":
            // Captures decrypted with a key log (the real-MTA STARTTLS session's): mutated records, lengths,
            // handshakes and sequence numbers reach the TLS record layer and the decryptor.
            var options = InputOptions()
            options.capture.tlsKeyLog = tlsKeyLog
            explain(hasCaptureMagic(bytes) ? bytes : pcapHeader + bytes, forced: nil, options: options)
        case "merged":
            merged(bytes)
        case "archive":
            archive(bytes)
        case "html":
            // Keep mutations inside the HTML reader (libxml2 and the text it yields).
            explain(HTMLInput.looksLikeHTML(Array(bytes.prefix(512))) ? bytes : Array("<html><body><pre>".utf8) + bytes,
                    forced: nil)
        default:
            explain(bytes, forced: target)
        }
    }

    /// Archives (tar in any compression, zip of several files) taken apart as the web page does, and each
    /// file read. Bytes that are neither become the one file of a tar, so mutations reach the tar reader.
    static func archive(_ bytes: [UInt8]) {
        let isZip = bytes.starts(with: [0x50, 0x4B, 0x03, 0x04])
        let isTar = bytes.count >= 262 && bytes[257..<262].elementsEqual("ustar".utf8)
        let isCompressed = bytes.starts(with: [0x1F, 0x8B]) || bytes.starts(with: [0xFD, 0x37, 0x7A, 0x58])
            || bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) || bytes.starts(with: [0x42, 0x5A, 0x68])
        let input = isZip || isTar || isCompressed ? bytes : tar(bytes)
        guard let members = try? ArchiveInput.members(name: "fuzz.tar", bytes: input, maxBytes: 16 << 20) else { return }
        var sessions: [Session] = []
        for m in members.files {
            _ = try? InputDriver.read(name: m.name, bytes: m.bytes) { sessions.append($0) }
        }
        render(sessions)
    }

    /// A ustar archive of one file.
    static func tar(_ data: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        header.replaceSubrange(0..<8, with: "mail.log".utf8)
        let size = Array(String(String(data.count, radix: 8).reversed()).padding(toLength: 11, withPad: "0", startingAt: 0).reversed())
        header.replaceSubrange(124..<135, with: String(size).utf8)
        header[156] = 0x30
        header.replaceSubrange(257..<265, with: "ustar\u{0}00".utf8)
        let sum = header.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 0x20 : Int($1.element)) }
        let digits = Array(String(String(sum, radix: 8).reversed()).padding(toLength: 6, withPad: "0", startingAt: 0).reversed())
        header.replaceSubrange(148..<154, with: String(digits).utf8)
        header[154] = 0
        header[155] = 0x20
        return header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512 + 1024)
    }

    /// Two logs read merged by time (`InputDriver.readMerged`): the input is cut at its first form feed (else
    /// in the middle) into two files, so the merge, and readers that join another program's file (Postfix or
    /// Exim with Dovecot's), see mutated lines from both.
    static func merged(_ bytes: [UInt8]) {
        let cut = bytes.firstIndex(of: 0x0C) ?? bytes.count / 2
        let parts = [Array(bytes[..<cut]), Array(bytes[min(cut + 1, bytes.count)...])]
        var paths: [String] = []
        for (i, part) in parts.enumerated() {
            let path = mergeDir + "/\(i).log"
            guard let f = fopen(path, "wb") else { return }
            _ = part.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
            paths.append(path)
        }
        var options = InputOptions()
        options.deferBuilding = true
        var sessions: [Session] = []
        _ = InputDriver.readMerged(paths: paths, options: options) { sessions.append($0) }
        render(sessions)
    }

    nonisolated(unsafe) static var mergeDir: String = {
        let dir = "/tmp/smtpexplain-fuzz-merged-\(getpid())"
        mkdir(dir, 0o700)
        return dir
    }()

    /// Little-endian pcap, version 2.4, snaplen 262144, Ethernet.
    static let pcapHeader: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 4, 0, 1, 0, 0, 0]

    static func hasCaptureMagic(_ b: [UInt8]) -> Bool {
        guard b.count >= 4 else { return false }
        let m = Array(b.prefix(4))
        return [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d],
                [0x0a, 0x0d, 0x0d, 0x0a]].contains(m)
    }

    /// `FUZZ_TLS_KEYLOG`, else the real-MTA STARTTLS capture's key log in the shared corpus.
    nonisolated(unsafe) static var tlsKeyLog: TLSKeyLog? = {
        let path = getenv("FUZZ_TLS_KEYLOG").map { String(cString: $0) }
            ?? "../shared/corpus/real-mta/pf-starttls-delivered/tls-keylog.txt"
        return try? TLSKeyLog(contentsOfFile: path)
    }()

    static func explain(_ bytes: [UInt8], forced: String?, options: InputOptions? = nil) {
        var options = options ?? InputOptions()
        options.forcedFormat = forced
        // As the CLI does: costly sessions arrive as placeholders and are built after the reader moved on,
        // then explained, redacted and rendered.
        options.deferBuilding = true
        var sessions: [Session] = []
        _ = try? InputDriver.read(name: "fuzz", bytes: bytes, options: options) { sessions.append($0) }
        render(sessions)
    }

    static func render(_ sessions: [Session]) {
        let explainer = Explainer()
        let text = TextRenderer(color: false)
        let redactor = Redactor(mode: .credentials)
        for s in sessions {
            let x = redactor.apply(explainer.explain(s.resolved()))
            let rendered = text.render(x, number: 1, of: 1) + JSONRenderer.line(x)
            // Terminal safety is part of the contract: a raw ESC in the output is a finding.
            if rendered.utf8.contains(0x1B) { abort() }
            for u in JSONRenderer.line(x).unicodeScalars where u.value < 0x20 { abort() }
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    Harness.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// SwiftPM renames an executable's `main`; this is the symbol it links as the entry point.
@_cdecl("SMTPExplainFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    if let t = getenv("FUZZ_TARGET") { Harness.target = String(cString: t) }
    if Harness.target == "list" {
        print((["detect", "all-readers", "capture", "tls", "html", "merged", "archive"] + FormatDetector.formatIDs).joined(separator: "\n"))
        return 0
    }
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzOneInput(data, size) }
}
