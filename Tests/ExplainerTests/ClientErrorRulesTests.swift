import Foundation
import Testing
import TranscriptModel
@testable import Explainer

/// The findings for faults named by an application's error message.
@Suite struct ClientErrorRulesTests {
    private func explain(_ text: String) throws -> ExplainedSession {
        var out: [Session] = []
        _ = try InputDriver.read(name: "error.txt", bytes: Array(text.utf8)) { out.append($0) }
        let s = try #require(out.first)
        #expect(s.format == "client-error")
        return Explainer().explain(s)
    }

    @Test func everyFaultHasOneRow() {
        let ids = ClientErrorRules.table.map(\.id)
        #expect(Set(ids).count == ClientProblem.allCases.count)
        #expect(ClientErrorRules.table.allSatisfy { !$0.actions.isEmpty })
        #expect(Explainer.tellWhyUnfinished.isSuperset(of: ids))
    }

    @Test func modeMismatchNamesThePortAndNotALostConnection() throws {
        let x = try explain("""
        Traceback (most recent call last):
          File "/opt/x/notify.py", line 19, in <module>
            with smtplib.SMTP_SSL("mail.example.com", 587) as smtp:
        ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)
        """)
        let f = try #require(x.findings.first)
        #expect(f.id == "client-tls-mode-mismatch")
        #expect(f.explanation.contains("Port 587."))
        #expect(f.evidence.first?.text.contains("WRONG_VERSION_NUMBER") == true)
        #expect(!x.findings.contains { $0.id == "disconnected" })
        #expect(x.summary == "Disconnected at the greeting: The client and the server disagree on how TLS starts on this port.")
    }

    @Test func missingExtensionTellsWhyTheSessionStopped() throws {
        let x = try explain("smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.\n")
        #expect(x.session.outcome == .incomplete)
        #expect(x.findings.first?.id == "client-auth-not-offered")
        #expect(x.summary == "Incomplete: The client wanted to log in but the server did not offer AUTH.")
    }

    @Test func aQuotedReplyIsExplainedLikeAnyReply() throws {
        // The reply decides, not the fault words around it.
        let x = try explain("com.sun.mail.smtp.SMTPAddressFailedException: 550 5.1.1 <nobody@example.org>... User unknown\n")
        #expect(x.findings.first?.reason == .userunknown)
        #expect(x.session.failedStage == .rcpt)
        #expect(x.session.attributes["client-problem"] == nil)
    }

    @Test func aConnectFailureWithoutAReasonStillGetsSteps() throws {
        let x = try explain("Send-MailMessage : Unable to connect to the remote server\n")
        let f = try #require(x.findings.first)
        #expect(f.id == "connect-failed")
        #expect(f.title == "The connection to the server failed")
        #expect(f.actions.contains { $0.contains("Test-NetConnection") })
    }
}
