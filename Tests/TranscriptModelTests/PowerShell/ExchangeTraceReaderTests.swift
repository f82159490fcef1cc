import Foundation
import Testing
@testable import TranscriptModel

/// Exchange Online message traces: each Fail or Defer event is a session of the attempt its LED tells.
@Suite struct ExchangeTraceReaderTests {
    @Test func aFailEventQuotingTheServerIsItsReply() throws {
        let all = try sessions("""
        Date             : 12/6/2026 3:01:12 AM
        Event            : Receive
        Detail           : Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com

        Date             : 12/6/2026 3:40:44 AM
        Event            : Fail
        RecipientAddress : bob@fabrikam.example
        SenderAddress    : alice@contoso.example
        MessageTraceId   : 6b0b2a9e-1f3c-4d5e-9a8b-7c6d5e4f3a2b
        Detail           : Reason: [{LED=550 5.1.1 <bob@fabrikam.example>: Recipient address rejected: User unknown};{MSG=};{FQDN=mx.fabrikam.example};{IP=203.0.113.9};{LRT=}]. OutboundProxyTargetIP: 203.0.113.9. OutboundProxyTargetHostname: mx.fabrikam.example
        """)
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.format == "exchange-trace")
        #expect(s.server.host == "mx.fabrikam.example")
        #expect(s.server.address == "203.0.113.9")
        let rcpt = try #require(s.exchanges.first { $0.command?.verb == "RCPT" })
        #expect(rcpt.command?.address == "bob@fabrikam.example")
        #expect(rcpt.reply?.code == 550)
        #expect(s.transactions.first?.sender == "alice@contoso.example")
        #expect(s.attributes["status"] == "failed")
        #expect(s.attributes["message-trace-id"] == "6b0b2a9e-1f3c-4d5e-9a8b-7c6d5e4f3a2b")
    }

    @Test func exchangesOwnWordsStayItsReason() throws {
        let all = try sessions("""
        Event  : Defer
        Detail : Reason: [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup};{MSG=};{FQDN=};{IP=};{LRT=}]
        """, format: "exchange-trace")
        let s = try #require(all.first)
        #expect(s.exchanges.isEmpty)
        #expect(s.attributes["mta-reason"]?.hasPrefix("550 5.1.10 RESOLVER.ADR.RecipientNotFound") == true)
        #expect(s.attributes["status"] == "deferred")
    }

    @Test func aTraceWithoutDetailsGivesTheNextCommand() throws {
        let all = try sessions("""
        Received             Sender Address        Recipient Address       Subject          Status
        --------             --------------        -----------------       -------          ------
        12/6/2026 3:01:12 AM alice@contoso.example bob@fabrikam.example    Quarterly report Failed
        12/6/2026 2:55:40 AM alice@contoso.example carol@northwind.example Lunch on Friday  Delivered

        """)
        #expect(all.first?.format == "exchange-trace")
        let note = try #require(all.first?.notes.first?.text)
        #expect(note.hasPrefix("2 message(s) traced (1 Delivered, 1 Failed)."))
        #expect(note.contains("Get-MessageTrace -RecipientAddress bob@fabrikam.example | Get-MessageTraceDetail"))
    }
}

