import Foundation

// The knowledge tables. Facts (codes, product names, the phrases servers print) come from RFCs, provider
// documentation and real bounces; every explanation is written by us. Patterns are lower-case substrings;
// see KnowledgeEntry for how a row matches and ReplyKnowledge for the order of precedence.
enum KnowledgeTable {
    static let afterData: Set<String> = [".", "DATA", "BDAT"]
    static let beforeMail: Set<String> = ["CONNECT", "EHLO", "HELO"]

    // MARK: 1. Providers and products

    static let providers: [KnowledgeEntry] = [
        // Google (Gmail, Google Workspace)
        .provider("gmail.nouser", "Gmail", any: ["the email account that you tried to reach does not exist", "because the address couldn't be found"],
                  .userunknown, "Gmail: the address does not exist",
                  "Google has no account with this address. The sender must correct the address or ask the recipient for a current one.",
                  ref: "https://support.google.com/mail/answer/6596"),
        .provider("gmail.disabled", "Gmail", any: ["the email account that you tried to reach is disabled", "the email account that you tried to reach is inactive", "p=disableduser"],
                  .suspend, "Gmail: the account is disabled",
                  "The Google account exists but is disabled or inactive, so it takes no mail. The recipient must restore it; otherwise use another address."),
        .provider("gmail.full", "Gmail", any: ["inbox is out of storage space", "out of storage space"],
                  .mailboxfull, "Gmail: the recipient is out of storage",
                  "The recipient's Google storage is full. Only the recipient can free space or buy more; try again later or reach them another way."),
        .provider("gmail.rate.recipient", "Gmail", any: ["receiving mail at a rate that prevents additional messages", "receiving mail at a rate that"],
                  .speeding, "Gmail: the recipient is receiving too much mail",
                  "This one Google mailbox gets mail faster than Google allows, so new messages are refused for now. Wait and retry later; the sender cannot fix it."),
        .provider("gmail.dmarc", "Gmail", any: ["unauthenticated email from", "gmail requires all senders to authenticate", "does not have authentication information or fails to pass",
                                                 "has an spf record with a hard fail", "fails to pass spf checks", "p=unauthenticatedemail"],
                  .authfailure, "Gmail: message failed sender authentication (SPF/DKIM/DMARC)",
                  "Google could not verify that the sending server may send for the From domain (SPF and DKIM did not pass, so DMARC failed). The owner of the sending domain must publish SPF for this server and sign with DKIM aligned to the From domain.",
                  actions: ["Check the SPF record of the envelope sender's domain includes this sending IP.", "Sign outgoing mail with DKIM using the From domain (or an aligned subdomain).", "Check the DMARC record and reports for the domain."],
                  ref: "https://support.google.com/a/answer/81126"),
        .provider("gmail.reputation", "Gmail", any: ["low reputation of the sending ip", "low reputation of the sending domain", "very low reputation", "unusual rate of unsolicited mail"],
                  .badreputation, "Gmail: low sender reputation",
                  "Google refused or deferred the message because the sending IP or domain has a poor reputation with it. The sender's admin must cut complaints and unwanted mail, then watch Google Postmaster Tools.",
                  actions: ["Register the domain in Google Postmaster Tools and check IP and domain reputation.", "Send only to recipients who asked for the mail, with easy unsubscribe.", "Slow down and retry later."],
                  ref: "https://support.google.com/mail/answer/81126"),
        .provider("gmail.rfc", "Gmail", any: ["not rfc 5322 compliant", "messages with multiple addresses in from", "multiple addresses in from:", "rfcmessagenoncompliant"],
                  .notcompliantrfc, "Gmail: message is not RFC 5322 compliant",
                  "Google refused the message because its header breaks the message format rules (for example two Subject or From headers). The sender must fix the program that builds the message.",
                  ref: "https://support.google.com/mail/?p=RfcMessageNonCompliant"),
        .provider("gmail.unsolicited", "Gmail", any: ["likely unsolicited mail", "has been blocked because it has been identified as spam"],
                  .spamdetected, "Gmail: message looks like spam", nil),
        .provider("gmail.security", "Gmail", any: ["its content presents a potential security issue", "content presents a potential"],
                  .policyviolation, "Gmail: blocked as a possible security risk",
                  "Google blocked the message because its content (often an attachment type or a link) looks dangerous. The sender must remove or change the attachment or link and resend.",
                  ref: "https://support.google.com/mail/answer/6590"),
        .provider("gmail.notauthorized", "Gmail", any: ["is not authorized to send email directly to our servers"],
                  .blocked, "Gmail: this IP may not send directly",
                  "Google does not take mail directly from this IP (typically a dynamic or residential range). Send through a proper relay or the provider's smarthost."),
        .provider("gmail.nullmx", "Gmail", any: ["doesn't receive email according to the administrator", "returned null mx"],
                  .notaccept, "The recipient domain does not accept mail (null MX)",
                  "The recipient domain publishes a null MX: it states that it never receives mail. The sender must use a different address.", ref: "RFC 7505"),
        .provider("gmail.dns", "Gmail", any: ["dns type 'mx' lookup of", "dns error:"],
                  .networkerror, "Gmail: DNS lookup of the recipient domain failed",
                  "Google could not find mail servers for the recipient domain (the domain does not exist or its DNS is broken). The sender must check the domain for typos; the domain owner must fix its DNS."),
        .provider("gmail.connect", "Gmail", any: ["the recipient server did not accept our requests to connect"],
                  .expired, "Gmail: could not connect to the recipient's server",
                  "Google kept trying to reach the recipient's mail server and failed until it gave up. The recipient's admin must check that their MX hosts are up and reachable on port 25."),
        .provider("gmail.groupspam", "Google Groups", any: ["was rejected due to spam classification"],
                  .spamdetected, "Google Groups: rejected as spam", nil),
        .provider("gmail.sendlimit", "Gmail", any: ["daily user sending quota exceeded", "daily sending quota", "user sending limit exceeded"],
                  .speeding, "Gmail: the sender's daily sending limit is reached",
                  "The sending Google account hit its daily limit of messages or recipients. Wait up to 24 hours or move bulk mail to a service made for it."),

        // Microsoft 365 / Exchange Online / Outlook.com / Exchange on-premises
        .provider("ms.dmarc", "Microsoft 365", any: ["does not pass dmarc verification"],
                  .authfailure, "Microsoft: message failed DMARC (5.7.509)",
                  "Microsoft rejected the message because the From domain's DMARC policy is reject and neither SPF nor DKIM passed in alignment. The owner of the sending domain must fix SPF/DKIM for this sending path.",
                  ref: "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"),
        .provider("ms.reputation", "Microsoft 365", any: ["rate limited due to ip reputation", "temporarily rate limited due to"],
                  .badreputation, "Microsoft: rate limited because of IP reputation (4.7.650)",
                  "Microsoft is slowing mail from this IP because its reputation is poor. The sender's admin must reduce unwanted mail and retry more slowly; persistent cases go to the sender support form."),
        .provider("ms.dbeb", "Microsoft 365", any: ["recipient address rejected: access denied"], enhanced: ["X.4.1"],
                  .userunknown, "Microsoft 365: the recipient does not exist (5.4.1)",
                  "Exchange Online's directory check found no such recipient in the tenant. The sender must check the address; if it should exist, the recipient's admin must add it or fix the domain's mail settings."),
        .provider("ms.recipnotfound", "Microsoft 365", any: ["resolver.adr.recipnotfound", "resolver.adr.recipientnotfound", "recipient not found by smtp address lookup", "resolver.adr.exrecipnotfound"],
                  .userunknown, "Exchange: the recipient was not found", nil),
        .provider("ms.authrequired", "Microsoft 365", any: ["resolver.rst.authrequired"],
                  .securityerror, "Exchange: only authenticated senders may write to this recipient",
                  "The recipient (often a group) accepts mail only from authenticated senders inside the organization. Its owner must allow external senders, or the sender must use an internal account."),
        .provider("ms.restricted", "Microsoft 365", any: ["resolver.rst.notauthorized", "resolver.rst.sendersnotauthorized", "not authorized to send to this recipient"],
                  .filtered, "Exchange: the sender may not write to this recipient",
                  "Delivery restrictions on the recipient (often a group) do not allow this sender. The recipient's owner or admin must add the sender to the allowed senders."),
        .provider("ms.size", "Microsoft 365", any: ["resolver.rst.recipsizelimit", "resolver.rst.sendsizelimit"],
                  .exceedlimit, "Exchange: the message is larger than the recipient's limit", nil),
        .provider("ms.quota", "Microsoft 365", any: ["storedrv.deliver: mailbox full", "quotaexceeded", "mailbox size limit"],
                  .mailboxfull, "Exchange: the recipient's mailbox is full", nil),
        .provider("ms.dnsfail", "Microsoft 365", any: ["dns query failed"], enhanced: ["X.4.312", "X.4.310", "X.4.311"],
                  .networkerror, "Microsoft 365: DNS lookup for the recipient domain failed", nil),
        .provider("ms.expired", "Microsoft 365", any: ["queue.expired", "message expired"],
                  .expired, "The message expired in the sender's queue", nil),
        .provider("ms.banned", "Microsoft 365", any: ["banned sending ip"], enhanced: ["X.7.606", "X.7.607", "X.7.608", "X.7.609", "X.7.610", "X.7.611", "X.7.612", "X.7.613", "X.7.614", "X.7.615",
                                                                        "X.7.616", "X.7.617", "X.7.618", "X.7.619", "X.7.620", "X.7.621", "X.7.622", "X.7.623", "X.7.624", "X.7.625",
                                                                        "X.7.626", "X.7.627", "X.7.628", "X.7.629", "X.7.630", "X.7.631", "X.7.632", "X.7.633", "X.7.634", "X.7.635",
                                                                        "X.7.636", "X.7.637", "X.7.638", "X.7.639", "X.7.640", "X.7.641", "X.7.642", "X.7.643", "X.7.644", "X.7.645",
                                                                        "X.7.646", "X.7.647", "X.7.648", "X.7.649"],
                  .blocked, "Microsoft 365: the sending IP is banned (5.7.606-649)",
                  "Microsoft 365 has the sending IP on its own block list. The sender's admin must request delisting at the Microsoft delist portal after fixing the cause.",
                  actions: ["Request removal at https://sender.office.com/.", "Check the server for compromised accounts or unwanted bulk mail first."],
                  ref: "https://sender.office.com/"),
        .provider("ms.olc.block", "Outlook.com", any: ["weren't sent. please contact your internet service provider", "unfortunately, messages from", "part of their network is on our block list", "s3150", "s3140"],
                  .blocked, "Outlook.com: the sending IP is on Microsoft's block list",
                  "Outlook.com (Hotmail) refuses mail from this IP or its range because of its reputation. The sender's admin must ask Microsoft for mitigation through the sender support form and look at SNDS data.",
                  actions: ["Submit the sender support request at https://olcsupport.office.com/.", "Join SNDS (https://sendersupport.olc.protection.outlook.com/snds/) to see the IP's data."],
                  ref: "https://sendersupport.olc.protection.outlook.com/pm/"),
        .provider("ms.olc.sc", "Outlook.com", any: ["sc-001", "sc-002", "sc-003", "sc-004", "dy-001", "dy-002", "ou-001", "ou-002"],
                  .blocked, "Outlook.com: mail from this IP refused (SC/DY/OU code)",
                  "Outlook.com refused the IP: SC codes mean poor reputation, DY codes a dynamic (end-user) address, OU codes a temporary block for unwanted mail. The sender's admin must fix the cause and contact Outlook.com sender support.",
                  ref: "https://sendersupport.olc.protection.outlook.com/pm/"),
        .provider("ms.anonymous", "Microsoft 365", any: [], enhanced: ["X.7.57"],
                  .securityerror, "Microsoft 365: client not authenticated to send (5.7.57)",
                  "The submission server requires the client to log in before sending. The sender must configure authentication (SMTP AUTH) on port 587."),
        .provider("ms.relay", "Microsoft 365", any: [], enhanced: ["X.7.64", "X.7.54"],
                  .norelaying, "Microsoft 365: relaying denied for this connector/tenant", nil),
        .provider("ms.ipblock", "Microsoft 365", any: [], enhanced: ["X.7.708", "X.7.705", "X.7.750", "X.7.511"],
                  .blocked, "Microsoft 365: the sending IP or tenant is blocked",
                  "Microsoft 365 refused the mail because the sending IP or tenant has a poor reputation (or, 5.7.750, sends from unregistered domains). The sender's admin must contact Microsoft support and fix the cause."),
        .provider("ms.recipientlimit", "Microsoft 365", any: [], enhanced: ["X.2.121", "X.2.122"],
                  .speeding, "Microsoft 365: the recipient gets too many messages per hour", nil),
        .provider("ms.loop", "Microsoft 365", any: [], enhanced: ["X.4.14", "X.4.316", "X.4.300"],
                  .expired, "Microsoft 365: delivery gave up (hop count or expiry)", nil),
        .provider("exchange.legacy", "Exchange", any: ["the recipient name is not recognized", "msexch:ims"],
                  .userunknown, "Exchange: the recipient name is not recognized", nil),
        .provider("ms.transaction", "Outlook.com", any: ["transaction failed"], none: ["duplicate header"], commands: ["MAIL", "RCPT", "CONNECT", "EHLO"],
                  .systemerror, "The receiving server failed the transaction", nil),

        // Yahoo / AOL (Yahoo Inc.)
        .provider("yahoo.tss", "Yahoo", any: ["[tss04]", "[tss09]", "[tss11]", "unexpected volume or user complaints", "temporarily deferred due to user complaints"],
                  .badreputation, "Yahoo: deferred for volume or user complaints (TSS04/TSS09)",
                  "Yahoo is slowing this sender because of complaint rates or sudden volume. The sender's admin must lower volume, remove unengaged recipients and check the Yahoo complaint feedback loop.",
                  actions: ["Slow down and let the retries spread out.", "Enroll in the Yahoo complaint feedback loop and remove complainers.", "See https://senders.yahooinc.com/smtp-error-codes/."],
                  ref: "https://senders.yahooinc.com/smtp-error-codes/"),
        .provider("yahoo.ts", "Yahoo", any: ["[ts01]", "[ts02]", "[ts03]", "[tsl01]"],
                  .blocked, "Yahoo: mail from this IP is deferred or refused (TS codes)", nil, ref: "https://senders.yahooinc.com/smtp-error-codes/"),
        .provider("yahoo.policy", "Yahoo", any: ["[ph01]", "not accepted for policy reasons", "[cs01]", "[hm08]"],
                  .policyviolation, "Message refused for policy reasons",
                  "The receiver's policy refused the message (Yahoo PH01/5.7.9, iCloud CS01/HM08 and similar): often authentication, content or reputation. The sender must check SPF/DKIM/DMARC and content, then contact the provider's sender support.",
                  ref: "https://senders.yahooinc.com/smtp-error-codes/"),
        .provider("yahoo.disabled", "Yahoo", any: ["account has been disabled or discontinued", "disabled or discontinued"],
                  .suspend, "The recipient's account is disabled or discontinued", nil),
        .provider("yahoo.nouser", "Yahoo", any: ["this user doesn't have a", "user doesn't have a"],
                  .userunknown, "Yahoo: the address does not exist", nil),

        // Apple iCloud, Comcast, Cox, GMX/web.de/mail.com, Orange/La Poste, QQ, Facebook, GoDaddy, 1&1, Mail.ru, Yandex, Zoho
        .provider("icloud.dmarc", "iCloud", any: ["rejected due to", "dmarc"], all: ["dmarc policy"],
                  .authfailure, "Message failed the sender domain's DMARC policy", nil),
        .provider("icloud.refuse", "iCloud", any: ["esmtp not accepting connections"],
                  .blocked, "The server does not accept connections from this client", nil),
        .provider("comcast.ptr", "Comcast", any: ["comcast requires that all mail servers must have a ptr"],
                  .requireptr, "Comcast: the sending server has no PTR record", nil, ref: "https://postmaster.comcast.net/"),
        .provider("comcast.block", "Comcast", any: ["bl000000", "bl000001", "bl000010", "bl000020", "comcast block for spam"],
                  .blocked, "Comcast: the sending IP is blocked (BL code)", nil, ref: "https://postmaster.comcast.net/"),
        .provider("comcast.rate", "Comcast", any: ["rl000001", "rl000010", "rl000100"],
                  .speeding, "Comcast: too much mail from this IP (RL code)", nil, ref: "https://postmaster.comcast.net/"),
        .provider("cox.sender", "Cox", any: ["cox.com/residential/support/email-error-codes", "cxsnder", "cxmxrbl"],
                  .blocked, "Cox: the sender or sending IP is refused", nil, ref: "https://www.cox.com/residential/support/email-error-codes.html"),
        .provider("gmx.ptr", "GMX / web.de / mail.com", any: ["bad dns ptr resource record", "nemesis esmtp service not available"],
                  .requireptr, "GMX/web.de: the sending IP has no valid PTR record", nil, ref: "https://postmaster.gmx.net/en/error-messages"),
        .provider("gmx.size", "1&1 / GMX", any: ["mail size limit exceeded"],
                  .mesgtoobig, "The message is larger than the receiver allows", nil),
        .provider("orange.refuse", "Orange / La Poste", any: ["service refuse", "service refused, please try later"], commands: ["CONNECT", "EHLO", "HELO"],
                  .blocked, "Orange/La Poste: connection refused",
                  "The French provider refused the connection (a block or rate limit on the sending IP). The sender's admin must slow down and, if it persists, contact the provider's postmaster."),
        .provider("orange.refuse.later", "Orange / La Poste", any: ["service refuse", "service refused, please try later"],
                  .systemerror, "Orange/La Poste: service refused for now", nil),
        .provider("orange.spamip", "Orange", any: ["adresse ip source bloquee", "client host blocked for spamming"],
                  .blocked, "Orange: the sending IP is blocked for spam", nil),
        .provider("orange.spam", "Orange", any: ["mail rejete. mail rejected", "ofr_506"],
                  .spamdetected, "Orange: the message was rejected as unwanted", nil),
        .provider("orange.blocked", "La Poste", any: ["le compte du destinataire est bloque", "recipient account is blocked"],
                  .suspend, "The recipient's account is blocked", nil),
        .provider("qq.freq", "QQ Mail", any: ["connection frequency limited", "ip frequency limited", "frequency limited"],
                  .toomanyconn, "QQ Mail: too many connections from this IP", nil),
        .provider("facebook.p2", "Facebook", any: ["refused due to recipient preferences", "rcp-p2"],
                  .filtered, "The recipient's preferences refuse this mail", nil),
        .provider("facebook.p1", "Facebook", any: ["rcp-p1"],
                  .userunknown, "The recipient address does not exist", nil),
        .provider("godaddy.spf", "GoDaddy", any: ["per it's spf record", "per its spf record", "ib508"],
                  .authfailure, "GoDaddy: the sending IP is not in the domain's SPF record", nil),
        .provider("godaddy.rate", "GoDaddy", any: ["too many recipients this hour", "ib607"],
                  .speeding, "GoDaddy: too many recipients this hour", nil),
        .provider("godaddy.from", "GoDaddy", any: ["from: domain is invalid", "ib506"],
                  .rejected, "GoDaddy: the From domain is invalid", nil),
        .provider("mailru.spam", "Mail.ru", any: ["spam message rejected", "message rejected under suspicion of spam", "looks like spam"],
                  .spamdetected, "The message was rejected as spam", nil),
        .provider("mailru.nouser", "Mail.ru", any: ["message was not accepted -- invalid mailbox", "invalid mailbox"],
                  .userunknown, "The mailbox does not exist", nil),
        .provider("yandex.nouser", "Yandex", any: ["no such user!"],
                  .userunknown, "Yandex: no such user", nil),
        .provider("yandex.policy", "Yandex", any: ["policy rejection on target address"],
                  .filtered, "Yandex: the recipient's rules refuse this mail", nil),
        .provider("zoho.relay", "Zoho", any: ["unusual sending activity", "zoho"], all: ["sending"],
                  .speeding, "Zoho: sending blocked for unusual activity", nil),

        // Gateways and filtering services
        .provider("mimecast.policy", "Mimecast", any: ["email rejected due to security policies", "host network not allowed", "rejected by header based anti-spoofing policy", "anti-spoofing policy"],
                  .policyviolation, "Mimecast: refused by a security policy",
                  "A Mimecast policy of the receiving organization refused the message or the sending network. The recipient's admin must adjust the policy or allow the sender; the sender can only contact them.",
                  ref: "https://community.mimecast.com/docs/DOC-1369"),
        .provider("mimecast.nouser", "Mimecast", any: ["invalid recipient - https://community.mimecast.com", "recipient address rejected - access denied"],
                  .userunknown, "Mimecast: the recipient does not exist", nil, ref: "https://community.mimecast.com/docs/DOC-1369"),
        .provider("mimecast.envelope", "Mimecast", any: ["administrative prohibition - envelope blocked", "envelope blocked"],
                  .filtered, "Mimecast: the sender or recipient pair is blocked by policy", nil),
        .provider("mimecast.temp", "Mimecast", any: ["internal resources are temporarily unavailable"],
                  .systemerror, "Mimecast: temporary internal problem", nil),
        .provider("proofpoint.policy", "Proofpoint", any: ["support.proofpoint.com", "pphosted"], none: ["dnsbl"],
                  .policyviolation, "Proofpoint: refused by the receiver's gateway policy", nil),
        .provider("barracuda.recipient", "Barracuda", any: ["barracuda"], all: ["recipient"],
                  .filtered, "Barracuda: the recipient's gateway refused the message", nil),
        .provider("ironport.address", "Cisco Secure Email", any: ["#5.1.0 address rejected", "#5.1.1 address rejected"],
                  .userunknown, "Cisco gateway: the recipient address is rejected", nil),
        .provider("sophos", "Sophos", any: ["blocked by sophos", "sophos anti-spam", "sophos email appliance"],
                  .blocked, "Sophos: the receiving gateway blocked the message", nil),
        .provider("spamexperts", "SpamExperts", any: ["classified as spam and may not be delivered", "antispamcloud", "spamexperts"],
                  .spamdetected, "SpamExperts: the message was classified as spam", nil),
        .provider("messagelabs.auth", "Symantec MessageLabs", any: ["please turn on smtp authentication"],
                  .securityerror, "The server requires SMTP authentication", nil),
        .provider("ses.notverified", "Amazon SES", any: ["email address is not verified", "identities failed the check"],
                  .norelaying, "Amazon SES: the sender identity is not verified",
                  "Amazon SES refuses to send from an address or domain not verified in this account and region. The sender must verify the identity (or leave the sandbox) in the SES console."),
        .provider("ses.invalidip", "Amazon SES", any: ["invalid ip for sending mail of domain"],
                  .blocked, "The sending IP is not allowed for this sender domain", nil),
        .provider("ses.dupheader", "Amazon SES", any: ["duplicate header"],
                  .notcompliantrfc, "The message has a duplicated header", nil),
    ]

