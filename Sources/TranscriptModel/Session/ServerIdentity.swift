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
        let lower = text.lowercased()
        for marker in softwareMarkers where lower.contains(marker.needle) {
            software = marker.name
            if marker.name == "Exim", let r = lower.range(of: "exim ") {
                let version = lower[r.upperBound...].prefix { $0.isNumber || $0 == "." }
                if !version.isEmpty { software = "Exim \(version)" }
            }
            break
        }
        return Banner(host: first, software: software)
    }

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
        for line in reply.lines.dropFirst() {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "=" })
            guard let kw = parts.first else { continue }
            let keyword = kw.uppercased()
            caps.keywords.append(keyword)
            switch keyword {
            case "SIZE":
                caps.size = parts.count > 1 ? Int(parts[1]) : 0
            case "AUTH":
                caps.authMechanisms.append(contentsOf: parts.dropFirst().map { $0.uppercased() })
            default:
                break
            }
        }
        return caps
    }

    /// Queue id from a reply to the end of data: Postfix `queued as 4F3A1`, Exim `OK id=1abc-000D-Xy`,
    /// Exchange `Queued mail for delivery` has none, Gmail `OK  1700000000 a1si123 - gsmtp`.
    public static func queueID(in reply: Reply) -> String? {
        let text = reply.text
        let patterns = ["queued as ", "id=", "ok id=", "message accepted for delivery "]
        let lower = text.lowercased()
        for p in patterns {
            guard let r = lower.range(of: p) else { continue }
            let offset = lower.distance(from: lower.startIndex, to: r.upperBound)
            let tail = text.dropFirst(offset)
            let stops: Set<Character> = [">", ")", ",", ";"]
            let id = tail.prefix { (c: Character) -> Bool in !c.isWhitespace && !stops.contains(c) }
            if !id.isEmpty { return String(id.prefix(80)) }
        }
        if lower.hasSuffix("gsmtp") {
            let parts = text.split(separator: " ")
            if parts.count >= 3, parts[0].uppercased() == "OK" { return String(parts[parts.count - 3]) }
        }
        return nil
    }
}
