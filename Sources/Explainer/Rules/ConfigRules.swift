import TranscriptModel

/// Settings of a pasted MTA configuration (`postconf -n`, `main.cf`, Debian's `update-exim4.conf.conf`; the
/// `config-*` attributes of `MTAConfigReader`) that explain a failure before any session shows it: a server
/// that listens on loopback only (remote senders get "connection refused"), an open relay, a host name
/// receivers distrust, a relay host that needs a login, a size limit, TLS required on port 25. One row per
/// fault; each reads the settings it needs, with the defaults `postconf -n` leaves out.
public enum ConfigRules {
    /// The settings, as the rows read them.
    struct Config {
        let values: [String: String]
        let isExim: Bool
        let isSendmail: Bool
        var isPostfix: Bool { !isExim && !isSendmail }

        init(_ a: [String: String]) {
            var v: [String: String] = [:]
            for (k, x) in a where k.hasPrefix("config-") { v[String(k.dropFirst(7))] = x }
            values = v
            isExim = a["config-mta"] == "exim"
            isSendmail = a["config-mta"] == "sendmail"
        }

        subscript(_ key: String) -> String? { values[key] }

        /// A list setting's items (`a, b c` → `[a, b, c]`), lower case.
        func items(_ key: String) -> [String] {
            (values[key] ?? "").lowercased().split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" || $0 == "\t" }).map(String.init)
        }
    }

    /// One fault: when it applies (nil: it does not) and the words for this case.
    struct Row {
        let id: String
        let severity: Severity
        let reason: Reason
        let title: String
        let explanation: String
        let actions: [String]
        /// The settings it is about (their lines are the evidence), and the case's detail, or nil.
        let check: @Sendable (Config) -> (keys: [String], detail: String?)?
    }

