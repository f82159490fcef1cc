import TranscriptModel

/// Checks on the DNS step: what a pasted `dig`/`nslookup`/`host` output or the live probe found out about the
/// domain's MX records (the `dns-*` session attributes, see `DNSFacts`), and whether the server tried matches;
/// then the probe's STARTTLS checks (`starttls`, `tls-*` attributes).
public enum DNSRules {
    /// Words of a client's, server's or capture's line saying a TLS handshake failed.
    static let tlsFailureWords = ["tls error", "tls session: (", "certificate verification failed", "certificate verify failed",
                                  "handshake failed", "handshake failure", "ssl routines", "tls negotiation failed",
                                  "sent tls alert", "unable to get local issuer certificate", "wrong version number",
                                  "sslhandshakeexception", "starttls failed", "ssl certificate problem", "tls startup failed"]
    /// Words in that line saying the client's own check of the certificate broke off the handshake, not the
    /// server; the last four are the TLS alert the refusing side sends, as the other side logs it.
    static let certificateRefusalWords = ["self-signed", "self signed", "unable to get local issuer", "certificate verify failed",
                                          "certificate verification failed", "certificate has expired", "certificate problem",
                                          "hostname mismatch",
                                          "alert unknown ca", "alert bad certificate", "alert certificate unknown", "alert certificate expired"]

    public static let table: [SessionRule] = SessionRule.scoped(lookupRows, .dnsFacts) + tlsRows

