/// What bounce messages (non-delivery reports) say, as a table: the words of Postfix, Exim, qmail, Sendmail,
/// Exchange / Microsoft 365 and Gmail bounces and of the DSN's machine-readable part, and what they tell about
/// the refused delivery. A bounce quotes the receiving server's reply; the session rebuilt is the sending
/// server's attempt (outbound), with the steps the reply implies marked inferred.
enum BounceMarkers: ErrorMessageKind {
    static let formatID = "bounce"
    static let summary = "Bounce messages (NDR / DSN) as pasted from the mailbox: Postfix, Exim, qmail, Sendmail, Exchange / Microsoft 365, Gmail, Domino, Diagnostic-Code"
    static let noun = "bounce"
    static let identifying = NeedleIndex((replies + problems + commands).filter { $0.library != nil })
    static var wrapsReplies: Bool { true }

    static let postfix = "Postfix bounce"
    static let exim = "Exim bounce"
    static let exchange = "Exchange / Microsoft 365 NDR"
    static let gmail = "Gmail bounce"
    static let qmail = "qmail bounce"
    static let sendmail = "Sendmail bounce"
    static let dsn = "DSN (RFC 3464)"
    static let domino = "Domino bounce"

    static let replies: [ErrorMarker] = [
        // Postfix: `<rcpt>: host mx.example.org[198.51.100.25] said: 550 5.1.1 ... (in reply to RCPT TO command)`.
        .init("] said: ", .reply(.unknown), postfix),
        // Exim: the reply on the lines after `SMTP error from remote mail server after RCPT TO:<rcpt>:`
        // (at the start of its line: Exim's own log lines carry the same words after the host).
        .init("smtp error from remote mail server after rcpt to:", .replyFollows(.command("RCPT TO")), exim, atStart: true),
        .init("smtp error from remote mail server after mail from:", .replyFollows(.command("MAIL FROM")), exim, atStart: true),
        .init("smtp error from remote mail server after end of data", .replyFollows(.command(".")), exim, atStart: true),
        .init("smtp error from remote mail server after pipelined data", .replyFollows(.command("DATA")), exim, atStart: true),
        .init("smtp error from remote mail server after data", .replyFollows(.command("DATA")), exim, atStart: true),
        .init("smtp error from remote mail server after initial connection", .replyFollows(.greeting), exim, atStart: true),
        .init("smtp error from remote mail server after ehlo", .replyFollows(.command("EHLO")), exim, atStart: true),
        .init("smtp error from remote mail server after helo", .replyFollows(.command("HELO")), exim, atStart: true),
        .init("smtp error from remote mail server after starttls", .replyFollows(.command("STARTTLS")), exim, atStart: true),
        .init("smtp error from remote mail server after auth", .replyFollows(.command("AUTH")), exim, atStart: true),
        .init("smtp error from remote mail server after", .replyFollows(.unknown), exim, atStart: true),
        // Exchange / Microsoft 365: `Remote Server returned '550 5.7.1 ...'`.
        .init("remote server returned '", .reply(.unknown), exchange),
        // Microsoft 365's newer NDR layout: `Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...`.
        .init("reported error: ", .reply(.unknown), exchange),
        // The DSN's machine part (before the Exchange rows: ` smtp;` is in it too).
        .init("diagnostic-code: smtp;", .reply(.unknown), dsn),
        // Exchange 2003 / Outlook: `<mail.example.com #5.0.0 smtp;550 5.1.1 <rcpt>... User unknown>`. Before
        // the `#` rows, which would take `5.0.0` for the reply.
        .init(" smtp;", .reply(.unknown), needsCode: true, trailer: ">"),
        // Exchange 2007 to 2016: `#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##`, or with the remote
        // server first: `mx.example.org #554 5.7.1 ... ##`. Not identifying: a `#` line means nothing alone.
        .init("#", .reply(.unknown), atStart: true, needsCode: true, trailer: " ##"),
        .init(" #", .reply(.unknown), needsCode: true, trailer: " ##"),
        // HCL (Lotus) Domino: the reason on the lines after `because:`, often without a code (`User jdoe
        // (jdoe@corp.example) not listed in Domino Directory`). Not identifying: the word is common.
        .init("because:", .replyFollows(.unknown), atStart: true, textReply: true),
        // Gmail: `The response from the remote server was:` then the reply.
        .init("the response from the remote server was:", .replyFollows(.unknown), gmail),
        // Gmail to its own users: the reply is text alone (`The email account that you tried to reach does not exist...`).
        .init("the response was:", .replyFollows(.unknown), gmail, textReply: true),
        // qmail: `Remote host said: 550 ...`.
        .init("remote host said: ", .reply(.unknown), qmail),
        // Sendmail's human part: `(reason: 550 5.1.1 <rcpt>... User unknown)`.
        .init("(reason: ", .reply(.unknown), sendmail),
    ]