    static let rows: [Row] = [
        Row(id: "config-listens-on-loopback-only", severity: .error, reason: .networkerror,
            title: "The MTA listens on the loopback interface only",
            explanation: "Only programs on this machine can connect; every other server's connection to port 25 is refused, so no mail from outside arrives. That is the setting for a machine that only sends its own mail, not for a mail server.",
            actions: ["Postfix: `postconf -e inet_interfaces=all`, then `systemctl restart postfix` (a reload does not apply this setting).",
                      "Debian exim4: `dc_local_interfaces=''` in /etc/exim4/update-exim4.conf.conf (or answer the question in `dpkg-reconfigure exim4-config`), then `update-exim4.conf` and `systemctl restart exim4`.",
                      "Sendmail: take `Addr=127.0.0.1,` out of DAEMON_OPTIONS in /etc/mail/sendmail.mc, rebuild sendmail.cf (`make -C /etc/mail`) and `systemctl restart sendmail`.",
                      "Then test from outside: `smtpexplain probe postmaster@DOMAIN`, or `telnet SERVER 25` from another network."]) { c in
            if c.isSendmail {
                // Every active daemon bound to a loopback address (`Addr=127.0.0.1`): the RHEL default.
                let daemons = (c["sendmail_daemon_options"] ?? "").components(separatedBy: " | ").filter { !$0.isEmpty }
                let addrs = daemons.map { d in d.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.hasPrefix("Addr=") }.map { String($0.dropFirst(5)) } }
                guard !addrs.isEmpty, addrs.allSatisfy({ $0 == "127.0.0.1" || $0 == "::1" }) else { return nil }
                return (["DAEMON_OPTIONS"], "DAEMON_OPTIONS binds to \(addrs.compactMap { $0 }.joined(separator: ", ")) only.")
            }
            let key = c.isExim ? "dc_local_interfaces" : "inet_interfaces"
            guard let v = c[key] else { return nil }
            let items = Set(c.items(key).map { $0.trimmingCharacters(in: ["[", "]"]) })
            let loopback = !items.isEmpty && items.allSatisfy { ["loopback-only", "localhost", "127.0.0.1", "::1"].contains($0) }
            guard loopback else { return nil }
            return ([key], "\(key) = \(v).")
        },
        Row(id: "config-local-delivery-only", severity: .error, reason: .systemerror,
            title: "The MTA is set up for local mail only",
            explanation: "It sends nothing to other domains: every address outside its own is refused or bounced at once, whatever DNS and the receiving servers would say.",
            actions: ["Debian exim4: run `dpkg-reconfigure exim4-config` and choose \"internet site\" or \"mail sent by smarthost\"; then `update-exim4.conf` and restart exim4.",
                      "Postfix: remove `default_transport = error` and `relay_transport = error` (or run `dpkg-reconfigure postfix` and choose \"Internet Site\" or \"Internet with smarthost\"), then reload."]) { c in
            if c.isExim {
                guard c["dc_eximconfig_configtype"]?.lowercased() == "local" else { return nil }
                return (["dc_eximconfig_configtype"], "exim4 answers \"Mailing to remote domains not supported\".")
            }
            guard c.isPostfix, let t = c["default_transport"]?.lowercased(), t.hasPrefix("error") || t.hasPrefix("discard") else { return nil }
            return (["default_transport", "relay_transport"].filter { c[$0] != nil },
                    "default_transport = \(c["default_transport"]!): mail to other domains is \(t.hasPrefix("error") ? "bounced" : "thrown away").")
        },
        Row(id: "config-open-relay", severity: .error, reason: .norelaying,
            title: "The MTA relays for the whole Internet (open relay)",
            explanation: "The networks it trusts to relay include every address, so anyone can send mail through it to anywhere. Spammers find such servers within hours; then the server's IP lands on every blocklist and its own mail is refused.",
            actions: ["Trust only your own networks: Postfix `mynetworks = 127.0.0.0/8 [::1]/128 192.0.2.0/24` (your LAN), Debian exim4 `dc_relay_nets` likewise; let roaming users authenticate instead.",
                      "Sendmail: remove FEATURE(`promiscuous_relay') from sendmail.mc, list your own networks in /etc/mail/access (`Connect:192.0.2 RELAY`), rebuild and restart.",
                      "Check the server's IP on the blocklists (https://check.spamhaus.org) and clear the queue of spam (`postqueue -p`, `exim -bp`)."]) { c in
            if c.isSendmail {
                let f = c.items("sendmail_features")
                guard f.contains("promiscuous_relay") else { return nil }
                return (["FEATURE"], "FEATURE(`promiscuous_relay') lets every client relay.")
            }
            let key = c.isExim ? "dc_relay_nets" : "mynetworks"
            let everyone = c.items(key).filter { n in
                let n = n.trimmingCharacters(in: ["[", "]"]).replacingOccurrences(of: "]", with: "")
                guard let slash = n.firstIndex(of: "/"), let bits = Int(n[n.index(after: slash)...]) else { return n == "0.0.0.0" || n == "::" }
                // Wider than any one network: 0.0.0.0/0 and the like (10.0.0.0/8 is a private LAN).
                return n.contains(":") ? bits < 16 : bits < 8
            }
            if !everyone.isEmpty { return ([key], "\(key) holds \(everyone.joined(separator: ", ")).") }
            // Postfix: no rule stops relaying for unknown clients (postconf -n lists only what was changed).
            guard c.isPostfix else { return nil }
            let guards = ["reject_unauth_destination", "defer_unauth_destination"]
            let relay = c["smtpd_relay_restrictions"].map { r in guards.contains { r.contains($0) } } ?? true
            let recipient = c["smtpd_recipient_restrictions"].map { r in guards.contains { r.contains($0) } } ?? false
            guard !relay && !recipient else { return nil }
            return (["smtpd_relay_restrictions", "smtpd_recipient_restrictions"].filter { c[$0] != nil },
                    "Neither smtpd_relay_restrictions nor smtpd_recipient_restrictions has reject_unauth_destination.")
        },
        Row(id: "config-hostname-not-fqdn", severity: .warning, reason: .notcompliantrfc,
            title: "The MTA's host name is not a public FQDN",
            explanation: "This name is what the server says in its greeting and in HELO when it sends. Receivers reject or distrust a HELO that is not a fully qualified name resolving to the server (Gmail and Microsoft score it; many servers refuse it outright).",
            actions: ["Set it to the name the server's IP resolves back to, for example `postconf -e myhostname=mail.DOMAIN` (Debian exim4: /etc/mailname and `dc_other_hostnames`), with matching A and PTR records."]) { c in
            let key = c.isExim ? "dc_readhost" : "myhostname"
            guard let v = c[key], !v.isEmpty, !v.hasPrefix("$"), let why = SessionFacts.isNotFQDN(v) else { return nil }
            return ([key], "\(key) = \(v) (\(why)).")
        },
        Row(id: "config-relayhost-without-login", severity: .error, reason: .authfailure,
            title: "The relay host needs a login the MTA does not send",
            explanation: "Mail goes out through a submission relay (port 587, or a provider's relay), which accepts mail only after AUTH over TLS. Without SASL authentication configured, every message is refused there (\"530 Authentication required\", \"relay access denied\").",
            actions: ["Postfix: `smtp_sasl_auth_enable = yes`, `smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd` (then `postmap` it), `smtp_sasl_security_options = noanonymous`, `smtp_tls_security_level = encrypt`; reload.",
                      "Use the credentials the provider gives for SMTP (an app password or SMTP key, not the web login)."]) { c in
            guard c.isPostfix, let relay = c["relayhost"]?.lowercased(), !relay.isEmpty else { return nil }
            let needsLogin = relay.hasSuffix(":587") || relay.hasSuffix(":465") || relay.hasSuffix(":2525")
                || ["smtp.office365.com", "smtp.gmail.com", "amazonaws.com", "smtp.sendgrid.net", "smtp.mailgun.org",
                    "smtp-relay.brevo.com", "smtp.postmarkapp.com", "in-v3.mailjet.com"].contains { relay.contains($0) }
            guard needsLogin, c["smtp_sasl_auth_enable"]?.lowercased() != "yes" else { return nil }
            return (["relayhost"], "relayhost = \(c["relayhost"]!), smtp_sasl_auth_enable is not yes.")
        },
        Row(id: "config-tls-required-on-port-25", severity: .warning, reason: .failedstarttls,
            title: "TLS is required from every sender on port 25",
            explanation: "With `smtpd_tls_security_level = encrypt` the server refuses mail from senders that do not start TLS. A public MX must not require it (RFC 3207 section 4): servers without TLS cannot deliver at all.",
            actions: ["Use `smtpd_tls_security_level = may` on port 25, and require TLS on the submission ports only (master.cf `-o smtpd_tls_security_level=encrypt`)."]) { c in
            guard c.isPostfix, c["smtpd_tls_security_level"]?.lowercased() == "encrypt" else { return nil }
            return (["smtpd_tls_security_level"], nil)
        },
        Row(id: "config-no-tls", severity: .info, reason: .securityerror,
            title: "The server offers no STARTTLS",
            explanation: "No certificate is configured, so mail to this server travels unencrypted and senders that require TLS (MTA-STS, DANE) will not deliver to it.",
            actions: ["Get a certificate for the MX name (for example from Let's Encrypt) and set `smtpd_tls_cert_file`, `smtpd_tls_key_file` and `smtpd_tls_security_level = may`."]) { c in
            guard c.isPostfix, c["myhostname"] != nil || c["mydestination"] != nil else { return nil }
            let level = c["smtpd_tls_security_level"]?.lowercased()
            let noCert = c["smtpd_tls_cert_file"] == nil && c["smtpd_tls_chain_files"] == nil
            guard level == "none" || (noCert && level == nil && c["smtpd_use_tls"]?.lowercased() != "yes") else { return nil }
            return (["smtpd_tls_security_level"].filter { c[$0] != nil }, nil)
        },
        Row(id: "config-small-size-limit", severity: .warning, reason: .mesgtoobig,
            title: "Messages over a small size are refused",
            explanation: "Mail larger than message_size_limit is refused with 552 5.3.4 (\"Message size exceeds fixed limit\"); attachments grow by a third when encoded, so the limit bites sooner than the file sizes suggest.",
            actions: ["Raise it, for example `postconf -e message_size_limit=52428800` (50 MB), and keep mailbox_size_limit at least as large (or 0); reload Postfix."]) { c in
            guard c.isPostfix, let v = c["message_size_limit"], let n = Int(v), n > 0, n < 10_240_000 else { return nil }
            return (["message_size_limit"], "message_size_limit = \(n) bytes (\(n / 1_048_576 > 0 ? "\(n / 1_048_576) MB" : "\(n / 1024) KB"); Postfix's default is 10240000).")
        },
        Row(id: "config-domain-delivered-locally", severity: .info, reason: .userunknown,
            title: "Mail for the domain itself is delivered on this machine",
            explanation: "mydestination lists the domain, so Postfix delivers every address of it to local mailboxes here and never looks at the domain's MX. If the mailboxes are elsewhere (Microsoft 365, Google, another server), mail from this machine to colleagues ends in \"User unknown in local recipient table\".",
            actions: ["If the domain's mail is hosted elsewhere, keep only this machine's own names in mydestination (`$myhostname, localhost.$mydomain, localhost`) and reload."]) { c in
            guard c.isPostfix, let dest = c["mydestination"] else { return nil }
            let items = c.items("mydestination")
            let host = c["myhostname"]?.lowercased() ?? ""
            // `$mydomain`, the domain itself, the domain of myhostname, or a name with one dot (`example.com`,
            // where host names have more).
            let domainLike = items.filter { i in
                i == "$mydomain" || i == c["mydomain"]?.lowercased()
                    || (!i.hasPrefix("$") && !i.hasPrefix("localhost") && i != host
                        && (host.hasSuffix("." + i) || i.filter { $0 == "." }.count == 1))
            }
            guard !domainLike.isEmpty else { return nil }
            return (["mydestination"], "mydestination = \(dest).")
        },
    ]

    public static let table: [SessionRule] = SessionRule.scoped(rows.map(rule), .mtaConfig)

    private static func rule(_ row: Row) -> SessionRule {
        SessionRule(row.id, row.severity, row.reason, title: row.title, explanation: row.explanation, actions: row.actions) { f in
            let config = Config(f.session.attributes)
            guard let found = row.check(config) else { return [] }
            // The settings' own lines (`inet_interfaces = loopback-only`).
            let ev = f.session.notes.filter { n in found.keys.contains { n.text.hasPrefix($0 + " ") || n.text.hasPrefix($0 + "=") || n.text.hasPrefix($0 + "(") } }
                .prefix(3).map { Evidence(position: $0.position, text: $0.text) }
            // Steps for the other MTA are left out.
            let mine = config.isExim ? "Debian exim4:" : config.isSendmail ? "Sendmail:" : "Postfix:"
            let others = ["Postfix:", "Debian exim4:", "Sendmail:"].filter { $0 != mine }
            var hit = RuleHit(evidence: ev, detail: found.detail, actions: row.actions.filter { a in !others.contains { a.hasPrefix($0) } })
            hit.actionsReplaceRow = true
            return [hit]
        }
    }
}