    /// The MX, address and PTR lookups: rules that need DNS facts in the session.
    static let lookupRows: [SessionRule] = [
        SessionRule("dns-nxdomain", .error, .hostunknown,
                    title: "The domain does not exist in DNS",
                    explanation: "The DNS server answered NXDOMAIN: no such domain. No mail can be delivered to it, whatever the mail servers do.",
                    actions: [
                        "Check the spelling of the domain in the address.",
                        "If the domain should exist, check its registration and delegation (`dig +trace DOMAIN NS`).",
                        "Compare with a public resolver (`dig @1.1.1.1 DOMAIN MX`) in case your own resolver answers differently.",
                    ]) { f in
            guard f.dns.status == "NXDOMAIN" else { return [] }
            // The first lookup was of an MX host: `dns-mx-host-unresolved` says what that means.
            if let q = f.dns.facts.queryName, f.dns.facts.mx.contains(where: { $0.host == q }) { return [] }
            return [RuleHit(evidence: f.dns.evidence(containing: "NXDOMAIN"))]
        },
        SessionRule("dns-lookup-failed", .error, .networkerror,
                    title: "The DNS lookup failed",
                    explanation: "The DNS server gave no usable answer (SERVFAIL, REFUSED or no answer at all). Senders cannot find the mail servers and will retry, then bounce.",
                    actions: [
                        "Ask another resolver (`dig @1.1.1.1 DOMAIN MX`): if it works there, your resolver is the problem.",
                        "If it fails everywhere, check the domain's name servers and DNSSEC signatures (`dig +trace`, https://dnsviz.net).",
                    ]) { f in
            let v = f.dns
            guard let s = v.status, ["SERVFAIL", "REFUSED", "timeout", "error", "FORMERR", "NOTIMP"].contains(s) else { return [] }
            return [RuleHit(evidence: v.evidence(containing: s == "timeout" ? "timed out" : s), detail: "Status: \(s).")]
        },
        SessionRule("dns-null-mx", .error, .notaccept,
                    title: "The domain publishes a null MX: it accepts no mail",
                    explanation: "An MX record of preference 0 pointing at \".\" (RFC 7505) says the domain never receives mail. Senders bounce at once without connecting.",
                    actions: [
                        "If the domain should receive mail, replace the null MX with MX records naming real mail servers.",
                        "Otherwise use another address: this one cannot work.",
                    ]) { f in
            let v = f.dns
            guard v.facts.nullMX else { return [] }
            return [RuleHit(evidence: v.evidence(containing: "handled by 0 ."))]
        },
        SessionRule("dns-no-mx", .warning, .hostunknown,
                    title: "The domain has no MX record",
                    explanation: "Without an MX record, senders fall back to the domain's own A/AAAA address (the implicit MX of RFC 5321 section 5.1). That works only if that host runs a mail server on port 25; many senders and spam filters also distrust domains without MX.",
                    actions: [
                        "Publish an MX record naming the mail server (`DOMAIN. 3600 IN MX 10 mail.DOMAIN.`).",
                        "If the domain should not receive mail, publish a null MX instead (`MX 0 .`).",
                    ]) { f in
            let v = f.dns
            guard v.facts.noMX, v.facts.mx.isEmpty else { return [] }
            return [RuleHit(evidence: v.evidence(containing: "no MX"))]
        },
        SessionRule("dns-mx-ip-literal", .error, .notcompliantrfc,
                    title: "An MX record names an IP address instead of a host name",
                    explanation: "MX records must name a host that has A/AAAA records; an address in their place is not valid (RFC 5321 section 5.1) and most senders ignore or refuse it.",
                    actions: [
                        "Give the mail server a host name with an A (and AAAA) record, and point the MX at that name.",
                    ]) { f in
            let v = f.dns
            let bad = v.facts.mx.filter { SessionFacts.isIPLiteral($0.host) }
            guard !bad.isEmpty else { return [] }
            return [RuleHit(evidence: v.evidence(containing: bad[0].host), detail: "MX: \(bad.map(\.host).joined(separator: ", ")).")]
        },
        SessionRule("dns-mx-cname", .warning, .notcompliantrfc,
                    title: "An MX record points at an alias (CNAME)",
                    explanation: "The host named by an MX must have its own A/AAAA records, not be a CNAME (RFC 2181 section 10.3). Many senders follow the alias anyway, but some refuse, and it adds a lookup that can fail.",
                    actions: [
                        "Point the MX at the canonical host name (the CNAME's target) instead.",
                    ]) { f in
            let v = f.dns
            let aliased = v.facts.mx.filter { m in v.facts.cnames.contains { $0.alias == m.host } }
            guard let first = aliased.first else { return [] }
            let target = v.facts.cnames.first { $0.alias == first.host }?.target ?? "?"
            return [RuleHit(evidence: v.evidence(containing: first.host), detail: "\(first.host) is an alias for \(target).")]
        },
        SessionRule("dns-mx-host-unresolved", .error, .hostunknown,
                    title: "An MX record names a host that does not resolve",
                    explanation: "Looking up the host an MX record points at failed, so senders cannot reach that mail server. They try the next MX; when none resolves, mail to the domain waits in their queues and then bounces.",
                    actions: [
                        "Give the MX host an A (and AAAA) record, or point the MX at a host name that has one (`dig +short A HOST`).",
                        "After fixing it, allow for the old answer's TTL (negative answers are cached too) before testing from outside.",
                    ]) { f in
            let v = f.dns
            let mxHosts = v.facts.mx.map(\.host)
            var failed = v.facts.unresolved.filter { mxHosts.contains($0.name) }
            if let st = v.status, st != "NOERROR", let q = v.facts.queryName,
               mxHosts.contains(q) {
                failed.insert((q, st), at: 0)
            }
            guard !failed.isEmpty else { return [] }
            let names = Set(failed.map(\.name))
            // Another MX that resolves keeps mail flowing, slower: only then is it a warning.
            let othersWork = mxHosts.contains { !names.contains($0) && !v.facts.addresses(of: $0).isEmpty }
            let first = failed[0]
            let ev = v.notes.first { $0.text.contains(first.name) && ($0.text.contains(first.status) || $0.text.hasSuffix(" has no address (A/AAAA) record")) }
                ?? v.notes.first { $0.text.hasPrefix(";\(first.name).") } ?? v.notes.first { $0.text.contains(first.name) }
            let shown = failed.map { "\($0.name) (\($0.status == "NODATA" ? "no A or AAAA record" : $0.status))" }.joined(separator: ", ")
            return [RuleHit(evidence: ev.map { [Evidence(position: $0.position, text: $0.text)] } ?? v.evidence(containing: first.name),
                            detail: "Not resolved: \(shown).",
                            severity: othersWork ? .warning : nil)]
        },
        SessionRule("dns-target-not-mx", .warning, .networkerror,
                    title: "The server tested is not one of the domain's MX hosts",
                    explanation: "The connection went to a host that the MX records do not name (nor one of their addresses). Other senders deliver to the MX hosts, so this test may say nothing about what they see.",
                    actions: [
                        "Test against the MX hosts in preference order (`smtpexplain probe ADDRESS`).",
                        "If this host should receive the domain's mail, add or fix the MX record.",
                    ]) { f in
            let v = f.dns
            let s = f.session
            guard s.connectAttempted, !v.facts.mx.isEmpty, !v.facts.nullMX else { return [] }
            let host = s.server.host.map(DNSFacts.canonical)
            let address = s.server.address
            let mxNames = Set(v.facts.mx.map(\.host))
            let aliases = Set(v.facts.cnames.filter { mxNames.contains($0.alias) }.map(\.target))
            let mxAddresses = Set(v.facts.mx.flatMap { v.facts.addresses(of: $0.host) })
            if let host, mxNames.contains(host) || aliases.contains(host) { return [] }
            if let address, mxAddresses.contains(address) { return [] }
            if let host, mxAddresses.contains(host) { return [] }
            // Only a name or an address we can compare: an address when the MX addresses are unknown proves nothing.
            let hostIsName = host.map { !SessionFacts.isIPLiteral($0) } ?? false
            guard hostIsName || !mxAddresses.isEmpty else { return [] }
            let tried = [host, address].compactMap { $0 }.joined(separator: " / ")
            let ev = s.notes.first { $0.kind != .dns && ($0.text.contains(host ?? "\u{0}") || $0.text.contains(address ?? "\u{0}")) }
                .map { [Evidence(position: $0.position, text: $0.text)] } ?? []
            return [RuleHit(evidence: ev + v.evidence(containing: "mail is handled by"),
                            detail: "Tried \(tried); MX: \(v.facts.mx.map(\.host).joined(separator: ", ")).")]
        },
        SessionRule("dns-banner-not-mx", .info, .notcompliantrfc,
                    title: "The greeting names a different host from the MX",
                    explanation: "The server connected to as an MX host greets with another name. Harmless behind a load balancer or at large providers, but on a single server it often means a wrong host name setting or a different machine answering (NAT, port forwarding to the wrong host).",
                    actions: [
                        "Check the server's announced name (Postfix myhostname, Exim primary_hostname, Exchange receive connector FQDN) matches the MX name.",
                        "Check port 25 is forwarded to the intended mail server.",
                    ]) { f in
            let v = f.dns
            let s = f.session
            guard let host = s.server.host.map(DNSFacts.canonical), v.facts.mx.contains(where: { $0.host == host }),
                  let i = f.exchanges.firstIndex(where: { $0.stage == .greeting && $0.command == nil }),
                  let r = f.exchanges[i].reply, r.code == 220 else { return [] }
            let banner = DNSFacts.canonical(String(ASCIIText.firstWord(r.lines.first ?? "")))
            guard SessionFacts.isNotFQDN(banner) == nil, banner != host,
                  !v.facts.mx.contains(where: { $0.host == banner }) else { return [] }
            return [RuleHit(exchanges: [i], evidence: f.evidence(i), detail: "MX host \(host), greeting \(banner).")]
        },
        SessionRule("dns-ptr-not-confirmed", .info, .requireptr,
                    title: "The server's address has no forward-confirmed reverse DNS",
                    explanation: "The address connected to has no PTR record, or its PTR name does not resolve back to it. Receiving is not affected, but the same host sending mail will be distrusted or refused by many servers.",
                    actions: [
                        "Ask whoever owns the address (hosting or ISP) to set its PTR to the server's host name, and give that name an A/AAAA record with this address.",
                    ]) { f in
            let v = f.dns
            guard let a = f.session.server.address,
                  let c = v.facts.forwardConfirmed.first(where: { $0.address == a }), !c.confirmed else { return [] }
            return [RuleHit(evidence: v.evidence(containing: "forward-confirmed"), detail: "Address: \(a).")]
        },
    ]

