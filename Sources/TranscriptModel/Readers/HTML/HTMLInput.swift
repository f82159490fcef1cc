/// Transcripts pasted as HTML (a ticket, a web page, PHPMailer's `Debugoutput = 'html'`, a forum post) are
/// turned back into text lines with libxml2's HTML parser, then read by the usual dialect detection.
///
/// Line structure comes from the markup: `<pre>` is kept verbatim, `<br>` ends a line, and block elements
/// (`<p>`, `<div>`, `<tr>`, `<li>`, headings, ...) start and end lines. Entities are decoded by the parser.
/// Scripts, styles and the page title are dropped.
public enum HTMLInput {
    /// Session attribute set when the page hid the e-mail addresses (Cloudflare's `[email protected]`).
    public static let addressesHiddenAttribute = "addresses-hidden"
    /// An HTML page is parsed whole (it is not line-oriented); larger inputs should be refused.
    public static let maxBytes = 64 << 20

    /// Whether an input's first bytes are HTML rather than a transcript that merely mentions tags
    /// (message content in DATA may well be HTML: markup after a `DATA`/`354` line does not count).
    public static func looksLikeHTML(_ prefix: [UInt8]) -> Bool {
        var bytes = prefix[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        while let f = bytes.first, f == 0x20 || f == 0x09 || f == 0x0A || f == 0x0D { bytes = bytes.dropFirst() }
        let head = lower(bytes.prefix(16))
        for start in ["<!doctype html", "<html", "<head", "<body", "<pre", "<meta ", "<div", "<table", "<p>", "<p "] {
            if head.starts(with: Array(start.utf8)) { return true }
        }
        // Otherwise: tags on many lines before any message content.
        var tagged = 0, lines = 0
        for line in bytes.prefix(64 * 1024).split(separator: 0x0A, omittingEmptySubsequences: true).prefix(200) {
            let l = lower(line.prefix(512))
            if startsContent(l) { break }
            lines += 1
            if hasMarkup(l) { tagged += 1 }
        }
        return tagged >= 3 && tagged * 10 >= lines * 3
    }

    /// The text of an HTML page, one transcript line per line. Empty when libxml2 is unavailable or the
    /// bytes hold no text.
    public static func text(from html: [UInt8]) -> [UInt8] {
        guard let xml = LibXML.shared else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(html.count / 2)
        var preDepth = 0
        var skipDepth = 0
        var pendingSpace = false

        func atLineStart() -> Bool { out.isEmpty || out.last == 0x0A }
        func newline() { if !atLineStart() { out.append(0x0A) }; pendingSpace = false }

        let ok = xml.walkHTML(html) { type, name, value, empty in
            switch type {
            case .element:
                guard let name else { return }
                if skipped.contains(name) {
                    if !empty { skipDepth += 1 }
                    return
                }
                guard skipDepth == 0 else { return }
                if name == "br" { out.append(0x0A); pendingSpace = false; return }
                if name == "pre" { newline(); if !empty { preDepth += 1 }; return }
                if blocks.contains(name) { newline() }
                else if cells.contains(name), !atLineStart() { pendingSpace = true }
            case .endElement:
                guard let name else { return }
                if skipped.contains(name) { skipDepth = max(0, skipDepth - 1); return }
                guard skipDepth == 0 else { return }
                if name == "pre" { preDepth = max(0, preDepth - 1); newline(); return }
                if blocks.contains(name) { newline() }
                else if cells.contains(name) { pendingSpace = true }
            default:
                guard skipDepth == 0, let value else { return }
                var p = value
                if preDepth > 0 {
                    while p.pointee != 0 { append(p.pointee, &out, next: p); p += 1 }
                    return
                }
                // Outside <pre>: runs of white space are one space; none at the start of a line.
                while p.pointee != 0 {
                    let b = p.pointee
                    if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C {
                        pendingSpace = true
                    } else if b == 0xC2, (p + 1).pointee == 0xA0 {
                        pendingSpace = true
                        p += 1
                    } else {
                        if pendingSpace && !atLineStart() { out.append(0x20) }
                        pendingSpace = false
                        out.append(b)
                    }
                    p += 1
                }
            }
        }
        guard ok else { return [] }
        // Trailing blanks of each line go; blank lines at the very start and end too.
        var lines = out.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            var l = line
            while let b = l.last, b == 0x20 || b == 0x09 || b == 0x0D { l = l.dropLast() }
            return l
        }
        while let f = lines.first, f.isEmpty { lines.removeFirst() }
        while let l = lines.last, l.isEmpty { lines.removeLast() }
        var result: [UInt8] = []
        result.reserveCapacity(out.count + 1)
        for l in lines { result.append(contentsOf: l); result.append(0x0A) }
        return result
    }

