import Foundation

/// One entry of the IANA "SMTP Enhanced Status Codes" registry (subject.detail part; the class is "X").
public struct EnhancedStatusCode: Sendable {
    /// Registry form, e.g. "X.7.1".
    public let code: String
    /// The registry's short name for the code.
    public let title: String
    /// Where the code is defined, e.g. "RFC 3463".
    public let reference: String
}

/// The IANA registry of enhanced status codes (RFC 3463 and later updates).
/// Source: https://www.iana.org/assignments/smtp-enhanced-status-codes/ (code list; titles are the registry's names).
public enum EnhancedStatusCodes {
    public static let all: [EnhancedStatusCode] = [
        .init(code: "X.0.0", title: "Other undefined status", reference: "RFC 3463"),
        .init(code: "X.1.0", title: "Other address status", reference: "RFC 3463"),
        .init(code: "X.1.1", title: "Bad destination mailbox address", reference: "RFC 3463"),
        .init(code: "X.1.2", title: "Bad destination system address", reference: "RFC 3463"),
        .init(code: "X.1.3", title: "Bad destination mailbox address syntax", reference: "RFC 3463"),
        .init(code: "X.1.4", title: "Destination mailbox address ambiguous", reference: "RFC 3463"),
        .init(code: "X.1.5", title: "Destination address valid", reference: "RFC 3463"),
        .init(code: "X.1.6", title: "Destination mailbox has moved, no forwarding address", reference: "RFC 3463"),
        .init(code: "X.1.7", title: "Bad sender's mailbox address syntax", reference: "RFC 3463"),
        .init(code: "X.1.8", title: "Bad sender's system address", reference: "RFC 3463"),
        .init(code: "X.1.9", title: "Message relayed to non-compliant mailer", reference: "RFC 3886"),
        .init(code: "X.1.10", title: "Recipient address has null MX", reference: "RFC 7505"),
        .init(code: "X.2.0", title: "Other or undefined mailbox status", reference: "RFC 3463"),
        .init(code: "X.2.1", title: "Mailbox disabled, not accepting messages", reference: "RFC 3463"),
        .init(code: "X.2.2", title: "Mailbox full", reference: "RFC 3463"),
        .init(code: "X.2.3", title: "Message length exceeds administrative limit", reference: "RFC 3463"),
        .init(code: "X.2.4", title: "Mailing list expansion problem", reference: "RFC 3463"),
        .init(code: "X.3.0", title: "Other or undefined mail system status", reference: "RFC 3463"),
        .init(code: "X.3.1", title: "Mail system full", reference: "RFC 3463"),
        .init(code: "X.3.2", title: "System not accepting network messages", reference: "RFC 3463, RFC 7504"),
        .init(code: "X.3.3", title: "System not capable of selected features", reference: "RFC 3463"),
        .init(code: "X.3.4", title: "Message too big for system", reference: "RFC 3463"),
        .init(code: "X.3.5", title: "System incorrectly configured", reference: "RFC 3463"),
        .init(code: "X.3.6", title: "Requested priority was changed", reference: "RFC 6710"),
        .init(code: "X.4.0", title: "Other or undefined network or routing status", reference: "RFC 3463"),
        .init(code: "X.4.1", title: "No answer from host", reference: "RFC 3463"),
        .init(code: "X.4.2", title: "Bad connection", reference: "RFC 3463"),
        .init(code: "X.4.3", title: "Directory server failure", reference: "RFC 3463"),
        .init(code: "X.4.4", title: "Unable to route", reference: "RFC 3463"),
        .init(code: "X.4.5", title: "Mail system congestion", reference: "RFC 3463"),
        .init(code: "X.4.6", title: "Routing loop detected", reference: "RFC 3463"),
        .init(code: "X.4.7", title: "Delivery time expired", reference: "RFC 3463, RFC 4865"),
        .init(code: "X.5.0", title: "Other or undefined protocol status", reference: "RFC 3463"),
        .init(code: "X.5.1", title: "Invalid command", reference: "RFC 3463"),
        .init(code: "X.5.2", title: "Syntax error", reference: "RFC 3463"),
        .init(code: "X.5.3", title: "Too many recipients", reference: "RFC 3463"),
        .init(code: "X.5.4", title: "Invalid command arguments", reference: "RFC 3463"),
        .init(code: "X.5.5", title: "Wrong protocol version", reference: "RFC 3463"),
        .init(code: "X.5.6", title: "Authentication exchange line is too long", reference: "RFC 4954"),
        .init(code: "X.6.0", title: "Other or undefined media error", reference: "RFC 3463"),
        .init(code: "X.6.1", title: "Media not supported", reference: "RFC 3463"),
        .init(code: "X.6.2", title: "Conversion required and prohibited", reference: "RFC 3463"),
        .init(code: "X.6.3", title: "Conversion required but not supported", reference: "RFC 3463"),
        .init(code: "X.6.4", title: "Conversion with loss performed", reference: "RFC 3463"),
        .init(code: "X.6.5", title: "Conversion failed", reference: "RFC 3463"),
        .init(code: "X.6.6", title: "Message content not available", reference: "RFC 4468"),
        .init(code: "X.6.7", title: "Non-ASCII addresses not permitted for that sender/recipient", reference: "RFC 6531"),
        .init(code: "X.6.8", title: "UTF-8 string reply is required, but not permitted by the SMTP client", reference: "RFC 6531"),
        .init(code: "X.6.9", title: "UTF-8 header message cannot be transferred to one or more recipients", reference: "RFC 6531"),
        .init(code: "X.6.10", title: "Duplicate of X.6.8 (deprecated)", reference: "RFC 6531"),
        .init(code: "X.7.0", title: "Other or undefined security status", reference: "RFC 3463"),
        .init(code: "X.7.1", title: "Delivery not authorized, message refused", reference: "RFC 3463"),
        .init(code: "X.7.2", title: "Mailing list expansion prohibited", reference: "RFC 3463"),
        .init(code: "X.7.3", title: "Security conversion required but not possible", reference: "RFC 3463"),
        .init(code: "X.7.4", title: "Security features not supported", reference: "RFC 3463"),
        .init(code: "X.7.5", title: "Cryptographic failure", reference: "RFC 3463"),
        .init(code: "X.7.6", title: "Cryptographic algorithm not supported", reference: "RFC 3463"),
        .init(code: "X.7.7", title: "Message integrity failure", reference: "RFC 3463"),
        .init(code: "X.7.8", title: "Authentication credentials invalid", reference: "RFC 4954"),
        .init(code: "X.7.9", title: "Authentication mechanism is too weak", reference: "RFC 4954"),
        .init(code: "X.7.10", title: "Encryption needed", reference: "RFC 5248"),
        .init(code: "X.7.11", title: "Encryption required for requested authentication mechanism", reference: "RFC 4954"),
        .init(code: "X.7.12", title: "A password transition is needed", reference: "RFC 4954"),
        .init(code: "X.7.13", title: "User account disabled", reference: "RFC 5248"),
        .init(code: "X.7.14", title: "Trust relationship required", reference: "RFC 5248"),
        .init(code: "X.7.15", title: "Priority level is too low", reference: "RFC 6710"),
        .init(code: "X.7.16", title: "Message is too big for the specified priority", reference: "RFC 6710"),
        .init(code: "X.7.17", title: "Mailbox owner has changed", reference: "RFC 7293"),
        .init(code: "X.7.18", title: "Domain owner has changed", reference: "RFC 7293"),
        .init(code: "X.7.19", title: "RRVS test cannot be completed", reference: "RFC 7293"),
        .init(code: "X.7.20", title: "No passing DKIM signature found", reference: "RFC 7372"),
        .init(code: "X.7.21", title: "No acceptable DKIM signature found", reference: "RFC 7372"),
        .init(code: "X.7.22", title: "No valid author-matched DKIM signature found", reference: "RFC 7372"),
        .init(code: "X.7.23", title: "SPF validation failed", reference: "RFC 7372"),
        .init(code: "X.7.24", title: "SPF validation error", reference: "RFC 7372"),
        .init(code: "X.7.25", title: "Reverse DNS validation failed", reference: "RFC 7372"),
        .init(code: "X.7.26", title: "Multiple authentication checks failed", reference: "RFC 7372"),
        .init(code: "X.7.27", title: "Sender address has null MX", reference: "RFC 7505"),
        .init(code: "X.7.28", title: "Mail flood detected", reference: "IANA registry"),
        .init(code: "X.7.29", title: "ARC validation failure", reference: "RFC 8617"),
        .init(code: "X.7.30", title: "REQUIRETLS support required", reference: "RFC 8689"),
    ]

