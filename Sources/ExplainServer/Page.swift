import Foundation
import Explainer
import TranscriptModel

/// The one web page: a paste box and a file field above the result. The result is the HTML report itself
/// (`HTMLRenderer`, escaped by construction by libxml2); the form is a fixed template whose only variable
/// parts go through `Page.escape`, and it is placed right after the report's `<body>` tag.
enum Page {
    /// Text for element content and quoted attribute values: markup characters become entities; control
    /// characters other than tab and line ends are dropped (they have no business in a paste box).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// The page with no result yet (GET /), or with only a message (a request that could not be served).
    static func standalone(_ options: ServeOptions, paste: String? = nil, alert: String? = nil) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
        <meta name="generator" content="smtpexplain"><title>smtpexplain</title><style>\(baseCSS)\(css)</style></head>
        <body>
        \(form(options, paste: paste, alert: alert))
        <div class="serve-intro"><h2>What this does</h2>
        <p>Paste an SMTP conversation (a telnet, openssl, swaks or curl session, a client library's debug output, \
        MTA log lines, a <code>mailq</code> or Exchange <code>Get-Queue</code> listing), the error message an application printed, a bounce, a delivered \
        message's headers (why it went to Junk or arrived late), an email service's event JSON (Amazon SES, \
        SendGrid, Mailgun, Postmark, ...), DNS lookups (<code>dig</code>, <code>nslookup</code>), an MTA's address test \
        (<code>exim -bt</code>) or its settings (<code>postconf -n</code>); or upload a file (transcript, .eml or mbox, \
        Postfix/Exim/Sendmail/qmail/Courier/Dovecot/Exchange log, packet capture, a DMARC aggregate or SMTP TLS report or the email it came in, a feedback loop's spam complaint), then \
        press Explain. Each session is rebuilt and explained reply by reply: what happened, what went wrong, what to do next.</p>
        <p>Nothing is stored\(options.keepDirectory == nil ? "" : " except in the server's --keep folder"). \
        AUTH credentials are redacted before anything is shown.</p></div>
        </body></html>

        """
    }

    /// The report of a result with the form on top.
    static func result(_ r: ExplainResult, _ options: ServeOptions, paste: String?) -> String {
        let names = r.sessions.map(\.session.input) + r.errors.map(\.input)
        var seen = Set<String>()
        let unique = names.filter { seen.insert($0).inserted }
        let title = "smtpexplain: " + (unique.isEmpty ? "result" : unique.prefix(3).joined(separator: ", "))
        let report = HTMLRenderer.document(r.sessions, title: title, errors: r.errors)
        var notes: [String] = []
        if r.omitted > 0 {
            notes.append("Showing the first \(r.sessions.count) of \(r.sessions.count + r.omitted) sessions; "
                         + "POST /api/explain or the smtpexplain command line give them all.")
        }
        if r.allFailed {
            notes.append("The input could not be read: see the message below. "
                         + "The page takes SMTP transcripts, MTA logs and packet captures.")
        }
        return splice(report, top: form(options, paste: paste, alert: notes.isEmpty ? nil : notes.joined(separator: " "),
                                        compact: true))
    }

    /// Puts the page's own style into the report's head and the form at the top of its body.
    static func splice(_ report: String, top: String) -> String {
        var doc = report
        if let head = doc.range(of: "</head>") {
            doc.replaceSubrange(head, with: "<style>\(css)</style></head>")
        }
        if let open = doc.range(of: "<body"), let close = doc[open.upperBound...].firstIndex(of: ">") {
            doc.insert(contentsOf: "\n" + top, at: doc.index(after: close))
        } else {
            doc = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>smtpexplain</title><style>"
                + baseCSS + css + "</style></head><body>\n" + top + "\n</body></html>\n"
        }
        return doc
    }

    /// `compact`: above a result, the paste box is smaller so the verdict shows without scrolling.
    static func form(_ options: ServeOptions, paste: String?, alert: String?, compact: Bool = false) -> String {
        var shown = paste ?? ""
        var pasteNote = ""
        if shown.utf8.count > options.echoPasteLimit {
            shown = ""
            pasteNote = "<p class=\"serve-note\">(The paste was too long to show again here.)</p>"
        }
        let alertHTML = alert.map { "<div class=\"serve-alert\" role=\"alert\"><p>\(escape($0))</p></div>\n" } ?? ""
        // The newline after <textarea> keeps a paste's own leading newline (HTML drops the first one).
        return """
        <div class="serve" role="search">
        <div class="serve-title"><a href="/">smtpexplain</a> <span>why did the mail not go through?</span></div>
        \(alertHTML)<form method="post" action="/" enctype="multipart/form-data" class="serve-form">
        <label for="paste">Paste an SMTP session, debug output, an error message, a bounce, message headers, a sending service's event or MTA log lines</label>
        <textarea id="paste" name="paste" rows="\(compact ? 6 : 12)"\(compact ? " class=\"compact\"" : "") spellcheck="false" autocomplete="off" \
        placeholder="220 mx.example.net ESMTP&#10;EHLO client.example.org&#10;250-mx.example.net&#10;MAIL FROM:&lt;a@example.org&gt;&#10;...">
        \(escape(shown))</textarea>
        \(pasteNote)<div class="serve-row">
        <label for="file">or upload files (transcript, log, journal file, .pcap, .eml, DMARC or TLS report; .gz, .xz, .zst, .bz2, .tar, .zip; logs of one server are read together):</label>
        <input type="file" id="file" name="file" multiple>
        <button type="submit">Explain</button>
        </div>
        <p class="serve-note">Up to \(ServeOptions.describe(bytes: options.maxBody)). Credentials are redacted. \
        \(options.keepDirectory == nil ? "Nothing is stored." : "This server keeps a copy of what is submitted.")</p>
        </form>
        </div>

        """
    }

    /// Used where the report's own style is absent (the page without a result).
    static let baseCSS = """
    :root{--fg:#1b1f23;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--bad:#cf222e;--info:#0969da}
    *{box-sizing:border-box}
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:16px}
    h2{font-size:1.25em;margin:1.2em 0 .4em}
    """

    static let css = """
    .serve{border-bottom:3px solid var(--line,#d0d7de);padding-bottom:12px;margin-bottom:8px}
    .serve-title{font-size:1.3em;font-weight:700;margin:0 0 .4em}.serve-title a{color:inherit;text-decoration:none}
    .serve-title span{font-weight:400;font-size:.75em;color:var(--muted,#57606a);margin-left:.4em}
    .serve-form label{display:block;font-weight:600;margin:.3em 0}
    .serve-form textarea{display:block;width:100%;min-height:12em;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:8px;border:1px solid var(--line,#d0d7de);border-radius:6px;resize:vertical}.serve-form textarea.compact{min-height:7em}
    .serve-row{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center;margin-top:8px}.serve-row label{display:inline;font-weight:400;margin:0}
    .serve-row button{font:inherit;font-weight:600;padding:.45em 1.4em;border-radius:6px;border:1px solid #1a7f37;background:#1f883d;color:#fff;cursor:pointer;margin-left:auto}
    .serve-note{color:var(--muted,#57606a);font-size:.85em;margin:.4em 0 0}
    .serve-alert{border-left:6px solid var(--bad,#cf222e);background:#ffebe9;padding:.5em 1em;margin:.5em 0}.serve-alert p{margin:0}
    .serve-intro{color:var(--muted,#57606a);max-width:60em}
    @media print{.serve{display:none}}
    """
}
