/// Reads Exchange Online's message trace as PowerShell prints it: `Get-MessageTraceDetail` (each event of a
/// message: `Event : Defer`, `Detail : Reason: [{LED=451 4.4.397 ...};{MSG=};{FQDN=mx.example.org};
/// {IP=192.0.2.25};{LRT=...}]`) and `Get-MessageTrace` (one row per message and recipient with its status).
/// Each `Fail` or `Defer` event is a session: the delivery attempt its `LED` (last error) tells. A trace
/// without such an event says what it holds and how to see the details.
public struct ExchangeTraceReader: LineReader {
    public static let formatID = "exchange-trace"
    public static let summary = "Exchange Online message trace: Get-MessageTrace / Get-MessageTraceDetail (Format-List or Format-Table)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var previous: ArraySlice<UInt8> = []
        for l in prefix {
            if let (k, v) = PowerShellListing.property(l), k == "MessageTraceId" || (k == "Detail" && LogBytes.find(v.prefix(200), "{LED=") != nil) {
                return 0.97
            }
            if PowerShellListing.Table.isRule(l), let names = PowerShellListing.Table(header: previous, rule: l)?.names,
               names.contains("MessageTraceId") || (names.contains("RecipientAddress") && names.contains("Status")) || (names.contains("Event") && names.contains("Detail")) {
                return 0.97
            }
            if !Bytes.trimmed(l).isEmpty { previous = l }
        }
        return 0
    }

    private let input: String
    private var listing = PowerShellListing()
    private var events = 0
    private var messages = 0
    private var statuses: [String: Int] = [:]
    /// The first recipient whose message failed or waits, for the command to run next.
    private var stuck: String?
    private var emitted = 0

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if let r = listing.read(line: line, number: number) { take(r, emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        if let r = listing.finish() { take(r, emit) }
        guard emitted == 0 else { return }
        let why: String
        if messages > 0 {
            let counts = statuses.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            why = "\(messages) message(s) traced (\(counts)). The trace gives no reason; each step of a message, with the last error of a failed or deferred one, is in its detail: "
                + "`Get-MessageTrace -RecipientAddress \(stuck ?? "ADDRESS") | Get-MessageTraceDetail | Format-List Date,Event,Detail`."
        } else {
            why = events > 0 ? "\(events) trace event(s), none failed or deferred." : "The trace holds no message."
        }
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func take(_ r: PowerShellListing.Record, _ emit: (Session) -> Void) {
        guard let event = r["Event"] else {
            if let status = r["Status"], r["RecipientAddress"] != nil {
                messages += 1
                if statuses.count < 50 || statuses[status] != nil { statuses[status, default: 0] += 1 }
                if stuck == nil, status != "Delivered" { stuck = r["RecipientAddress"] }
            }
            return
        }
        events += 1
        guard ["Fail", "Defer"].contains(event), let detail = r["Detail"] else { return }
        emitted += 1
        emit(session(r, event: event, detail: detail))
    }

    // MARK: building

    private func session(_ r: PowerShellListing.Record, event: String, detail: String) -> Session {
        func pos(_ key: String) -> SourcePosition { SourcePosition(input: input, line: r.lines[key] ?? r.first) }
        let fields = Self.reasonFields(detail)
        let error = fields["LED"] ?? detail
        let told = ["\(event) event", r["Date"].map { "at \($0)" }, r["RecipientAddress"].map { "for \($0)" }].compactMap { $0 }
        let ownLine = (r.lines["Detail"] ?? r.first) != r.first
        let notes = [PostfixLogReader.LogNote(text: told.joined(separator: " ") + (ownLine ? "" : "; Detail: " + detail), pos: SourcePosition(input: input, line: r.first))]
            + (ownLine ? [.init(text: "Detail: " + detail, pos: pos("Detail"))] : [])
        var fault = ExchangeLastError(error)
        // The trace names the server apart from the error text.
        if fault.address == nil { fault.address = fields["IP"] ?? Self.after(detail, "OutboundProxyTargetIP: ") }
        let host = fields["FQDN"] ?? Self.after(detail, "OutboundProxyTargetHostname: ")
        // With a server named, the LED may be that server's reply as it was.
        if host != nil || fault.address != nil { fault.takeBareReply(error) }
        let recipient = r["RecipientAddress"]
        let envelope = recipient.map { (sender: r["SenderAddress"], recipients: [$0]) }
        var s = fault.session(error, input: input, format: Self.formatID, host: host, domain: recipient?.split(separator: "@").last.map(String.init),
                              envelope: envelope, notes: notes, at: pos("Detail"))
        s.format = Self.formatID
        s.direction = .outbound
        if let code = fault.enhanced { s.attributes["dsn"] = code }
        s.attributes["status"] = event == "Defer" ? "deferred" : "failed"
        if let id = r["MessageTraceId"] { s.attributes["message-trace-id"] = id }
        return s
    }

    /// `Reason: [{LED=...};{MSG=};{FQDN=mx.example.org};{IP=192.0.2.25};{LRT=...}]`: the fields with a value.
    static func reasonFields(_ detail: String) -> [String: String] {
        var out: [String: String] = [:]
        var rest = detail[...]
        while let open = rest.range(of: "{"), out.count < 16 {
            let inner = rest[open.upperBound...].prefix { $0 != "}" }
            rest = rest[inner.endIndex...]
            guard let eq = inner.firstIndex(of: "="), eq > inner.startIndex else { continue }
            let value = inner[inner.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { out[String(inner[..<eq])] = value }
        }
        return out
    }

    /// `OutboundProxyTargetIP: 192.0.2.25.`: the word after `label`, without the sentence's full stop.
    static func after(_ detail: String, _ label: String) -> String? {
        guard let r = detail.range(of: label) else { return nil }
        var w = detail[r.upperBound...].prefix { !$0.isWhitespace }
        while w.hasSuffix(".") { w = w.dropLast() }
        return w.isEmpty ? nil : String(w)
    }
}
