import TranscriptModel

/// Faults an application's error message reports before or instead of a server reply (the `client-error`
/// reader's `client-problem` attribute): one row per fault. Replies quoted in such messages go through the
/// reply rules and the knowledge base like any other reply.
public enum ClientErrorRules {
    public static let table: [SessionRule] = SessionRule.scoped(rows, .clientProblem)

    static let rows: [SessionRule] = [
        row(.tlsModeMismatch, "client-tls-mode-mismatch", .error, .failedstarttls,
            title: "The client and the server disagree on how TLS starts on this port",
            explanation: "Port 465 expects TLS from the first byte (implicit TLS); ports 587 and 25 start in plain text and switch to TLS with STARTTLS. This error means one side spoke TLS while the other spoke plain SMTP.",
            actions: [
                "On port 587 or 25: turn implicit TLS off and STARTTLS on (Nodemailer `secure: false`; Python `smtplib.SMTP` then `starttls()`; MailKit `SecureSocketOptions.StartTls`; PHPMailer `SMTPSecure = 'tls'`).",
                "On port 465: turn implicit TLS on (Nodemailer `secure: true`; Python `smtplib.SMTP_SSL`; MailKit `SecureSocketOptions.SslOnConnect`; PHPMailer `SMTPSecure = 'ssl'`).",
                ".NET System.Net.Mail and Send-MailMessage only do STARTTLS: use port 587 with `EnableSsl` / `-UseSsl`, or MailKit for port 465.",
            ]),
        row(.certificateRejected, "client-certificate-rejected", .error, .securityerror,
            title: "The client did not accept the server's TLS certificate",
            explanation: "The TLS handshake stopped because the client could not verify the certificate: it is self-signed or from an authority the client does not trust, intermediate certificates are missing, it has expired, or it is made out for another name than the one the client connected to.",
            actions: [
                "Connect with the host name the certificate is issued for, not an IP address or an internal alias (`openssl s_client -starttls smtp -connect HOST:587 -servername HOST` shows the names it holds).",
                "Server admin: install a certificate from a public authority and serve the full chain.",
                "With a private authority, add it to the client's trust store. Do not turn certificate checks off in production.",
            ]),
        row(.tlsHandshake, "client-tls-handshake", .error, .failedstarttls,
            title: "The TLS handshake between client and server failed",
            explanation: "Client and server could not agree on TLS: no common protocol version or cipher, or one side sent an alert. Old clients (TLS 1.0/1.1 only) and old servers run into this most.",
            actions: [
                "Test the server by hand: `openssl s_client -starttls smtp -connect HOST:587` (or `-connect HOST:465` for implicit TLS) and read the protocol and alert it reports.",
                "Bring the client's runtime to TLS 1.2 or later (.NET Framework: a current framework version, or `ServicePointManager.SecurityProtocol` including Tls12).",
                "If the message names a certificate, check its name, chain and expiry.",
            ]),
        row(.starttlsNotOffered, "client-starttls-not-offered", .error, .failedstarttls,
            title: "The client required STARTTLS but the server did not offer it",
            explanation: "The client is set to encrypt, and the server's EHLO reply did not list STARTTLS, so the client stopped before sending anything. Either the server has no TLS set up on this port, or something on the path removes the offer.",
            actions: [
                "Check the server name and port against the provider's documentation (submission is usually port 587).",
                "Look at the server's EHLO reply (`swaks --server HOST:587 --quit-after EHLO`); if STARTTLS is missing, enable TLS on the server or its receive connector.",
                "A firewall's SMTP inspection can strip STARTTLS from the reply: turn that inspection off.",
            ]),
        row(.authNotOffered, "client-auth-not-offered", .error, .securityerror,
            title: "The client wanted to log in but the server did not offer AUTH",
            explanation: "The server's EHLO reply did not list AUTH, so the library gave up before sending mail. Many servers offer AUTH only after STARTTLS, or only on the submission port 587 and not on port 25.",
            actions: [
                "Start TLS before logging in (Python: `starttls()` then `ehlo()` before `login()`; other libraries: turn STARTTLS on).",
                "Use the submission port 587 (or 465 with implicit TLS) instead of port 25.",
                "If the server is an internal relay that takes mail without a login, remove the user name and password from the settings.",
            ]),
        row(.plaintextAuthRefused, "client-plaintext-auth-refused", .error, .securityerror,
            title: "The client would not send the password without TLS",
            explanation: "Go's net/smtp refuses PLAIN authentication over a connection that is neither encrypted nor to localhost, so the password never leaves in clear text.",
            actions: [
                "Call `StartTLS` before `Auth` (or connect with implicit TLS on port 465).",
                "If STARTTLS fails or is missing, check that the server offers it on this port.",
            ]),
        row(.credentialsMissing, "client-credentials-missing", .error, .securityerror,
            title: "No user name or password is configured",
            explanation: "The application set out to log in without credentials, so no login reached the server.",
            actions: [
                "Set the SMTP user name and password in the application's settings (JavaMail: pass them to `Transport.connect` or an `Authenticator`, with `mail.smtp.auth=true`).",
                "If the server takes mail without a login, turn authentication off instead.",
            ]),
        row(.noGreeting, "client-no-greeting", .error, .networkerror,
            title: "Connected, but the server never sent its greeting",
            explanation: "The connection opened, but no 220 greeting came before the client gave up. The usual cause is a plain-text client on port 465, where the server waits for a TLS handshake; otherwise a server that delays its greeting (tarpitting, slow DNS checks) or a firewall or antivirus holding the connection.",
            actions: [
                "On port 465 turn implicit TLS on (Nodemailer `secure: true`, Python `SMTP_SSL`), or use port 587 with STARTTLS.",
                "Test by hand: `openssl s_client -connect HOST:465` for implicit TLS, or `nc HOST 587` and wait for the 220.",
                "If the greeting only comes late, check the server's reverse DNS lookups and tarpit settings, or raise the client's greeting timeout.",
            ]),
        row(.serverClosed, "client-server-closed", .error, .networkerror,
            title: "The server closed the connection without an answer",
            explanation: "The connection was cut before the server sent a reply the client could show. Before the greeting this usually means the server or a firewall refuses this client's address (connector restrictions, blocklists, connection limits), or a plain-text client connected to port 465. Later in the dialogue it can be an idle timeout or a server crash.",
            actions: [
                "Read the server's log for this client's address at that time: it says why the connection was dropped.",
                ".NET System.Net.Mail cannot do implicit TLS and fails this way on port 465: use port 587 with `EnableSsl`, or MailKit.",
                "Try from another network or address to tell a block from a configuration fault.",
            ]),
        row(.clientTimeout, "client-timeout", .error, .networkerror,
            title: "The client gave up waiting for the server",
            explanation: "A reply did not come within the library's time limit. The server may be slow (DNS checks, scanning a large message), or the client may be on the wrong port: on 465 without implicit TLS it waits for a greeting that never comes.",
            actions: [
                "Check the port and TLS mode first: port 465 needs implicit TLS, 587 needs STARTTLS.",
                "Raise the client's timeout for large messages or slow servers (.NET `SmtpClient.Timeout` is 100 seconds unless set).",
                "Look at the server's log for the connection: it shows how far the dialogue got.",
            ]),
        row(.addressInvalid, "client-address-invalid", .error, .syntaxerror,
            title: "The application refused an address before sending",
            explanation: "The mail library found a sender or recipient address malformed and stopped; no server was contacted. Typical causes are spaces, a missing @ or domain, a display name without quotes, or several addresses in one field.",
            actions: [
                "Check the sender and recipient values in the application's settings or data.",
                "Give several recipients one by one, or separated the way the library expects.",
            ]),
    ]

    /// Ids that say why a session from an error message has no end.
    static var ids: Set<String> { Set(table.map(\.id)) }

    private static func row(_ problem: ClientProblem, _ id: String, _ severity: Severity, _ reason: Reason,
                            title: String, explanation: String, actions: [String]) -> SessionRule {
        SessionRule(id, severity, reason, when: "client-problem", is: problem.rawValue, title: title,
                    explanation: explanation, actions: actions,
                    evidence: { s in
                        // An application's error lines; an MTA log's status line that said it.
                        let errors = s.notes.filter { $0.kind == .error }
                        let last = s.notes.filter { $0.kind == .log }.max { $0.position.order < $1.position.order }
                        return errors.isEmpty ? last.map { [$0] } ?? [] : Array(errors.prefix(3))
                    },
                    detail: { s in
                        var detail: [String] = []
                        if let lib = s.attributes["client-library"] { detail.append("Reported by \(lib).") }
                        if let port = s.server.port { detail.append("Port \(port).") }
                        return detail.isEmpty ? nil : detail.joined(separator: " ")
                    })
    }
}