    // MARK: 3. Generic text patterns (order matters: specific before general)

    static let texts: [KnowledgeEntry] = [
        // things that are not failures
        .text("greylist", any: ["greylist", "graylist", "grey-list", "gray-list", "greylisted", "postgrey"],
              .greylisted, "Greylisted: deferred on purpose", severity: .warning, ref: "RFC 6647"),
        .text("loopback", any: ["loops back to myself"], .systemerror, "Mail loops back to the sending server",
              "The destination's MX points back to the sending server itself, so it cannot deliver. The admin of the recipient domain (or the sending server, if it should be final destination) must fix MX records or the local domain list."),
        // before "mailbox full": exceptions whose words overlap
        .text("size.exceedlimit", any: ["message too large", "message too big", "message size exceeds", "message length exceeds", "size limit", "exceeds maximum message size", "maximum message size", "message is too large", "too large for this recipient"],
              enhanced: ["X.2.3"], .exceedlimit, "The message is larger than the recipient's limit", ref: "RFC 1870"),
        .text("size", any: ["message too large", "message too big", "message size exceeds", "message length exceeds", "size limit exceeded", "exceeds maximum message size", "maximum message size", "message is too large", "line limit exceeded", "exceeds size limit", "size exceeds", "message exceeds the maximum"],
              .mesgtoobig, "The message is too big for the receiving system", ref: "RFC 1870"),
        .text("systemfull", any: ["mail system full", "insufficient system storage", "insufficient disk space", "system storage", "disk full", "no space left on device"],
              none: ["mailbox"], .systemfull, "The receiving system is out of storage"),
        .text("mailboxfull", any: ["mailbox full", "mailbox is full", "over quota", "quota exceeded", "exceeded storage", "out of storage", "storage quota", "disk quota", "exceeds allowed size", "mailfolder is full",
                                   "mailbox exceeds", "recipient's mailbox exceeded", "mailbox size", "quota exceed", "over the allowed quota", "exceeded its storage", "mailbox has exceeded", "insufficient disk space", "user is over", "account is over quota"],
              .mailboxfull, "The recipient's mailbox is full", ref: "RFC 3463 X.2.2"),
        .text("mailererror", any: ["x-unix", "procmail", "pipe to |", "mailer error", "failed to read response template", "operating system error", "command died with status", "exit 75", "|/usr/"],
              .mailererror, "A local delivery program failed on the recipient's server"),
        // virus before spam ("virus or spam content")
        .text("virus", any: ["virus", "malware", "infected", "trojan", "malicious content", "ransomware"],
              .virusdetected, "Malware was found in the message"),
        // sender authentication
        .text("dmarc", any: ["dmarc", "dkim signature", "dkim check", "dkim validation", "dkim verification", "no valid dkim", "dkim fail", "spf record", "spf check", "spf validation", "spf fail", "fails to pass spf", "sender policy framework", "authentication checks failed", "unauthenticated email", "is not allowed to send from", "bad spf", "spf=fail", "dkim=fail", "not pass spf", "spf hard fail", "failed spf", "failed dkim", "arc validation"],
              .authfailure, "The message failed sender authentication (SPF, DKIM or DMARC)",
              "The receiver checked whether this server may send for the sender's domain (SPF), whether the signature is valid (DKIM) and the domain's DMARC policy, and the message failed. The sending domain's owner must fix the SPF record or DKIM signing for this sending path.",
              actions: ["Check that the domain's SPF record includes the sending IP or service.", "Sign with DKIM using a key published in the domain's DNS, aligned with the From domain.", "Read the domain's DMARC aggregate reports to find other failing sources."],
              ref: "RFC 7208 (SPF), RFC 6376 (DKIM), RFC 7489 (DMARC)"),
        // TLS
        .text("tls", any: ["starttls is required", "must issue a starttls", "tls required", "requires tls", "tls is required", "does not support tls", "tls negotiation failed", "starttls failed", "tls handshake", "encryption required", "must use tls", "requiretls", "certificate verify failed", "tls connection required", "not support starttls", "ssl routines"],
              .failedstarttls, "TLS was required or failed", ref: "RFC 3207"),
        // reverse DNS
        .text("ptr", any: ["ptr record", "reverse dns", "rdns", "reverse lookup", "ip name lookup failed", "mismatches client ip", "unverifyable sending ip", "without a valid sender domain", "no ptr", "reverse mapping", "cannot find your hostname", "cannot find your reverse hostname", "dns ptr", "reverse hostname", "does not resolve to", "client host name lookup", "hostname does not match"],
              .requireptr, "The sending IP has no valid reverse DNS (PTR)",
              actions: ["Ask the owner of the IP range (hosting provider or ISP) to set a PTR record for the sending IP.", "Make the PTR name resolve back to the same IP (forward-confirmed reverse DNS).", "Use that name as the EHLO name."],
              ref: "RFC 7372 X.7.25"),
        // recipient-side filters and explicit sender blocks
        .text("filtered", any: ["blocked by the recipient", "you have been blocked by", "user reject", "rejected by recipient", "recipient rejected your message", "on the recipient's block", "blocked by recipient", "message filtered", "sender is blocked", "not on the allowed senders", "denied by recipient"],
              .filtered, "The recipient's rules refused this sender or message"),
        .text("sender.blacklisted", any: ["address that has been blacklisted", "sender is blacklisted", "sender address is blacklisted", "sender blacklisted"],
              .rejected, "The sender address is on the receiver's block list"),
        // content
        .text("spam", any: ["spam", " ube", "ube,", "unsolicited", "junk mail", "bulk mail", "mail score", "message content rejected", "content rejected", "blacklisted url", "scored as", "spam score", "spamassassin", "phish"],
              none: ["spamhaus", "spamcop", "for spamming", "spam trap", "spamming"],
              .spamdetected, "The receiver's filter judged the message to be spam"),
        .text("policy", any: ["policy reasons", "denied by policy", "local policy", "policy violation", "protocol violation", "header error", "rejected for policy", "security policies", "violates our policy", "violation of our", "prohibited attachment", "attachment not allowed", "blocked attachment", "banned attachment", "not allowed by policy", "policy restrictions", "content policy", "rejected by policy", "due to policy"],
              .policyviolation, "A policy of the receiving side refused the message"),
        .text("rfc", any: ["rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "duplicate header", "multiple subject", "multiple from", "missing required header", "bare lf", "bare linefeed", "bare line feed", "not compliant", "header is missing", "missing message-id", "no message-id"],
              .notcompliantrfc, "The message breaks the message format rules", ref: "RFC 5322"),
        .text("content", any: ["8-bit data", "8bit data", "headers too large", "improperly-formatted", "media error", "invalid mime", "malformed mime", "mime error", "content error", "header too long", "header size exceeds", "binary content", "invalid character"],
              .contenterror, "The message content is malformed", ref: "RFC 3463 X.6.x"),
        // client-IP based refusals
        .text("blocked.dynamic", any: ["dynamic ip", "dynamic address", "dialup", "dial-up", "residential", "use the smtp server of your isp", "use your isp", "end-user address", "generic reverse", "may not be mail exchanger", "not a mail exchanger"],
              .blocked, "The receiver refuses mail sent directly from this kind of address",
              "The receiver does not take mail directly from end-user or dynamic address ranges. The sender must send through the provider's relay (smarthost) or from a server with a static IP and proper DNS."),
        .text("blocked", any: ["blocked using", "blacklisted", "blocklisted", "block list", "blocklist", "blacklist", "listed in", "access from ip address", "open relay", "not accepting connections", "banned", "blocked for abuse", "blocked - see", "poor reputation", "your ip", "sending ip", "client host rejected", "ip address", "ip blocked", "blocked ip", "for spamming", "rejected due to", "(bl)", "refused to talk to me"],
              none: ["relay", "domain of sender"], notCommands: ["RCPT"],
              .blocked, "The receiver refused the sending server",
              actions: ["Check the sending IP on public blocklists (https://mxtoolbox.com/blacklists.aspx).", "Ask the receiving side's postmaster why the IP is refused.", "Send through another relay until it is resolved."]),
        .text("reputation", any: ["reputation", "user complaints", "complaint rate"],
              .badreputation, "The sender's reputation is too low"),
        // rates and connections
        .text("toomanyconn", any: ["too many connections", "connection rate limit", "too many recipients", "too many simultaneous", "too many concurrent", "connection limit", "too many sessions", "too many smtp sessions", "concurrency limit"],
              .toomanyconn, "Too many connections or recipients at once"),
        .text("speeding", any: ["try again slower", "rate limit", "too many messages", "sending rate", "sent too many", "too fast", "throttl", "exceeded the rate", "rate exceeded", "rate of", "message rate", "daily relay quota", "sending limit"],
              .speeding, "The sender is sending too fast"),
        // relay and sender authentication
        .text("auth.relay", any: ["relay through this server without authentication", "without authentication", "authentication required", "authentication is required", "auth required", "must authenticate", "unauthenticated senders", "not authenticated", "smtp authentication", "sender not authenticated"],
              .securityerror, "The server requires authentication", ref: "RFC 4954"),
        .text("relay", any: ["relay access denied", "relaying denied", "relay not permitted", "unable to relay", "not configured to relay", "insecure mail relay", "relay denied", "relaying not allowed", "relaying disallowed", "we do not relay", "not permitted to relay", "relay not allowed", "no relaying", "relaying is not allowed", "not a gateway", "relay prohibited"],
              .norelaying, "The server refused to relay",
              actions: ["Send through your own domain's outgoing server and log in (SMTP AUTH on port 587).", "If this server should accept mail for the domain, the recipient's admin must add the domain to its accepted/relay domains or fix the MX record."],
              ref: "RFC 5321 §3.6"),
        .text("auth.fail", any: ["authentication failure", "authentication failed", "invalid credentials", "username and password not accepted", "bad credentials", "authentication unsuccessful", "auth failed", "password incorrect", "incorrect authentication data"],
              .securityerror, "Authentication failed", ref: "RFC 4954"),
        // sender address (MAIL FROM) problems
        .text("sender", any: ["sender address rejected", "domain of sender address", "sender domain", "unroutable sender", "sender verify failed", "sender verification failed", "can't determine purported responsible address", "not a registered gateway user", "sender denied", "bad sender", "invalid sender", "sender not allowed", "envelope sender", "sender address is invalid", "sender unknown", "unknown sender", "sender invalid", "sender rejected", "sender address does not exist"],
              .rejected, "The sender address was refused"),
        .text("mail.denied", any: ["access denied", "does not exist", "no such domain", "not allowed", "rejected", "refused", "denied", "not permitted"], commands: ["MAIL"],
              .rejected, "The sender address was refused"),
        // recipient state
        .text("suspend", any: ["account is disabled", "account has been disabled", "disabled recipient", "account disabled", "mailbox disabled", "mailbox is disabled", "has been suspended", "is suspended", "currently suspended", "account is locked", "temporary locked", "temporarily locked", "mailbox is frozen", "account is blocked", "discontinued", "deactivated", "account is inactive", "is inactive", "inactive account", "mailbox is inactive", "user suspended", "suspend the service", "account has been locked", "account closed", "expired account"],
              .suspend, "The recipient's mailbox is disabled"),
        .text("hasmoved", any: ["no longer on server", "has been replaced by", "has moved", "not our customer", "not our user", "no forwarding address", "user has moved", "changed address", "moved to", "no longer valid", "no longer active"],
              .hasmoved, "The recipient address is no longer in use"),
        .text("recipient.accessdenied", any: ["recipient address rejected: access denied"], commands: ["RCPT"],
              .userunknown, "The recipient address was refused"),
        .text("userunknown.afterdata", any: ["user unknown", "unknown user", "no such user", "user not found", "unknown recipient", "recipient unknown", "mailbox not found", "user not exist", "user does not exist"],
              commands: afterData, .filtered, "The recipient was refused after the message was sent",
              "The recipient's server refused this recipient only after it saw the message, which points to a filter on the recipient's side rather than a plain unknown address. The sender should check the address and ask the recipient whether they block this sender."),
        .text("notaccept", any: ["null mx", "does not accept mail", "doesn't receive email", "no mx found", "no mx record", "no smtp service", "couldn't find a mail exchanger", "not accepting network messages", "does not accept email", "accepts no mail", "not accept mail"],
              .notaccept, "The recipient's domain does not accept mail", ref: "RFC 7505"),
        .text("hostunknown", any: ["host unknown", "domain does not exist", "no such domain", "host or domain name not found", "domain not found", "unrouteable address", "unroutable address", "couldn't find any host named", "illegal host/domain name", "dns lookup failure", "host not found", "domain is not reachable", "invalid domain", "unknown host", "domain may not exist", "domain name not found", "unknown domain", "no such host", "nxdomain", "does not exist"],
              none: ["account", "mailbox", "user", "recipient address", "email address"], notCommands: ["MAIL", "EHLO", "HELO", "CONNECT"],
              .hostunknown, "The recipient's domain was not found",
              actions: ["Check the recipient's domain for typos.", "Look up the domain's MX records (dig MX domain); if it should exist, its owner must fix its DNS."]),
        .text("userunknown", any: ["user unknown", "unknown user", "no such user", "user not found", "unknown recipient", "recipient unknown", "no mailbox here", "mailbox not found", "mailbox does not exist", "invalid recipient", "recipient not found", "no such recipient", "address rejected", "not a valid mailbox", "mailbox unavailable", "unknown or illegal", "user not exist", "user does not exist", "address not found", "no such mailbox", "not listed in domino directory", "not listed in public name & address book", "invalid final delivery userid", "unknown address", "invalid address", "account does not exist", "address does not exist", "no valid recipients", "unknown local part", "no such account", "recipient does not exist", "mailbox unknown", "bad recipient", "recipient address rejected", "not a known user", "is not a valid user", "addressee unknown", "unable to deliver message to <", "inactive email address", "does not exist", "invalid mailbox", "no mailbox", "not found"],
              notCommands: ["MAIL", "EHLO", "HELO", "CONNECT"],
              .userunknown, "The recipient address does not exist",
              actions: ["Check the address for typos (a common one is a swapped letter in the domain).", "Get a current address from the recipient by another channel.", "Remove the address from lists so it does not bounce again."]),
        // network and DNS
        .text("loop", any: ["too many hops", "hop count exceeded", "routing loop", "mail loop", "forwarded more than the maximum", "maximum hop count", "loop detected", "ma ximum hop count"],
              .networkerror, "The message is looping between servers",
              "The message was passed between servers so many times that it was stopped as a loop. The admins of the servers involved must fix forwarding rules or MX/relay settings that send it in a circle.", ref: "RFC 5321 §6.3"),
        .text("network", any: ["no route to host", "network is unreachable", "host name lookup failure", "name service error", "dns query failed", "lost connection", "network error", "connection reset", "dns error", "temporary dns", "dns failure", "malformed or unexpected name server reply"],
              .networkerror, "A network or DNS problem stopped delivery"),
        .text("expired", any: ["retry timeout exceeded", "delivery time expired", "message expired", "envelope expired", "could not deliver for the last", "giving up", "has been delayed", "will be retried", "will continue trying", "could not be delivered for too long", "unable to deliver this message after", "not delivered within", "have been failing for a long time", "timed out", "timeout", "wasn't able to establish an smtp connection", "unable to connect", "host not reachable", "could not find a gateway", "is not responding", "not reachable", "connection refused", "resources temporarily unavailable", "deferred", "delivery failed 2", "attempts:", "too long in queue", "message has been in the queue too long", "retry time"],
              .expired, "Delivery was retried until it timed out",
              actions: ["Find the first temporary error for this message in the sending server's log; that is the real cause.", "Check that the recipient's MX hosts resolve and accept connections on port 25.", "Resend once the cause is fixed."]),
        .text("systemerror", any: ["internal system error", "system config error", "local configuration error", "insufficient permission", "queue file write error", "could not load drd", "unable to contact ldap", "service currently unavailable", "transaction failed", "temporary local problem", "local error in processing", "internal error", "server error", "system error", "configuration error", "service unavailable", "try again later", "service not available"],
              .systemerror, "The receiving system had an internal problem"),
        .text("syntax", any: ["improper sequence of commands", "bad sequence of commands", "command parameter not implemented", "syntax error", "malformed address", "command unrecognized", "unrecognized command", "command not implemented", "command not recognized", "invalid command", "line too long", "may not follow"],
              .syntaxerror, "The server did not understand the command"),
        .text("undefined", any: ["delivery to the following recipients failed permanently", "did not reach the following recipient", "each of the following recipients was rejected"],
              .onhold, "Delivery failed, reason not stated"),
    ]

    // MARK: 4. Enhanced status codes (class-independent subject.detail)

    static let statuses: [KnowledgeEntry] = [
        .status(["X.1.0"], commands: ["MAIL"], .rejected, "Sender address problem (x.1.0)"),
        .status(["X.1.0"], .userunknown, "Address problem (x.1.0)"),
        .status(["X.1.1", "X.1.3", "X.1.4", "X.1.351", "X.1.352", "X.1.10"].filter { $0 != "X.1.10" }, .userunknown, "Bad destination mailbox (x.1.1)"),
        .status(["X.1.2"], .hostunknown, "Bad destination system (x.1.2)"),
        .status(["X.1.5"], .delivered, "Destination address valid (x.1.5)"),
        .status(["X.1.6"], .hasmoved, "Mailbox has moved (x.1.6)"),
        .status(["X.1.7", "X.1.8"], .rejected, "Bad sender address (x.1.7/x.1.8)"),
        .status(["X.1.10"], .notaccept, "Recipient domain has a null MX (x.1.10)", ref: "RFC 7505"),
        .status(["X.2.0"], .filtered, "Mailbox status problem (x.2.0)"),
        .status(["X.2.1"], .suspend, "Mailbox disabled (x.2.1)"),
        .status(["X.2.2"], .mailboxfull, "Mailbox full (x.2.2)"),
        .status(["X.2.3"], .exceedlimit, "Message exceeds the mailbox's size limit (x.2.3)"),
        .status(["X.2.4"], .systemerror, "Mailing list expansion problem (x.2.4)"),
        .status(["X.3.1"], .systemfull, "Mail system full (x.3.1)"),
        .status(["X.3.2"], .notaccept, "System not accepting network messages (x.3.2)", ref: "RFC 3463, RFC 7504"),
        .status(["X.3.4"], .mesgtoobig, "Message too big for the system (x.3.4)"),
        .status(["X.3.6"], .delivered, "Requested priority was changed (x.3.6)", ref: "RFC 6710"),
        .status(["X.3."], .systemerror, "Mail system problem (x.3.x)"),
        .status(["X.4.1"], commands: ["CONNECT"], .expired, "No answer from host (x.4.1)"),
        .status(["X.4.3"], .systemerror, "Directory server failure (x.4.3)"),
        .status(["X.4.4"], .hostunknown, "Unable to route (x.4.4)"),
        .status(["X.4.5"], .systemfull, "Mail system congestion (x.4.5)"),
        .status(["X.4.7"], .expired, "Delivery time expired (x.4.7)"),
        .status(["X.4."], .networkerror, "Network or routing problem (x.4.x)"),
        .status(["X.5.3"], .toomanyconn, "Too many recipients (x.5.3)"),
        .status(["X.5.6"], .securityerror, "Authentication exchange line too long (x.5.6)", ref: "RFC 4954"),
        .status(["X.5."], .syntaxerror, "Protocol problem (x.5.x)"),
        .status(["X.6.7", "X.6.8", "X.6.9", "X.6.10"], .contenterror, "Internationalized address or header not supported (x.6.7-x.6.10)", ref: "RFC 6531"),
        .status(["X.6."], .contenterror, "Media or content problem (x.6.x)"),
        .status(["X.7.1"], commands: ["MAIL"], .rejected, "Sender not authorized (x.7.1)"),
        .status(["X.7.1"], commands: beforeMail, .blocked, "Client not authorized (x.7.1)"),
        .status(["X.7.1"], commands: afterData, .policyviolation, "Message refused by policy (x.7.1)"),
        .status(["X.7.2"], .filtered, "Mailing list expansion prohibited (x.7.2)"),
        .status(["X.7.8", "X.7.9", "X.7.12", "X.7.14", "X.7.3", "X.7.4", "X.7.5", "X.7.6", "X.7.7"], .securityerror, "Authentication or security check failed", ref: "RFC 3463, RFC 4954"),
        .status(["X.7.10", "X.7.11", "X.7.30"], .failedstarttls, "Encryption required", ref: "RFC 4954, RFC 5248, RFC 8689"),
        .status(["X.7.13"], .suspend, "User account disabled (x.7.13)", ref: "RFC 5248"),
        .status(["X.7.15", "X.7.16"], .policyviolation, "Priority not accepted (x.7.15/16)", ref: "RFC 6710"),
        .status(["X.7.17", "X.7.18"], .hasmoved, "Mailbox or domain owner has changed (x.7.17/18)", ref: "RFC 7293"),
        .status(["X.7.19"], .systemerror, "RRVS test could not be completed (x.7.19)", ref: "RFC 7293"),
        .status(["X.7.20", "X.7.21", "X.7.22", "X.7.23", "X.7.24", "X.7.26", "X.7.29", "X.7.509", "X.7.23"], .authfailure, "Sender authentication failed (SPF/DKIM/DMARC/ARC)", ref: "RFC 7372, RFC 8617"),
        .status(["X.7.25"], .requireptr, "Reverse DNS validation failed (x.7.25)", ref: "RFC 7372"),
        .status(["X.7.27"], .rejected, "Sender domain has a null MX (x.7.27)", ref: "RFC 7505"),
        .status(["X.7.28"], .spamdetected, "Mail flood detected (x.7.28)"),
        .status(["X.7.650", "X.7.651", "X.7.652", "X.7.653", "X.7.654"], .badreputation, "Rate limited for IP reputation", provider: "Microsoft 365"),
        .status(["X.7.1"], .securityerror, "Delivery not authorized (x.7.1)"),
        .status(["X.7."], .policyviolation, "Security or policy refusal (x.7.x)"),
        .status(["X.0.0"], commands: beforeMail, .blocked, "Refused before the mail transaction"),
    ]

    // MARK: 5. Basic reply codes by command

    static let replies: [KnowledgeEntry] = [
        .reply(200...299, nil, .delivered, "Accepted", severity: .info),
        .reply(300...399, nil, .delivered, "Waiting for more input", severity: .info),
        .reply(421...421, beforeMail, .blocked, "Connection refused by the server"),
        .reply(554...554, ["CONNECT"], .blocked, "The server offers no service to this client", ref: "RFC 5321 §3.1"),
        .reply(500...599, beforeMail, .blocked, "The server refused the client at the greeting or EHLO"),
        .reply(454...454, ["STARTTLS"], .failedstarttls, "TLS not available", ref: "RFC 3207"),
        .reply(500...599, ["STARTTLS"], .failedstarttls, "STARTTLS refused", ref: "RFC 3207"),
        .reply(538...538, nil, .failedstarttls, "Encryption required for this authentication mechanism", ref: "RFC 4954"),
        .reply(530...530, nil, .securityerror, "Authentication or STARTTLS required first", ref: "RFC 4954, RFC 3207"),
        .reply(432...432, ["AUTH"], .securityerror, "Password transition needed", ref: "RFC 4954"),
        .reply(454...454, ["AUTH"], .securityerror, "Temporary authentication failure", ref: "RFC 4954"),
        .reply(500...599, ["AUTH"], .securityerror, "Authentication failed", ref: "RFC 4954"),
        .reply(521...521, nil, .notaccept, "This host does not accept mail", ref: "RFC 7504"),
        .reply(556...556, nil, .notaccept, "The domain does not accept mail", ref: "RFC 7504"),
        .reply(551...551, nil, .hasmoved, "User not local", ref: "RFC 5321 §3.4"),
        .reply(552...552, ["MAIL", ".", "DATA", "BDAT"], .mesgtoobig, "Message too big", ref: "RFC 1870"),
        .reply(552...552, ["RCPT"], .mailboxfull, "Storage allocation exceeded"),
        .reply(550...553, ["MAIL"], .rejected, "Sender refused"),
        .reply(550...550, ["RCPT"], .userunknown, "Recipient refused"),
        .reply(553...553, ["RCPT"], .userunknown, "Recipient address not allowed"),
        .reply(554...554, ["RCPT"], .userunknown, "Recipient refused"),
        .reply(550...554, [".", "DATA", "BDAT"], .filtered, "Message refused after the content was sent"),
        .reply(452...452, ["RCPT"], .toomanyconn, "Too many recipients or no storage now", ref: "RFC 5321 §4.5.3.1.10"),
        .reply(500...504, nil, .syntaxerror, "Command or argument error"),
        .reply(555...555, nil, .syntaxerror, "MAIL/RCPT parameter not supported"),
    ]

    /// Titles of vendor-specific enhanced codes (not in the IANA registry), for `enhancedMeaning`.
    static let vendorStatusTitles: [String: String] = [
        "X.1.10": "recipient not found (Microsoft 365)",
        "X.1.351": "unknown recipient on the next hop (Exchange)",
        "X.4.312": "DNS query failed (Microsoft 365)",
        "X.4.316": "message expired, connection refused (Microsoft 365)",
        "X.7.509": "DMARC failed with policy reject (Microsoft 365)",
        "X.7.57": "client not authenticated to send anonymous mail (Microsoft 365)",
        "X.7.606": "banned sending IP (Microsoft 365)",
        "X.7.650": "rate limited because of IP reputation (Microsoft 365)",
        "X.7.708": "traffic not accepted from this IP (Microsoft 365)",
        "X.7.750": "unregistered domains sent from this tenant (Microsoft 365)",
    ]

    /// Next steps used when an entry does not give its own.
    static func defaultActions(_ r: Reason) -> [String] {
        switch r {
        case .authfailure: return ["Check SPF, DKIM and DMARC for the sending domain.", "Resend after the records pass."]
        case .badreputation: return ["Reduce volume and complaints; send only to people who asked for the mail.", "Check the provider's postmaster tools for the IP and domain.", "Retry later at a lower rate."]
        case .blocked: return ["Check the sending IP on blocklists (https://mxtoolbox.com/blacklists.aspx).", "Ask the receiving side's postmaster why the server is refused.", "Send through another relay until it is resolved."]
        case .contenterror: return ["Fix the program or template that produced the message (encoding, headers, MIME).", "Resend."]
        case .delivered: return []
        case .exceedlimit, .mesgtoobig: return ["Make the message smaller: compress or remove attachments, or share a link instead.", "Resend."]
        case .expired: return ["Find the earlier temporary errors for this message in the sending server's log.", "Check that the destination's MX hosts are reachable.", "Resend once fixed."]
        case .failedstarttls: return ["Check the TLS versions, ciphers and certificates on both servers (for example with openssl s_client -starttls smtp).", "Align the TLS policy (MTA-STS, DANE, REQUIRETLS) between sender and receiver."]
        case .feedback: return ["Stop sending to the complaining recipient.", "Review how the address was collected."]
        case .filtered: return ["Ask the recipient (by another channel) to allow the sender or check their filters.", "Check the address."]
        case .hasmoved: return ["Update the address; use the new one if the reply names it."]
        case .hostunknown: return ["Check the recipient's domain for typos.", "Look up its MX records; its owner must fix DNS if it should exist."]
        case .mailboxfull: return ["Tell the recipient (another way) that their mailbox is full.", "Retry later."]
        case .mailererror: return ["The recipient's admin must check the local delivery program (filter, script, pipe) and its logs."]
        case .networkerror: return ["Check DNS and routing from the sending server to the destination.", "Retry later; transient network problems clear by themselves."]
        case .norelaying: return ["Send through your own outgoing server and authenticate.", "The recipient's admin must check MX records and accepted domains."]
        case .notaccept: return ["Use a different address: this domain does not receive mail."]
        case .notcompliantrfc: return ["Fix the headers of the message (one From, one Subject, a Date and a Message-ID; CRLF line ends).", "Resend."]
        case .onhold, .undefined: return ["Read the full reply and the sending server's log.", "Contact the receiving side's postmaster with the reply and time."]
        case .policyviolation: return ["Read the policy the reply names or points to.", "Change the message (attachments, links, content) or ask the recipient's admin for an exception."]
        case .rejected: return ["Send from a valid sender address whose domain exists and receives mail.", "Check the sender domain's DNS (MX or A record)."]
        case .requireptr: return ["Ask the IP's owner to set a PTR record that resolves back to the IP.", "Use that name in EHLO."]
        case .securityerror: return ["Log in with correct credentials (SMTP AUTH), usually on port 587 with STARTTLS.", "Check the mail client's outgoing-server settings."]
        case .spamdetected: return ["Review the content, links and attachments that look like spam.", "Check that SPF, DKIM and DMARC pass.", "Ask the receiving side to review the rejection if the mail is legitimate."]
        case .speeding: return ["Slow down: fewer messages per connection and per hour.", "Retry later."]
        case .suppressed: return ["Confirm the address is valid and wanted before removing it from the suppression list."]
        case .suspend: return ["Reach the recipient another way; the mailbox must be reactivated.", "Remove the address from lists if it stays disabled."]
        case .syntaxerror: return ["Check the sending software's SMTP commands and arguments (a client log shows them).", "Update or reconfigure the client."]
        case .systemerror: return ["Retry later.", "If it persists, tell the recipient's admin: the problem is on their server."]
        case .systemfull: return ["Retry later.", "The recipient's admin must free disk or queue space."]
        case .toomanyconn: return ["Lower the number of parallel connections and recipients per message.", "Retry later."]
        case .userunknown: return ["Check the address for typos.", "Get a current address from the recipient.", "Remove the address from lists."]
        case .vacation: return []
        case .virusdetected: return ["Scan the sending machine and the attachment.", "Resend without the infected file."]
        case .greylisted: return ["Nothing: the sending server retries automatically within minutes.", "If retries never succeed, check that the sender retries from the same IP and sender address."]
        }
    }
}
