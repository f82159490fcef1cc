import Foundation
import Testing
@testable import TranscriptModel

private func readHTML(_ html: String) throws -> (text: String, sessions: [Session], hidden: Bool) {
    let (bytes, hidden) = HTMLInput.convert(Array(html.utf8))
    var out: [Session] = []
    _ = try InputDriver.read(name: "page.html", bytes: bytes) { s in
        var s = s
        if hidden { HTMLInput.markAddressesHidden(&s) }
        out.append(s)
    }
    return (String(decoding: bytes, as: UTF8.self), out, hidden)
}

@Suite struct HTMLInputReportTests {
    let phpmailer = """
    2024-05-01 10:00:00 SERVER -&gt; CLIENT: 220 smtp.example.com ESMTP Postfix<br>
    2024-05-01 10:00:00 CLIENT -&gt; SERVER: EHLO web.example.net<br>
    2024-05-01 10:00:00 SERVER -&gt; CLIENT: 250 smtp.example.com Hello web.example.net<br>
    <br>
    2024-05-01 10:00:00 CLIENT -&gt; SERVER: MAIL FROM:&lt;shop@example.net&gt;<br>
    2024-05-01 10:00:00 SERVER -&gt; CLIENT: 250 2.1.0 Ok<br>
    2024-05-01 10:00:00 CLIENT -&gt; SERVER: RCPT TO:&lt;someone@example.org&gt;<br>
    2024-05-01 10:00:01 SERVER -&gt; CLIENT: 554 5.7.1 &lt;someone@example.org&gt;: Relay access denied<br>
    2024-05-01 10:00:01 SMTP ERROR: RCPT TO command failed: 554 5.7.1 &lt;someone@example.org&gt;: Relay access denied<br>
    """

    @Test func detection() {
        #expect(HTMLInput.looksLikeHTML(Array("<!DOCTYPE html><html>".utf8)))
        #expect(HTMLInput.looksLikeHTML(Array("  \n<HTML><body>".utf8)))
        #expect(HTMLInput.looksLikeHTML(Array(phpmailer.utf8)))
        #expect(HTMLInput.looksLikeHTML(Array("<pre>220 mx ESMTP\nHELO a\n</pre>".utf8)))
        #expect(!HTMLInput.looksLikeHTML(Array("220 mx.example.com ESMTP\nMAIL FROM:<a@b.c>\n250 ok\n".utf8)))
        // An HTML message body in a transcript is message content, not an HTML page.
        let body = "220 mx ESMTP\nHELO a\n250 ok\nMAIL FROM:<a@b.c>\n250 ok\nRCPT TO:<d@e.f>\n250 ok\nDATA\n354 go\n"
            + String(repeating: "<div><p>hi</p><br></div>\n", count: 20) + ".\n250 ok\n"
        #expect(!HTMLInput.looksLikeHTML(Array(body.utf8)))
    }

    @Test func phpMailerHTMLDebugOutput() throws {
        let r = try readHTML(phpmailer)
        let lines = r.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "2024-05-01 10:00:00 SERVER -> CLIENT: 220 smtp.example.com ESMTP Postfix")
        #expect(lines.contains("2024-05-01 10:00:00 SERVER -> CLIENT: 250 smtp.example.com Hello web.example.net"))
        #expect(lines.contains("2024-05-01 10:00:00 CLIENT -> SERVER: MAIL FROM:<shop@example.net>"))
        let s = try #require(r.sessions.first)
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
        #expect(!r.hidden)
    }

    @Test func preBlockOnAPage() throws {
        let page = """
        <!DOCTYPE html><html><head><title>Help!</title><style>pre{color:red}</style>
        <script>var x = "220 fake";</script></head><body>
        <h1>My mail does not go out</h1><p>Here is what I typed:</p>
        <pre>220 mx.example.com ESMTP Exim 4.96
        HELO  client.example.net
        250 mx.example.com Hello client.example.net [192.0.2.10]
        MAIL FROM:&lt;me@example.net&gt;
        250 OK
        RCPT TO:&lt;you@example.com&gt;
        550 5.1.1 &lt;you@example.com&gt;: Recipient address rejected: User unknown
        QUIT
        221 mx.example.com closing connection</pre>
        <p>Thanks &amp; regards</p></body></html>
        """
        let r = try readHTML(page)
        #expect(!r.text.contains("fake"))
        #expect(!r.text.contains("color:red"))
        #expect(r.text.contains("HELO  client.example.net\n"))   // <pre> keeps spacing
        #expect(r.text.contains("MAIL FROM:<me@example.net>\n"))
        #expect(r.text.contains("Thanks & regards"))
        let s = try #require(r.sessions.first)
        #expect(s.failedStage == .rcpt)
        #expect(s.transactions.first?.recipients.first?.address == "you@example.com")
    }

    @Test func cloudflareHiddenAddresses() throws {
        let page = """
        <html><body><pre>220 mx.example.com ESMTP Postfix
        HELO client.example.net
        250 mx.example.com
        MAIL FROM:&lt;<a href="/cdn-cgi/l/email-protection" class="__cf_email__" data-cfemail="3b5a">[email&#160;protected]</a>&gt;
        250 2.1.0 Ok
        RCPT TO:&lt;<a href="/cdn-cgi/l/email-protection" class="__cf_email__" data-cfemail="3b5b">[email&#160;protected]</a>&gt;
        554 5.7.1 Relay access denied
        </pre></body></html>
        """
        let r = try readHTML(page)
        #expect(r.hidden)
        let s = try #require(r.sessions.first)
        #expect(s.attributes[HTMLInput.addressesHiddenAttribute] == "true")
        #expect(s.outcome == .rejected)
        #expect(s.failedStage == .rcpt)
    }

    @Test func garbageDoesNotCrash() {
        for junk in ["<", "<<<>>>", "<pre>", "</pre></pre><br/><br", String(repeating: "<div>", count: 5000), "\u{0}<p>x"] {
            _ = HTMLInput.text(from: Array(junk.utf8))
        }
        #expect(HTMLInput.text(from: []).isEmpty)
    }
}

/// The PHPMailer sample is HTML debug output: read through HTMLInput it must explain the same way as read
/// directly by the PHPMailer reader (which understands the HTML form itself).
@Suite struct HTMLInputSampleTests {
    @Test func phpMailerHTMLSampleSameVerdictEitherWay() throws {
        let url = repoRoot.appendingPathComponent("samples/phpmailer/phpmailer-smtpdebug2-html-user-unknown.txt")
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect(HTMLInput.looksLikeHTML(Array(bytes.prefix(4096))))
        var direct: [Session] = [], converted: [Session] = []
        _ = try InputDriver.read(name: "a", bytes: bytes) { direct.append($0) }
        let text = HTMLInput.text(from: bytes)
        _ = try InputDriver.read(name: "b", bytes: text) { converted.append($0) }
        #expect(direct.count == converted.count)
        #expect(direct.map(\.outcome) == converted.map(\.outcome))
        #expect(direct.map(\.failedStage) == converted.map(\.failedStage))
        #expect(direct.map(\.format) == converted.map(\.format))
    }
}
