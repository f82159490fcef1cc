import Foundation

/// What a server says about itself: banner host and software, EHLO capabilities, queue ids.
public enum ServerIdentity {
    public struct Banner: Sendable, Hashable {
        public var host: String?
        public var software: String?
    }

    /// Software names as they appear in banners, most specific first.
    static let softwareMarkers: [(needle: String, name: String)] = [
        ("microsoft esmtp mail service", "Microsoft Exchange"),
        ("microsoft smtp server", "Microsoft Exchange"),
        ("microsoft.com", "Microsoft 365"),
        ("outlook.com", "Microsoft 365"),
        ("mx.google.com", "Gmail"),
        ("gsmtp", "Gmail"),
        ("postfix", "Postfix"),
        ("exim", "Exim"),
        ("sendmail", "Sendmail"),
        ("opensmtpd", "OpenSMTPD"),
        ("qmail", "qmail"),
        ("haraka", "Haraka"),
        ("zimbra", "Zimbra"),
        ("domino", "Domino"),
        ("courier", "Courier"),
        ("hmailserver", "hMailServer"),
        ("mdaemon", "MDaemon"),
        ("kerio", "Kerio Connect"),
        ("mailenable", "MailEnable"),
        ("communigate", "CommuniGate Pro"),
        ("python smtp", "Python aiosmtpd"),
        ("yahoo", "Yahoo"),
        ("icloud", "iCloud"),
        ("mimecast", "Mimecast"),
        ("pphosted", "Proofpoint"),
        ("barracuda", "Barracuda"),
    ]

    /// `mail.example.com ESMTP Postfix (Debian/GNU)` -> host `mail.example.com`, software `Postfix`.
    public static func parseBanner(_ text: String) -> Banner {
        let first = text.split(separator: " ", maxSplits: 1).first.map(String.init)
        var software: String?
        // ASCII-lower-cased bytes: every session's banner goes through ~40 markers.
        let lower = Bytes.asciiLowercased(text.utf8)
        for marker in softwareMarkerBytes where LogBytes.find(lower[...], bytes: marker.needle) != nil {
            software = marker.name
            if marker.name == "Exim", let r = LogBytes.find(lower[...], "exim ") {
                let version = lower[(r + 5)...].prefix { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
                if !version.isEmpty { software = "Exim \(String(decoding: version, as: UTF8.self))" }
            }
            break
        }
        return Banner(host: first, software: software)
    }

    static let softwareMarkerBytes: [(needle: [UInt8], name: String)] = softwareMarkers.map { (Array($0.needle.utf8), $0.name) }

    /// `192.0.2.1`, `[192.0.2.1]`, `2001:db8::1`: an address rather than a name.
    public static func isAddressLiteral(_ s: String) -> Bool {
        let t = s.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }) { return true }
        return t.contains(":") && t.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// The EHLO reply's lines after the first, as capabilities.
    public static func parseCapabilities(_ reply: Reply) -> Capabilities {
        var caps = Capabilities()
        caps.position = reply.position
        // Keywords are ASCII (RFC 5321 ehlo-keyword): words (split at space or `=`) are read and upper-cased
        // on the line's own bytes, not Characters or copies.
        for line in reply.lines.dropFirst() {
            var line = line
            line.withUTF8 { u in
                var words = EHLOWords(bytes: u)
                guard let kw = words.next() else { return }
                let keyword = Bytes.asciiUppercased(kw)
                caps.keywords.append(keyword)
                switch keyword {
                case "SIZE":
                    caps.size = words.next().map { Bytes.integer($0) } ?? 0
                case "AUTH":
                    while let m = words.next() { caps.authMechanisms.append(Bytes.asciiUppercased(m)) }
                default:
                    break
                }
            }
        }
        return caps
    }

    /// Queue id from a reply to the end of data: Postfix `queued as 4F3A1`, Exim `OK id=1abc-000D-Xy`,
    /// Exchange `Queued mail for delivery` has none, Gmail `OK  1700000000 a1si123 - gsmtp`.
    public static func queueID(in reply: Reply) -> String? {
        let text = reply.text
        let bytes = Array(text.utf8)
        let lower = Bytes.asciiLowercased(bytes)
        for p in queuePatterns {
            guard let r = LogBytes.find(lower[...], bytes: p) else { continue }
            let tail = bytes[(r + p.count)...]
            // up to white space or one of > ) , ;
            let id = tail.prefix { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x3E || $0 == 0x29 || $0 == 0x2C || $0 == 0x3B) }
            if !id.isEmpty { return String(String(decoding: id, as: UTF8.self).prefix(80)) }
        }
        if lower.count >= 5, lower.suffix(5).elementsEqual("gsmtp".utf8) {
            let parts = text.split(separator: " ")
            if parts.count >= 3, parts[0].uppercased() == "OK" { return String(parts[parts.count - 3]) }
        }
        return nil
    }

    static let queuePatterns: [[UInt8]] = ["queued as ", "id=", "ok id=", "message accepted for delivery "].map { Array($0.utf8) }
}

/// The words of an EHLO reply line: runs of bytes between spaces and `=` (`SIZE 1000`, `AUTH=LOGIN PLAIN`).
private struct EHLOWords {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    mutating func next() -> Slice<UnsafeBufferPointer<UInt8>>? {
        func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x3D }
        while at < bytes.count, isSeparator(bytes[at]) { at += 1 }
        guard at < bytes.count else { return nil }
        let start = at
        while at < bytes.count, !isSeparator(bytes[at]) { at += 1 }
        return bytes[start..<at]
    }
}
