import TranscriptModel

/// What an MTA's routing test of an address says (`exim -bt`, `exim -bv`, `sendmail -bv`; the
/// `address-test-*` attributes of `AddressTestReader`): where mail to it would go, or, row by row, what the
/// MTA's reason for not taking it means and what to change.
public enum AddressTestRules {
    /// One reason an MTA gives for an address it would not deliver to, matched on its words (lower case).
    struct Row {
        let id: String
        let words: [String]
        let severity: Severity
        let reason: Reason
        let title: String
        let explanation: String
        let actions: [String]
    }

    static let rows: [Row] = [
        Row(id: "address-remote-delivery-disabled", words: ["mailing to remote domains not supported"],
            severity: .error, reason: .systemerror,
            title: "This Exim is set up for local mail only",
            explanation: "Debian's exim4 configured as \"local delivery only\" refuses every address outside the local domains, so nothing is ever sent out.",
            actions: ["Run `dpkg-reconfigure exim4-config` and choose \"internet site\" (direct delivery) or \"mail sent by smarthost\", then `update-exim4.conf` and restart exim4.",
                      "Without Debian's wrapper: add a dnslookup (or smarthost) router for remote domains to the configuration."]),
        Row(id: "address-mx-points-here", words: ["lowest numbered mx record points to local host", "remote host address is the local host"],
            severity: .error, reason: .systemerror,
            title: "The domain's MX points at this server, which does not treat the domain as its own",
            explanation: "DNS says this server receives mail for the domain, but the domain is not in its local domains (or relay domains), so Exim would send the mail to itself in a loop and refuses.",
            actions: ["Add the domain to the local domains (Debian: `dc_other_hostnames` via `dpkg-reconfigure exim4-config`; plain Exim: `domainlist local_domains`) or, for a backup MX, to `relay_to_domains`.",
                      "If this server should not receive mail for the domain, fix the MX record instead."]),
        Row(id: "address-unrouteable", words: ["unrouteable address", "unroutable address"],
            severity: .error, reason: .hostunknown,
            title: "No router takes this address",
            explanation: "Exim found no router that accepts it. For a domain handled here, that means no user or alias has that name (or the domain is missing from local_domains); for another domain, DNS gave no MX or address for it (a typo, an expired domain) or the routers for remote mail are restricted.",
            actions: ["Check the domain in DNS from this server: `dig MX DOMAIN` and `dig A DOMAIN`.",
                      "Run the test with details to see which routers declined and why: `exim -d+route -bt ADDRESS`."]),
        Row(id: "address-mx-hosts-missing", words: ["all relevant mx records point to non-existent hosts", "mx records point to non-existent hosts"],
            severity: .error, reason: .hostunknown,
            title: "The domain's MX hosts do not exist",
            explanation: "The domain has MX records, but none of the hosts they name resolves to an address, so no server can be reached for it.",
            actions: ["Look the MX hosts up (`dig MX DOMAIN`, then `dig A HOST` for each): the domain's owner must fix the records."]),
        Row(id: "address-user-unknown", words: ["unknown user", "user unknown", "no such user"],
            severity: .error, reason: .userunknown,
            title: "The domain is local here, but the user does not exist",
            explanation: "The MTA handles this domain itself and has no mailbox or alias with that local part, so mail to it is refused (and bounced).",
            actions: ["Check the spelling of the address; create the mailbox or an alias if it should exist (`/etc/aliases`, then `newaliases`).",
                      "If the domain is hosted elsewhere (for example Microsoft 365 or Google), remove it from this server's local domains so mail is sent out to its MX."]),
        Row(id: "address-host-unknown", words: ["host unknown", "host not found", "name server:"],
            severity: .error, reason: .hostunknown,
            title: "The domain cannot be found in DNS",
            explanation: "The MTA looked the domain up and found no mail server for it.",
            actions: ["Check the domain for typos and look it up from this server (`dig MX DOMAIN`)."]),
        Row(id: "address-lookup-deferred", words: ["host lookup did not complete", "temporary", "try again", "timed out"],
            severity: .warning, reason: .networkerror,
            title: "The DNS lookup for the domain did not complete",
            explanation: "The MTA could not get an answer from DNS just now, so it would keep the mail and retry rather than send or bounce it.",
            actions: ["Check the resolver this server uses (`/etc/resolv.conf`, `dig @RESOLVER MX DOMAIN`): a firewall blocking DNS, a dead resolver or a broken delegation."]),
    ]

    public static let table: [SessionRule] = SessionRule.scoped(rows.map(rule) + [rule(other), routed], .addressTest)

