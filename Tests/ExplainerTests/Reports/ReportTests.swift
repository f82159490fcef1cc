import Testing
@testable import TranscriptModel
@testable import Explainer

private let rejected = """
220 mx.example.com ESMTP Postfix
HELO client.example.net
250 mx.example.com
MAIL FROM:<alice@example.com>
250 2.1.0 Ok
RCPT TO:<bob@elsewhere.example>
554 5.7.1 <bob@elsewhere.example>: Relay access denied
QUIT
221 2.0.0 Bye
"""

private let hostile = """
220 mx.example.com ESMTP <script>alert(1)</script>
HELO "><img src=x onerror=alert(2)>
250 mx.example.com Hello "><img src=x onerror=alert(3)> & friends
MAIL FROM:<a@example.net>
550 5.7.1 <b onmouseover=alert(4)>no</b> ``` **bold** [link](javascript:alert(5))
QUIT
221 Bye
"""

@Suite struct HTMLReportTests {
    @Test func parsesWithoutErrorsAndHasTheExpectedStructure() throws {
        let xs = try reportSessions(rejected) + reportSessions(authSample)
        let html = HTMLRenderer.document(xs, title: "Two sessions")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        let parsed = parseHTML(html)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(!parsed.elements.contains("script"))
        #expect(parsed.elements.contains("style"))
        #expect(parsed.elements.filter { $0 == "table" }.count >= 2)
        // Verdict before the conversation, index first (two sessions), legend last.
        let t = parsed.text
        let index = try #require(t.range(of: "Sessions"))
        let verdict = try #require(t.range(of: "REJECTED"))
        let conv = try #require(t.range(of: "Conversation"))
        let legend = try #require(t.range(of: "Legend"))
        #expect(index.lowerBound < verdict.lowerBound)
        #expect(verdict.lowerBound < conv.lowerBound)
        #expect(conv.upperBound < legend.lowerBound)
        #expect(t.contains("Relay access denied"))
        #expect(t.contains("Next steps"))
        #expect(html.contains("href=\"#session-2\""))
        #expect(html.contains("@media print"))
        #expect(html.contains("max-width:700px"))
        // Self-contained: nothing fetched from elsewhere.
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("<link"))
    }

    @Test func inputMarkupStaysText() throws {
        let xs = try reportSessions(hostile)
        let html = HTMLRenderer.document(xs, title: "<script>alert('title')</script>")
        let parsed = parseHTML(html)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(!parsed.elements.contains("script"))
        #expect(!parsed.elements.contains("img"))
        #expect(!parsed.elements.contains("b"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<script"))
        #expect(parsed.text.contains("<script>alert(1)</script>"))
        #expect(parsed.text.contains("\"><img src=x onerror=alert(2)>"))
    }

    @Test func controlCharactersAreShownEscaped() throws {
        let xs = try reportSessions("220 mx.example.com ESMTP\nHELO a\u{1B}[31mred\n250 ok\n")
        let html = HTMLRenderer.document(xs, title: "t")
        #expect(!html.contains("\u{1B}"))
        #expect(html.contains("\\x1b[31mred"))
        #expect(parseHTML(html).errors.isEmpty)
    }

    @Test func timingsShownWhenKnown() throws {
        var x = try #require(try reportSessions(rejected).first)
        for i in x.session.lines.indices { x.session.lines[i].position.time = 1_764_400_000 + Double(i) * 0.25 }
        x.session.start?.time = 1_764_400_000
        x.session.end?.time = 1_764_400_002
        let html = HTMLRenderer.document([x], title: "t")
        #expect(html.contains("+250 ms"))
        #expect(html.contains("2025-11-29 07:06:40.000Z"))
        #expect(html.contains("Duration"))
        #expect(parseHTML(html).errors.isEmpty)
    }

    @Test func emptyReport() {
        let html = HTMLRenderer.document([], title: "Nothing")
        #expect(parseHTML(html).errors.isEmpty)
        #expect(html.contains("No SMTP session"))
    }
}

@Suite struct MarkdownReportTests {
    @Test func verdictTranscriptFindings() throws {
        let md = MarkdownRenderer.document(try reportSessions(rejected))
        #expect(md.contains("**REJECTED** at `rcpt`"))
        #expect(md.contains("```text\n"))
        #expect(md.contains("Relay access denied"))
        #expect(md.contains("Next steps:"))
    }