    /// STARTTLS as the probe saw it (`starttls` and `tls-*` attributes set by `smtpexplain probe`).
    static let tlsRows: [SessionRule] = [
        SessionRule("mta-sts-tls-would-fail", .error, .securityerror,
                    title: "Senders that apply MTA-STS will not deliver to this MX",
                    explanation: "The domain publishes an MTA-STS policy: senders that apply it deliver only over TLS, to a listed MX host, with a certificate valid for that host and issued by a public authority. This server fails that check. In enforce mode those senders keep the mail queued and report the failure; in testing mode they deliver and report it.",
                    actions: [
                        "Fix what the detail names: STARTTLS, or the certificate (its names must include the MX host, its chain must be complete, it must not be expired).",
                        "Until then, `mode: testing` in the policy (with a new `id=` in the `_mta-sts` record) stops senders from holding mail for it.",
                    ]) { f in
            let a = f.session.attributes
            guard let st = a["starttls"], !st.hasPrefix("offered, skipped") else { return [] }
            let v = f.dns
            guard let mode = v.facts.stsPolicy.first(where: { $0.key == "mode" })?.value, mode == "enforce" || mode == "testing",
                  let host = f.session.server.host.map(DNSFacts.canonical) else { return [] }
            var why: [String] = []
            if st == "not offered" { why.append("it does not offer STARTTLS") }
            else if st != "established" { why.append("STARTTLS does not work (\(st))") }
            if a["tls-name-match"] == "no" { why.append("its certificate does not name \(host)") }
            if a["tls-expired"] == "yes" { why.append("its certificate has expired") }
            else if let verify = a["tls-verify"], !verify.hasPrefix("0 "), a["tls-name-match"] != "no" {
                why.append("its certificate does not verify: \(TLSFacts.verifyReason(verify))")
            }
            guard !why.isEmpty else { return [] }
            let policy = v.notes.filter { $0.text.hasPrefix("mode:") }.prefix(1).map { Evidence(position: $0.position, text: $0.text) }
            return [RuleHit(evidence: tlsEvidence(f) + policy,
                            detail: "\(host): " + why.joined(separator: "; ") + ".",
                            title: "Senders that apply MTA-STS (mode \(mode)) will not deliver to \(host)" + (mode == "testing" ? " once the policy enforces" : ""),
                            severity: mode == "enforce" ? nil : .warning)]
        },
        SessionRule("starttls-not-offered", .info, .securityerror,
                    title: "The server does not offer STARTTLS",
                    explanation: "Its EHLO reply has no STARTTLS, so mail to it travels unencrypted, and senders that require TLS (MTA-STS, DANE, policy settings) will not deliver at all.",
                    actions: [
                        "Give the server a certificate for its MX name and enable STARTTLS (Postfix: smtpd_tls_security_level = may).",
                        "If a firewall sits in front, check it does not strip STARTTLS from the EHLO reply (SMTP inspection).",
                    ]) { f in
            guard f.session.attributes["starttls"] == "not offered" else { return [] }
            let i = f.exchanges.lastIndex { $0.command?.verb == "EHLO" }
            return [RuleHit(exchanges: i.map { [$0] } ?? [], evidence: i.map { f.evidence($0) } ?? [])]
        },
        SessionRule("starttls-failed", .error, .failedstarttls,
                    title: "STARTTLS was offered but did not work",
                    explanation: "The server lists STARTTLS but refused the command or the TLS handshake failed. Senders that insist on TLS cannot deliver; others fall back to plain text or retry later.",
                    actions: [
                        "Look at the server's TLS log lines for this connection (certificate or key file errors, protocol or cipher settings).",
                        "Test by hand: `openssl s_client -starttls smtp -crlf -connect HOST:25 -servername HOST`.",
                        "When the client checks certificates (\"certificate verify failed\"): the server must present a certificate for the name the client connects to, with its full chain, or the client must trust its issuer.",
                    ]) { f in
            if let st = f.session.attributes["starttls"] {
                guard st == "handshake failed" || st.hasPrefix("offered, refused") || st.hasPrefix("aborted") else { return [] }
                let ev = f.session.notes.first { $0.kind == .error && $0.text.contains("TLS") || $0.text.contains("STARTTLS") }
                return [RuleHit(evidence: ev.map { [Evidence(position: $0.position, text: $0.text)] } ?? [], detail: "STARTTLS: \(st).")]
            }
            // A transcript, log or capture: the server said go ahead, no encrypted dialogue followed, and a
            // line of the input says the handshake failed.
            guard let i = f.exchanges.lastIndex(where: { $0.command?.verb == "STARTTLS" && $0.reply?.code == 220 }),
                  !f.exchanges.contains(where: \.tls), f.session.tls?.version == nil,
                  let note = f.session.notes.first(where: { n in
                      let t = n.text.lowercased()
                      return tlsFailureWords.contains { Bytes.contains(t, $0) }
                  })
            else { return [] }
            let lower = note.text.lowercased()
            let fellBack = ["delivering unencrypted", "continuing without tls", "falling back", "retrying without"]
                .contains { Bytes.contains(lower, $0) }
            // A DANE sender's own line (Exim: `DANE attempt failed; ...`, `dane:fail <validation-failure>`) names the
            // cause: the certificate did not match the TLSA records.
            if let dane = f.session.notes.first(where: { Bytes.contains($0.text, "DANE attempt failed") || Bytes.contains($0.text, "validation-failure") }) {
                let c = ReplyKnowledge.classify(ReplyQuery(code: nil, enhanced: nil, text: dane.text, command: nil))
                if c.ruleID == "text.dane.mismatch" {
                    var hit = RuleHit(exchanges: [i], evidence: f.evidence(i) + [Evidence(position: dane.position, text: dane.text)],
                                      detail: c.explanation, title: c.title, actions: c.actions)
                    hit.actionsReplaceRow = true
                    return [hit]
                }
            }
            let refusedCertificate = certificateRefusalWords.contains { Bytes.contains(lower, $0) }
            let detail = [refusedCertificate ? "The client did not accept the server's certificate (its issuer, names or dates), so it broke off the handshake." : nil,
                          fellBack ? "The client then sent the mail without TLS." : nil].compactMap { $0 }.joined(separator: " ")
            return [RuleHit(exchanges: [i], evidence: f.evidence(i) + [Evidence(position: note.position, text: note.text)],
                            detail: detail.isEmpty ? nil : detail)]
        },
        SessionRule("dane-tlsa-mismatch", .error, .failedstarttls,
                    title: "The MX's certificate matches none of its TLSA records (DANE)",
                    explanation: "The host publishes TLSA records at _25._tcp.HOST, which tell DANE senders which certificate or key to expect, and the certificate it presented matches none of them. DANE senders (Postfix and Exim with DANE on, many large providers) do not deliver to it and keep the mail queued.",
                    actions: [
                        "Publish a TLSA record for the key the server presents now (`3 1 1` and the SHA-256 of its public key: `openssl x509 -in CERT -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256`), keep the old one until its TTL has passed, then remove it.",
                        "Or put back the certificate or key the records were made for.",
                        "Next time, publish the new key's record before the certificate changes (a renewal that keeps the key keeps `3 1 1` records valid).",
                    ]) { f in
            guard f.session.attributes["tls-dane"] == "no match" else { return [] }
            let line = f.session.notes.last { $0.text.hasPrefix("smtpexplain: DANE:") }
            let v = daneValidation(f, owner: "_25._tcp." + DNSFacts.canonical(f.session.server.host ?? ""))
            return [RuleHit(evidence: line.map { [Evidence(position: $0.position, text: $0.text)] } ?? [],
                            detail: v.note, severity: v.severity)]
        },
        SessionRule("dane-starttls-failed", .error, .failedstarttls,
                    title: "The MX publishes TLSA records, but TLS with it does not work (DANE)",
                    explanation: "Usable TLSA records at _25._tcp.HOST tell DANE senders that this host always does TLS. It did not offer STARTTLS, refused it, or the handshake failed, so those senders will not deliver to it at all (RFC 7672 §2.2) and keep the mail queued.",
                    actions: [
                        "Turn STARTTLS back on at the MX (or fix what breaks the handshake: certificate and key files, protocol settings), with a certificate that matches the TLSA records.",
                        "A firewall that inspects SMTP can strip STARTTLS from the EHLO reply: turn that inspection off.",
                        "If the host cannot do TLS for a while, remove its TLSA records (the removal must be signed too), and wait for their TTL before expecting DANE senders to deliver.",
                    ]) { f in
            guard let st = f.session.attributes["starttls"], st == "not offered" || st == "handshake failed" || st.hasPrefix("offered, refused"),
                  let host = f.session.server.host else { return [] }
            let owner = "_25._tcp." + DNSFacts.canonical(host)
            guard f.dns.facts.tlsa.contains(where: { $0.owner == owner && ($0.usage == 2 || $0.usage == 3) }) else { return [] }
            // The answer line, not dig's question line (`;_25._tcp.HOST. IN TLSA`).
            let ev = f.session.notes.first { !$0.text.hasPrefix(";") && $0.text.lowercased().contains(owner) && $0.text.contains("TLSA") }
            let v = daneValidation(f, owner: owner)
            return [RuleHit(evidence: ev.map { [Evidence(position: $0.position, text: $0.text)] } ?? [],
                            detail: "STARTTLS: \(st)." + (v.note.map { " " + $0 } ?? ""), severity: v.severity)]
        },
        SessionRule("tls-certificate-name-mismatch", .warning, .securityerror,
                    title: "The TLS certificate does not name the MX host",
                    explanation: "The certificate the server presented names neither the host connected to in its subject nor in its alternative names. Senders that verify (MTA-STS, DANE, strict policies) refuse to deliver.",
                    actions: [
                        "Install a certificate whose subject alternative names include the MX host name.",
                        "Or point the MX record at the name the certificate is issued for.",
                    ]) { f in
            guard f.session.attributes["tls-name-match"] == "no" else { return [] }
            return [RuleHit(evidence: tlsEvidence(f), detail: f.session.attributes["tls-subject"].map { "Certificate subject: \($0)." })]
        },
        SessionRule("tls-certificate-expired", .warning, .securityerror,
                    title: "The TLS certificate has expired",
                    explanation: "The server presents a certificate past its expiry date. Most MTAs still deliver over opportunistic TLS, but senders that verify certificates refuse.",
                    actions: ["Renew the certificate and reload the mail server so it picks up the new file."]) { f in
            guard f.session.attributes["tls-expired"] == "yes" else { return [] }
            return [RuleHit(evidence: tlsEvidence(f), detail: f.session.attributes["tls-not-after"].map { "Expired: \($0)." })]
        },
        SessionRule("tls-certificate-untrusted", .info, .securityerror,
                    title: "The TLS certificate does not verify",
                    explanation: "The certificate is not signed by an authority this machine trusts (self-signed, or a missing intermediate). Opportunistic TLS between mail servers still works, but MTA-STS senders will not deliver.",
                    actions: [
                        "Use a certificate from a public authority (for example Let's Encrypt) and serve the full chain.",
                    ]) { f in
            let a = f.session.attributes
            guard let v = a["tls-verify"], !v.hasPrefix("0 "), a["tls-expired"] != "yes", a["tls-name-match"] != "no" else { return [] }
            return [RuleHit(evidence: tlsEvidence(f), detail: "Verification: \(v).")]
        },
        SessionRule("tls-old-protocol", .warning, .securityerror,
                    title: "The server negotiated an outdated TLS version",
                    explanation: "TLS 1.0 and 1.1 (and SSLv3) are deprecated (RFC 8996); up-to-date senders refuse them and fall back to plain text or fail.",
                    actions: ["Enable TLS 1.2 and 1.3 on the server (Postfix: smtpd_tls_protocols = >=TLSv1.2)."]) { f in
            guard let v = f.session.attributes["tls-version"], ["SSLv3", "TLSv1", "TLSv1.1"].contains(v) else { return [] }
            return [RuleHit(evidence: tlsEvidence(f), detail: "Negotiated: \(v).")]
        },
    ]

