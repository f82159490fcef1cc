import Foundation

/// Meanings of basic reply codes (RFC 5321 §4.2 and the extensions that add codes), in our words.
/// Where the same code means different things depending on the command it answered, the command decides.
enum ReplyCodes {
    /// Per-command meanings that differ from the general one. Key: "code command".
    static let byCommand: [String: String] = [
        "220 CONNECT": "The server greets the client and is ready to talk SMTP.",
        "421 CONNECT": "The server refuses the connection right away (often load, a blocklist or a rate limit); try later or find out why the IP is refused.",
        "554 CONNECT": "The server refuses to serve this client at all (RFC 5321 §3.1): usually the connecting IP is blocked; later commands will only get 503.",
        "521 CONNECT": "This host does not accept mail at all (RFC 7504); it is not a mail server for anyone.",
        "250 EHLO": "The server accepted the greeting and listed the SMTP extensions it supports.",
        "250 HELO": "The server accepted the greeting. HELO lists no extensions (no STARTTLS, AUTH or SIZE); a client that needs them must send EHLO.",
        "501 EHLO": "The server refused the name the client gave in EHLO/HELO (malformed or not a valid host name).",
        "501 HELO": "The server refused the name the client gave in HELO (malformed or not a valid host name).",
        "550 EHLO": "The server refused the client's EHLO name or the client itself.",
        "220 STARTTLS": "The server is ready to start TLS; the TLS handshake follows (RFC 3207).",
        "454 STARTTLS": "TLS is temporarily unavailable on the server (RFC 3207); the client may retry later or continue without TLS if its policy allows.",
        "501 STARTTLS": "STARTTLS was sent with arguments, which it does not take (RFC 3207).",
        "530 MAIL": "The server requires a command first, usually STARTTLS or AUTH (RFC 3207/4954), before it accepts mail.",
        "530 RCPT": "The server requires STARTTLS or authentication before it accepts recipients (RFC 3207/4954).",
        "334 AUTH": "The server continues the authentication exchange and waits for the next credential step (RFC 4954).",
        "235 AUTH": "Authentication succeeded (RFC 4954).",
        "432 AUTH": "The user must change to this authentication mechanism, e.g. after a password change (RFC 4954).",
        "454 AUTH": "Authentication failed temporarily because of a server-side problem (RFC 4954); retry later.",
        "500 AUTH": "The authentication exchange line was too long (RFC 4954).",
        "501 AUTH": "The authentication exchange was cancelled or its data could not be decoded (RFC 4954).",
        "504 AUTH": "The server does not support the requested authentication mechanism (RFC 4954).",
        "534 AUTH": "The chosen authentication mechanism is too weak for this server's policy (RFC 4954).",
        "535 AUTH": "The user name or password (credentials) was rejected (RFC 4954).",
        "538 AUTH": "This authentication mechanism is only allowed over an encrypted connection (RFC 4954); use STARTTLS first.",
        "250 MAIL": "The server accepted the sender address.",
        "451 MAIL": "The server could not accept the sender right now because of a local problem (often greylisting or a failed lookup); retry later.",
        "550 MAIL": "The server refused the sender address or the sending client for policy reasons.",
        "553 MAIL": "The sender address is not allowed (bad syntax, unknown domain or not permitted for this client).",
        "552 MAIL": "The declared message SIZE is larger than the server accepts (RFC 1870).",
        "452 MAIL": "The server is short of storage for the declared message size; retry later (RFC 1870).",
        "555 MAIL": "A parameter on MAIL FROM (such as SIZE or BODY) is not recognized or not supported.",
        "250 RCPT": "The server accepted the recipient.",
        "251 RCPT": "The recipient is not local; the server will forward the message.",
        "450 RCPT": "The recipient's mailbox is unavailable for now (busy, greylisted or a temporary policy block); the sender retries.",
        "451 RCPT": "The server had a local error checking the recipient (or greylisted it); the sender retries.",
        "452 RCPT": "Too many recipients for this message, or not enough storage right now; the rest must be sent later (RFC 5321 §4.5.3.1.10).",
        "550 RCPT": "The recipient was refused: the mailbox does not exist, or policy forbids delivery to it from this sender.",
        "551 RCPT": "The recipient is not local to this server; it may name another address to try.",
        "552 RCPT": "The recipient cannot take more mail (over quota) or there are too many recipients.",
        "553 RCPT": "The recipient address is not allowed or malformed (for an internationalized address without SMTPUTF8: RFC 6531, 5.6.7).",
        "555 RCPT": "A parameter on RCPT TO (such as NOTIFY or ORCPT) is not recognized or not supported.",
        "354 DATA": "The server is ready for the message content, which ends with a line holding only a dot.",
        "503 DATA": "DATA came out of order: no sender or no accepted recipient before it (with pipelining, every RCPT may have failed).",
        "554 DATA": "The server will not take the message because no valid recipient is left.",
        "250 .": "The server accepted the message for delivery; it is now responsible for it.",
        "450 .": "The message was deferred after its content was sent (often a content or reputation check); the sender retries.",
        "451 .": "The server hit a local error while processing the message content; the sender retries.",
        "452 .": "The server ran out of storage while receiving the message; the sender retries.",
        "550 .": "The message was refused after its content was sent: the receiver's filter or policy rejected it (spam, authentication, content).",
        "552 .": "The message was refused after its content was sent because it is too big or the mailbox is over quota.",
        "554 .": "The message was refused after its content was sent: usually the receiver's spam, virus or policy filter.",
        "250 BDAT": "The server accepted the chunk (RFC 3030); after the LAST chunk, the message.",
        "552 BDAT": "The chunk or the whole message is larger than the server accepts (RFC 3030).",
        "250 RSET": "The transaction was reset.",
        "221 QUIT": "The server closed the session.",
        "250 VRFY": "The server confirmed the address.",
        "252 VRFY": "The server will not confirm the address but will try to deliver to it.",
        "550 VRFY": "The server says the address does not exist (or refuses to say).",
    ]

