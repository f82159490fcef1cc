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