/// The same traces saved with `Export-Csv`, and the admin center's summary report.
@Suite struct ExchangeTraceExportTests {
    @Test func anExportedDetailGivesTheSessionsOfTheListing() throws {
        let all = try sessions("""
        #TYPE Selected.System.Management.Automation.PSCustomObject
        "Organization","MessageTraceId","Date","Event","Action","Detail","Data","RecipientAddress","SenderAddress"
        "contoso.onmicrosoft.com","6b0b2a9e-1f3c-4d5e-9a8b-7c6d5e4f3a2b","12/6/2026 3:01:12 AM","Receive","","Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com","<root><MEP Name=""ClientIP"" String=""2a01:111:e400:c00::31""/></root>","bob@fabrikam.example","alice@contoso.example"
        "contoso.onmicrosoft.com","6b0b2a9e-1f3c-4d5e-9a8b-7c6d5e4f3a2b","12/6/2026 3:40:44 AM","Fail","","Reason: [{LED=550 5.1.1 <bob@fabrikam.example>: Recipient address rejected: User unknown};{MSG=};{FQDN=mx.fabrikam.example};{IP=203.0.113.9};{LRT=}]. OutboundProxyTargetIP: 203.0.113.9","","bob@fabrikam.example","alice@contoso.example"
        """, name: "trace.csv")
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.format == "exchange-trace")
        #expect(s.server.host == "mx.fabrikam.example")
        let rcpt = try #require(s.exchanges.first { $0.command?.verb == "RCPT" })
        #expect(rcpt.command?.address == "bob@fabrikam.example")
        #expect(rcpt.reply?.code == 550)
        #expect(rcpt.reply?.position.line == 4)
        #expect(s.transactions.first?.sender == "alice@contoso.example")
        #expect(s.attributes["message-trace-id"] == "6b0b2a9e-1f3c-4d5e-9a8b-7c6d5e4f3a2b")
    }

    @Test func anExportedTraceWithoutDetailsCountsItsStatuses() throws {
        let all = try sessions("""
        "PSComputerName","RunspaceId","Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId"
        "outlook.office365.com","0b1c","contoso.onmicrosoft.com","<a@x>","12/6/2026 3:01:12 AM","alice@contoso.example","bob@fabrikam.example","Quarterly report","Failed","","2a01:111:e400:c00::31","48213","6b0b2a9e"
        "outlook.office365.com","0b1c","contoso.onmicrosoft.com","<b@x>","12/6/2026 2:55:40 AM","alice@contoso.example","carol@northwind.example","Lunch","Delivered","198.51.100.25","2a01:111:e400:c00::31","9120","7c1c3b0f"
        """, name: "trace.csv")
        let note = try #require(all.first?.notes.first?.text)
        #expect(all.first?.format == "exchange-trace")
        #expect(note.hasPrefix("2 message(s) traced (1 Delivered, 1 Failed)."))
        #expect(note.contains("Get-MessageTrace -RecipientAddress bob@fabrikam.example | Get-MessageTraceDetail"))
    }

    @Test func theSummaryReportCountsEachRecipientsLastEvent() throws {
        let all = try sessions("""
        "origin_timestamp_utc","sender_address","recipient_status","message_subject","total_bytes","message_id","network_message_id","original_client_ip","directionality","connector_id","delivery_priority"
        "2026-12-06T02:55:40.1200000Z","alice@contoso.example","carol@northwind.example##Receive, Send;erin@contoso.example##Receive, Deliver","Lunch","9120","<b@x>","5a1b","","Originating","","Normal"
        "2026-12-06T03:01:12.4810000Z","alice@contoso.example","bob@fabrikam.example##Receive, Defer, Fail","Quarterly report","48213","<a@x>","4f0a","","Originating","","Normal"
        "2026-12-06T03:02:00.0000000Z","alice@contoso.example","dave@tailspin.example##Receive, Defer","Invoice","1200","<c@x>","4f0b","","Originating","","Normal"
        """, name: "summary.csv")
        let note = try #require(all.first?.notes.first?.text)
        #expect(all.first?.format == "exchange-trace")
        #expect(note.hasPrefix("4 message(s) traced (2 Delivered, 1 Failed, 1 Pending)."))
        #expect(note.contains("extended report"))
        #expect(note.contains("-RecipientAddress bob@fabrikam.example"))
    }

    @Test func aHeaderNeedsPropertyNames() {
        #expect(PowerShellListing.csvHeader(Array("\"Date\",\"Event\",\"Detail\"".utf8)[...]) == ["Date", "Event", "Detail"])
        #expect(PowerShellListing.csvHeader(Array("\"12/6/2026\",\"Fail\",\"x\"".utf8)[...]) == nil)
        #expect(PowerShellListing.csvHeader(Array("\"Date\",\"Event\"".utf8)[...]) == nil)
        #expect(PowerShellListing.csvHeader(Array("\"Date\",\"Event name\",\"Detail\"".utf8)[...]) == nil)
    }
}
