import Foundation
import Testing
@testable import TranscriptModel

/// Exchange queue listings: each queue or message with a LastError is a session of the attempt it tells.
@Suite struct ExchangeQueueReaderTests {
    @Test func aSocketErrorIsAConnectionFailureToTheEndpoint() throws {
        let all = try sessions("""
        [PS] C:\\>Get-Queue -Identity EX01\\7 | Format-List

        DeliveryType                     : DnsConnectorDelivery
        NextHopDomain                    : fabrikam.example
        Status                           : Retry
        MessageCount                     : 14
        LastError                        : 441 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect. Winsock error code: 10061, Win32 error code: 10061." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 192.0.2.25:25
        Identity                         : EX01\\7

        """)
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.format == "exchange-queue")
        #expect(s.direction == .outbound)
        #expect(s.connectFailure == .refused)
        #expect(s.server.address == "192.0.2.25")
        #expect(s.server.port == 25)
        #expect(s.attributes["exchange-identity"] == "EX01\\7")
        #expect(s.attributes["status"] == "retry")
        #expect(s.attributes["next-hop"] == "fabrikam.example")
        #expect(s.attributes["dsn"] == "4.4.1")
    }

    @Test func aQuotedReplyIsTheServersAnswerToTheRecipientItNames() throws {
        let all = try sessions("""
        FromAddress : alice@contoso.example
        Status      : Suspended
        LastError   : 451 4.4.0 Primary target IP address responded with: "550 5.1.1 <bob@fabrikam.example>: Recipient
                      address rejected: User unknown." Attempted failover to alternate host, but that did not succeed.
                      The last endpoint attempted was 192.0.2.25:25
        Recipients  : {bob@fabrikam.example, carol@fabrikam.example}
        Identity    : EX01\\9\\13
        """, format: "exchange-queue")
        let s = try #require(all.first)
        let rcpt = try #require(s.exchanges.first { $0.command?.verb == "RCPT" })
        #expect(rcpt.command?.address == "bob@fabrikam.example")
        #expect(rcpt.reply?.code == 550)
        // The wrapped value is joined into one reply.
        #expect(rcpt.reply?.text.hasSuffix("Recipient address rejected: User unknown.") == true)
        #expect(s.exchanges.filter { $0.command?.verb == "RCPT" }.count == 1)
        #expect(s.transactions.first?.sender == "alice@contoso.example")
        #expect(s.notes.contains { $0.text.contains("Resume-Message -Identity EX01\\9\\13") })
        #expect(s.notes.contains { $0.text.hasPrefix("Exchange does not say which step") })
    }

    @Test func aTableRowIsOneQueueAndExchangesOwnWordsAreItsReason() throws {
        let all = try sessions("""
        Identity        Status MessageCount NextHopDomain      LastError
        --------        ------ ------------ -------------      ---------
        EX01\\Submission Ready             0 Submission
        EX01\\7          Retry            14 fabrikam.example   451 4.4.0 Primary target IP address responded with: "421 4.4.2 Connection dropped due to SocketError." The last endpoint attempted was 192.0.2.25:25
        EX01\\8          Retry             2 northwind.example  451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain

        """)
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0.format == "exchange-queue" })
        #expect(all[0].attributes["mta-reason"]?.contains("Connection dropped due to SocketError") == true)
        #expect(all[0].exchanges.isEmpty)
        #expect(all[1].connectFailure == .nameNotResolved)
        #expect(all[1].server.host == "northwind.example")
    }

    @Test func aLastErrorCutByTheTableSaysSo() throws {
        let all = try sessions("""
        Identity Status LastError
        -------- ------ ---------
        EX01\\7   Retry  451 4.4.0 Primary target IP address responded with: "421 4.2.1 Unable to co...

        """)
        let s = try #require(all.first)
        #expect(s.format == "exchange-queue")
        #expect(s.notes.contains { $0.text.hasPrefix("The listing cut LastError short; `Get-Queue -Identity EX01\\7 | Format-List LastError`") })
    }

    @Test func aListingWithoutLastErrorNamesTheQueuesWaiting() throws {
        let all = try sessions("""
        Identity             DeliveryType Status MessageCount Velocity RiskLevel OutboundIPPool NextHopDomain
        --------             ------------ ------ ------------ -------- --------- -------------- -------------
        EX01\\3               DnsConnec... Retry  14           0        Normal    0              fabrikam.example
        EX01\\Submission      Undefined    Ready  0            0        Normal    0              Submission

        """)
        #expect(all.count == 1)
        let note = try #require(all.first?.notes.first?.text)
        #expect(note.hasPrefix("2 queue(s) or message(s) listed; none shows a LastError."))
        #expect(note.contains("Get-Queue -Identity EX01\\3 | Format-List"))
    }

    @Test func aMessageTrackingListIsNotAQueue() {
        let lines = ["EventId        : FAIL", "Source         : SMTP", "Recipients     : {bob@example.org}", "RecipientStatus : {550 5.1.1}"]
        #expect(ExchangeQueueReader.score(lines.map { Array($0.utf8)[...] }) == 0)
    }
}
