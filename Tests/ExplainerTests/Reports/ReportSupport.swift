import Testing
@testable import TranscriptModel
@testable import Explainer

/// Sessions of a transcript, explained (redaction at parse time as configured by the caller).
func reportSessions(_ text: String, name: String = "report.txt") throws -> [ExplainedSession] {
    var out: [Session] = []
    _ = try InputDriver.read(name: name, bytes: Array(text.utf8)) { out.append($0) }
    return out.map { Explainer().explain($0) }
}

/// What libxml2's HTML parser made of a document: elements, text, and every error it reported.
struct ParsedHTML {
    var elements: [String] = []
    var text = ""
    var errors: [String] = []
}

private final class ErrorBox {
    var errors: [String] = []
}

func parseHTML(_ html: String) -> ParsedHTML {
    let xml = LibXML.shared!
    var parsed = ParsedHTML()
    let box = ErrorBox()
    let ctx = Unmanaged.passUnretained(box).toOpaque()
    // Errors are collected, not printed: xmlError starts with `int domain; int code; char *message`.
    xml.setStructuredErrorFunc(ctx) { ctx, err in
        guard let ctx, let err else { return }
        let box = Unmanaged<ErrorBox>.fromOpaque(ctx).takeUnretainedValue()
        let code = err.load(fromByteOffset: 4, as: Int32.self)
        let msg = err.load(fromByteOffset: 8, as: UnsafePointer<CChar>?.self).map { String(cString: $0) } ?? "?"
        box.errors.append("\(code): \(msg)")
    }
    defer { xml.setStructuredErrorFunc(nil, nil) }
    _ = xml.walkHTML(Array(html.utf8), options: LibXML.parseNoNet) { type, name, value, _ in
        if type == .element, let name { parsed.elements.append(name) }
        if let value { parsed.text += String(cString: value) }
    }
    parsed.errors = box.errors
    return parsed
}

let authSample = """
220 mx.example.com ESMTP Postfix
EHLO client.example.net
250-mx.example.com
250-PIPELINING
250-AUTH PLAIN LOGIN XOAUTH2
250 8BITMIME
AUTH PLAIN AGFsaWNlAFMzY3IzdFBsYWlu
535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6
AUTH LOGIN
334 VXNlcm5hbWU6
YWxpY2VAZXhhbXBsZS5jb20=
334 UGFzc3dvcmQ6
UzNjcjN0TG9naW4=
535 5.7.8 Error: authentication failed
AUTH LOGIN Ym9iQGV4YW1wbGUuY29t
334 UGFzc3dvcmQ6
Qm9iU2VjcmV0OTk=
535 5.7.8 Error: authentication failed
AUTH XOAUTH2 dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnNlY3JldFRva2VuAQE=
235 2.7.0 Authentication successful
MAIL FROM:<alice@example.com>
250 2.1.0 Ok
RCPT TO:<bob@example.org>
250 2.1.5 Ok
DATA
354 End data with <CR><LF>.<CR><LF>
From: Alice Example <alice@example.com>
To: bob@example.org
Subject: Quarterly plan for Bob

hello Bob, the door code is 4711
.
250 2.0.0 Ok: queued as 4XyZ1
QUIT
221 2.0.0 Bye
"""

/// Base64 payloads and what they decode to: none may appear in any output.
let authSecrets = [
    "AGFsaWNlAFMzY3IzdFBsYWlu", "S3cr3tPlain",
    "YWxpY2VAZXhhbXBsZS5jb20=", "UzNjcjN0TG9naW4=", "S3cr3tLogin",
    "Ym9iQGV4YW1wbGUuY29t", "Qm9iU2VjcmV0OTk=", "BobSecret99",
    "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnNlY3JldFRva2VuAQE=", "ya29.secretToken",
]

/// Every format's output for a set of sessions.
func allFormats(_ xs: [ExplainedSession]) -> [String: String] {
    var text = ""
    for (i, x) in xs.enumerated() { text += TextRenderer().render(x, number: i + 1, of: xs.count) }
    return [
        "text": text,
        "brief": xs.map { TextRenderer(brief: true).render($0, number: 1, of: 1) }.joined(),
        "json": JSONRenderer.document(xs),
        "html": HTMLRenderer.document(xs, title: "Report"),
        "markdown": MarkdownRenderer.document(xs),
    ]
}
