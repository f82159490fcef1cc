/// Reads the event JSON an email-sending service (Amazon SES, SendGrid, Mailgun, Postmark, SparkPost,
/// Mandrill, Brevo, Mailjet, Resend, Postal, Azure Communication Services, Scaleway) reports a delivery with: a webhook payload, an API answer, an SNS
/// notification, one event per line or a pretty-printed document. The service had the SMTP session with
/// the receiving server; each recipient's event becomes one session built from what it quotes.
public struct ESPEventReader: LineReader {
    public static let formatID = "esp-event"
    /// A document minified onto one line may be as long as a document may be.
    public static var maxLineBytes: Int { JSONDocuments.maxBytes + 1 }
    public static let summary = "Email service events (JSON): Amazon SES, SendGrid, Mailgun, Postmark, SparkPost, Mandrill, Brevo, Mailjet, Resend, Postal, Azure Communication Services, Scaleway Transactional Email"

    /// JSON (the first filled line opens an object or array, perhaps after a log prefix) naming a provider's keys.
    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        guard let first = prefix.first(where: { !Bytes.trimmed($0).isEmpty }),
              let open = first.firstIndex(where: { $0 == 0x7B || $0 == 0x5B }), open - first.startIndex < 200 else { return 0 }
        for l in prefix where ESPProviders.markerBytes.contains(where: { LogBytes.find(l, bytes: $0) != nil }) { return 0.95 }
        return 0
    }

    private let input: String
    private var documents = JSONDocuments()
    private var clock = LogClock()
    private var emitted = 0
    /// Events of a known provider that are not delivery results (opens, clicks, sends), and unknown objects.
    private var skippedEvents = 0
    private var unknownObjects = 0
    private static var maxEventsPerDocument: Int { 100_000 }

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        // Moved out, not copied: the document being collected must stay uniquely referenced, or every line
        // would copy it.
        var docs = documents
        documents = JSONDocuments()
        docs.line(line, number: number) { read($0, emit: emit) }
        documents = docs
    }

    public mutating func finish(emit: (Session) -> Void) {
        var docs = documents
        documents = JSONDocuments()
        docs.finish { read($0, emit: emit) }
        guard emitted == 0 else { return }
        // Nothing to explain: say why rather than print nothing.
        let why = skippedEvents > 0
            ? "\(skippedEvents) event(s) read, none of them a delivery result (opens, clicks and sends say nothing about the receiving server)."
            : "No email service's delivery event was recognised in this JSON."
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func read(_ doc: JSONDocuments.Document, emit: (Session) -> Void) {
        let first = doc.lineStarts.first?.line ?? 1
        if doc.truncated {
            return problem("The JSON document starting on line \(first) is larger than \(JSONDocuments.maxBytes >> 20) MB and was not read; give one event per line (`jq -c '.[]'`).", line: first, emit: emit)
        }
        guard let root = JSONParser.parse(doc.bytes) else {
            // A brace in surrounding text is not a document; only complain about what looked like one.
            guard doc.bytes.count > 2, ESPProviders.markerBytes.contains(where: { LogBytes.find(doc.bytes[...], bytes: $0) != nil }) else { return }
            return problem("The JSON starting on line \(first) is not valid (cut off or edited?) and was skipped.", line: first, emit: emit)
        }
        var budget = Self.maxEventsPerDocument
        walk(root, depth: 0, line: { doc.line(at: $0) }, budget: &budget, emit: emit)
    }

    /// Every event in a value: the value itself, the items of an array, what a wrapper holds.
    private mutating func walk(_ v: JSONValue, depth: Int, line: (Int) -> Int, budget: inout Int, emit: (Session) -> Void) {
        guard depth < 4, budget > 0 else { return }
        if case .array(let items) = v {
            for item in items { walk(item, depth: depth + 1, line: line, budget: &budget, emit: emit) }
            return
        }
        guard v.isObject else { return }
        if let p = ESPProviders.table.first(where: { $0.recognises(v) }) {
            let events = p.events(in: v)
            if events.isEmpty { skippedEvents += 1 }
            for var e in events {
                guard budget > 0 else { return }
                budget -= 1
                e.time = seconds(e.stamp)
                emit(e.session(input: input, format: Self.formatID, line: line(e.offset), replyLine: line(e.replyOffset ?? e.offset)))
                emitted += 1
            }
            return
        }
        for key in ESPProviders.containers {
            guard let inner = v[key] else { continue }
            if case .string(let s) = inner, s.hasPrefix("{") || s.hasPrefix("[") {
                // An SNS envelope (`Message`) or Mandrill's form field carries the events as a JSON string.
                guard let parsed = JSONParser.parse(Array(s.utf8)) else { continue }
                let at = line(v.offset ?? 0)
                walk(parsed, depth: depth + 1, line: { _ in at }, budget: &budget, emit: emit)
            } else {
                walk(inner, depth: depth + 1, line: line, budget: &budget, emit: emit)
            }
            return
        }
    }

    private mutating func problem(_ text: String, line: Int, emit: (Session) -> Void) {
        var b = SessionBuilder(input: input, format: Self.formatID)
        b.note(text, kind: .error, at: SourcePosition(input: input, line: line))
        emit(b.finish())
        emitted += 1
    }

    /// Seconds since 1970 from a provider's time field: a number of seconds (or milliseconds), or ISO 8601.
    private mutating func seconds(_ stamp: JSONValue?) -> Double? {
        switch stamp {
        case .number(let d)?: return d > 1e12 ? d / 1000 : d
        case .string(let s)?:
            if let d = Double(s) { return d > 1e12 ? d / 1000 : d }
            return clock.iso(Array(s.utf8)[...], allowSpace: true)?.0
        default: return nil
        }
    }
}
