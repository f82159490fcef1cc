import Foundation
import Testing
@testable import TranscriptModel

/// Dovecot's deliveries in a log of their own: where each message went.
@Suite struct DovecotLogTests {
    @Test func ownLogFileFormat() throws {
        // Dovecot's `log_path` file: no host or program, the agent right after the time.
        let log = """
        Dec 06 11:40:12 lmtp(7720): Info: Connect from local
        Dec 06 11:40:12 lmtp(kim@example.net)<7720><Xk2mA9xUcWmgHgAA6a1b2c>: Info: msgid=<a@shop.example>: saved mail to INBOX
        Dec 06 11:45:02 lmtp(ravi@example.net)<7731><Hq8sC4zWcWmrHgAA6a1b2c>: Error: msgid=<b@partner.example>: save failed to INBOX: Quota exceeded (mailbox for user is full)
        Dec 06 11:46:00 lda(lee@example.net)<7790><>: sieve: msgid=<c@list.example>: marked message to be discarded if not explicitly delivered (discard action)

        """
        let s = try sessions(log, name: "dovecot-\(UUID().uuidString).log")
        #expect(s.map(\.format) == ["dovecot-log", "dovecot-log", "dovecot-log"])
        #expect(s.map(\.outcome) == [.delivered, .rejected, .delivered])
        #expect(s[0].attributes["mailbox-action"] == "stored" && s[0].attributes["mailbox-target"] == "INBOX")
        #expect(s[0].attributes["message-id"] == "a@shop.example" && s[0].server.host == nil)
        #expect(s[1].exchanges.last { $0.reply != nil }?.reply?.code == 552)
        #expect(s[1].exchanges.last { $0.reply?.code == 552 }?.reply?.text.contains("Quota exceeded (mailbox for user is full)") == true)
        #expect(s[1].transactions.first?.recipients.first?.address == "ravi@example.net")
        #expect(s[2].attributes["mailbox-action"] == "discarded" && s[2].attributes["delivery-agent"] == "lda")
        #expect(s[0].start?.time != nil)
    }

    @Test func detectionLeavesMTALogsToTheirReaders() {
        let dovecot = ["Dec  6 11:40:12 mail dovecot: lmtp(kim@example.net)<7720><Xk2m>: msgid=<a@b>: saved mail to INBOX"]
        #expect(FormatDetector.choose(prefix: dovecot.map { Array($0.utf8)[...] })?.reader.formatID == "dovecot-log")
        let withPostfix = dovecot + ["Dec  6 11:40:12 mail postfix/lmtp[7721]: 4QbF1A2bCd: to=<kim@example.net>, relay=mail[private/dovecot-lmtp], delay=0.1, dsn=2.0.0, status=sent (250 2.0.0 <kim@example.net> Xk2m Saved)"]
        #expect(DovecotLogReader.score(withPostfix.map { Array($0.utf8)[...] }) == 0)
        #expect(FormatDetector.choose(prefix: withPostfix.map { Array($0.utf8)[...] })?.reader.formatID == "postfix-log")
        // IMAP logins alone are not deliveries.
        #expect(DovecotLogReader.score(["Dec  6 11:40:01 mail dovecot: imap-login: Login: user=<kim@example.net>, method=PLAIN"].map { Array($0.utf8)[...] }) == 0)
    }

    @Test func forcedOnALogWithoutDeliveries() throws {
        let s = try sessions("Dec  6 11:40:01 mail dovecot: imap-login: Login: user=<kim@example.net>\n", format: "dovecot-log")
        #expect(s.count == 1 && s[0].exchanges.isEmpty)
        #expect(s[0].notes.first?.text.hasPrefix("No Dovecot delivery line") == true)
    }
}