    /// The reasons no row knows: told as the MTA said them.
    static let other = Row(id: "address-undeliverable", words: [], severity: .error, reason: .rejected,
                           title: "The MTA would not deliver to this address",
                           explanation: "Its own routing test refuses the address, so mail to it is bounced without any SMTP connection.",
                           actions: ["Run the test with routing details (`exim -d+route -bt ADDRESS`) to see which part of the configuration refuses it."])

    /// The row that tells a refused or deferred address's reason: the first whose words are in it; a
    /// deferral no row names is still a deferral.
    static func row(for a: [String: String]) -> Row? {
        guard let result = a["address-test-result"], result != "routed" else { return nil }
        let why = (a["address-test-reason"] ?? "").lowercased()
        if let r = rows.first(where: { r in r.words.contains { why.contains($0) } }) { return r }
        return result == "deferred" ? rows.first { $0.id == "address-lookup-deferred" } : other
    }

    private static func rule(_ row: Row) -> SessionRule {
        SessionRule(row.id, row.severity, row.reason, title: row.title, explanation: row.explanation, actions: row.actions) { f in
            let a = f.session.attributes
            guard Self.row(for: a)?.id == row.id, let address = a["address-test-address"] else { return [] }
            let reason = a["address-test-reason"] ?? ""
            let ev = f.session.notes.filter { $0.kind == .log && $0.text.hasPrefix(address) }.prefix(1)
                .map { Evidence(position: $0.position, text: $0.text) }
            let tool = a["address-test-tool"] == "sendmail" ? "Sendmail" : "Exim"
            var hit = RuleHit(evidence: ev, detail: "\(tool)'s words: \(reason).", actions: filled(row.actions, address))
            hit.actionsReplaceRow = true
            return [hit]
        }
    }

    /// The steps with the address and its domain in place of `ADDRESS` and `DOMAIN`.
    static func filled(_ steps: [String], _ address: String) -> [String] {
        let bare = address.trimmingCharacters(in: ["<", ">"])
        let domain = bare.split(separator: "@").last.map(String.init) ?? bare
        return steps.map { $0.replacingOccurrences(of: "ADDRESS", with: bare).replacingOccurrences(of: "DOMAIN", with: domain) }
    }

    static let routed = SessionRule("address-routed", .info, .delivered,
                                    title: "The MTA can route this address",
                                    explanation: "Its routing test finds a way to deliver it, so the configuration and DNS are not what stops mail to it: look at the delivery attempts themselves (the MTA's log for this address, or its queue).",
                                    actions: ["Find the delivery attempts in the log (`exigrep ADDRESS /var/log/exim4/mainlog`) and paste them here."]) { f in
        let a = f.session.attributes
        guard a["address-test-result"] == "routed", let address = a["address-test-address"] else { return [] }
        var destination = a["address-test-target"].map { "delivered locally to \($0)" }
        if destination == nil, let hosts = a["address-test-hosts"] {
            // `mx1.example.org [192.0.2.1] MX=10 dnssec=no` → `mx1.example.org [192.0.2.1]`.
            let first = (hosts.split(separator: ";").first ?? Substring(hosts)).split(separator: " ").prefix(2).joined(separator: " ")
            destination = "sent to \(first)" + (hosts.contains(";") ? " (and further hosts)" : "")
        }
        if destination == nil, let t = a["address-test-transport"] { destination = "delivered by the \(t) transport" }
        let by = [a["address-test-router"].map { "router \($0)" }, a["address-test-transport"].map { "transport \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
        // The result lines, not the `R:` trace of routers tried.
        let ev = f.session.notes.filter { $0.kind == .log && !$0.text.hasPrefix("R: ") }.prefix(3).map { Evidence(position: $0.position, text: $0.text) }
        // `postmaster@` redirected to `root@`: the address tested is the last parent.
        let tested = a["address-test-parents"]?.split(separator: " ").last.map(String.init)
        let who = tested.map { "\($0) (as \(address))" } ?? address
        let step = a["address-test-tool"] == "sendmail" ? "Find the delivery attempts in the log (`grep ADDRESS /var/log/mail.log`) and paste them here."
            : "Find the delivery attempts in the log (`exigrep ADDRESS /var/log/exim4/mainlog`) and paste them here."
        var hit = RuleHit(evidence: ev, detail: by.isEmpty ? nil : "Routing: \(by).",
                          title: "\(who) would be \(destination ?? "delivered")", actions: filled([step], tested ?? address))
        hit.actionsReplaceRow = true
        return [hit]
    }
}