    /// General meanings (RFC 5321 §4.2.2, 4.2.3 and extensions).
    static let general: [Int: String] = [
        211: "System status or help reply.",
        214: "Help text meant for a person.",
        220: "The server is ready.",
        221: "The server is closing the connection.",
        235: "Authentication succeeded (RFC 4954).",
        250: "The requested action was done.",
        251: "The user is not local; the server will forward the message.",
        252: "The server cannot verify the user but will accept the message and try to deliver it.",
        334: "The server waits for the next authentication step (RFC 4954).",
        354: "The server is ready for the message content.",
        421: "The service is not available and the server is closing the connection; the client should try again later.",
        432: "A password transition is needed (RFC 4954).",
        450: "The mailbox is unavailable for now (busy or temporarily blocked by policy); try again later.",
        451: "The server aborted the action because of a local error; try again later.",
        452: "The server has too little storage right now, or too many recipients were given; try again later.",
        454: "Temporarily unavailable: TLS (RFC 3207) or authentication (RFC 4954) cannot be done right now.",
        455: "The server cannot handle the given parameters now.",
        500: "The command was not recognized, or the line was too long.",
        501: "The command's parameters or arguments have a syntax error.",
        502: "The command is not implemented.",
        503: "The commands came in the wrong order.",
        504: "A parameter of the command is not implemented.",
        521: "This host does not accept mail (RFC 7504).",
        530: "Authentication (or STARTTLS) is required first (RFC 4954, RFC 3207).",
        534: "The authentication mechanism is too weak (RFC 4954).",
        535: "The authentication credentials were rejected (RFC 4954).",
        538: "Encryption is required for the requested authentication mechanism (RFC 4954).",
        550: "The action was not taken: the mailbox is unavailable (does not exist, no access, or refused by policy).",
        551: "The user is not local; the server may suggest another address.",
        552: "The action was aborted because a storage limit was exceeded (message size, RFC 1870, or mailbox quota).",
        553: "The mailbox name is not allowed (bad syntax, or an internationalized address without SMTPUTF8, RFC 6531).",
        554: "The transaction failed (or, as a greeting, the server offers no SMTP service to this client).",
        555: "MAIL FROM or RCPT TO parameters are not recognized or not implemented.",
        556: "The domain does not accept mail (RFC 7504), for example it has a null MX (RFC 7505).",
    ]

    static func meaning(_ code: Int, command: String?) -> String {
        if let c = command?.uppercased() {
            let cmd = (c == "HELO" && byCommand["\(code) HELO"] == nil) ? "EHLO" : c
            if let m = byCommand["\(code) \(cmd)"] { return m }
        }
        if let m = general[code] { return m }
        switch code / 100 {
        case 2: return "Success: the requested action was done."
        case 3: return "Intermediate: the server waits for more input."
        case 4: return "Temporary failure: the action was not taken, but the client may try again later."
        case 5: return "Permanent failure: the action was not taken; repeating it unchanged will fail again."
        default: return "Not a valid SMTP reply code (valid codes are 2xx to 5xx)."
        }
    }
}