    /// Text plus whether the page hid the addresses: what the input driver needs in one call.
    public static func convert(_ html: [UInt8]) -> (text: [UInt8], addressesHidden: Bool) {
        let t = text(from: html)
        return (t, addressesHidden(in: t))
    }

    /// The page replaced addresses with `[email protected]` (Cloudflare's e-mail obfuscation).
    public static func addressesHidden(in text: [UInt8]) -> Bool {
        contains(text[...], Array("[email protected]".utf8)) || contains(text[...], Array("[email\u{A0}protected]".utf8))
    }

    /// Marks a session read from such a page, so reports say why the addresses look odd.
    public static func markAddressesHidden(_ session: inout Session) {
        session.attributes[addressesHiddenAttribute] = "true"
    }

    // MARK: - Tables and helpers

    static let skipped: Set<String> = ["script", "style", "title", "template", "noscript", "head"]
    static let blocks: Set<String> = ["p", "div", "tr", "li", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody",
                                      "tfoot", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "section",
                                      "article", "header", "footer", "main", "nav", "aside", "form", "fieldset",
                                      "address", "figure", "figcaption", "details", "summary", "caption", "body",
                                      "center", "textarea", "listing", "xmp", "plaintext"]
    static let cells: Set<String> = ["td", "th"]
    static let tagNames: Set<String> = ["br", "pre", "div", "p", "tr", "td", "th", "li", "ul", "span", "table", "code",
                                        "b", "i", "font", "a", "tt", "hr", "h1", "h2", "h3", "body", "html"]
    static let entities: [[UInt8]] = ["&gt;", "&lt;", "&nbsp;", "&amp;", "&quot;", "&#"].map { Array($0.utf8) }

    /// A known tag (`<br>`, `<br/>`, `</div>`, `<span class=...>`) or an entity; `<linux-kernel@...>` is not.
    static func hasMarkup(_ l: [UInt8]) -> Bool {
        if entities.contains(where: { contains(l, $0) }) { return true }
        var i = 0
        while i < l.count {
            if l[i] == 0x3C {
                var j = i + 1
                if j < l.count, l[j] == 0x2F { j += 1 }
                let start = j
                while j < l.count, (l[j] >= 0x61 && l[j] <= 0x7A) || (l[j] >= 0x30 && l[j] <= 0x39) { j += 1 }
                if j > start, j < l.count, l[j] == 0x3E || l[j] == 0x20 || l[j] == 0x2F || l[j] == 0x09,
                   tagNames.contains(String(decoding: l[start..<j], as: UTF8.self)) {
                    return true
                }
                i = max(j, i + 1)
            } else {
                i += 1
            }
        }
        return false
    }

    /// In a transcript, message content starts after these; markup below them is the message, not the page.
    static func startsContent(_ l: [UInt8]) -> Bool {
        var s = l[...]
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let z = s.last, z == 0x20 || z == 0x09 || z == 0x0D { s = s.dropLast() }
        // `DATA` typed or logged (`C: DATA`, `... T, DATA`), a 354 reply, a BDAT chunk anywhere on the line.
        if s.elementsEqual(Array("data".utf8)) || s.reversed().starts(with: Array(" data".utf8).reversed()) { return true }
        return contains(s, Array("354 ".utf8)) || contains(s, Array("354-".utf8)) || contains(s, Array("bdat ".utf8))
    }

    @inline(__always)
    static func append(_ b: UInt8, _ out: inout [UInt8], next: UnsafePointer<UInt8>) {
        if b == 0x0D { return }   // CRLF inside <pre>: the line splitter wants LF.
        out.append(b)
    }

    static func lower<C: Collection>(_ c: C) -> [UInt8] where C.Element == UInt8 {
        c.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
    }

    static func contains(_ hay: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return false }
        var i = hay.startIndex
        let last = hay.endIndex - needle.count
        while i <= last {
            if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool { contains(hay[...], needle) }
}
