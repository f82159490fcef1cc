import TranscriptModel

/// The classic step-by-step troubleshooting checks, as a table. Each row fires once per session with all
/// of its evidence.
public enum SessionRules {
    public static let table: [SessionRule] = [
        SessionRule("connect-failed", .error, .networkerror,
                    title: "Connection refused: nothing accepts connections on that port",
                    explanation: "The host answered but refused the TCP connection: no mail server listens on that address and port, or a firewall actively rejects it.",
                    actions: [
                        "Check the mail server is running and listening on this port (`ss -ltn | grep :25`).",
                        "Check port forwarding/NAT on the router or firewall points this port at the mail server.",
                        "Check you connected to the right host and port (the MX record's host, port 25 for server-to-server mail).",
                    ]) { f in
            failure(f, .refused)
        },
        SessionRule("connect-failed", .error, .networkerror,
                    title: "Connection timed out: no answer from the server",
                    explanation: "Nothing answered the connection attempt. Packets are usually dropped by a firewall on the way, or outbound port 25 is blocked by the sending network's provider.",
                    actions: [
                        "Check the receiving firewall allows inbound TCP to this port, and port forwarding points at the mail server.",
                        "Many ISPs and cloud providers block outbound port 25: test from another network or use the provider's relay or port 587.",
                        "Check the address is the server's public one (MX record) and the server is up.",
                    ]) { f in
            failure(f, .timedOut)
        },
        SessionRule("connect-failed", .error, .networkerror,
                    title: "No route to the server",
                    explanation: "The network has no path to that address: a routing problem, a host that is down, or a firewall answering with an unreachable message.",
                    actions: [
                        "Check the address is right and reachable (`ping`, `traceroute -T -p 25`).",
                        "Check routing and firewalls between the client and the server.",
                    ]) { f in
            failure(f, .noRoute) + failure(f, .networkUnreachable)
        },
        SessionRule("connect-failed", .error, .hostunknown,
                    title: "The server name does not resolve",
                    explanation: "DNS gave no address for the host name used, so no connection was attempted.",
                    actions: [
                        "Check the spelling of the host name.",
                        "Look up the domain's MX records (`dig +short MX example.com`) and connect to the host they name.",
                        "Check the client's DNS resolver works (`dig example.com`).",
                    ]) { f in
            failure(f, .nameNotResolved)
        },
        SessionRule("connect-failed", .error, .networkerror,
                    title: "The connection to the server failed",
                    explanation: "The client reports that it could not connect, without saying whether the connection was refused, timed out or the name did not resolve.",
                    actions: [
                        "Test the same host and port from the same machine: `nc -vz HOST PORT`, or in PowerShell `Test-NetConnection HOST -Port PORT`.",
                        "Check the host name and port in the application's settings (587 for submission, 25 for server-to-server mail).",
                        "Check firewalls between the client and the server; many networks block outbound port 25.",
                    ]) { f in
            // Only where the reader marks that the tool did not say why; other `other` failures are told in
            // their own words (a null MX, Exim's retry times) and have findings of their own.
            guard f.session.connectFailureUnexplained else { return [] }
            // A port test that also pinged the host tells a host that is down from a port that is blocked.
            let ping: String? = switch f.session.attributes["ping"] {
            case "answered"?: "The host answered ping, so it is up and the network reaches it: the port itself is blocked on the way (a firewall, or a provider blocking port 25) or nothing listens on it."
            case "no answer"?: "The host did not answer ping either: it may be down or unreachable, though many hosts and firewalls drop ping, so that alone proves little."
            default: nil
            }
            return failure(f, .other).map { var h = $0; h.detail = ping; return h }
        },
        SessionRule("mta-gave-up", .error, .undefined,
                    title: "The sending server stopped on its own, with no reply to quote",
                    explanation: "The sending mail server gives its own reason for ending the delivery attempt (in its log or its queue) rather than a reply from the receiving server.",
                    actions: [
                        "Read the reason in the sending server's own words; search its documentation for them.",
                        "Check the sending server's own settings for that step (TLS policy, transport and relay maps, local domain lists).",
                    ]) { f in
            // The MTA's words (Postfix: `mail for example.org loops back to myself`) read like a reply's text.
            guard let reason = f.session.attributes["mta-reason"] else { return [] }
            let c = ReplyKnowledge.classify(ReplyQuery(code: nil, enhanced: f.session.attributes["dsn"], text: reason, command: nil))
            let known = c.fromWords
            let line = f.session.notes.filter { $0.kind == .log && $0.text.contains(reason) }.last
            return [RuleHit(evidence: line.map { [Evidence(position: $0.position, text: $0.text)] } ?? [],
                            detail: (known ? c.explanation + " " : "") + "In the sending server's words: \(reason)" + (reason.hasSuffix(".") ? "" : "."), title: known ? c.title : nil, reason: known ? c.reason : nil,
                            actions: known ? c.actions : [])]
        },
        SessionRule("port-test-open", .info, .undefined,
                    title: "The port is open, but the input holds no SMTP dialogue",
                    explanation: "A port test (PowerShell's Test-NetConnection, `nc -zv`) made the TCP connection, so no firewall on the way blocks this port and something listens on it. Whether it is a mail server that accepts your mail is not tested yet.",
                    actions: [
                        "Talk SMTP to it and paste the result here: `telnet HOST PORT` (or `openssl s_client -starttls smtp -connect HOST:PORT` on 587 and 25, `-connect HOST:465` on 465).",
                        "Or send a test message with swaks: `swaks --server HOST:PORT --to you@example.com`.",
                    ]) { f in
            let s = f.session
            guard s.attributes["connection-test"] != nil, s.connected == true, s.exchanges.isEmpty else { return [] }
            // The test's last line: its result.
            let ev = s.notes.last { $0.kind == .tool }.map { [Evidence(position: $0.position, text: $0.text)] } ?? []
            return [RuleHit(evidence: ev)]
        },
        SessionRule("name-resolves-internally", .warning, .networkerror,
                    title: "The server name resolved to an internal address",
                    explanation: "The host name was looked up to a private or loopback address. Your DNS answers differently from the public DNS (split DNS), so you may be testing a different server from the one the internet reaches.",
                    actions: [
                        "Compare with a public resolver: `dig @1.1.1.1 +short HOST`.",
                        "Test from outside your network to see what senders see.",
                    ]) { f in
            let s = f.session
            guard let host = s.server.host, !SessionFacts.isIPLiteral(host), let addr = s.server.address,
                  SessionFacts.isPrivateAddress(addr), host.contains("."), host != "localhost" else { return [] }
            let ev = s.notes.first { $0.text.contains(addr) }.map { [Evidence(position: $0.position, text: $0.text)] } ?? []
            return [RuleHit(evidence: ev, detail: "\(host) -> \(addr)")]
        },
        SessionRule("banner-not-fqdn", .warning, .notcompliantrfc,
                    title: "The greeting does not announce a public fully qualified host name",
                    explanation: "A mail server should greet with its public FQDN (the name its IP reverse-resolves to and the MX points at). Other servers use it in checks and some distrust a server that greets with a bare name, an address or localhost.",
                    actions: [
                        "Set the server's announced name (Postfix myhostname, Exim primary_hostname, Exchange receive connector FQDN) to its public FQDN.",
                        "Make sure the IP's PTR record and that name's A record match.",
                    ]) { f in
            guard let i = f.exchanges.firstIndex(where: { $0.stage == .greeting && $0.command == nil }),
                  let r = f.exchanges[i].reply, r.code == 220, !r.inferred else { return [] }
            let host = String(ASCIIText.firstWord(r.lines.first ?? ""))
            guard let kind = SessionFacts.isNotFQDN(host), kind != "masked" else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i), detail: "Announced name: \(host.isEmpty ? "(none)" : host).")]
        },
        SessionRule("banner-masked", .warning, .networkerror,
                    title: "The greeting is masked by a firewall's SMTP inspection",
                    explanation: "A banner made of asterisks is the mark of a firewall's SMTP inspection (for example Cisco ASA/PIX \"inspect esmtp\"). It rewrites or drops commands it does not like (EHLO, STARTTLS, AUTH) and breaks TLS.",
                    actions: [
                        "Disable SMTP/ESMTP inspection on the firewall in front of the mail server (Cisco: `no inspect esmtp`).",
                    ]) { f in
            guard let i = f.exchanges.firstIndex(where: { $0.stage == .greeting && $0.command == nil }),
                  let r = f.exchanges[i].reply, !r.inferred else { return [] }
            let text = r.lines.first ?? ""
            let stars = ASCIIText.isASCII(text) ? ASCIIText.count(0x2A, in: text) : text.filter({ $0 == "*" }).count
            guard stars >= 6 else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i))]
        },
        SessionRule("disconnect-after-helo", .error, .blocked,
                    title: "The server hung up right after HELO/EHLO",
                    explanation: "Dropping the connection right after HELO/EHLO usually means the server disliked the name the client announced: it does not match the client's public name (reverse DNS) or is not a valid FQDN.",
                    actions: [
                        "Announce the sending server's public FQDN in HELO/EHLO.",
                        "Make sure the sending IP's PTR record resolves to that name and the name resolves back to the IP.",
                        "Check the receiving server's log for the exact reason.",
                    ]) { f in
            guard let i = f.droppedRightAfter(["HELO", "EHLO"]) else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i) + f.closeEvidence)]
        },
        SessionRule("disconnect-after-mail", .error, .blocked,
                    title: "The server hung up right after MAIL FROM",
                    explanation: "A server that drops the connection as soon as it sees the sender has usually found the sending IP on a blocklist (RBL): many check it at this point and disconnect silently.",
                    actions: [
                        "Check the sending IP on the blocklists: Spamhaus first (https://check.spamhaus.org/), then https://mxtoolbox.com/blacklists.aspx for the others.",
                        "Fix the cause (compromised account, open relay, missing PTR) before requesting delisting.",
                        "Ask the receiving admin for the log line of this connection.",
                    ]) { f in
            guard let i = f.droppedRightAfter(["MAIL"]) else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i) + f.closeEvidence)]
        },
        SessionRule("s-client-renegotiate", .error, .syntaxerror,
                    title: "openssl s_client took a command starting with R as \"renegotiate\"",
                    explanation: "In its interactive mode s_client reads a line that begins with a capital R as its own renegotiate command (and one that begins with Q as quit), so the command, usually RCPT TO, never reached the server and the TLS session broke. The server did nothing wrong.",
                    actions: ["Type SMTP commands in lower case (rcpt to:<address>), or start s_client with -ign_eof or -quiet, which turn the command letters off (OpenSSL 3 also has -nocommands).",
                              "Or test with swaks --tls, which has no such trap."]) { f in
            guard f.session.attributes["s_client"] == "renegotiated" else { return [] }
            let last = f.exchanges.indices.last
            let note = f.session.notes.first { $0.text == "RENEGOTIATING" }
            return [RuleHit(exchanges: last.map { [$0] } ?? [],
                            evidence: (last.map(f.evidence) ?? []) + (note.map { [Evidence(position: $0.position, text: $0.text)] } ?? []))]
        },
        SessionRule("capture-one-sided", .warning, .undefined,
                    title: "Only one side of the connection is in the capture",
                    explanation: "The packets of one direction were not captured, so the other side's commands or replies are missing: whether the server accepted or refused anything cannot be told from this capture.",
                    actions: ["Capture both directions: check the capture filter (a `src host` or `dst port` filter keeps one side), or capture on the mail server itself.",
                              "With asymmetric routing, capture where both directions pass, or capture on both paths and merge the files (mergecap)."]) { f in
            guard let side = f.capturedOneSide else { return [] }
            return [RuleHit(evidence: f.closeEvidence, detail: "Captured: the \(side == "client only" ? "client's" : "server's") side only.")]
        },
        SessionRule("disconnected", .error, .networkerror,
                    title: "The connection was lost mid-dialogue",
                    explanation: "The connection ended before the dialogue did, with no refusal to explain it: a crash or restart on the server, an idle timeout, or a network device cutting the connection.",
                    actions: [
                        "Look at the server's log at that time for the reason (timeout, lost connection, too many errors).",
                        "If it happens during large messages, check MTU problems and timeouts on firewalls in between.",
                    ]) { f in
            // s_client breaking its own TLS session on a typed "R" is told by its own row.
            // An application's error message that names its fault has its own finding, and so does a TLS
            // handshake the client reported failed (`starttls-failed`).
            guard f.session.outcome == .disconnected, f.capturedOneSide == nil, f.session.attributes["s_client"] == nil,
                  f.session.tlsFailedExchange == nil,
                  f.session.attributes["client-problem"] == nil,
                  f.droppedRightAfter(["HELO", "EHLO", "MAIL"]) == nil else { return [] }
            return [RuleHit(exchanges: f.session.decisiveExchange.map { [$0] } ?? [], evidence: f.closeEvidence)]
        },
        SessionRule("backspace-in-command", .warning, .syntaxerror,
                    title: "A typed command contains backspace characters",
                    explanation: "Telnet sends backspace keystrokes to the server as bytes instead of editing the line, so the server sees the typo and the backspaces. Many servers reject such a command.",
                    actions: [
                        "Retype the command without corrections, or paste it whole.",
                        "Use a client that edits lines locally (`nc -C`, `openssl s_client`, swaks) for manual tests.",
                    ]) { f in
            let hits = f.exchanges.indices.filter { f.exchanges[$0].command?.hadBackspace == true }
            guard !hits.isEmpty else { return [] }
            return [RuleHit(exchanges: hits, evidence: hits.flatMap { f.evidence($0) })]
        },
        SessionRule("data-not-terminated", .error, .syntaxerror,
                    title: "The message was not ended with a line holding only \".\"",
                    explanation: "After DATA the server takes everything as message content until it sees a line with a single dot. Without that line it keeps waiting, and the message is never accepted.",
                    actions: [
                        "End the message with a line containing only `.` (press Enter, type a dot, press Enter).",
                        "In scripts, send the terminator as CRLF . CRLF.",
                    ]) { f in
            var hits: [RuleHit] = []
            for t in f.session.transactions {
                guard let m = t.message, !m.chunked, !m.terminated, !m.terminationInferred else { continue }
                var ev: [Evidence] = []
                if let s = m.start { ev.append(Evidence(position: s, text: "message content starts")) }
                if let e = m.end { ev.append(Evidence(position: e, text: "last content line")) }
                // The server's timeout that ended the wait is a symptom of this, so this is the cause told.
                let ending = f.session.decisiveExchange.flatMap { f.session.exchanges[$0].stage == .message ? [$0] : nil } ?? []
                hits.append(RuleHit(exchanges: ending, evidence: ev))
            }
            return hits
        },
        SessionRule("mail-from-no-brackets", .warning, .syntaxerror,
                    title: "MAIL FROM address given without angle brackets",
                    explanation: "RFC 5321 requires `MAIL FROM:<user@example.com>`. Lenient servers accept a bare address; strict ones refuse it with 501.",
                    actions: ["Write the sender in angle brackets: `MAIL FROM:<user@example.com>`."]) { f in
            noBrackets(f, verb: "MAIL")
        },
        SessionRule("rcpt-to-no-brackets", .warning, .syntaxerror,
                    title: "RCPT TO address given without angle brackets",
                    explanation: "RFC 5321 requires `RCPT TO:<user@example.com>`. Lenient servers accept a bare address; strict ones refuse it with 501.",
                    actions: ["Write the recipient in angle brackets: `RCPT TO:<user@example.com>`."]) { f in
            noBrackets(f, verb: "RCPT")
        },
        SessionRule("starttls-in-plaintext-client", .warning, .failedstarttls,
                    title: "STARTTLS was started from a client that cannot speak TLS",
                    explanation: "After `220 Ready to start TLS` the server expects a TLS handshake. Typing further commands in clear text (telnet, nc) makes the server drop the connection.",
                    actions: ["Test TLS by hand with `openssl s_client -starttls smtp -crlf -connect HOST:PORT`, or with swaks `--tls`."]) { f in
            guard f.session.format == "telnet", let i = f.exchanges.firstIndex(where: {
                $0.command?.verb == "STARTTLS" && $0.reply?.code == 220 }) else { return [] }
            let after = f.exchanges[(i + 1)...].filter { $0.command != nil }
            guard after.first?.reply == nil || f.serverDropped else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i) + f.closeEvidence)]
        },
        SessionRule("no-ehlo-after-starttls", .warning, .notcompliantrfc,
                    title: "No EHLO after STARTTLS",
                    explanation: "After TLS starts, the server forgets everything said before; the client must send EHLO again before MAIL FROM.",
                    actions: ["Send EHLO again right after the TLS handshake."]) { f in
            guard let i = f.exchanges.firstIndex(where: { $0.command?.verb == "STARTTLS" && $0.reply?.code == 220 }),
                  f.session.tlsFailedExchange != i,   // no TLS started: nothing to greet again after
                  let next = f.exchanges[(i + 1)...].firstIndex(where: { $0.command != nil }),
                  let verb = f.exchanges[next].command?.verb, ["MAIL", "RCPT", "AUTH"].contains(verb) else { return [] }
            return [RuleHit(exchanges: [next], evidence: f.evidence(next))]
        },
        SessionRule("pipelining-not-offered", .warning, .notcompliantrfc,
                    title: "Commands were pipelined but the server did not offer PIPELINING",
                    explanation: "The client sent several commands without waiting for replies although the server's EHLO reply did not list PIPELINING. Strict servers drop such clients as spammers.",
                    actions: ["Wait for each reply before the next command, or use a server that offers PIPELINING."]) { f in
            guard let caps = f.session.capabilities, !caps.pipelining else { return [] }
            // Only commands that did get their reply: a reply lost from a paste also looks like pipelining.
            let hits = f.exchanges.indices.filter {
                f.exchanges[$0].command?.pipelined == true && f.exchanges[$0].reply != nil
                    && f.exchanges[$0].command?.verb != "." && !(f.exchanges[$0].command?.inferred ?? true)
            }
            guard !hits.isEmpty else { return [] }
            return [RuleHit(exchanges: hits, evidence: hits.flatMap { f.evidence($0) })]
        },
        SessionRule("pregreet", .warning, .blocked,
                    title: "The client spoke before the server's greeting",
                    explanation: "RFC 5321 clients must wait for the 220 banner. Spam software often does not, so servers such as Postfix postscreen treat early talkers as bots and drop them.",
                    actions: ["Make the client wait for the greeting before sending EHLO.",
                              "If this is a real mail server, check for a proxy or load balancer that delays the banner."]) { f in
            guard f.capturedOneSide == nil else { return [] }
            let hits = f.exchanges.indices.filter { f.exchanges[$0].command?.beforeGreeting == true }
            guard !hits.isEmpty else { return [] }
            return [RuleHit(exchanges: hits, evidence: hits.flatMap { f.evidence($0) })]
        },
        SessionRule("starttls-not-used", .warning, .securityerror,
                    title: "STARTTLS was offered but the mail went in clear text",
                    explanation: "The server advertised STARTTLS, yet the client sent the envelope (and possibly the message and credentials) unencrypted. Anyone on the path can read it, and receivers that require TLS will refuse.",
                    actions: ["Enable STARTTLS in the sending client or server (Postfix smtp_tls_security_level = may or encrypt)."]) { f in
            // A hand-typed telnet test cannot do TLS anyway; this is about real clients and servers.
            guard f.session.format != "telnet", !f.session.tlsStarted, f.session.tls == nil,
                  f.exchanges.contains(where: { $0.command?.verb == "EHLO" && $0.reply.map { r in !r.inferred && r.lines.dropFirst().contains { ASCIIText.hasPrefix($0, lowercased: "starttls") } } == true }),
                  let i = f.exchanges.firstIndex(where: { $0.command?.verb == "MAIL" || $0.command?.verb == "AUTH" })
            else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i))]
        },
        SessionRule("encrypted-outcome", .warning, .undefined,
                    title: "The rest of the dialogue is encrypted: its outcome is not in this input",
                    explanation: "After TLS started, every command and reply, including the acceptance or the refusal, travelled encrypted. The capture shows that TLS began, not how the session ended.",
                    actions: ["Capture again with the TLS secrets: run the client with SSLKEYLOGFILE=keys.log (curl, Python, swaks and other OpenSSL programs; Postfix 3.9+ has tls_keylog), then pass --tls-keylog keys.log.",
                              "Or read the server's log for this connection; the time and addresses are above."]) { f in
            // Captures only: a client's own debug output shows its TLS dialogue, or that TLS failed.
            guard f.session.format == "pcap" || f.session.format == "pcapng",
                  f.session.outcome == .incomplete, f.session.tlsStarted || f.session.tls != nil,
                  !f.exchanges.contains(where: \.tls) else { return [] }
            // From exchanges and the close, not transcript lines: JSON output builds none.
            let start = f.exchanges.lastIndex { $0.command?.verb == "STARTTLS" }
            return [RuleHit(exchanges: start.map { [$0] } ?? [], evidence: (start.map(f.evidence) ?? []) + f.closeEvidence)]
        },
        SessionRule("starttls-stripped", .error, .securityerror,
                    title: "STARTTLS was removed from the server's EHLO reply on the way",
                    explanation: "The EHLO reply carries a masked keyword such as XXXXXXXA where STARTTLS should be. A firewall or proxy doing SMTP inspection rewrote it, which forces mail to go unencrypted (a downgrade).",
                    actions: ["Disable SMTP/ESMTP inspection on the firewall in front of the mail server.",
                              "Compare with a capture taken on the server itself to confirm it offers STARTTLS."]) { f in
            guard let i = f.exchanges.firstIndex(where: { ex in
                ex.command?.verb == "EHLO" && (ex.reply?.lines.dropFirst().contains { l in
                    let w = ASCIIText.firstWord(l)
                    // A keyword shorter than 6 bytes is shorter than 6 characters: most lines stop here,
                    // and an ASCII one is tested on bytes.
                    guard w.utf8.count >= 6 else { return false }
                    if ASCIIText.isASCII(w), ASCIIText.count(0x58, 0x78, in: w) < w.utf8.count - 2 { return false }
                    return w.count >= 6 && w.filter({ $0 == "X" || $0 == "x" }).count >= w.count - 2 && w.uppercased() != "XCLIENT"
                } ?? false)
            }) else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i))]
        },
        SessionRule("auth-before-tls", .warning, .securityerror,
                    title: "AUTH was tried before STARTTLS",
                    explanation: "Most servers only offer AUTH inside TLS, so that passwords never cross the network in clear text. The EHLO reply before TLS does not list AUTH, or the server refused it until encryption starts.",
                    actions: ["Send STARTTLS, then EHLO again, then AUTH (or use implicit TLS on port 465)."]) { f in
            guard let i = f.exchanges.firstIndex(where: { $0.command?.verb == "AUTH" && !$0.tls }),
                  let caps = f.session.capabilities ?? nil as Capabilities?,
                  caps.starttls || f.exchanges[i].reply.map({ [503, 530, 538].contains($0.code) || $0.isFailure && $0.text.lowercased().contains("tls") }) == true
            else { return [] }
            if !caps.authMechanisms.isEmpty && f.exchanges[i].reply?.isPositive == true { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i))]
        },
        SessionRule("line-too-long", .warning, .notcompliantrfc,
                    title: "Lines longer than SMTP allows",
                    explanation: "SMTP limits a command line to 512 octets and a message line to 1000 octets including CRLF. Longer lines are cut or refused by some servers, and break signatures.",
                    actions: ["Wrap long message lines or send the body as quoted-printable/base64.",
                              "Check the program that builds the message or command."]) { f in
            var hits: [RuleHit] = []
            let long = f.exchanges.indices.filter { (f.exchanges[$0].command?.raw.utf8.count ?? 0) > 510 }
            if !long.isEmpty { hits.append(RuleHit(exchanges: long, evidence: long.flatMap { f.evidence($0) }, detail: "A command line is too long.")) }
            for t in f.session.transactions {
                guard let m = t.message, m.longLines > 0 else { continue }
                let ev = m.start.map { [Evidence(position: $0, text: "message content")] } ?? []
                hits.append(RuleHit(evidence: ev, detail: "\(m.longLines) message line(s) over 998 octets."))
            }
            return hits
        },
        SessionRule("eight-bit-without-8bitmime", .warning, .contenterror,
                    title: "8-bit message content without 8BITMIME",
                    explanation: "The message holds bytes above 127, but the server did not advertise 8BITMIME (or the client did not declare BODY=8BITMIME). Such content must be encoded as quoted-printable or base64, or it may be mangled or refused.",
                    actions: ["Encode non-ASCII content (quoted-printable/base64) or declare BODY=8BITMIME to a server that offers it."]) { f in
            guard let t = f.session.transactions.first(where: { ($0.message?.eightBitLines ?? 0) > 0 }),
                  let caps = f.session.capabilities else { return [] }
            let declared = f.exchanges.contains { $0.command?.verb == "MAIL" && ($0.command?.parameter("BODY")?.uppercased() == "8BITMIME") }
            guard !caps.eightBitMIME || !declared else { return [] }
            let ev = t.message?.start.map { [Evidence(position: $0, text: "message content")] } ?? []
            return [RuleHit(evidence: ev)]
        },
        SessionRule("smtputf8-without-extension", .error, .notcompliantrfc,
                    title: "Non-ASCII address without SMTPUTF8",
                    explanation: "An address holds non-ASCII characters, which is only allowed when the server offers SMTPUTF8 and the client asks for it on MAIL FROM. Otherwise servers answer 553 5.6.7 or mangle the address.",
                    actions: ["Use an ASCII address, or send through servers that support SMTPUTF8 and add the SMTPUTF8 parameter to MAIL FROM."]) { f in
            let hits = f.exchanges.indices.filter { i in
                guard let c = f.exchanges[i].command, c.verb == "MAIL" || c.verb == "RCPT",
                      let a = c.address, a.utf8.contains(where: { $0 >= 0x80 }) else { return false }
                let asked = f.exchanges.contains { $0.command?.verb == "MAIL" && $0.command?.parameters.contains { $0.key == "SMTPUTF8" } == true }
                return !(f.session.capabilities?.smtputf8 ?? false) || !asked
            }
            guard !hits.isEmpty else { return [] }
            return [RuleHit(exchanges: hits, evidence: hits.flatMap { f.evidence($0) })]
        },
        SessionRule("smtp-smuggling-pattern", .error, .securityerror,
                    title: "End-of-data marker with bare line feeds (SMTP smuggling pattern)",
                    explanation: "The message content holds a lone dot ended by a bare LF instead of CRLF. Servers that disagree on where such a message ends can be made to accept a second, forged message hidden inside the first (SMTP smuggling).",
                    actions: ["Make sure every server on the path rejects bare LF (Postfix smtpd_forbid_bare_newline = normalize or yes; Exim and Sendmail: current releases).",
                              "Find which client produced the bare LFs."]) { f in
            var hits: [RuleHit] = []
            for t in f.session.transactions {
                guard let m = t.message, m.bareLFLines > 0 else { continue }
                if let p = m.smugglingPattern {
                    hits.append(RuleHit(evidence: [Evidence(position: p, text: "lone '.' ended by a bare LF")]))
                } else {
                    let ev = m.start.map { [Evidence(position: $0, text: "message content")] } ?? []
                    hits.append(RuleHit(evidence: ev, detail: "Here \(m.bareLFLines) content line(s) end in a bare LF, without a smuggled end marker."))
                }
            }
            return hits
        },
        SessionRule("lossy-paste", .info, .undefined,
                    title: "Some steps were missing from the paste and were inferred",
                    explanation: "Lines the paste lost were reconstructed from what followed (for example a 354 reply implies a DATA command). They are marked as inferred.",
                    actions: ["If the exact exchange matters, capture the session again (swaks, or `script` around telnet)."]) { f in
            // s_client -starttls does the STARTTLS itself before the dialogue shows: nothing was lost.
            let toolDid: (Exchange) -> Bool = { f.session.format == "openssl" && $0.command?.verb == "STARTTLS" }
            let hits = f.exchanges.indices.filter {
                !toolDid(f.exchanges[$0])
                    && ((f.exchanges[$0].command?.inferred ?? false) || (f.exchanges[$0].reply?.inferred ?? false))
            }
            guard !hits.isEmpty, f.session.direction == nil, f.capturedOneSide == nil else { return [] }
            return [RuleHit(exchanges: hits, evidence: hits.flatMap { f.evidence($0) })]
        },
        SessionRule("reached-data", .info, .delivered,
                    title: "The session got as far as DATA",
                    explanation: "The server accepted the connection, the HELO, the sender and at least one recipient, so connectivity, DNS, blocklist and recipient checks all passed up to that point.",
                    actions: []) { f in
            // A TLS or feedback report's dialogue is drawn from the report: its DATA proves nothing.
            guard f.capturedOneSide == nil, !f.fromTLSReport, !f.fromFeedback,
                  let i = f.exchanges.firstIndex(where: { $0.command?.verb == "DATA" && $0.reply?.code == 354 })
                    ?? f.exchanges.firstIndex(where: { $0.command?.verb == "BDAT" && $0.reply?.isPositive == true })
            else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i))]
        },
    ]

    private static func failure(_ f: SessionFacts, _ kind: ConnectFailure) -> [RuleHit] {
        guard f.session.connectFailure == kind else { return [] }
        var ev: [Evidence] = []
        if let p = f.session.connectFailurePosition {
            ev.append(Evidence(position: p, text: f.session.notes.last { $0.position == p }?.text ?? kind.rawValue))
        }
        return [RuleHit(evidence: ev)]
    }

    private static func noBrackets(_ f: SessionFacts, verb: String) -> [RuleHit] {
        let hits = f.exchanges.indices.filter {
            guard let c = f.exchanges[$0].command, c.verb == verb, !c.inferred else { return false }
            return c.address != nil && !c.addressBracketed
        }
        guard !hits.isEmpty else { return [] }
        let refused = hits.contains { f.exchanges[$0].reply?.isFailure == true }
        return [RuleHit(exchanges: hits, evidence: hits.flatMap { f.evidence($0) },
                        detail: refused ? "This server refused it." : "This server accepted it, but stricter ones will not.")]
    }
}