    static func tlsEvidence(_ f: SessionFacts) -> [Evidence] {
        f.session.notes.first { $0.kind == .tls }.map { [Evidence(position: $0.position, text: $0.text)] } ?? []
    }
}

/// The DNS facts of a session and their evidence lines.
struct DNSView {
    let facts: DNSFacts
    let notes: [Note]

    /// The mail-authentication TXT records (and an MTA-STS policy file), when the paste holds any.
    let records: MailRecords?

    init(_ session: Session) {
        facts = DNSFacts(attributes: session.attributes)
        notes = facts.isEmpty ? [] : session.notes.filter { $0.kind == .dns }
        // Only sessions with DNS facts can hold it: a log session pays no lookup.
        let missing = facts.isEmpty ? nil : session.attributes["dns-txt-missing"]
        if facts.txt.isEmpty && facts.stsPolicy.isEmpty && facts.stsFetch == nil && facts.tlsa.isEmpty && missing == nil {
            records = nil
        } else {
            var m = MailRecords(facts)
            m.missing = missing.map { $0.split(separator: " ").map(String.init) } ?? []
            records = m
        }
    }

    var status: String? { facts.status }

    func evidence(containing s: String) -> [Evidence] {
        let n = notes.first { $0.text.contains(s) } ?? notes.first
        return n.map { [Evidence(position: $0.position, text: $0.text)] } ?? []
    }
}

extension DNSRules {
    /// A DANE finding is an error when the resolver validated the TLSA answer; without that mark it is a
    /// warning, and says why.
    static func daneValidation(_ f: SessionFacts, owner: String) -> (severity: Severity?, note: String?) {
        if f.dns.facts.tlsaValidated.first(where: { $0.owner == owner })?.validated == true { return (nil, nil) }
        return (.warning, "The resolver did not mark the TLSA answer as DNSSEC-validated: if the zone is signed, DANE senders hold mail for this host; if it is not, they ignore the records.")
    }
}
