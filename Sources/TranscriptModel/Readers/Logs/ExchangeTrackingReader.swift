import Foundation

/// Microsoft Exchange message tracking logs (`MSGTRK*.LOG`, CSV with a `#Fields:` header, or the same rows
/// without it). Each SMTP row is one session: `RECEIVE` (source SMTP) an accepted inbound message, `SEND` a
/// delivered outbound one, `FAIL`/`DEFER` a refused delivery with the recipient status as the reply. Other
/// events (DELIVER, DSN, EXPAND, RESOLVE, SUBMIT, HAREDIRECT*, NOTIFYMAPI, AGENTINFO, ...) are understood as
/// message history but do not make sessions. The SMTP protocol logs (SmtpReceive/SmtpSend) are a
/// transcript dialect of their own (`exchange`).
public struct ExchangeTrackingReader: LineReader {
    public static let formatID = "exchange-tracking"
    public static let summary = "Microsoft Exchange message tracking log (MSGTRK CSV)"

    static let defaultFields = ["date-time", "client-ip", "client-hostname", "server-ip", "server-hostname",
                                "source-context", "connector-id", "source", "event-id", "internal-message-id",
                                "message-id", "network-message-id", "recipient-address", "recipient-status",
                                "total-bytes", "recipient-count", "related-recipient-address", "reference",
                                "message-subject", "sender-address", "return-path", "message-info", "directionality",
                                "tenant-id", "original-client-ip", "original-server-ip", "custom-data",
                                "transport-traffic-type", "log-id", "schema-version"]
    static let events: Set<String> = ["RECEIVE", "SEND", "FAIL", "DEFER", "DELIVER", "DSN", "EXPAND", "RESOLVE",
                                      "SUBMIT", "REDIRECT", "TRANSFER", "POISONMESSAGE", "DROP", "BADMAIL",
                                      "HAREDIRECT", "HAREDIRECTFAIL", "HARECEIVE", "NOTIFYMAPI", "AGENTINFO",
                                      "SUBMITDEFER", "SUBMITDROP", "RECEIVEDEFER", "SENDEXTERNAL", "INITMESSAGECREATED",
                                      "MODERATORREJECT", "MODERATORAPPROVE", "MODERATIONEXPIRE", "PROCESS",
                                      "THROTTLE", "DUPLICATEDELIVER", "DUPLICATEEXPAND", "DUPLICATEREDIRECT",
                                      "HADISCARD", "AGENTINFO", "LOAD", "RESUBMIT", "SAFETYNET", "QUEUED", "RECIPIENTADDED"]

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var hits = 0, lines = 0
        for line in prefix where !line.isEmpty {
            // Above the protocol-log dialect's 0.96: both start with `#Software: Microsoft Exchange Server`.
            if LogBytes.starts(line, "#Log-type: Message Tracking") { return 0.98 }
            if LogBytes.starts(line, "#Fields: date-time,client-ip") { return 0.98 }
            if line.first == 0x23 { continue }
            lines += 1
            let f = csv(line)
            if f.count >= 20, f[0].count >= 19, f[0].dropFirst(4).first == 0x2D, events.contains(Bytes.string(f[8])) { hits += 1 }
        }
        guard hits > 0 else { return 0 }
        return min(0.95, 0.6 + 0.35 * Double(hits) / Double(max(lines, 1)))
    }

    /// Split a CSV row (RFC 4180 quotes; doubled quotes stay doubled in the slice, `unquote` removes them).
    static func csv(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = line.startIndex
        while i <= line.endIndex {
            if i < line.endIndex, line[i] == 0x22 {
                var j = i + 1
                while j < line.endIndex {
                    if line[j] == 0x22 {
                        if j + 1 < line.endIndex, line[j + 1] == 0x22 { j += 2; continue }
                        break
                    }
                    j += 1
                }
                out.append(line[(i + 1)..<min(j, line.endIndex)])
                i = min(j + 1, line.endIndex)
                if i < line.endIndex, line[i] == 0x2C { i += 1 } else { break }
                if i == line.endIndex { out.append([]); break }
            } else {
                let e = line[i...].firstIndex(of: 0x2C) ?? line.endIndex
                out.append(line[i..<e])
                if e == line.endIndex { break }
                i = e + 1
                if i == line.endIndex { out.append([]); break }
            }
            if out.count > 200 { break }
        }
        return out
    }

    static func unquote(_ s: ArraySlice<UInt8>) -> String {
        Bytes.string(s).replacingOccurrences(of: "\"\"", with: "\"")
    }

    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var clock = LogClock()
    public private(set) var stats: LogReaderStats
    var index: [String: Int] = [:]

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
        for (i, f) in Self.defaultFields.enumerated() { index[f] = i }
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        if let f = LogBytes.after(line, "#Fields: ") {
            index = [:]
            for (i, name) in f.split(separator: 0x2C).enumerated() { index[Bytes.string(Bytes.trimmed(name))] = i }
            stats.understood += 1
            return
        }
        if line.first == 0x23 { stats.understood += 1; return }
        let f = Self.csv(line)
        func get(_ name: String) -> String? {
            guard let i = index[name], i < f.count, !f[i].isEmpty else { return nil }
            return Self.unquote(f[i])
        }
        guard let event = get("event-id"), Self.events.contains(event) else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input); return }
        stats.understood += 1
        let source = get("source") ?? ""
        guard source == "SMTP", ["RECEIVE", "SEND", "FAIL", "DEFER", "SENDEXTERNAL"].contains(event) else { return }
        var time: Double?
        if let d = index["date-time"], d < f.count, let (t, _) = clock.iso(f[d]) { time = t }
        let pos = SourcePosition(input: input, line: number, time: time, sequence: sequence)
        let inbound = event == "RECEIVE"
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: inbound ? .inbound : .outbound,
                                start: pos, time: time ?? 0)
        d.note(Bytes.string(line), pos)
        d.client = Peer(host: get("client-hostname"), address: get("client-ip"))
        d.server = Peer(host: get("server-hostname"), address: get("server-ip"))
        if let m = get("message-id") { d.attributes["message-id"] = m }
        if let c = get("connector-id") { d.attributes["connector"] = c }
        d.attributes["event"] = event
        if let q = get("internal-message-id") { d.queueIDs = [q] }
        let rcpts = (get("recipient-address") ?? "").split(separator: ";").map(String.init)
        let status = get("recipient-status") ?? ""
        let sender = get("sender-address")
        if event == "RECEIVE" || event == "SEND" || event == "SENDEXTERNAL" {
            var reply = status.split(separator: ";").first.map(String.init) ?? ""
            if Int(reply.prefix(3)) == nil { reply = "250 2.6.0 Queued mail for delivery" }
            d.delivered(from: sender, to: rcpts.isEmpty ? ["(recipient not logged)"] : rcpts, reply: reply, pos)
        } else {
            // FAIL / DEFER: `550 5.1.1 RESOLVER.ADR.RecipNotFound; not found` (one per recipient, `;`-separated).
            var reply = status
            if Int(reply.prefix(3)) == nil { reply = (event == "FAIL" ? "550 " : "451 ") + reply }
            d.mail(sender, pos)
            for r in rcpts.isEmpty ? ["(recipient not logged)"] : rcpts { d.c("RCPT TO:<\(r)>", pos); d.s(reply, pos) }
        }
        d.c("QUIT", pos); d.s("221 2.0.0 Service closing transmission channel", pos)
        d.steps.append(.closed(.client, pos))
        stats.sessions += 1
        emit(d.finish())
    }

    public mutating func finish(emit: (Session) -> Void) {
        LogStatsRegistry.shared.record(stats)
    }
}
