/// What the error messages of mail-sending libraries and applications say, as a table: the words each one
/// prints, and what those words tell about the SMTP session behind them. Needles are matched lower-cased,
/// anywhere in a line; the first matching row of each table wins.
enum ClientErrorMarkers: ErrorMessageKind {
    static let formatID = "client-error"
    static let summary = "Error messages of mail-sending code and apps: .NET SmtpException / Send-MailMessage, MailKit, Python smtplib, Nodemailer, JavaMail, PHPMailer, Symfony/Swift Mailer, PHP mail(), Ruby, Go, msmtp, sSMTP, curl, git send-email, Outlook, Thunderbird, Apple Mail"
    static let noun = "error message"
    static let identifying = NeedleIndex((replies + problems + commands).filter { $0.library != nil })
    static let readsBareReplies = true

    static let dotNet = ".NET System.Net.Mail"
    static let python = "Python smtplib"
    static let node = "Nodemailer"
    static let java = "JavaMail / Jakarta Mail"
    static let mailKit = "MailKit"
    static let ruby = "Ruby Net::SMTP"
    static let go = "Go net/smtp"
    static let php = "PHPMailer"
    static let symfony = "Symfony / Swift Mailer"
    static let outlook = "Outlook"
    static let thunderbird = "Thunderbird"
    static let curl = "curl"
    static let msmtp = "msmtp"
    static let ssmtp = "sSMTP"
    static let appleMail = "Apple Mail"
    static let gitSendEmail = "git send-email"

    /// Rows whose needle is followed by the server's reply, or that say a command failed.
    static let replies: [ErrorMarker] = [
        // Python smtplib exceptions: `(code, b'text')`, or `{'rcpt': (code, b'text')}` for recipients.
        .init("smtpauthenticationerror: ", .reply(.command("AUTH")), python),
        .init("smtpsenderrefused: ", .reply(.command("MAIL FROM")), python),
        .init("smtprecipientsrefused: ", .reply(.command("RCPT TO")), python),
        .init("smtpdataerror: ", .reply(.command(".")), python),
        .init("smtpheloerror: ", .reply(.command("EHLO")), python),
        .init("smtpconnecterror: ", .reply(.greeting), python),
        .init("smtpresponseexception: ", .reply(.unknown), python),
        // Nodemailer's error messages.
        .init("invalid login: ", .reply(.command("AUTH")), node),
        .init("mail command failed: ", .reply(.command("MAIL FROM")), node),
        .init("can't send mail - all recipients were rejected: ", .reply(.command("RCPT TO")), node),
        .init("recipient command failed: ", .reply(.command("RCPT TO")), node),
        .init("data command failed: ", .reply(.command("DATA")), node),
        .init("message failed: ", .reply(.command(".")), node),
        // JavaMail / Jakarta Mail exceptions (`com.sun.mail.smtp.*`, `org.eclipse.angus.mail.smtp.*`).
        .init("smtpaddressfailedexception: ", .reply(.command("RCPT TO")), java),
        .init("smtpsenderfailedexception: ", .reply(.command("MAIL FROM")), java),
        .init("smtpsendfailedexception: ", .reply(.unknown), java),
        .init("authenticationfailedexception: ", .reply(.command("AUTH")), java),
        // MailKit: `AuthenticationException: 535: 5.7.3 ...`, `SmtpCommandException: <text>`.
        .init("mailkit.security.authenticationexception: ", .reply(.command("AUTH")), mailKit),
        .init("smtpcommandexception: ", .reply(.unknown), mailKit),
        // Ruby Net::SMTP.
        .init("net::smtpauthenticationerror", .reply(.command("AUTH")), ruby),
        .init("net::smtpfatalerror", .reply(.unknown), ruby),
        .init("net::smtpserverbusy", .reply(.unknown), ruby),
        .init("net::smtpsyntaxerror", .reply(.unknown), ruby),
        .init("net::smtpunknownerror", .reply(.unknown), ruby),
        // PHPMailer's ErrorInfo and debug error lines.
        .init("smtp error: password command failed: ", .reply(.command("AUTH")), php),
        .init("smtp error: username command failed: ", .reply(.command("AUTH")), php),
        .init("smtp error: auth command failed: ", .reply(.command("AUTH")), php),
        .init("smtp error: mail from command failed: ", .reply(.command("MAIL FROM")), php),
        .init("smtp error: rcpt to command failed: ", .reply(.command("RCPT TO")), php),
        .init("smtp error: data end command failed: ", .reply(.command(".")), php),
        .init("smtp error: data command failed: ", .reply(.command("DATA")), php),
        .init("smtp error: ehlo command failed: ", .reply(.command("EHLO")), php),
        .init("smtp error: helo command failed: ", .reply(.command("HELO")), php),
        .init("smtp error: starttls command failed: ", .reply(.command("STARTTLS")), php),
        .init("smtp error: the following recipients failed: ", .reply(.command("RCPT TO")), php),
        .init("smtp error: the following from address failed: ", .reply(.command("MAIL FROM")), php),
        .init("smtp error: could not authenticate", .failed("AUTH", code: 535), php),
        .init("smtp error: data not accepted", .failed(".", code: 554), php),
        // Symfony Mailer / Swift Mailer (Laravel): `Expected response code "250/251/252" but got code "550",
        // with message "550 5.7.1 ...".`
        .init("with message \"", .reply(.unknown), symfony),
        // .NET System.Net.Mail (and PowerShell's Send-MailMessage, which uses it): a status phrase, then this.
        .init("the server response was: ", .reply(.unknown), dotNet),
        // Command-line senders used by scripts and containers.
        .init("msmtp: server message: ", .reply(.unknown), msmtp),
        .init("authorization failed (", .reply(.command("AUTH")), ssmtp),   // sSMTP runs as `sendmail: ...`
        .init("curl: (55) rcpt failed: ", .reply(.command("RCPT TO")), curl),
        .init("curl: (55) mail failed: ", .reply(.command("MAIL FROM")), curl),
        .init("curl: (67) login denied", .failed("AUTH", code: 535), curl),
        .init("msmtp: authentication failed", .failed("AUTH", code: 535), msmtp),
        .init("login to server ", .failed("AUTH", code: 535), thunderbird),
        // Apple Mail (iPhone, iPad): `Cannot Send Mail. The user name or password for "smtp.example.com" is
        // incorrect.`
        .init("the user name or password for ", .failed("AUTH", code: 535), appleMail),
        // Desktop clients quoting the server.
        .init("the mail server responded: ", .reply(.unknown), thunderbird),
        .init("the server responded: ", .reply(.unknown), outlook),
        // The same, copied out of the dialog where the reply wraps onto the next line.
        .init("the mail server responded:", .replyFollows(.unknown), thunderbird),
        .init("the server responded:", .replyFollows(.unknown), outlook),
        // Outlook's send/receive error: `... Server: 'smtp.example.com', Protocol: SMTP, Server Response: '550
        // 5.7.1 Unable to relay', Port: 25, Secure(SSL): No, Server Error: 550, Error Number: 0x800CCC79`.
        .init("server response: '", .reply(.unknown), outlook),
    ]

