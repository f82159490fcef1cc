import Foundation

/// How bad a classified reply is for the message.
/// `info`: nothing failed (or it will resolve by itself); `warning`: a temporary failure the sender retries;
/// `error`: the message (or recipient) failed for good until someone acts.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warning, error

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .error: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// Why a message did (not) go through. The first 36 cases are the bounce reasons of the Sisimai
/// bounce analyzer, spelled exactly as it spells them, so our results compare one to one with it.
/// Our own additions follow; each maps to the Sisimai reason it would be counted as (`peerReason`).
public enum Reason: String, Sendable, Codable, CaseIterable {
    case authfailure, badreputation, blocked, contenterror, delivered, exceedlimit, expired, failedstarttls
    case feedback, filtered, hasmoved, hostunknown, mailboxfull, mailererror, mesgtoobig, networkerror
    case norelaying, notaccept, notcompliantrfc, onhold, policyviolation, rejected, requireptr, securityerror
    case spamdetected, speeding, suppressed, suspend, syntaxerror, systemerror, systemfull, toomanyconn
    case undefined, userunknown, vacation, virusdetected

    // --- our own ---

    /// A temporary "try again later" given to unknown sender/recipient/IP combinations (RFC 6647).
    /// Sisimai has no greylisting reason; greylisting keys on the connecting client (IP, sender), which
    /// is what its `blocked` reason covers, so that is the peer reason.
    case greylisted

    /// The Sisimai reason this reason is counted as when comparing with that peer.
    public var peerReason: Reason {
        switch self {
        case .greylisted: return .blocked
        default: return self
        }
    }

    /// True for the reasons that are not Sisimai's.
    public var isExtension: Bool { self != peerReason }

    /// One sentence: what happened, who must act, and the next step.
    public var summary: String {
        switch self {
        case .authfailure:
            return "The receiving side checked SPF, DKIM or DMARC and the message failed; the sending domain's owner must fix the DNS records or signing so mail from this server passes."
        case .badreputation:
            return "The receiver distrusts the sending IP or domain because of its recent history; the sender's admin must lower complaint and bounce rates, slow down and ask the provider for mitigation."
        case .blocked:
            return "The receiver refused the connecting server itself (its IP address or host name, often via a blocklist); the sender's admin must get the IP delisted or send through another server."
        case .contenterror:
            return "The message itself is malformed (headers, encoding or MIME structure); the sender must fix the software or template that built it and resend."
        case .delivered:
            return "The receiving server accepted the message; nobody needs to act."
        case .exceedlimit:
            return "The message is larger than the limit the recipient's side allows; the sender must make it smaller (link to files instead of attaching them) and resend."
        case .expired:
            return "The sending server kept retrying until its queue lifetime ran out and gave up; the sender's admin must find out why the destination was unreachable or refusing, then resend."
        case .failedstarttls:
            return "The two servers could not set up TLS (or one requires TLS the other cannot do); the admins must align TLS support, certificates and policy on both sides."
        case .feedback:
            return "This is a complaint report from a mailbox provider, not a bounce; the sender must stop mailing the complaining recipient and review why the mail was unwanted."
        case .filtered:
            return "The recipient's side accepted the address but its filter or recipient rules refused this message; the recipient (or their admin) must allow the sender, or the sender must contact them another way."
        case .hasmoved:
            return "The recipient's address is no longer used and the server named a replacement or none; the sender must update the address."
        case .hostunknown:
            return "The recipient's domain does not exist in DNS or has no usable mail host; the sender must check the domain for typos, or the domain owner must fix its DNS."
        case .mailboxfull:
            return "The recipient's mailbox is over its storage quota; the recipient must free space, and the sender can retry later."
        case .mailererror:
            return "A local delivery program (a pipe, filter script or mailer) on the recipient's server failed; the recipient's admin must fix that program."
        case .mesgtoobig:
            return "The message is larger than the receiving system accepts; the sender must shrink the message or use a file-sharing link."
        case .networkerror:
            return "A network or DNS problem (no route, lookup failure, loop) stopped delivery; the sender's admin must check routing and DNS, and it often clears on its own."
        case .norelaying:
            return "The server refused to pass the message on to a domain it does not handle; the sender must use the right outgoing server and authenticate, or the admin must fix the MX or relay settings."
        case .notaccept:
            return "The recipient's domain declares that it does not accept mail (null MX or no mail service); the sender must use a different address."
        case .notcompliantrfc:
            return "The message breaks the message format rules (for example duplicate or missing headers); the sender must fix the software that produced it."
        case .onhold:
            return "The bounce does not say clearly why delivery failed; the sender's admin should read the full bounce or the server logs before retrying."
        case .policyviolation:
            return "A local policy of the receiving side refused the message (content, sender or attachment rules); the sender must contact the recipient's admin or change the message."
        case .rejected:
            return "The receiver refused the envelope sender address (MAIL FROM): its domain does not exist, is not allowed, or is blocked; the sender must use a valid, deliverable sender address."
        case .requireptr:
            return "The sending IP address has no valid reverse DNS (PTR) name or it does not match; the sender's admin (or hosting provider) must set a PTR record that resolves back to the IP."
        case .securityerror:
            return "The server requires authentication or refused the credentials or security settings; the sender must log in correctly (or use the right server and port)."
        case .spamdetected:
            return "The receiver's spam filter judged the message to be spam; the sender must review the content, links and sending practices, and ask the receiver to look at the rejection."
        case .speeding:
            return "The sender is sending too fast or too many messages to the receiver; the sender must slow down and retry later."
        case .suppressed:
            return "The sending service refused to send because the address is on its suppression list after earlier bounces or complaints; the sender must confirm the address before removing it from the list."
        case .suspend:
            return "The recipient's mailbox exists but is disabled or suspended; the recipient must reactivate it, or the sender must use another address."
        case .syntaxerror:
            return "The sending software sent a command or argument the server did not understand or in the wrong order; the sender's admin must fix the client or its configuration."
        case .systemerror:
            return "The receiving system had an internal error or is misconfigured; the recipient's admin must fix it, and the sender can retry later."
        case .systemfull:
            return "The receiving system is out of disk or queue space; the recipient's admin must free space, and the sender should retry later."
        case .toomanyconn:
            return "The sender opened too many connections or sent too many recipients at once; the sender's admin must lower concurrency and recipients per message."
        case .undefined:
            return "Delivery failed but no reason could be recognized; read the full reply and logs to find the cause."
        case .userunknown:
            return "The recipient's address does not exist on the receiving server; the sender must check the address for typos or get a current one."
        case .vacation:
            return "This is an automatic out-of-office reply, not a failure; nobody needs to act."
        case .virusdetected:
            return "The receiver's scanner found malware in the message; the sender must scan the sending machine and remove the infected attachment."
        case .greylisted:
            return "The receiver deferred the message on purpose because it had not seen this sender before (greylisting); the sending server retries by itself, so usually nobody needs to act unless retries never succeed."
        }
    }
}
