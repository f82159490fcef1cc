import Foundation
import Testing
@testable import TranscriptModel

/// Exchange Online's extended message trace report: the tracking log's fields in snake case, read by the
/// tracking reader, with the failure's `[{LED=...}]` wrapper taken apart.
@Suite struct ExchangeOnlineReportTests {
    static let header = "\"date_time_utc\",\"client_ip\",\"client_hostname\",\"server_ip\",\"server_hostname\",\"source_context\",\"connector_id\",\"source\",\"event_id\",\"internal_message_id\",\"message_id\",\"network_message_id\",\"recipient_address\",\"recipient_status\",\"total_bytes\",\"recipient_count\",\"related_recipient_address\",\"reference\",\"message_subject\",\"sender_address\",\"return_path\",\"message_info\",\"directionality\",\"tenant_id\",\"original_client_ip\",\"original_server_ip\",\"custom_data\""

    static func row(_ time: String, _ event: String, status: String = "", source: String = "SMTP", server: String = "") -> String {
        let cells = [time, "2a01:111:e400:c00::31", "AM0PR01MB1234.eurprd01.prod.exchangelabs.com", server, "AM6EUR05FT011.mail.protection.outlook.com",
                     "08DE15A2B3C4D5E6", "Outbound to Internet", source, event, "1099511627801", "<M1@AM0PR01MB1234.prod.exchangelabs.com>",
                     "4f0a9c1e-5b2d-4c3e-08de-15a2b3c4d5e6", "bob@fabrikam.example", status, "48213", "1", "", "", "Quarterly \"Q4\" report",
                     "alice@contoso.example", "alice@contoso.example", "", "Originating", "6c1f0b3e", "", "", ""]
        return cells.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
    }

    static let report = [
        header,
        row("2026-12-06T03:01:12.4810000Z", "RECEIVE", source: "STOREDRIVER"),
        row("2026-12-06T03:05:01.0230000Z", "DEFER", status: "[{LED=451 4.4.397 Error communicating with target host. -> 421 4.4.2 Connection dropped due to SocketError};{MSG=};{FQDN=mx.fabrikam.example};{IP=203.0.113.9};{LRT=}]"),
        row("2026-12-06T03:40:44.8120000Z", "FAIL", status: "[{LED=550 5.1.1 <bob@fabrikam.example>: Recipient address rejected: User unknown};{MSG=};{FQDN=mx.fabrikam.example};{IP=203.0.113.9};{LRT=}]"),
    ].joined(separator: "\r\n") + "\r\n"

    @Test func theExtendedReportIsReadAsATrackingLog() throws {
        let all = try sessions(Self.report, name: "MTDetail.csv")
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.format == "exchange-tracking")
        // The receiving server comes from the LED, not from the row's own (Microsoft's) hop.
        #expect(s.server.host == "mx.fabrikam.example")
        #expect(s.server.address == "203.0.113.9")
        let rcpt = try #require(s.exchanges.first { $0.command?.verb == "RCPT" })
        #expect(rcpt.reply?.code == 550)
        #expect(rcpt.reply?.text.hasPrefix("<bob@fabrikam.example>: Recipient address rejected") == true)
        #expect(rcpt.reply?.text.contains("{LED=") == false)
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
        // Deferred once, then failed: one story with both attempts and their replies.
        let h = try #require(s.history)
        #expect(h.attempts.count == 2)
        #expect(h.attempts.first?.reply?.hasPrefix("451 4.4.397") == true)
        // 2026-12-06T03:01:12.481Z: the session starts at the RECEIVE row (a seven-digit fraction).
        #expect(abs((s.start?.time ?? 0) - 1_796_526_072.481) < 0.001)
    }

    @Test func theReportAsExchangeOnlineDownloadsItInUTF16() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for u in Self.report.utf16 { bytes.append(UInt8(u & 0xFF)); bytes.append(UInt8(u >> 8)) }
        var all: [Session] = []
        _ = try InputDriver.read(name: "MTDetail.csv", bytes: bytes) { all.append($0) }
        #expect(all.map(\.format) == ["exchange-tracking"])
        #expect(all.first?.server.host == "mx.fabrikam.example")
        #expect(all.first?.outcome == .rejected)
    }

    @Test func anUnquotedHeaderIsDetectedToo() throws {
        let lines = Self.report.split(separator: "\r\n").map(String.init)
        let plain = Self.header.replacingOccurrences(of: "\"", with: "")
        let prefix = ([plain] + lines.dropFirst()).map { Array($0.utf8)[...] }
        #expect(FormatDetector.choose(prefix: prefix)?.reader.formatID == "exchange-tracking")
        #expect(ExchangeTrackingReader.onlineHeader(Array(plain.utf8)[...])?.first == "date-time")
        #expect(ExchangeTrackingReader.onlineHeader(Array("date_time_utc,client_ip,sender".utf8)[...]) == nil)
    }
}
