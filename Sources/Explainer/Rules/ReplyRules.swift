import TranscriptModel

/// Refused replies, claimed by the first matching row. Rows with nil words use the knowledge base's.
/// Order matters: specific causes first, the per-stage catch-alls last.
public enum ReplyRules {
    public static let table: [ReplyRule] = [
        ReplyRule("relay-denied", severity: .error, reason: .norelaying,
                  title: "Relaying denied: this server will not pass mail on to that domain",
                  explanation: "The server only accepts mail for its own domains from strangers. To send anywhere else through it, the client must be inside its relay ranges or log in first.",
                  actions: [
                    "If you are the sender: authenticate (AUTH, usually on port 587 with STARTTLS) or send through your own provider's server.",
                    "If this server should accept mail for that domain: add the domain to its accepted/local domains.",
                    "If the client is an internal system: add its address to the relay ranges (mynetworks, relay connector). Never open relaying to public addresses.",
                  ]) { c in
            guard c.verb == "RCPT" || c.verb == "MAIL" else { return false }
            return c.classification.reason == .norelaying
                || c.mentions("relay access denied", "relaying denied", "relay not permitted", "unable to relay",
                              "relaying not allowed", "not permitted to relay", "we do not relay", "relay denied")
        },
        ReplyRule("tls-required", severity: .error, reason: .securityerror,
                  title: "The server requires STARTTLS before this command",
                  explanation: "This port only takes mail over an encrypted connection. The client sent the command in clear text, so the server refused it.",
                  actions: [
                    "Enable STARTTLS (\"TLS: required\" or \"opportunistic\") in the sending client or server.",
                    "To test by hand use `openssl s_client -starttls smtp -crlf -connect HOST:587` instead of telnet.",
                  ]) { c in
            c.reply.code == 530 && c.mentions("starttls", "tls first", "must issue a starttls")
                || c.mentions("must issue a starttls command first", "encryption required", "tls required",
                              "requires tls", "starttls is required")
        },
        ReplyRule("auth-failed", severity: .error, reason: .securityerror,
                  title: "Authentication failed: user name or password not accepted",
                  explanation: "The server did not accept the credentials (or the mechanism) the client offered.",
                  actions: [
                    "Check the user name (often the full address) and password; re-enter the password in the client.",
                    "For Microsoft 365 and Gmail, basic authentication may be disabled: use an app password or OAuth2, or ask the admin to enable SMTP AUTH for the mailbox.",
                    "Make sure the client authenticates after STARTTLS if the server only offers AUTH inside TLS.",
                  ], yieldsToProvider: true) { c in
            guard c.verb == "AUTH" || c.verb == "AUTH-RESPONSE" else { return false }
            // AUTH not on offer is a setup question the knowledge base answers; no credentials were judged.
            if c.classification.ruleID == "text.auth-not-offered" { return false }
            return [535, 534, 538, 454, 504, 501, 500].contains(c.reply.code) || c.reply.code >= 500
        },
        ReplyRule("auth-required", severity: .error, reason: .securityerror,
                  title: "The server wants the client to log in first",
                  explanation: "The server refused to take mail before authentication. Submission ports (587, 465) normally work this way.",
                  actions: [
                    "Configure the client to authenticate with SMTP AUTH (user name and password) after STARTTLS.",
                    "If this is an MX receiving mail from the internet, port 25 should not demand authentication: check the port or connector used.",
                  ], yieldsToProvider: true) { c in
            c.reply.code == 530 || c.mentions("authentication required", "authentication is required",
                                              "client was not authenticated", "sender is not authenticated",
                                              "must authenticate", "not authenticated")
        },
        ReplyRule("helo-rejected", severity: .error, reason: .blocked,
                  title: "The HELO/EHLO name was refused",
                  explanation: "The server checks the name the client announces in HELO/EHLO. It must be a fully qualified host name that resolves in public DNS, ideally the same name the client's IP reverse-resolves to.",
                  actions: [
                    "Set the sending server's host name (Postfix myhostname/smtp_helo_name, Exchange connector FQDN, the client's \"local host name\") to its public FQDN.",
                    "Make sure that name has an A record and the sending IP has a matching PTR record.",
                  ]) { c in
            // "no HELO/EHLO given" names HELO but is about order: the out-of-order row explains it.
            if c.classification.ruleID == "text.sequence" { return false }
            // 500/502 to EHLO means the verb itself was not understood (an old server, or a firewall
            // rewriting it), not that the name was refused: the catch-all row explains that.
            if c.verb == "HELO" || c.verb == "EHLO" { return c.reply.code != 500 && c.reply.code != 502 }
            return c.mentions("helo command rejected", "helo/ehlo", "ehlo command rejected", "invalid helo",
                              "bad helo", "helo name", "need fully-qualified hostname", "helo hostname",
                              "your helo", "ehlo name")
        },
        ReplyRule("greylisted", severity: .warning, reason: .greylisted,
                  title: "Greylisted: the server asks the sender to retry later",
                  explanation: "The server temporarily refuses mail from senders it has not seen before. A real mail server retries after a few minutes and is then accepted; nothing is wrong unless retries keep failing.",
                  actions: [
                    "Wait: the sending server retries automatically (usually within 5 to 30 minutes).",
                    "If you test by hand, repeat the same MAIL FROM/RCPT TO from the same IP after the delay.",
                    "If retries from a pool of IPs keep failing, ask the receiving admin to whitelist the sender.",
                  ]) { c in
            c.classification.reason == .greylisted
                || (c.reply.code / 100 == 4 && c.mentions("greylist", "graylist", "grey-list", "postgrey"))
                // "try again later" alone only when the knowledge base found nothing more specific
                // ("user is over quota, please try again later" is a full mailbox).
                || (c.reply.code / 100 == 4 && c.mentions("try again later")
                    && [.undefined, .systemerror, .onhold].contains(c.classification.reason))
        },
        ReplyRule("blocklisted", severity: .error, reason: .blocked,
                  title: nil, explanation: nil,
                  actions: []) { c in
            c.classification.blocklist != nil
        },
        ReplyRule("greeting-refused", severity: .error, reason: nil,
                  title: "The server refused the connection in its greeting",
                  explanation: "Before any command, the server answered with a refusal: it does not want mail from this client at all, or it is not accepting mail right now.",
                  actions: [
                    "Read the reply text: it usually names the blocklist or policy.",
                    "Check the sending IP on the blocklist operators' lookup pages (Spamhaus first) and request delisting once the cause is fixed.",
                  ]) { c in
            c.exchange.stage == .greeting
        },
        // Before the per-stage rows: a RCPT refused for coming before MAIL says nothing about the recipient.
        ReplyRule("out-of-order", severity: .error, reason: .syntaxerror, title: nil, explanation: nil,
                  actions: []) { c in
            c.classification.ruleID == "text.sequence"
                || (c.reply.code == 503 && c.classification.reason == .syntaxerror)
        },
        ReplyRule("rcpt-rejected", severity: .error, reason: nil,
                  title: "Recipient refused",
                  explanation: "The server would not take mail for this recipient: it is not configured to accept that user or domain, or the mailbox cannot receive.",
                  actions: [
                    "Check the recipient address for typos.",
                    "On the receiving server: check the domain is in its accepted domains and the user/alias exists.",
                    "Check the domain's MX records point at this server.",
                  ]) { c in
            c.verb == "RCPT"
        },
        ReplyRule("mail-rejected", severity: .error, reason: nil,
                  title: "Sender refused",
                  explanation: "The server refused the envelope sender given in MAIL FROM.",
                  actions: [
                    "Check the sender address syntax (`MAIL FROM:<user@example.com>`) and that its domain exists in DNS.",
                    "Read the reply text for the policy that refused it (SPF, sender verification, size, blocklist).",
                  ]) { c in
            c.verb == "MAIL"
        },
        ReplyRule("message-rejected", severity: .error, reason: nil,
                  title: "Message refused after its content was sent",
                  explanation: "The envelope was accepted, but the server refused the message once it had seen it: content filters, authentication (SPF/DKIM/DMARC), size or format.",
                  actions: [
                    "Read the reply text for the policy; check the message's headers and the sending domain's SPF, DKIM and DMARC.",
                  ]) { c in
            (c.verb == "." || c.verb == "BDAT") && c.exchange.stage == .message
        },
        ReplyRule("command-refused", severity: nil, reason: nil, title: nil, explanation: nil,
                  actions: []) { _ in true },
    ]
}
