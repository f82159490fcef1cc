import Testing
import TranscriptModel
@testable import Explainer

@Suite struct UserRulesTests {
    static let yaml = """
    rules:
      - id: acme-quarantine
        match:
          code: 5xx
          text: [quarantined by acme, held for review]
          command: "."
        reason: filtered
        severity: warning
        title: Held by the ACME gateway's quarantine
        explanation: The ACME gateway keeps suspicious messages for review.
        actions: Ask the mail team to release it.
    """

    @Test func userRuleClaimsTheReplyBeforeBuiltInRules() throws {
        let rules = try UserRules.parse(Self.yaml, file: "r.yaml")
        var sessions: [Session] = []
        _ = try InputDriver.read(name: "t", bytes: Array("""
        220 gw.example.com ESMTP
        HELO c.example.net
        250 ok
        MAIL FROM:<a@example.net>
        250 ok
        RCPT TO:<b@example.com>
        250 ok
        DATA
        354 go
        hi
        .
        550 5.7.1 Message quarantined by ACME policy engine
        QUIT
        221 bye
        """.utf8)) { sessions.append($0) }
        let x = Explainer(userRules: rules).explain(try #require(sessions.first))
        let f = try #require(x.findings.first { $0.id == "acme-quarantine" })
        #expect(f.reason == .filtered)
        #expect(f.severity == .warning)
        #expect(f.actions.first == "Ask the mail team to release it.")
        #expect(!x.findings.contains { $0.id == "message-rejected" })
        #expect(x.primaryReason == .filtered)
    }

    @Test func userRulesApplyToSingleReplies() throws {
        let e = Explainer(userRules: try UserRules.parse(Self.yaml, file: "r.yaml"))
        let c = e.classify(ReplyQuery(code: 550, enhanced: "5.7.1", text: "Message held for review", command: "."))
        #expect(c.ruleID == "acme-quarantine")
        #expect(c.reason == .filtered)
        let other = e.classify(ReplyQuery(code: 550, enhanced: "5.1.1", text: "User unknown", command: "RCPT"))
        #expect(other.ruleID != "acme-quarantine")
    }

    @Test func errorsNameTheLine() {
        let bad = """
        rules:
          - id: one
            match:
              code: 550
            reason: notareason
        """
        #expect {
            try UserRules.parse(bad, file: "r.yaml")
        } throws: { error in
            let e = error as? UserRules.LoadError
            return e?.line == 5 && e?.description.contains("r.yaml:5") == true && e?.message.contains("notareason") == true
        }
        #expect(throws: UserRules.LoadError.self) { try UserRules.parse("rules: [ {id: x, match: {}} ]", file: "r.yaml") }
        #expect(throws: UserRules.LoadError.self) { try UserRules.parse("rules:\n  - id: x\n    match: {code: 99}\n", file: "r.yaml") }
        #expect(throws: UserRules.LoadError.self) { try UserRules.parse("rules: [\n", file: "r.yaml") }
    }
}
