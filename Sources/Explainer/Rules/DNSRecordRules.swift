import TranscriptModel

/// Faults in the mail-authentication records of a pasted TXT lookup: SPF (RFC 7208), DMARC (RFC 7489),
/// DKIM keys (RFC 6376, 8301), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records. The receiving side reads
/// these records for every message; a broken one fails mail that is otherwise fine.
public enum DNSRecordRules {
    public static let table: [SessionRule] = SessionRule.scoped(rows, .dnsRecords)

    static let rows: [SessionRule] = [
        // MARK: SPF
        rule("spf-record-multiple", .error, .authfailure,
             title: "More than one SPF record",
             explanation: "A domain may publish one SPF record only. With two or more, every receiver's SPF check ends in permerror, which DMARC counts as a failure.",
             actions: ["Merge the records into one: one `v=spf1`, the mechanisms of both, one `all` at the end."]) { m in
            let owners = Dictionary(grouping: m.spf, by: \.owner).filter { $0.value.count > 1 }
            return owners.sorted { $0.key < $1.key }.map { owner, recs in
                Found(records: recs, title: "\(recs.count) SPF records for \(owner.isEmpty ? "the domain" : owner)")
            }
        },
        rule("spf-record-syntax", .error, .authfailure,
             title: "The SPF record does not parse",
             explanation: "Receivers stop at the first term they cannot read and report permerror, which DMARC counts as a failure.",
             actions: ["Correct the term, then check the record with an SPF validator before relying on it."]) { m in
            m.spf.compactMap { r in
                guard let why = MailRecords.spfTerms(r.text).lazy.compactMap(MailRecords.spfSyntaxError).first else { return nil }
                return Found(records: [r], title: "The SPF record of \(name(r)) does not parse", detail: why + ".")
            }
        },
        rule("spf-record-too-many-lookups", .error, .authfailure,
             title: "The SPF record needs more than 10 DNS lookups",
             explanation: "A receiver resolves at most 10 `include`, `a`, `mx`, `ptr`, `exists` and `redirect` terms per SPF check (RFC 7208 §4.6.4), counting those inside every include; past that the result is permerror. This record alone has more.",
             actions: ["Replace `a` and `mx` by the `ip4:`/`ip6:` ranges they stand for, drop includes of services no longer used, or move senders to a subdomain with its own record."]) { m in
            m.spf.compactMap { r in
                let n = MailRecords.spfTerms(r.text).filter { MailRecords.lookupTerms.contains($0.name) }.count
                guard n > 10 else { return nil }
                return Found(records: [r], title: "The SPF record of \(name(r)) has \(n) terms that need a DNS lookup (10 at most)")
            }
        },
        rule("spf-record-allows-anyone", .error, .authfailure,
             title: "The SPF record lets any server send",
             explanation: "`+all` (or `all` with no qualifier) tells receivers that every address on the internet may send for the domain, so SPF proves nothing and forged mail passes it.",
             actions: ["End the record with `-all` (or `~all` while you are still finding every sender)."]) { m in
            m.spf.compactMap { r in
                guard let all = MailRecords.spfTerms(r.text).first(where: { $0.name == "all" && !$0.isModifier }), all.qualifier == "+" else { return nil }
                return Found(records: [r], title: "The SPF record of \(name(r)) ends in `\(all.raw)`: any server may send")
            }
        },
        rule("spf-record-neutral", .warning, .authfailure,
             title: "The SPF record does not say what to do with other servers",
             explanation: "Without an `all` term (or with `?all`) mail from unlisted servers gets a neutral result, which protects nothing: receivers treat it as no SPF.",
             actions: ["End the record with `-all` (or `~all` while you are still finding every sender)."]) { m in
            m.spf.compactMap { r in
                let terms = MailRecords.spfTerms(r.text)
                if let all = terms.first(where: { $0.name == "all" && !$0.isModifier }) {
                    return all.qualifier == "?" ? Found(records: [r], title: "The SPF record of \(name(r)) ends in `?all` (neutral)") : nil
                }
                guard !terms.contains(where: { $0.name == "redirect" && $0.isModifier }) else { return nil }
                return Found(records: [r], title: "The SPF record of \(name(r)) has no `all` term")
            }
        },
        rule("spf-record-ptr", .info, .authfailure,
             title: "The SPF record uses `ptr`",
             explanation: "`ptr` is slow and unreliable and RFC 7208 asks not to use it; some receivers ignore it, so the servers it was meant to cover may fail SPF.",
             actions: ["Replace `ptr` by the `ip4:`/`ip6:` ranges of those servers."]) { m in
            m.spf.compactMap { r in
                MailRecords.spfTerms(r.text).contains { $0.name == "ptr" && !$0.isModifier }
                    ? Found(records: [r], title: "The SPF record of \(name(r)) uses `ptr`") : nil
            }
        },

        rule("spf-record-missing", .warning, .authfailure,
             title: "The domain publishes no SPF record",
             explanation: "Receivers cannot tell which servers may send for the domain. Gmail and Yahoo want SPF or DKIM from every sender, and both from bulk senders; mail without them is refused or filed as spam.",
             actions: ["Publish one TXT record at the domain listing every server and service that sends as it, e.g. `v=spf1 mx include:_spf.google.com -all`."]) { m in
            m.missing.filter { !$0.hasPrefix("_") && !$0.contains("._domainkey.") }.map {
                Found(records: [], title: "\($0) publishes no SPF record", missing: $0)
            }
        },

        // MARK: DMARC
        rule("dmarc-record-missing", .warning, .authfailure,
             title: "The domain publishes no DMARC record",
             explanation: "Without a DMARC record nothing tells receivers what to do with mail that fails SPF and DKIM for the domain, so forged mail is not policed and no reports come back. Gmail and Yahoo require one (`p=none` at least) from bulk senders.",
             actions: ["Publish a TXT record at _dmarc.DOMAIN: `v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN`, then raise the policy as the reports allow."]) { m in
            m.missing.filter { $0.hasPrefix("_dmarc.") }.map { Found(records: [], title: "\($0.dropFirst(7)) publishes no DMARC record", missing: $0) }
        },
        rule("dmarc-record-invalid", .error, .authfailure,
             title: "The DMARC record is not valid",
             explanation: "Receivers ignore a DMARC record that does not start with `v=DMARC1` or has no valid `p=` tag, and act as if the domain had none; Gmail and Yahoo then treat bulk mail from the domain as unauthenticated.",
             actions: ["Publish one TXT record at _dmarc.DOMAIN such as `v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN`, then raise `p=` once the reports show every sender passing."]) { m in
            var out: [Found] = []
            for (owner, recs) in Dictionary(grouping: m.dmarc, by: \.owner).sorted(by: { $0.key < $1.key }) where recs.count > 1 {
                out.append(Found(records: recs, title: "\(recs.count) DMARC records at \(owner.isEmpty ? "_dmarc" : owner): receivers use none of them"))
            }
            for r in m.dmarc {
                let tags = MailRecords.tags(r.text)
                if tags.first?.key != "v" || tags.first?.value.uppercased() != "DMARC1" {
                    out.append(Found(records: [r], title: "The DMARC record of \(name(r)) does not start with `v=DMARC1`"))
                } else if let p = MailRecords.tag(tags, "p")?.lowercased() {
                    if !["none", "quarantine", "reject"].contains(p) {
                        out.append(Found(records: [r], title: "The DMARC record of \(name(r)) has `p=\(p)`: only none, quarantine or reject"))
                    }
                } else {
                    out.append(Found(records: [r], title: "The DMARC record of \(name(r)) has no `p=` tag"))
                }
            }
            return out
        },
        rule("dmarc-policy-none", .info, .authfailure,
             title: "DMARC is in monitoring mode (p=none)",
             explanation: "With `p=none` receivers only report: mail that fails DMARC, forged mail included, is delivered as if there were no policy. It is the right start while the reports are read, not a place to stay.",
             actions: ["When the aggregate reports show all your senders passing, move to `p=quarantine`, then `p=reject`."]) { m in
            m.dmarc.compactMap { r in
                let tags = MailRecords.tags(r.text)
                guard MailRecords.tag(tags, "p")?.lowercased() == "none" else { return nil }
                return Found(records: [r], title: "DMARC for \(domain(r)) only monitors (p=none)")
            }
        },
        rule("dmarc-no-reports", .info, .authfailure,
             title: "The DMARC record asks for no reports",
             explanation: "Without `rua=` receivers send no aggregate reports, so there is no way to see which servers send as the domain and whether they pass.",
             actions: ["Add `rua=mailto:` an address you read (or a report service's), and read the reports (`smtpexplain summary` over them)."]) { m in
            m.dmarc.compactMap { r in
                let tags = MailRecords.tags(r.text)
                guard tags.first?.key == "v", tags.first?.value.uppercased() == "DMARC1", MailRecords.tag(tags, "rua") == nil else { return nil }
                return Found(records: [r], title: "The DMARC record of \(name(r)) has no `rua=`: no reports")
            }
        },
        rule("dmarc-pct-partial", .info, .authfailure,
             title: "The DMARC policy covers part of the mail",
             explanation: "`pct=` below 100 applies the policy to that share of failing mail only; the rest is handled one level lower (quarantine as none, reject as quarantine).",
             actions: ["Raise `pct=` to 100 (or remove it) when the reports show no wanted mail failing."]) { m in
            m.dmarc.compactMap { r in
                guard let v = MailRecords.tag(MailRecords.tags(r.text), "pct"), let n = Int(v), n < 100 else { return nil }
                return Found(records: [r], title: "The DMARC policy of \(domain(r)) applies to \(n)% of failing mail")
            }
        },

        // MARK: DKIM
        rule("dkim-key-missing", .error, .authfailure,
             title: "No DKIM key is published for the selector",
             explanation: "Signatures that name this selector (`s=` in the DKIM-Signature) cannot be checked: receivers find no key and the DKIM result is a failure.",
             actions: ["Publish the public key your signer shows for this selector at SELECTOR._domainkey.DOMAIN (a CNAME to the sending service's key where it asks for one), or sign with a selector that has a key."]) { m in
            m.missing.filter { $0.contains("._domainkey.") }.map { Found(records: [], title: "No DKIM key at \($0)", missing: $0) }
        },
        rule("dkim-key-revoked", .error, .authfailure,
             title: "The DKIM key is revoked (empty p=)",
             explanation: "An empty `p=` means the key was withdrawn: every signature made with this selector fails, and mail still signed with it loses its DKIM pass.",
             actions: ["If mail is still signed with this selector, publish its current public key again, or switch the signer to a selector whose key is published."]) { m in
            m.dkim.compactMap { r in
                let tags = MailRecords.tags(r.text)
                guard let p = MailRecords.tag(tags, "p"), p.isEmpty else { return nil }
                return Found(records: [r], title: "The DKIM key at \(name(r)) is revoked (empty p=)")
            }
        },
        rule("dkim-record-invalid", .error, .authfailure,
             title: "The DKIM record has no key",
             explanation: "A DKIM key record must hold a `p=` tag with the public key; without it receivers cannot check signatures made with this selector.",
             actions: ["Publish the record your signer gives (`v=DKIM1; k=rsa; p=...`), all of its strings, at SELECTOR._domainkey.DOMAIN."]) { m in
            m.dkim.compactMap { r in
                MailRecords.tag(MailRecords.tags(r.text), "p") == nil ? Found(records: [r], title: "The DKIM record at \(name(r)) has no `p=` tag") : nil
            }
        },
        rule("dkim-key-short", .warning, .authfailure,
             title: "The DKIM key is short",
             explanation: "RSA keys under 1024 bits are not accepted by receivers (RFC 8301), so signatures made with them count as none; 1024-bit keys still pass but 2048 bits is today's recommendation.",
             actions: ["Create a 2048-bit key under a new selector, publish it, switch the signer, then revoke the old selector."]) { m in
            m.dkim.compactMap { r in
                let tags = MailRecords.tags(r.text)
                guard (MailRecords.tag(tags, "k") ?? "rsa").lowercased() == "rsa", let p = MailRecords.tag(tags, "p"), !p.isEmpty,
                      let bits = MailRecords.dkimKeyBits(p), bits <= 1024 else { return nil }
                var f = Found(records: [r], title: bits < 1024 ? "The DKIM key at \(name(r)) is shorter than 1024 bits: receivers ignore it"
                                                                : "The DKIM key at \(name(r)) has 1024 bits (2048 recommended)")
                if bits < 1024 { f.severity = .error }
                return f
            }
        },
        rule("dkim-key-testing", .info, .authfailure,
             title: "The DKIM key is in testing mode (t=y)",
             explanation: "`t=y` asks receivers to treat signatures as if unsigned when they fail, and some treat passing ones that way too.",
             actions: ["Remove `t=y` once signing works."]) { m in
            m.dkim.compactMap { r in
                let t = MailRecords.tag(MailRecords.tags(r.text), "t")?.lowercased() ?? ""
                return t.split(separator: ":").contains("y") ? Found(records: [r], title: "The DKIM key at \(name(r)) is in testing mode (t=y)") : nil
            }
        },

        // MARK: MTA-STS and TLS-RPT
        rule("mta-sts-record-invalid", .error, .securityerror,
             title: "The MTA-STS record is not valid",
             explanation: "The `_mta-sts` TXT record must read `v=STSv1; id=...`; without a valid one senders do not fetch the policy, so it protects nothing.",
             actions: ["Publish `v=STSv1; id=20261206T000000` at _mta-sts.DOMAIN and change the id each time the policy file changes."]) { m in
            m.mtaSTS.compactMap { r in
                let tags = MailRecords.tags(r.text)
                guard MailRecords.tag(tags, "v") != "STSv1" || (MailRecords.tag(tags, "id") ?? "").isEmpty else { return nil }
                return Found(records: [r], title: "The MTA-STS record of \(name(r)) is not `v=STSv1; id=...`")
            }
        },
        rule("tls-rpt-record-invalid", .error, .securityerror,
             title: "The TLS-RPT record is not valid",
             explanation: "The `_smtp._tls` TXT record must read `v=TLSRPTv1; rua=mailto:...`; without a valid one senders send no TLS reports.",
             actions: ["Publish `v=TLSRPTv1; rua=mailto:tls-reports@DOMAIN` at _smtp._tls.DOMAIN (`smtpexplain` reads the reports)."]) { m in
            m.tlsRPT.compactMap { r in
                let tags = MailRecords.tags(r.text)
                guard MailRecords.tag(tags, "v") != "TLSRPTv1" || (MailRecords.tag(tags, "rua") ?? "").isEmpty else { return nil }
                return Found(records: [r], title: "The TLS-RPT record of \(name(r)) is not `v=TLSRPTv1; rua=...`")
            }
        },
        rule("tls-rpt-missing", .info, .securityerror,
             title: "The domain holds senders to TLS but publishes no TLS-RPT record",
             explanation: "With MTA-STS or DANE, senders hold mail back when TLS to an MX fails its checks. A TLS-RPT record (RFC 8460) tells them where to send a daily report of those failures; without one, the domain learns of an expired certificate or a stale policy only when mail stops arriving.",
             actions: ["Publish `v=TLSRPTv1; rua=mailto:tls-reports@DOMAIN` at _smtp._tls.DOMAIN (`smtpexplain` explains the reports that arrive)."]) { m in
            let what = [m.mtaSTS.isEmpty ? nil : "an MTA-STS record", m.tlsa.isEmpty ? nil : "TLSA records"].compactMap { $0 }
            guard !what.isEmpty else { return [] }
            return m.missing.filter { $0.hasPrefix("_smtp._tls.") }.map {
                Found(records: [], title: "\($0.dropFirst(11)) publishes \(what.joined(separator: " and ")) but no TLS-RPT record", missing: $0)
            }
        },
        rule("mta-sts-policy-unreachable", .error, .securityerror,
             title: "The MTA-STS policy could not be fetched",
             explanation: "Senders that find the `_mta-sts` record fetch the policy from https://mta-sts.DOMAIN/.well-known/mta-sts.txt, over HTTPS with a certificate valid for that name and without following redirects. When the fetch fails they report `sts-policy-fetch-error` and deliver as if the domain had no policy (or keep one cached earlier): TLS is not enforced.",
             actions: ["Serve the policy file at https://POLICYHOST/.well-known/mta-sts.txt with status 200 and `Content-Type: text/plain`, from the host itself (no redirect).",
                       "Check it as senders do: `curl -si https://POLICYHOST/.well-known/mta-sts.txt` must show `HTTP/... 200` and the policy, with no certificate error."]) { m in
            guard let fetch = m.stsFetch else { return [] }
            let o = fetch.outcome
            let why: String
            if o == "200" {
                guard m.stsPolicy.isEmpty else { return [] }
                why = "The answer holds no policy (no `version: STSv1` line)."
            } else if o.hasPrefix("HTTP 3") {
                why = "Senders do not follow redirects (RFC 8461 section 3.3): the file must be served by \(fetch.host) itself."
            } else if o.hasPrefix("HTTP 4") || o.hasPrefix("HTTP 5") {
                why = "The web server at \(fetch.host) does not serve the file."
            } else if o.hasPrefix("curl: (6)") {
                why = "\(fetch.host) has no address: publish an A (or AAAA, or CNAME) record for it."
            } else if o.hasPrefix("curl: (60)") || o.hasPrefix("curl: (35)") || o.contains("SSL") || o.contains("certificate") {
                why = "Senders require a certificate valid for \(fetch.host) from a public CA (not self-signed, not expired, with the name in it)."
            } else {
                why = "Port 443 of \(fetch.host) must answer from the Internet (firewall, web server running)."
            }
            let shown = o == "200" ? "the answer has no policy" : o
            return [Found(records: [], title: "The MTA-STS policy could not be fetched from \(fetch.host): \(shown)", detail: why,
                          policyHost: fetch.host)]
        },
        rule("mta-sts-policy-invalid", .error, .securityerror,
             title: "The MTA-STS policy file is not valid",
             explanation: "Senders that cannot parse the policy act as if the domain had none (and report `sts-policy-invalid` in their TLS reports), so it protects nothing.",
             actions: ["Serve exactly: `version: STSv1`, `mode: enforce` (or `testing`), one `mx:` line per MX host or `*.` pattern, and `max_age:` in seconds (86400 to 31557600)."]) { m in
            guard !m.stsPolicy.isEmpty else { return [] }
            let p = m.stsPolicy
            func value(_ k: String) -> String? { p.first { $0.key == k }?.value }
            var why: [String] = []
            if value("version") != "STSv1" { why.append("the first line is not `version: STSv1`") }
            let mode = value("mode")
            if !["enforce", "testing", "none"].contains(mode ?? "") { why.append(mode.map { "`mode: \($0)` is not enforce, testing or none" } ?? "there is no `mode:` line") }
            if mode != "none", !p.contains(where: { $0.key == "mx" }) { why.append("there is no `mx:` line") }
            if let a = value("max_age") {
                if let n = Int(a), n >= 0, n <= 31_557_600 {} else { why.append("`max_age: \(a)` is not a number of seconds up to 31557600") }
            } else {
                why.append("there is no `max_age:` line")
            }
            guard !why.isEmpty else { return [] }
            return [Found(records: [], title: "The MTA-STS policy is not valid: " + why.joined(separator: "; "))]
        },
        rule("mta-sts-policy-mx-mismatch", .error, .securityerror,
             title: "An MX host is not in the MTA-STS policy",
             explanation: "Senders that apply the policy deliver only to MX hosts its `mx:` lines name. In enforce mode they refuse to use any other MX and keep the mail queued; in testing mode they report it.",
             actions: ["Add the missing host (or a `*.` pattern covering it) to the policy's `mx:` lines, and change the `id=` in the `_mta-sts` TXT record so senders fetch it again."]) { m in
            let patterns = m.stsPolicy.filter { $0.key == "mx" }.map(\.value)
            guard !patterns.isEmpty, !m.mx.isEmpty else { return [] }
            let missing = m.mx.filter { h in !patterns.contains { MailRecords.stsPattern($0, matches: h) } }
            guard !missing.isEmpty else { return [] }
            let enforce = m.stsPolicy.first { $0.key == "mode" }?.value == "enforce"
            return [Found(records: [], title: "MX \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not in the MTA-STS policy (mx: \(patterns.joined(separator: ", ")))",
                          detail: enforce ? "The policy is in enforce mode: senders will not deliver to \(missing.count == 1 ? "it" : "them")." : "The policy is in testing mode: senders deliver, and report the mismatch.",
                          severity: enforce ? .error : .warning)]
        },
        rule("mta-sts-policy-short-max-age", .info, .securityerror,
             title: "The MTA-STS policy is cached only briefly",
             explanation: "`max_age` is how long senders keep the policy. A short one leaves a gap between fetches in which an attacker who blocks the policy fetch can strip TLS; RFC 8461 suggests weeks.",
             actions: ["Raise `max_age` to 604800 (a week) or more once the policy is stable."]) { m in
            guard let a = m.stsPolicy.first(where: { $0.key == "max_age" })?.value, let n = Int(a), n < 86_400 else { return [] }
            return [Found(records: [], title: "The MTA-STS policy's max_age is \(n) seconds (less than a day)")]
        },
        // MARK: DANE (TLSA)
        rule("dane-tlsa-malformed", .error, .failedstarttls,
             title: "A TLSA record can never match",
             explanation: "DANE senders compare the MX's certificate with the TLSA records at _25._tcp.MX. A record whose fields are out of range or whose digest has the wrong length matches no certificate; if no other record does, senders that require DANE hold the mail.",
             actions: ["Generate the record from the served certificate rather than by hand, e.g. `3 1 1` and `openssl x509 -in CERT -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256`, and publish it in place of this one."]) { m in
            m.tlsa.compactMap { r in
                guard let why = r.malformed else { return nil }
                return Found(records: [], title: "The TLSA record \(r.usage) \(r.selector) \(r.matching) for \(r.host) can never match", detail: why.prefix(1).uppercased() + why.dropFirst() + ".", tlsa: r)
            }
        },
        rule("dane-tlsa-pkix-usage", .warning, .failedstarttls,
             title: "SMTP senders ignore this TLSA record's usage",
             explanation: "For SMTP, DANE uses only certificate usages 2 (DANE-TA, a trust anchor of your own) and 3 (DANE-EE, the server's own certificate or key). Usages 0 and 1 (PKIX-TA, PKIX-EE) are treated as unusable (RFC 7672 §3.1.3), so they add no protection; when a host has no other record, senders fall back to TLS without authenticating it.",
             actions: ["Publish `3 1 1` records (the SHA-256 of the server's public key) instead, or `2 1 1` for the issuing CA's key if you rotate server keys often."]) { m in
            let byHost = Dictionary(grouping: m.tlsa.filter { $0.malformed == nil && $0.usage <= 1 }, by: \.host)
            return byHost.sorted { $0.key < $1.key }.compactMap { host, recs in
                let usable = m.tlsa.contains { $0.host == host && $0.malformed == nil && $0.usage >= 2 }
                return Found(records: [], title: "\(recs.count == 1 ? "A TLSA record" : "\(recs.count) TLSA records") for \(host) use\(recs.count == 1 ? "s" : "") PKIX usage \(Set(recs.map(\.usage)).sorted().map(String.init).joined(separator: " and ")), which SMTP senders ignore",
                             detail: usable ? "The host has other, usable records: these only add clutter." : "The host has no other usable record, so DANE gives it no authentication.",
                             severity: usable ? .info : .warning, tlsa: recs[0])
            }
        },
        rule("dane-tlsa-partial", .warning, .securityerror,
             title: "Not every MX host publishes TLSA records",
             explanation: "DANE protects each MX host on its own: senders hold mail for a host with TLSA records to its certificate, but deliver to a host without them with TLS they do not authenticate (or none). A backup MX left out is where an attacker on the path would steer the mail.",
             actions: ["Publish TLSA records for every MX host (each at _25._tcp.HOST), or take the host without them out of the MX set."]) { m in
            let with = Set(m.tlsa.map(\.host))
            guard !with.isEmpty else { return [] }
            let without = m.mx.filter { h in !with.contains(h) && m.tlsaLookups.contains("_25._tcp." + h) }
            guard !without.isEmpty else { return [] }
            return [Found(records: [], title: "MX \(without.joined(separator: ", ")) \(without.count == 1 ? "has" : "have") no TLSA records, while \(with.sorted().joined(separator: ", ")) \(with.count == 1 ? "has" : "have")",
                          missing: "_25._tcp." + without[0])]
        },
        rule("dane-tlsa-not-validated", .warning, .failedstarttls,
             title: "The TLSA answer was not DNSSEC-validated",
             explanation: "DANE senders use TLSA records only when their resolver has validated them with DNSSEC. This answer came without the `ad` (authenticated data) flag: either the zone (or the MX host's zone) is not signed, so senders ignore the records, or the resolver that answered does not validate.",
             actions: ["Ask a validating resolver: `dig +dnssec @1.1.1.1 TLSA _25._tcp.MXHOST` (look for `ad` in the flags) or `delv TLSA _25._tcp.MXHOST`.",
                       "If the zone is not signed, sign it and publish its DS record at the registrar, or remove the TLSA records, which do nothing without DNSSEC."]) { m in
            m.tlsaValidated.filter { !$0.validated }.compactMap { v in
                guard let r = m.tlsa.first(where: { $0.owner == v.owner }) else { return nil }
                return Found(records: [], title: "The TLSA answer for \(r.host) has no `ad` flag (not DNSSEC-validated)", tlsa: r)
            }
        },
    ]

