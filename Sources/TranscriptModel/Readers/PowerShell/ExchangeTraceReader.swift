/// Reads Exchange Online's message trace as PowerShell prints it: `Get-MessageTraceDetail` (each event of a
/// message: `Event : Defer`, `Detail : Reason: [{LED=451 4.4.397 ...};{MSG=};{FQDN=mx.example.org};
/// {IP=192.0.2.25};{LRT=...}]`) and `Get-MessageTrace` (one row per message and recipient with its status),
/// also saved with `Export-Csv`, and the admin center's enhanced summary report (`recipient_status` as
/// `bob@example.org##Receive, Fail`).
/// Each `Fail` or `Defer` event is a session: the delivery attempt its `LED` (last error) tells. A trace
/// without such an event says what it holds and how to see the details.
public struct ExchangeTraceReader: LineReader {
    public static let formatID = "exchange-trace"
    public static let summary = "Exchange Online message trace: Get-MessageTrace / Get-MessageTraceDetail (Format-List, Format-Table or Export-Csv), enhanced summary report"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var previous: ArraySlice<UInt8> = []
        for l in prefix {
            if let (k, v) = PowerShellListing.property(l), k == "MessageTraceId" || (k == "Detail" && LogBytes.find(v.prefix(200), "{LED=") != nil) {
                return 0.97
            }
            if PowerShellListing.Table.isRule(l), let names = PowerShellListing.Table(header: previous, rule: l)?.names, isTrace(names) {
                return 0.97
            }
            if let names = PowerShellListing.csvHeader(Bytes.trimmed(l)), isTrace(names) { return 0.97 }
            if !Bytes.trimmed(l).isEmpty { previous = l }
        }
        return 0
    }

    /// The columns of a message trace: its id, a recipient with a status, an event with its detail, or the
    /// enhanced summary report's sender and recipient status.
    static func isTrace(_ names: [String]) -> Bool {
        names.contains("MessageTraceId") || (names.contains("RecipientAddress") && names.contains("Status"))
            || (names.contains("Event") && names.contains("Detail"))
            || (names.contains("recipient_status") && names.contains("sender_address"))
    }

    private let input: String
    private var listing = PowerShellListing()
    private var events = 0
    private var messages = 0
    private var statuses: [String: Int] = [:]
    /// The first recipient whose message failed or waits, for the command to run next.
    private var stuck: String?
    private var emitted = 0
    /// Statuses came from the admin center's summary report, not from PowerShell.
    private var report = false

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
            let detail = "`Get-MessageTrace -RecipientAddress \(stuck ?? "ADDRESS") | Get-MessageTraceDetail | Format-List Date,Event,Detail`"
            why = "\(messages) message(s) traced (\(counts)). The trace gives no reason; each step of a message, with the last error of a failed or deferred one, is in its detail: "
                + (report ? "request the extended report for the same search in the Exchange admin center (Mail flow > Message trace), or run \(detail)." : detail + ".")
        } else {
            why = events > 0 ? "\(events) trace event(s), none failed or deferred." : "The trace holds no message."
        }
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func take(_ r: PowerShellListing.Record, _ emit: (Session) -> Void) {
        if let statuses = r["recipient_status"] {
            report = true
            // `bob@example.org##Receive, Fail;carol@example.org##Receive, Deliver`: the last event is where it stands.
            for entry in statuses.split(separator: ";").prefix(1000) {
                let parts = entry.components(separatedBy: "##")
                guard parts.count == 2, let last = parts[1].split(separator: ",").last else { continue }
                count(Self.reportStatus(last.trimmingCharacters(in: .whitespaces)), recipient: parts[0].trimmingCharacters(in: .whitespaces))
            }
            return
        }
        guard let event = r["Event"] else {
            if let status = r["Status"], let recipient = r["RecipientAddress"] { count(status, recipient: recipient) }
            return
        }
        events += 1
        guard ["Fail", "Defer"].contains(event), let detail = r["Detail"] else { return }
        emitted += 1
        emit(session(r, event: event, detail: detail))
    }

    private mutating func count(_ status: String, recipient: String) {
        messages += 1
        if statuses.count < 50 || statuses[status] != nil { statuses[status, default: 0] += 1 }
        if stuck == nil, status != "Delivered" { stuck = recipient }
    }

    /// The summary report's last event as the status `Get-MessageTrace` would show.
    static func reportStatus(_ event: String) -> String {
        switch event.lowercased() {
        case "deliver", "send": return "Delivered"
        case "fail", "drop": return "Failed"
        case "defer": return "Pending"
        case "expand": return "Expanded"
        case "quarantine": return "Quarantined"
        default: return event.isEmpty ? "Unknown" : event
        }
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
