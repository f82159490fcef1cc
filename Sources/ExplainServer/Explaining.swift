import Hummingbird
import Explainer
import TranscriptModel

/// One input handed in through the page or the API: a paste, an uploaded file or a raw request body.
struct SubmittedInput: Sendable {
    var name: String
    var bytes: [UInt8]
    /// From the paste box (never merged with uploaded logs).
    var pasted = false
}

/// What a request asked to explain; the paste is kept to show it again in the paste box.
struct Submission: Sendable {
    var inputs: [SubmittedInput] = []
    var paste: String?
}

/// A problem with the request itself (not with the input's content), with a message fit to show.
struct RequestProblem: Error {
    var status: HTTPResponse.Status
    var message: String
}

extension Submission {
    static let pasteName = "pasted text"

    /// The page's form: multipart (paste box and file) or urlencoded (paste box only).
    /// The API: the same, or else the raw body as one input named by `?name=`.
    static func from(contentType: String, body: [UInt8], rawName: String?, api: Bool) throws -> Submission {
        var s = Submission()
        if let boundary = Multipart.boundary(contentType: contentType) {
            let parts: [MultipartPart]
            do { parts = try Multipart.parse(body, boundary: boundary) } catch let e as MultipartError {
                throw RequestProblem(status: .badRequest, message: "Could not read the form: \(e.description).")
            }
            for p in parts {
                if let filename = p.filename {
                    if filename.isEmpty && p.body.isEmpty { continue }  // the file field left empty
                    s.inputs.append(SubmittedInput(name: uploadName(filename), bytes: Array(p.body)))
                } else if ["paste", "text", "input"].contains(p.name) {
                    s.addPaste(Array(p.body))
                }
            }
        } else if HeaderValue(contentType).value.lowercased() == "application/x-www-form-urlencoded"
                    && (!api || body.starts(with: Array("paste=".utf8))) {
            for (k, v) in FormURLEncoded.parse(body) where ["paste", "text", "input"].contains(k) { s.addPaste(v) }
        } else if api {
            if !body.isEmpty { s.inputs.append(SubmittedInput(name: uploadName(rawName ?? "request body"), bytes: body)) }
        } else {
            throw RequestProblem(status: .unsupportedMediaType,
                                 message: "The page takes a form post (multipart/form-data or urlencoded); for raw input use POST /api/explain.")
        }
        if s.inputs.isEmpty {
            throw RequestProblem(status: .badRequest, message: "Nothing to explain: paste a session or choose a file.")
        }
        return s
    }

    private mutating func addPaste(_ bytes: [UInt8]) {
        // Browsers send the box with CRLF line ends; blank boxes are not an input.
        guard bytes.contains(where: { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }) else { return }
        inputs.append(SubmittedInput(name: Submission.pasteName, bytes: bytes, pasted: true))
        if paste == nil { paste = String(decoding: bytes, as: UTF8.self) }
    }

    /// A file name as the browser sent it, reduced to a harmless label: the last path component, no control
    /// characters, at most 120 characters.
    static func uploadName(_ raw: String) -> String {
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var clean = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        if clean.count > 120 { clean = String(clean.prefix(120)) + "…" }
        return clean.isEmpty || clean == "." || clean == ".." ? "upload" : clean
    }
}

/// Sessions and errors from every input of a submission.
struct ExplainResult: Sendable {
    var sessions: [ExplainedSession] = []
    /// Sessions found beyond the cap (counted, not kept).
    var omitted = 0
    var errors: [InputError] = []
    var inputs = 0

    var allFailed: Bool { sessions.isEmpty && omitted == 0 && !errors.isEmpty }

    /// Most bytes the files of one uploaded archive may hold in all.
    static let maxArchiveBytes = 256 << 20

    /// Reads each input through the same driver as the CLI (format detection, every reader), with
    /// credentials redacted. Synchronous and CPU-bound: run it on a worker thread.
    /// Uploaded logs of one kind (rotations, Postfix's or Exim's with Dovecot's own) are read together in time
    /// order, as the CLI reads files given together; the paste box is always read on its own.
    static func run(_ submission: Submission, explainer: Explainer, cap: Int) -> ExplainResult {
        var r = ExplainResult()
        func keep(_ session: Session) {
            if r.sessions.count < cap { r.sessions.append(explainer.explain(session)) } else { r.omitted += 1 }
        }
        // An uploaded tar of logs, or zip of several files, stands for the files in it.
        var inputs: [SubmittedInput] = []
        for input in submission.inputs {
            if !input.pasted,
               let archive = try? ArchiveInput.members(name: input.name, bytes: input.bytes, maxBytes: maxArchiveBytes) {
                inputs += archive.files.map { SubmittedInput(name: $0.name, bytes: $0.bytes) }
                if let e = archive.error { r.errors.append(e) }
            } else {
                inputs.append(input)
            }
        }
        let groups = InputDriver.plan(inputs: inputs.map { (name: $0.name, bytes: $0.pasted ? [] : $0.bytes) })
        SessionBuilder.$redactByDefault.withValue(true) {
            for group in groups {
                r.inputs += group.members.count
                if group.format != nil {
                    let merged = InputDriver.readMerged(inputs: group.members.map { (name: inputs[$0].name, bytes: inputs[$0].bytes) },
                                                        emit: keep)
                    r.errors += merged.errors
                    _ = LogStatsRegistry.shared.take(input: merged.label)
                    continue
                }
                let input = inputs[group.members[0]]
                do {
                    _ = try InputDriver.read(name: input.name, bytes: input.bytes, emit: keep)
                } catch let e as InputError {
                    r.errors.append(e)
                } catch {
                    r.errors.append(InputError(input: input.name, message: "could not be read"))
                }
                // Log readers leave statistics for --verbose; the server has no use for them.
                _ = LogStatsRegistry.shared.take(input: input.name)
            }
        }
        return r
    }
}
