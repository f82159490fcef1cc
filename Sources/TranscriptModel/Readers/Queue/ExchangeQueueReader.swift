/// Reads what Exchange's queue cmdlets print, the first thing an Exchange admin looks at when mail is stuck:
/// `Get-Queue` and `Get-Message` as a list (`Format-List`: `Key : value` blocks) or a table (`Format-Table`:
/// a header, a dashed rule, one row per object). Each queue or message with a `LastError` is one session:
/// the delivery attempt that error tells, with the receiving server's reply when Exchange quotes one.
public struct ExchangeQueueReader: LineReader {
    public static let formatID = "exchange-queue"
    public static let summary = "Exchange queue listings: Get-Queue / Get-Message as Format-List or Format-Table"

    /// Properties only the queue cmdlets print (a message tracking listing has none of them).
    static let queueKeys: Set<String> = ["LastError", "NextHopDomain", "DeliveryType", "MessageCount",
                                         "NextRetryTime", "LastRetryTime", "NextHopConnector", "RetryCount"]

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var keys = Set<String>()
        var previous: ArraySlice<UInt8> = []
        for l in prefix {
            if let (k, _) = PowerShellListing.property(l), queueKeys.contains(k) { keys.insert(k) }
            if PowerShellListing.Table.isRule(l), let names = PowerShellListing.Table(header: previous, rule: l)?.names,
               names.contains("Identity") || names.contains("FromAddress"), !queueKeys.isDisjoint(with: names) {
                return 0.97
            }
            if !Bytes.trimmed(l).isEmpty { previous = l }
        }
        return keys.count >= 2 || keys.contains("LastError") ? 0.97 : 0
    }

    private let input: String
    private var listing = PowerShellListing()
    private var listed = 0
    private var waiting: [String] = []
    private var emitted = 0
    private static var maxRecipients: Int { 1_000 }

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if let r = listing.read(line: line, number: number) { take(r, emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        if let r = listing.finish() { take(r, emit) }
        guard emitted == 0 else { return }
        // Nothing to explain: say what the listing shows and where the reason would be.
        var why = listed == 0 ? "The listing holds no queue or message." : "\(listed) queue(s) or message(s) listed; none shows a LastError."
        if !waiting.isEmpty {
            why += " Waiting for a retry or suspended: \(waiting.prefix(5).joined(separator: ", "))\(waiting.count > 5 ? ", ..." : "")."
                + " The reason is in LastError: `Get-Queue -Identity \(waiting[0]) | Format-List Identity,Status,NextHopDomain,LastError`."
        }
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func take(_ r: PowerShellListing.Record, _ emit: (Session) -> Void) {
        listed += 1
        guard let error = r["LastError"] else {
            if let status = r["Status"], ["Retry", "Suspended"].contains(status), let id = r["Identity"], waiting.count < 100 {
                waiting.append(id)
            }
            return
        }
        emitted += 1
        emit(session(r, error: error))
    }

    // MARK: building

    private func session(_ r: PowerShellListing.Record, error: String) -> Session {
        func pos(_ key: String) -> SourcePosition { SourcePosition(input: input, line: r.lines[key] ?? r.first) }
        let isMessage = r["FromAddress"] != nil || r["Queue"] != nil
        let identity = r["Identity"] ?? "?"
        let status = r["Status"]
        var told = [isMessage ? "Message \(identity)" : "Queue \(identity)"]
        if let d = r["DeliveryType"] { told.append("(\(d))") }
        if let h = r["NextHopDomain"] { told.append("to \(h)") }
        if let f = r["FromAddress"] { told.append("from \(f)") }
        var state = [status, r["MessageCount"].map { "\($0) message(s)" }, r["RetryCount"].map { "retry \($0)" }].compactMap { $0 }
        if let next = r["NextRetryTime"] { state.append("next retry \(next)") }
        let summary = told.joined(separator: " ") + (state.isEmpty ? "" : ": " + state.joined(separator: ", "))
        // A table row has the error on the same line; the finding's evidence quotes it.
        let ownLine = (r.lines["LastError"] ?? r.first) != r.first
        let notes = [PostfixLogReader.LogNote(text: summary + (ownLine ? "" : "; LastError: " + error), pos: SourcePosition(input: input, line: r.first))]
            + (ownLine ? [.init(text: "LastError: " + error, pos: pos("LastError"))] : [])
        let recipients = Self.recipients(r["Recipients"])
        let domain = r["NextHopDomain"] ?? recipients.first.flatMap { $0.split(separator: "@").last.map(String.init) }
        let fault = ExchangeLastError(error)
        var s = fault.session(error, input: input, format: Self.formatID, host: nil, domain: domain,
                              envelope: isMessage ? (r["FromAddress"], recipients) : nil, notes: notes, at: pos("LastError"))
        s.format = Self.formatID
        s.direction = .outbound
        if let code = fault.enhanced { s.attributes["dsn"] = code }
        s.attributes["exchange-identity"] = identity
        if let status { s.attributes["status"] = status.lowercased() }
        if let h = r["NextHopDomain"] { s.attributes["next-hop"] = h }
        if error.hasSuffix("...") || error.hasSuffix("\u{2026}") {
            // A table without -AutoSize cuts long values.
            s.insertToolNote("The listing cut LastError short; `Get-Queue -Identity \(identity) | Format-List LastError` shows all of it.", at: pos("LastError"))
        }
        if status == "Suspended" {
            let resume = isMessage ? "Resume-Message -Identity \(identity)" : "Resume-Queue -Identity \(identity)"
            s.insertToolNote("It is suspended: Exchange will not try it again until it is resumed (`\(resume)`).", at: SourcePosition(input: input, line: r.first))
        }
        return s
    }

    /// `{bob@fabrikam.example, carol@fabrikam.example}`; with `-IncludeRecipientInfo` each item carries more
    /// fields after a `;`.
    static func recipients(_ value: String?) -> [String] {
        guard var v = value?[...] else { return [] }
        if v.first == "{" { v = v.dropFirst() }
        if v.last == "}" { v = v.dropLast() }
        return v.split(separator: ",").prefix(maxRecipients).compactMap { item in
            let a = item.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return a.contains("@") ? String(a.prefix(512)) : nil
        }
    }
}
