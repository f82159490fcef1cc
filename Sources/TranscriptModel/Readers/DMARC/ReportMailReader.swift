import Foundation

/// The email a DMARC aggregate report or an SMTP TLS report arrives in (RFC 7489 §7.2.1.1, RFC 8460 §5.3),
/// saved as it is (`.eml`, "Show original", an mbox of them): the report is a base64 attachment (a zip,
/// gzip, XML or JSON file). Its subject says `Report Domain: ... Submitter: ...`. The attachment is decoded
/// and read like the file itself, so people need not save the attachment first. Each report in an mbox is
/// read in turn; sessions are named after the attachment.
public struct ReportMailReader: LineReader {
    public static let formatID = "report-mail"
    public static let summary = "A DMARC or TLS report email as received (.eml, mbox): its zip / gzip / XML / JSON attachment is read"

    /// Most base64 text kept for one attachment (reports are small; the decoded file is read by its reader).
    static let maxEncodedBytes = 48 << 20

    /// A report's subject, and a part whose type or file name is a report's.
    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var subject = false, attachment = false
        for l in prefix {
            let t = Bytes.trimmed(l)
            if Bytes.hasPrefix(t, lowercased: "subject:"), LogBytes.find(lowercasedCopy(t.prefix(300))[...], "report domain:") != nil { subject = true }
            if isReportPartLine(t) { attachment = true }
        }
        return subject && attachment ? 0.96 : 0
    }

    static func lowercasedCopy(_ s: ArraySlice<UInt8>) -> [UInt8] {
        s.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    static let partTypes: [StaticString] = ["application/zip", "application/gzip", "application/x-gzip", "application/x-zip",
                                            "application/tlsrpt+gzip", "application/tlsrpt+json", "application/xml", "text/xml"]
    static let fileEndings: [StaticString] = [".xml.gz", ".xml.zip", ".json.gz", ".zip", ".xml", ".json"]

    /// `Content-Type: application/zip; name=...` or a `filename=` naming a report file.
    static func isReportPartLine(_ t: ArraySlice<UInt8>) -> Bool {
        let l = lowercasedCopy(t.prefix(400))[...]
        if Bytes.hasPrefix(t, lowercased: "content-type:") {
            for p in partTypes where LogBytes.find(l, p) != nil { return true }
        }
        guard LogBytes.find(l, "name=") != nil else { return false }
        let end = Array(l.reversed().drop { $0 == 0x22 || $0 == 0x3B || $0 == 0x20 }.reversed())
        for e in fileEndings {
            let suffix = UnsafeBufferPointer(start: e.utf8Start, count: e.utf8CodeUnitCount)
            if end.count >= suffix.count, end.suffix(suffix.count).elementsEqual(suffix) { return true }
        }
        return false
    }

    private enum State { case outside, partHeaders, body }

    /// Attachments being read inside attachments, on this task.
    @TaskLocal static var nesting = 0

    private let input: String
    /// The message's own header starts like a part's: a report sent as the whole body (not multipart) is read too.
    private var state = State.partHeaders
    private var partIsReport = false
    private var partIsBase64 = false
    private var partName: String?
    private var encoded: [UInt8] = []
    private var tooBig = false
    private var emitted = 0
    private var startLine = 1

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmed(line)
        // A MIME boundary (`--...`) ends the part before it and may open the next one.
        if t.count > 2, t.first == 0x2D, t[t.startIndex + 1] == 0x2D {
            endPart(emit: emit)
            state = .partHeaders
            partIsReport = false
            partIsBase64 = false
            partName = nil
            return
        }
        switch state {
        case .outside:
            return
        case .partHeaders:
            if t.isEmpty {
                state = partIsReport && partIsBase64 ? .body : .outside
                startLine = number + 1
                return
            }
            if Self.isReportPartLine(t) {
                partIsReport = true
                if partName == nil, let n = Self.fileName(t) { partName = n }
            }
            if Bytes.hasPrefix(t, lowercased: "content-transfer-encoding:"), LogBytes.find(Self.lowercasedCopy(t)[...], "base64") != nil {
                partIsBase64 = true
            }
        case .body:
            guard !tooBig else { return }
            if encoded.count + t.count > Self.maxEncodedBytes { tooBig = true; encoded = []; return }
            encoded.append(contentsOf: t)
        }
    }

    public mutating func finish(emit: (Session) -> Void) {
        endPart(emit: emit)
        if emitted == 0 {
            emit(.nothingToExplain("No report attachment (base64 zip, gzip, XML or JSON) was found in this email.", input: input, format: Self.formatID))
        }
    }

    /// `name="google.com!shop.example!1796342400!1796428799.zip"` → the file name.
    static func fileName(_ t: ArraySlice<UInt8>) -> String? {
        // The copy starts at 0: its index is an offset into `t`.
        guard let at = LogBytes.find(lowercasedCopy(t)[...], "name="), at + 5 <= t.count else { return nil }
        let v = t[(t.startIndex + at + 5)...].drop { $0 == 0x22 }.prefix { $0 != 0x22 && $0 != 0x3B }
        let s = Bytes.string(v).trimmingCharacters(in: .whitespaces)
        return s.isEmpty ? nil : String(s.prefix(200))
    }

    private mutating func endPart(emit: (Session) -> Void) {
        defer { encoded = []; tooBig = false; if state == .body { state = .outside } }
        guard state == .body else { return }
        let name = input + " › " + (partName ?? "attachment")
        if tooBig {
            emit(problem("The report attachment is larger than \(Self.maxEncodedBytes >> 20) MB of base64; it was not read.", name))
            return
        }
        guard !encoded.isEmpty else {
            emit(problem("The report attachment is empty.", name))
            return
        }
        guard let bytes = Base64.decode(encoded), !bytes.isEmpty else {
            emit(problem("The report attachment is not valid base64.", name))
            return
        }
        // Only a report file: never another email (which would be read as this format again).
        guard Self.isReportFile(bytes) else {
            emit(problem("The attachment is not a zip, gzip, XML or JSON file.", name))
            return
        }
        // A gzip can hold an email whose attachment is that gzip again (a gzip quine): one level only.
        guard Self.nesting < 1 else {
            emit(problem("The attachment holds another report email; it was not read.", name))
            return
        }
        do {
            try Self.$nesting.withValue(Self.nesting + 1) {
                _ = try InputDriver.read(name: name, bytes: bytes) { s in emit(s); emitted += 1 }
            }
        } catch let e as InputError {
            emit(problem(e.message, name))
        } catch {
            emit(problem("The report attachment could not be read.", name))
        }
    }

    static func isReportFile(_ b: [UInt8]) -> Bool {
        if b.starts(with: [0x1F, 0x8B]) || ZipEntry.isZip(Array(b.prefix(4))) { return true }
        let first = b.prefix(512).drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }.first
        return first == 0x3C || first == 0x7B || first == 0x5B
    }

    private mutating func problem(_ text: String, _ name: String) -> Session {
        emitted += 1
        var b = SessionBuilder(input: input, format: Self.formatID)
        b.note(text + " (" + name + ")", kind: .error, at: SourcePosition(input: input, line: startLine))
        return b.finish()
    }
}

/// RFC 4648 base64 as MIME bodies carry it: Foundation's decoder, with the line breaks taken out first.
enum Base64 {
    static func decode(_ text: [UInt8]) -> [UInt8]? {
        let clean = text.filter { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 && $0 != 0x09 }
        return Data(base64Encoded: Data(clean)).map { [UInt8]($0) }
    }
}