    @Test func escapingOutsideCode() {
        let e = MarkdownRenderer.escape("*bold* _it_ <b>x</b> [a](b) # h | t & `c` 1. ~s~")
        for special in ["*", "_", "<", ">", "[", "]", "#", "|", "&", "`", "~"] {
            // Every special character is preceded by a backslash.
            var prev: Character = " "
            for ch in e {
                if String(ch) == special { #expect(prev == "\\", "\(special) in \(e)") }
                prev = ch == "\\" && prev == "\\" ? " " : ch
            }
        }
        #expect(MarkdownRenderer.escape("1. not a list").hasPrefix("1\\."))
        #expect(MarkdownRenderer.escape("- not a list").hasPrefix("\\- "))
        #expect(MarkdownRenderer.escape("see (RFC 5321) a-b") == "see (RFC 5321) a-b")
        #expect(MarkdownRenderer.escape("line\u{1B}[2J").contains("\\\\x1b"))
    }

    @Test func fenceIsLongerThanAnyBacktickRun() throws {
        let f = MarkdownRenderer.fenced(["a ``` b", "````"], info: "text")
        #expect(f.hasPrefix("`````text\n"))
        #expect(f.hasSuffix("\n`````\n"))
        let md = MarkdownRenderer.document(try reportSessions(hostile))
        // The reply carrying ``` is inside a longer fence, and HTML in it never reaches Markdown raw.
        #expect(md.contains("````text\n"))
        let outside = md.components(separatedBy: "````").enumerated().filter { $0.offset % 2 == 0 }.map(\.element).joined()
        // Outside the fence, markup only appears escaped (`\<img`), which Markdown shows as text.
        #expect(!outside.replacingOccurrences(of: "\\<", with: "").contains("<img"))
        #expect(!outside.replacingOccurrences(of: "\\<", with: "").contains("<b "))
        #expect(MarkdownRenderer.codeSpan("a`b") == "``a`b``")
        #expect(MarkdownRenderer.codeSpan("`x") == "`` `x ``")
    }
}

@Suite struct RedactionReportTests {
    @Test func noSecretInAnyFormatByDefault() throws {
        let xs = try reportSessions(authSample)
        for (format, out) in allFormats(xs) {
            for s in authSecrets { #expect(!out.contains(s), "\(format) shows \(s)") }
        }
        let redacted = xs.map(Redactor(mode: .credentials).apply)
        for (format, out) in allFormats(redacted) {
            for s in authSecrets { #expect(!out.contains(s), "\(format) shows \(s) after the redactor") }
        }
    }

    @Test func redactorCatchesWhatTheParserKept() throws {
        let xs = try SessionBuilder.$redactByDefault.withValue(false) { try reportSessions(authSample) }
        // Without parse-time redaction the payloads are there...
        #expect(JSONRenderer.document(xs).contains("UzNjcjN0TG9naW4="))
        // ...and the credentials redactor removes every one of them, in every format.
        let r = Redactor(mode: .credentials)
        for (format, out) in allFormats(xs.map(r.apply)) {
            for s in authSecrets { #expect(!out.contains(s), "\(format) shows \(s)") }
        }
    }

    /// `Redactor` skips sessions that hold nothing secret after one read-only look; a secret placed in any one
    /// printed string must still make it rewrite the session.
    @Test func credentialsInAnyOneStringAreFound() throws {
        let clean = try #require(try reportSessions(rejected).first)
        let r = Redactor(mode: .credentials)
        #expect(JSONRenderer.document([r.apply(clean)]) == JSONRenderer.document([clean]))
        let secret = "password=hunter2"
        let p = clean.session.exchanges[1].reply!.position
        let places: [(String, (inout ExplainedSession) -> Void)] = [
            ("client host", { $0.session.client.host = secret }),
            ("helo", { $0.session.client.heloName = secret }),
            ("command", { $0.session.exchanges[1].command!.raw = "HELO " + secret }),
            ("command argument", { $0.session.exchanges[1].command!.argument = secret }),
            ("reply", { $0.session.exchanges[1].reply!.lines = ["ok " + secret] }),
            ("transaction sender", { $0.session.transactions[0].sender = secret }),
            ("recipient", { $0.session.transactions[0].recipients[0].address = secret }),
            ("note", { $0.session.notes.append(Note(kind: .tool, text: "debug " + secret, position: p)) }),
            ("line", { $0.session.lines[0].text = "220 " + secret }),
            ("attribute", { $0.session.attributes["x"] = secret }),
            ("summary", { $0.summary = secret }),
            ("finding title", { $0.findings[0].title = secret }),
            ("finding action", { $0.findings[0].actions.append(secret) }),
            ("evidence", { $0.findings[0].evidence.append(Evidence(position: p, text: secret)) }),
            ("reply meaning", { k in
                let i = k.replies.keys.sorted()[0]
                k.replies[i]!.codeMeaning = secret
            }),
        ]
        for (place, put) in places {
            var x = clean
            put(&x)
            let out = JSONRenderer.document([r.apply(x)])
            #expect(!out.contains("hunter2"), "secret in \(place) was not redacted")
        }
    }

    @Test func passwordLookingArguments() {
        let s = Scrubber(mode: .credentials, table: PlaceholderTable(), session: Session(input: "x", format: "x"))
        #expect(s.text("PASS hunter2") == "PASS [redacted]")
        #expect(s.text("login user=bob password=hunter2 ok") == "login user=bob password=[redacted] ok")
        #expect(s.text("Password: hunter2") == "Password: [redacted]")
        #expect(s.text("swaks --auth-password hunter2 --to x") == "swaks --auth-password [redacted] --to x")
        #expect(s.text("~> AUTH PLAIN AGFsaWNlAHNlY3JldA==") == "~> AUTH PLAIN [redacted]")
        #expect(s.text("use AUTH LOGIN instead of PLAIN") == "use AUTH LOGIN instead of PLAIN")
        #expect(s.text("the password is wrong") == "the password is wrong")
    }

    @Test func personalDataMaskedWithStablePlaceholders() throws {
        let blocked = """
        220 mx.example.org ESMTP
        EHLO [203.0.113.7]
        250 mx.example.org
        MAIL FROM:<alice@example.com>
        554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org; alice@example.com
        QUIT
        221 Bye
        """
        let r = Redactor(mode: .personal)
        let xs = (try reportSessions(authSample) + reportSessions(blocked)).map(r.apply)
        for (format, out) in allFormats(xs) {
            for s in ["alice@", "bob@", "203.0.113.7", "Quarterly plan", "Alice Example", "door code"] {
                if out.contains(s) {
                    let around = out.components(separatedBy: "\n").filter { $0.contains(s) }.prefix(3)
                    Issue.record("\(format) shows \(s): \(around)")
                }
            }
            for s in authSecrets { #expect(!out.contains(s), "\(format) shows \(s)") }
        }
        // Same address, same placeholder, across both sessions of the report.
        #expect(xs[0].session.transactions[0].sender == "user1@example.com")
        #expect(xs[1].session.transactions[0].sender == "user1@example.com")
        #expect(xs[0].session.transactions[0].recipients[0].address == "user2@example.org")
        #expect(xs[0].session.transactions[0].message?.header("Subject") == "[subject 1]")
        #expect(xs[1].session.exchanges.compactMap(\.reply).contains { $0.text.contains("[ip1]") })
        #expect(r.placeholder("user", for: "alice@example.com") == "user1")
        // Domains stay: they matter to the diagnosis.
        #expect(JSONRenderer.document(xs).contains("@example.com"))
        // A new report starts numbering again.
        #expect(Redactor(mode: .personal).placeholder("user", for: "bob@example.org") == "user1")
    }

    @Test func serverAddressIsKept() {
        var s = Session(input: "x", format: "x")
        s.server.address = "198.51.100.25"
        let sc = Scrubber(mode: .personal, table: PlaceholderTable(), session: s)
        #expect(sc.text("Trying 198.51.100.25... from 192.0.2.9") == "Trying 198.51.100.25... from ip1")
        #expect(sc.text("EHLO [IPv6:2001:db8::7]").contains("[IPv6:ip2]"))
        #expect(sc.text("at 12:30:45 code 5.7.1 Exim 4.96") == "at 12:30:45 code 5.7.1 Exim 4.96")
    }

    @Test func unknownClientNameIsNotAWordToReplace() throws {
        var x = try #require(try reportSessions(rejected).first)
        x.session.client.host = "unknown"
        x.session.client.address = "192.0.2.44"
        x.findings[0].explanation = "User unknown at 192.0.2.44"
        let out = Redactor(mode: .personal).apply(x)
        #expect(out.findings[0].explanation == "User unknown at ip1")
        #expect(out.session.client.host == "unknown")
        #expect(out.session.client.address == "ip1")
    }

    @Test func noneLeavesEverything() throws {
        let xs = try reportSessions(rejected)
        let out = Redactor(mode: .none).apply(xs[0])
        #expect(out.session.transactions[0].sender == "alice@example.com")
    }
}

@Suite struct HTMLSummaryReportTests {
    @Test func summaryPageParsesAndCounts() throws {
        let xs = try reportSessions(authSample) + reportSessions(hostile)
        let summary = TriageSummary(xs.map { ($0.session, $0.findings.map(\.reason.rawValue)) })
        let html = HTMLRenderer.summary(summary, title: "Today <b>")
        let parsed = parseHTML(html)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(!parsed.elements.contains("script"))
        #expect(!parsed.elements.contains("b"))
        #expect(parsed.text.contains("Outcome"))
        #expect(parsed.text.contains("DELIVERED"))
        #expect(parsed.text.contains("2 sessions"))
    }
}