    /// Rows naming a fault without a reply. The more specific words come first.
    static let problems: [ErrorMarker] = [
        // Implicit TLS against a plain-text port, or the other way round.
        .init("wrong version number", .problem(.tlsModeMismatch)),
        .init("wrong_version_number", .problem(.tlsModeMismatch)),
        .init("first record does not look like a tls handshake", .problem(.tlsModeMismatch), go),
        .init("unrecognized ssl message, plaintext connection", .problem(.tlsModeMismatch), java),
        .init("handshake failed due to an unexpected packet format", .problem(.tlsModeMismatch), dotNet),
        .init("ssl23_get_server_hello:unknown protocol", .problem(.tlsModeMismatch)),
        .init("greeting never received", .problem(.noGreeting), node),
        // Certificates.
        .init("certificate verify failed", .problem(.certificateRejected)),
        .init("certificate_verify_failed", .problem(.certificateRejected)),
        .init("the remote certificate is invalid", .problem(.certificateRejected), dotNet),
        .init("remotecertificatenamemismatch", .problem(.certificateRejected), dotNet),
        .init("remotecertificatechainerrors", .problem(.certificateRejected), dotNet),
        .init("pkix path building failed", .problem(.certificateRejected), java),
        .init("unable to find valid certification path", .problem(.certificateRejected), java),
        .init("no subject alternative", .problem(.certificateRejected), java),
        .init("x509: certificate", .problem(.certificateRejected), go),
        .init("self signed certificate", .problem(.certificateRejected)),
        .init("self-signed certificate", .problem(.certificateRejected)),
        .init("unable to verify the first certificate", .problem(.certificateRejected), node),
        .init("unable to get local issuer certificate", .problem(.certificateRejected)),
        .init("certificate has expired", .problem(.certificateRejected)),
        .init("does not match certificate's altnames", .problem(.certificateRejected), node),
        .init("hostname mismatch", .problem(.certificateRejected)),
        .init("ssl.sslcertverificationerror", .problem(.certificateRejected), python),
        // Other handshake failures.
        .init("could not convert socket to tls", .problem(.tlsHandshake), java),
        .init("sslhandshakeexception", .problem(.tlsHandshake)),
        .init("handshake failure", .problem(.tlsHandshake)),
        .init("handshake failed", .problem(.tlsHandshake)),
        .init("no protocols available", .problem(.tlsHandshake)),
        .init("unsupported protocol", .problem(.tlsHandshake)),
        .init("ssl.sslerror", .problem(.tlsHandshake), python),
        // Extensions the client needed and the server did not list.
        .init("server does not support secure connections", .problem(.starttlsNotOffered), dotNet),
        .init("starttls extension not supported by server", .problem(.starttlsNotOffered), python),
        .init("does not support starttls", .problem(.starttlsNotOffered)),
        .init("smtp auth extension not supported by server", .problem(.authNotOffered), python),
        .init("does not advertise auth capability", .problem(.authNotOffered)),
        .init("server doesn't support auth", .problem(.authNotOffered), go),
        .init("smtp server does not support authentication", .problem(.authNotOffered), mailKit),
        .init("smtp: unencrypted connection", .problem(.plaintextAuthRefused), go),
        .init("no password specified", .problem(.credentialsMissing), java),
        .init("missing credentials for \"plain\"", .problem(.credentialsMissing), node),
        // The connection ended or stalled after it was made.
        .init("net_io_connectionclosed", .problem(.serverClosed), dotNet),
        .init("connection unexpectedly closed", .problem(.serverClosed), python),
        .init("smtp server has unexpectedly disconnected", .problem(.serverClosed), mailKit),
        .init("forcibly closed by the remote host", .problem(.serverClosed)),
        .init("econnreset", .problem(.serverClosed)),
        .init("the operation has timed out", .problem(.clientTimeout), dotNet),
        .init("timed out waiting for a response from the sending (smtp) server", .problem(.clientTimeout), outlook),
        .init("the connection to the server was interrupted", .problem(.serverClosed), outlook),
        .init("your server has unexpectedly terminated the connection", .problem(.serverClosed), outlook),
        .init("net::readtimeout", .problem(.clientTimeout), ruby),
        .init("read timed out", .problem(.clientTimeout)),
        // The library refused an address itself.
        .init("not in the form required for an e-mail address", .problem(.addressInvalid), dotNet),
        .init("addressexception", .problem(.addressInvalid), java),
        // Connecting failed (the wording of `SessionSlot.failure` is tried as well).
        .init("net::opentimeout", .connect(.timedOut), ruby),
        .init("connect timed out", .connect(.timedOut)),
        .init("connection timed out", .connect(.timedOut)),
        .init("did not properly respond after a period of time", .connect(.timedOut), dotNet),
        .init("connection timeout", .connect(.timedOut), node),
        .init("i/o timeout", .connect(.timedOut), go),
        .init("no such host is known", .connect(.nameNotResolved), dotNet),
        .init("name or service not known", .connect(.nameNotResolved)),
        .init("nodename nor servname provided", .connect(.nameNotResolved)),
        .init("temporary failure in name resolution", .connect(.nameNotResolved)),
        .init("no such host", .connect(.nameNotResolved)),
        .init("getaddrinfo failed", .connect(.nameNotResolved)),
        .init("network is unreachable", .connect(.networkUnreachable)),
        .init("no route to host", .connect(.noRoute)),
        .init("smtp connect() failed", .connect(.other), php),
        .init("could not connect to smtp host", .connect(.other)),
        .init("unable to connect to the remote server", .connect(.other), dotNet),
        .init("connection could not be established with host", .connect(.other), symfony),
        .init("failed to connect to mailserver at", .connect(.other), "PHP mail()"),
        .init("cannot connect to your outgoing (smtp) e-mail server", .connect(.other), outlook),
        .init("connecting to outgoing server (smtp)", .connect(.other), thunderbird),
        .init("msmtp: cannot connect to", .connect(.other), msmtp),
        .init("ssmtp: cannot open", .connect(.other), ssmtp),
        // sSMTP installed as `sendmail` (cron, PHP's mail()) prints its errors under that name.
        .init("sendmail: cannot open ", .connect(.other), ssmtp),
        // git send-email: `Unable to initialize SMTP properly. ... VALUES: server=smtp.example.com
        // encryption=tls hello=... port=587` (Net::SMTP could not connect, or not start TLS).
        .init("unable to initialize smtp properly", .connect(.other), gitSendEmail),
    ]