    private static let index: [String: EnhancedStatusCode] = {
        var d: [String: EnhancedStatusCode] = [:]
        for e in all { d[e.code] = e }
        return d
    }()

    /// Looks up "5.7.1", "4.7.1" or "X.7.1" (leading zeros in subject/detail are ignored).
    public static func lookup(_ code: String) -> EnhancedStatusCode? {
        guard let p = parts(code) else { return nil }
        return index["X.\(p.subject).\(p.detail)"]
    }

    /// Splits "5.7.1" into (class, subject, detail); class is nil for "X".
    static func parts(_ code: String) -> (cls: Int?, subject: Int, detail: Int)? {
        // Bytes, not Foundation: this runs for every reply of every session.
        var fields: [Int] = []
        var value = 0, digits = 0, isX = false
        var u = Substring(code).utf8[...]
        while let f = u.first, f == 0x20 || f == 0x09 { u = u.dropFirst() }
        while let l = u.last, l == 0x20 || l == 0x09 { u = u.dropLast() }
        for b in u {
            switch b {
            case 0x30...0x39:
                guard !isX, digits < 6 else { return nil }
                value = value * 10 + Int(b - 0x30); digits += 1
            case 0x58, 0x78:   // "X" class
                guard fields.isEmpty, digits == 0, !isX else { return nil }
                isX = true
            case 0x2E:
                guard digits > 0 || isX, fields.count < 2 else { return nil }
                fields.append(isX ? -1 : value)
                value = 0; digits = 0; isX = false
            default:
                return nil
            }
        }
        guard fields.count == 2, digits > 0, fields[1] >= 0, fields[1] < 1000, value < 1000 else { return nil }
        let (c, s, d) = (fields[0], fields[1], value)
        if c == -1 { return (nil, s, d) }
        guard c == 2 || c == 4 || c == 5 else { return nil }
        return (c, s, d)
    }

    /// Class meanings (RFC 3463 §3.1).
    static func className(_ cls: Int) -> String? {
        switch cls {
        case 2: return "Success"
        case 4: return "Temporary failure"
        case 5: return "Permanent failure"
        default: return nil
        }
    }

    /// Subject meanings (RFC 3463 §3.2).
    static func subjectName(_ subject: Int) -> String? {
        switch subject {
        case 0: return "other or undefined status"
        case 1: return "addressing status"
        case 2: return "mailbox status"
        case 3: return "mail system status"
        case 4: return "network and routing status"
        case 5: return "mail delivery protocol status"
        case 6: return "message content or media status"
        case 7: return "security or policy status"
        default: return nil
        }
    }
}