    /// Faults before any reply. None of them names who wrote the bounce: MTA logs say the same words.
    static let problems: [ErrorMarker] = [
        .init("host or domain name not found", .connect(.nameNotResolved)),
        .init("name service error for name=", .connect(.nameNotResolved)),
        .init("all relevant mx records point to non-existent hosts", .connect(.nameNotResolved)),
        // Gmail: `DNS Error: DNS type 'mx' lookup of example.org responded with code NXDOMAIN Domain name not
        // found: example.org` (SERVFAIL when the domain's name servers fail).
        .init("responded with code nxdomain", .connect(.nameNotResolved)),
        .init("responded with code servfail", .connect(.nameNotResolved)),
        // Exim: no router took the address; for a remote domain, its name has no MX or address record.
        .init("unrouteable address", .connect(.nameNotResolved)),
        .init("connection refused", .connect(.refused)),
        .init("connection timed out", .connect(.timedOut)),
        .init("no route to host", .connect(.noRoute)),
        .init("network is unreachable", .connect(.networkUnreachable)),
    ]

    static let commands: [ErrorMarker] = [
        // Postfix ends the reply with the command it answered.
        .init("(in reply to rcpt to command)", .command("RCPT TO"), postfix),
        .init("(in reply to mail from command)", .command("MAIL FROM"), postfix),
        .init("(in reply to end of data command)", .command("."), postfix),
        .init("(in reply to data command)", .command("DATA"), postfix),
        .init("(in reply to ehlo command)", .command("EHLO"), postfix),
        .init("(in reply to helo command)", .command("HELO"), postfix),
        .init("(in reply to starttls command)", .command("STARTTLS"), postfix),
        // Yahoo ends the reply with the step: `... [RCPT_TO]`.
        .init("[rcpt_to]", .command("RCPT TO")),
        .init("[mail_from]", .command("MAIL FROM")),
        // qmail.
        .init("does not like recipient", .command("RCPT TO"), qmail),
        .init("does not like sender", .command("MAIL FROM"), qmail),
        .init("failed after i sent the message", .command("."), qmail),
        .init("failed on data command", .command("DATA"), qmail),
        // Who wrote the bounce.
        .init("this is the mail system at host", .command(""), postfix),
        .init("undelivered mail returned to sender", .command(""), postfix),
        .init("created automatically by mail delivery software", .command(""), exim),
        .init("mail delivery failed: returning message to sender", .command(""), exim),
        .init("delivery has failed to these recipients or groups", .command(""), exchange),
        .init("diagnostic information for administrators", .command(""), exchange),
        .init("your message did not reach some or all of the intended recipients", .command(""), exchange),
        .init("the following recipient(s) cannot be reached", .command(""), exchange),
        .init("your message wasn't delivered to", .command(""), gmail),
        .init("this is the qmail-send program", .command(""), qmail),
        .init("we were unable to deliver your message to the following address", .command(""), "Yahoo bounce"),
        .init("transcript of session follows", .command(""), sendmail),
        .init("was not delivered to:", .command(""), domino, atStart: true),
        .init("not listed in domino directory", .command(""), domino),
        .init("reporting-mta: dns;", .command(""), dsn),
        .init("final-recipient: rfc822;", .command(""), dsn),
    ]
}