    /// Stack frames and error-object fields that name the command a reply answered; the rows at the end,
    /// with no command, only name the library (a line matches the first row, so they come last).
    static let commands: [ErrorMarker] = [
        // .NET System.Net.Mail internals (`at System.Net.Mail.RecipientCommand.CheckResponse(...)`).
        .init("recipientcommand.", .command("RCPT TO"), dotNet),
        .init("smtpfailedrecipientexception", .command("RCPT TO"), dotNet),
        .init("smtpfailedrecipientsexception", .command("RCPT TO"), dotNet),
        .init("mailcommand.", .command("MAIL FROM"), dotNet),
        .init("datastopcommand.", .command("."), dotNet),
        .init("datacommand.", .command("DATA"), dotNet),
        .init("authcommand.", .command("AUTH"), dotNet),
        .init("starttlscommand.", .command("STARTTLS"), dotNet),
        .init("ehellocommand.", .command("EHLO"), dotNet),
        // MailKit.
        .init("smtpclient.rcptto", .command("RCPT TO"), mailKit),
        .init("recipientnotaccepted", .command("RCPT TO"), mailKit),
        .init("smtpclient.mailfrom", .command("MAIL FROM"), mailKit),
        .init("sendernotaccepted", .command("MAIL FROM"), mailKit),
        .init("messagenotaccepted", .command("."), mailKit),
        .init("smtpclient.authenticate", .command("AUTH"), mailKit),
        // JavaMail's SMTPTransport.
        .init("smtptransport.rcptto", .command("RCPT TO"), java),
        .init("smtptransport.mailfrom", .command("MAIL FROM"), java),
        .init("smtptransport.finishdata", .command("."), java),
        .init("smtptransport.data(", .command("DATA"), java),
        .init("smtptransport.authenticate", .command("AUTH"), java),
        .init("smtptransport.starttls", .command("STARTTLS"), java),
        // Nodemailer's `command: '...'` field and its action handlers.
        .init("command: 'rcpt to'", .command("RCPT TO"), node),
        .init("command: 'mail from'", .command("MAIL FROM"), node),
        .init("command: 'data'", .command("DATA"), node),
        .init("command: 'auth plain'", .command("AUTH PLAIN"), node),
        .init("command: 'auth login'", .command("AUTH LOGIN"), node),
        .init("command: 'auth xoauth2'", .command("AUTH XOAUTH2"), node),
        .init("command: 'starttls'", .command("STARTTLS"), node),
        .init("_actionauthcomplete", .command("AUTH"), node),
        .init("_actionrcpt", .command("RCPT TO"), node),
        .init("_actionmail", .command("MAIL FROM"), node),
        .init("_actionsmtpstream", .command("."), node),
        // Symfony / Swift Mailer name the code they expected.
        .init("expected response code \"250/251/252\"", .command("RCPT TO"), symfony),
        .init("expected response code \"235\"", .command("AUTH"), symfony),
        .init("expected response code \"354\"", .command("DATA"), symfony),
        .init("expected response code 235", .command("AUTH"), symfony),
        .init("expected response code 354", .command("DATA"), symfony),
        .init("expected response code 250/251/252", .command("RCPT TO"), symfony),
        .init("failed to authenticate on smtp server", .command("AUTH"), symfony),
        // Outlook: `The message could not be sent because one of the recipients was rejected by the server.`
        .init("one of the recipients was rejected by the server", .command("RCPT TO"), outlook),
        // msmtp: `recipient address bob@example.org not accepted by the server`.
        .init("msmtp: recipient address", .command("RCPT TO"), msmtp),
        .init("msmtp: envelope from address", .command("MAIL FROM"), msmtp),
        // Python frames (`File ".../smtplib.py", line 750, in login`).
        .init(", in login", .command("AUTH"), python),
        .init(", in starttls", .command("STARTTLS"), python),
        // Ruby frames.
        .init("check_auth_response", .command("AUTH"), ruby),
        .init("in `rcptto'", .command("RCPT TO"), ruby),
        .init("in `mailfrom'", .command("MAIL FROM"), ruby),
        // The library only.
        .init("system.net.mail.", .command(""), dotNet),
        .init("mailkit.net.smtp.", .command(""), mailKit),
        .init("nodemailer/lib/", .command(""), node),
        .init("com.sun.mail.", .command(""), java),
        .init("javax.mail.", .command(""), java),
        .init("jakarta.mail.", .command(""), java),
        .init("org.eclipse.angus.mail.", .command(""), java),
        .init("net/smtp.rb", .command(""), ruby),
        .init("smtplib.", .command(""), python),
    ]

    /// The status phrase .NET System.Net.Mail puts before "The server response was:", and its reply code
    /// (the message shows the server's text without the code).
    static let statusPhrases: [(phrase: String, code: Int)] = [
        ("mailbox unavailable.", 550),
        ("the smtp server requires a secure connection or the client was not authenticated.", 530),
        ("transaction failed.", 554),
        ("syntax error, command unrecognized.", 500),
        ("syntax error in parameters or arguments.", 501),
        ("command not implemented.", 502),
        ("bad sequence of commands.", 503),
        ("command parameter not implemented.", 504),
        ("insufficient system storage.", 452),
        ("exceeded storage allocation.", 552),
        ("mailbox name not allowed.", 553),
        ("user not local; please try a different path.", 551),
        ("service not available, closing transmission channel.", 421),
        ("local error in processing.", 451),
    ]
}