    static let ids: Set<String> = Set(table.map(\.id))

    /// What one rule found: the records it is about and this case's words.
    struct Found {
        var records: [MailRecords.Record]
        var title: String
        var detail: String? = nil
        var severity: Severity? = nil
        /// A name looked up without an answer, for the findings about what is not there.
        var missing: String? = nil
        /// The MTA-STS policy host the finding is about (its lines are the evidence; the steps name it).
        var policyHost: String? = nil
        /// The TLSA record the finding is about (its answer line is the evidence).
        var tlsa: DNSFacts.TLSARecord? = nil
    }

    private static func rule(_ id: String, _ severity: Severity, _ reason: Reason, title: String, explanation: String,
                             actions: [String], find: @escaping @Sendable (MailRecords) -> [Found]) -> SessionRule {
        SessionRule(id, severity, reason, title: title, explanation: explanation, actions: actions) { f in
            guard let records = f.dns.records, !records.isEmpty else { return [] }
            return find(records).map { found in
                func lines(_ keep: (String) -> Bool, _ n: Int) -> [Evidence] {
                    f.dns.notes.filter { keep($0.text) }.prefix(n).map { Evidence(position: $0.position, text: $0.text) }
                }
                let evidence: [Evidence]
                if let t = found.tlsa {
                    // dig and host print the data in upper case, dig in blank-separated groups.
                    let key = "\(t.usage)\(t.selector)\(t.matching)" + t.data
                    let owner = f.dns.notes.filter { $0.text.lowercased().contains(t.owner) }
                    let exact = owner.first { n in String(n.text.lowercased().filter { $0 != " " && $0 != "\t" }).hasSuffix(key) }
                    evidence = (exact ?? owner.last).map { [Evidence(position: $0.position, text: $0.text)] } ?? []
                } else if let name = found.missing {
                    // The lookup that found nothing: `NAME has no TXT record`, `Host NAME not found: ...`.
                    evidence = lines({ $0.hasPrefix(name + " has no TXT") || $0.hasPrefix(name + " has no TLSA") || $0.hasPrefix("Host \(name) not found") }, 2)
                } else if found.policyHost != nil {
                    // The fetch's own lines: its status, curl's error.
                    evidence = lines({ t in ["HTTP/", "curl: (", "ERROR "].contains { t.hasPrefix($0) } }, 2)
                } else if found.records.isEmpty {
                    // A policy file's finding points at its lines.
                    evidence = lines({ t in ["version:", "mode:", "mx:", "max_age:"].contains { t.hasPrefix($0) } }, 6)
                } else {
                    evidence = found.records.flatMap { r in f.dns.evidence(containing: String(r.text.prefix(24))) }
                }
                var hit = RuleHit(evidence: evidence, detail: found.detail, title: found.title, severity: found.severity)
                if let host = found.policyHost {
                    // The steps name the policy host.
                    hit.actions = actions.map { $0.replacingOccurrences(of: "POLICYHOST", with: host) }
                    hit.actionsReplaceRow = true
                }
                return hit
            }
        }
    }

    /// `_dmarc.shop.example` → `_dmarc.shop.example`; a record without an owner (dig +short) → `the domain`.
    private static func name(_ r: MailRecords.Record) -> String { r.owner.isEmpty ? "the domain" : r.owner }

    /// The domain a DMARC record is for.
    private static func domain(_ r: MailRecords.Record) -> String {
        r.owner.hasPrefix("_dmarc.") ? String(r.owner.dropFirst(7)) : name(r)
    }
}
