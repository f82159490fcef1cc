import Foundation
import TranscriptModel

/// What an SMTP TLS report (RFC 8460) says went wrong between a sender and this domain's MX: one row per
/// result type, read from the `tls-report` reader's `tlsrpt-*` attributes. The same fault is an error where
/// the policy made the sender hold the mail (MTA-STS in enforce mode, DANE) and a warning where it
/// delivered anyway, without the protection the policy promises.
public enum TLSReportRules {
    struct Row {
        let result: TLSReportResult
        let reason: Reason
        let title: String
        let explanation: String
        let actions: [String]
    }

    static let rows: [Row] = [
        Row(result: .starttlsNotSupported, reason: .failedstarttls,
            title: "The MX did not offer STARTTLS",
            explanation: "The sender connected to the MX, and its EHLO reply did not list STARTTLS (or STARTTLS was refused), so the mail could not be encrypted.",
            actions: [
                "Turn TLS on for the MX's port 25 with a certificate for its name (Postfix: `smtpd_tls_security_level = may` with `smtpd_tls_chain_files`; Exchange: a receive connector with a certificate enabled for SMTP).",
                "From outside, check that nothing in front of the MX (a firewall's SMTP inspection, a load balancer) removes the offer: `swaks --server MXHOST --quit-after EHLO` must list STARTTLS.",
            ]),
        Row(result: .certificateHostMismatch, reason: .failedstarttls,
            title: "The MX's certificate does not name the MX",
            explanation: "The certificate the MX presented holds none of the names senders connect to (the MX host names in DNS and in the MTA-STS policy), so it does not prove the server is the right one.",
            actions: [
                "Issue the certificate for every MX host name (as subject alternative names); `openssl s_client -starttls smtp -connect MXHOST:25 -servername MXHOST` shows the names it holds.",
                "With MTA-STS, keep the policy's `mx:` lines, the MX records and the certificate's names in step.",
            ]),
        Row(result: .certificateExpired, reason: .failedstarttls,
            title: "The MX's certificate has expired",
            explanation: "The certificate the MX presented is past its end date, so senders that check certificates will not trust it.",
            actions: [
                "Renew the certificate and reload the mail server, which serves the old one until it is reloaded (`openssl s_client -starttls smtp -connect MXHOST:25 | openssl x509 -noout -dates` shows the one served).",
                "Automate renewal with a hook that reloads Postfix, Exim or Exchange, and watch the expiry date.",
            ]),
        Row(result: .certificateNotTrusted, reason: .failedstarttls,
            title: "The MX's certificate is not from a trusted authority",
            explanation: "The certificate is self-signed, from a private authority, or served without its intermediate certificates, so the sender could not trace it to an authority it trusts.",
            actions: [
                "Serve a certificate from a public authority with the full chain (Postfix: leaf and intermediates in `smtpd_tls_chain_files`); `openssl s_client -starttls smtp -connect MXHOST:25 -showcerts` shows what is sent.",
            ]),
        Row(result: .validationFailure, reason: .failedstarttls,
            title: "The MX's certificate did not validate",
            explanation: "The sender rejected the certificate for a reason other than its names, expiry or authority; the report's failure reason code, when given, names the check.",
            actions: [
                "Run `openssl s_client -starttls smtp -connect MXHOST:25 -servername MXHOST -verify_return_error` and read the verify error it prints.",
            ]),
        Row(result: .tlsaInvalid, reason: .failedstarttls,
            title: "The MX's certificate does not match its TLSA records (DANE)",
            explanation: "DANE senders compare the MX's certificate or key with the TLSA records at _25._tcp.MX; none matched. This happens most after a certificate or key was replaced before its new TLSA record was published.",
            actions: [
                "Publish the TLSA record for the new key (e.g. `3 1 1` with the SHA-256 of the public key) next to the old one, wait for the old record's TTL, then deploy the key.",
                "Compare `dig +dnssec TLSA _25._tcp.MXHOST` with the served certificate (`posttls-finger -t30 -T180 -c -L verbose,summary MXHOST`).",
            ]),
        Row(result: .dnssecInvalid, reason: .securityerror,
            title: "The MX's DNS answers failed DNSSEC validation",
            explanation: "A validating sender could not trust the DNS answers for the MX or its TLSA records (an expired signature, a DS record that no longer matches the zone's key after a rollover), so it could not find or check the server.",
            actions: [
                "Check the chain of trust with `delv DOMAIN MX` or `dig +dnssec`, or a DNSSEC analyser; re-sign the zone or fix the DS record at the registrar.",
            ]),
        Row(result: .daneRequired, reason: .failedstarttls,
            title: "DANE requires TLS, and the MX did not offer it",
            explanation: "The MX has TLSA records, which tell DANE senders that TLS is mandatory, but the server did not offer STARTTLS or the handshake broke off before a certificate was seen.",
            actions: [
                "Turn STARTTLS on at the MX, with a certificate matching the TLSA records.",
                "If the server cannot do TLS, remove its TLSA records (signed removal, then wait for their TTL).",
            ]),
        Row(result: .stsPolicyFetchError, reason: .securityerror,
            title: "Senders could not fetch the MTA-STS policy",
            explanation: "The domain's `_mta-sts` TXT record announces a policy, but fetching it from https://mta-sts.DOMAIN/.well-known/mta-sts.txt failed (no such host, no answer, an HTTP error, or a redirect, which MTA-STS does not follow), so senders went on without it.",
            actions: [
                "Serve the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt with status 200, `text/plain` and no redirect; check with `curl -sv` from outside.",
                "If MTA-STS is no longer wanted, serve `mode: none` for the old `max_age`, then remove the `_mta-sts` TXT record.",
            ]),
        Row(result: .stsPolicyInvalid, reason: .securityerror,
            title: "The MTA-STS policy does not parse",
            explanation: "The policy file was fetched but is not valid: a missing or misspelt `version: STSv1`, `mode:`, `mx:` or `max_age:` line, or a mode other than enforce, testing or none.",
            actions: [
                "Write the file as `version: STSv1`, `mode: testing` (or `enforce`), one `mx:` line per MX (`*.example.com` wildcards allowed) and `max_age: 604800`.",
                "After each change, change the `id=` in the `_mta-sts` TXT record so senders fetch the policy again.",
            ]),
        Row(result: .stsWebpkiInvalid, reason: .securityerror,
            title: "The MTA-STS policy server's HTTPS certificate is not valid",
            explanation: "The web server at mta-sts.DOMAIN presented a certificate that is expired, untrusted, or not made out for that name, so senders could not trust the policy it served.",
            actions: [
                "Give the policy web server a public certificate for mta-sts.DOMAIN (a hosting service serving the policy needs that name added); check with `curl -v https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.",
            ]),
    ]

    public static let table: [SessionRule] = SessionRule.scoped(rows.map(rule) + others, .tlsReport)

    static let others: [SessionRule] = [
        SessionRule("tls-report-failure", .warning, .failedstarttls,
                    title: "A sender reported TLS failures to this domain",
                    explanation: "The report names a result type this tool does not know; its words and the failure reason code say what the sender saw.",
                    actions: ["Look up the result type in the reporter's documentation (RFC 8460 lists the standard ones)."]) { f in
            guard let word = f.session.attributes["tlsrpt-result"], TLSReportResult(rawValue: word) == nil else { return [] }
            return [hit(f, result: nil, word: word)]
        },
        SessionRule("tls-report-ready-to-enforce", .info, .delivered,
                    title: "No TLS failures while the MTA-STS policy is in testing mode",
                    explanation: "Every session this sender reported under the testing policy succeeded over TLS. When the other senders' reports say the same for a few weeks, the policy can protect the mail instead of only reporting.",
                    actions: ["Set `mode: enforce` in the MTA-STS policy file and change the `id=` in the `_mta-sts` TXT record."]) { f in
            let a = f.session.attributes
            guard a["tlsrpt-result"] == nil, a["tlsrpt-policy-type"] == "sts", a["tlsrpt-mode"] == "testing",
                  a["tlsrpt-total-failed"] == "0" else { return [] }
            return [RuleHit(evidence: f.session.notes.prefix(1).map { Evidence(position: $0.position, text: $0.text) })]
        },
    ]

    static let ids: Set<String> = Set(table.map(\.id))

    private static func rule(_ row: Row) -> SessionRule {
        SessionRule("tls-report-" + row.result.rawValue, .error, row.reason, title: row.title,
                    explanation: row.explanation, actions: row.actions) { f in
            guard f.session.attributes["tlsrpt-result"] == row.result.rawValue else { return [] }
            return [hit(f, result: row.result, word: row.result.rawValue)]
        }
    }

    /// The report's numbers and what the policy made the sender do, as this row's words.
    private static func hit(_ f: SessionFacts, result: TLSReportResult?, word: String) -> RuleHit {
        let s = f.session, a = s.attributes
        let n = a["tlsrpt-sessions"] ?? "?"
        let mx = s.server.host ?? "the MX"
        let domain = a["tlsrpt-policy-domain"] ?? "the domain"
        var title = "\(n) session\(n == "1" ? "" : "s") to \(mx) " + (result?.stop == .policy ? "went without the policy: " : "failed TLS: ")
        if let t = result.flatMap({ r in rows.first { $0.result == r }?.title }) { title += t.prefix(1).lowercased() + t.dropFirst() } else { title += word }
        var detail: [String] = []
        if let all = a["tlsrpt-policy-sessions"], let failed = a["tlsrpt-total-failed"] {
            detail.append("\(a["tlsrpt-org"] ?? "The sender") reported \(failed) failed of \(all) sessions to \(domain) in all.")
        }
        if let code = a["tlsrpt-reason-code"] { detail.append("Its reason code: \(code).") }
        let stopped = a["tlsrpt-enforced"] == "yes" || (result?.alwaysEnforced ?? false)
        var severity = Severity.warning
        switch result?.stop {
        case .policy?:
            detail.append("Without a policy the sender delivered as if the domain had none: TLS if offered, unchecked (a sender that had an earlier copy cached used that one).")
        case nil:
            break
        default:
            if stopped {
                severity = .error
                detail.append(a["tlsrpt-policy-type"] == "tlsa" || result?.alwaysEnforced == true
                              ? "DANE makes TLS mandatory, so the sender did not deliver on these sessions: the mail waited in its queue and bounces if the fault lasts."
                              : "The MTA-STS policy is in enforce mode, so the sender did not deliver on these sessions: the mail waited in its queue and bounces if the fault lasts.")
            } else {
                let why = a["tlsrpt-mode"] == "testing" ? "The MTA-STS policy is in testing mode"
                    : a["tlsrpt-policy-type"] == "no-policy-found" ? "The domain publishes no MTA-STS or DANE policy" : "The policy does not enforce TLS"
                detail.append(why + (result == .starttlsNotSupported ? ", so the sender delivered in plain text."
                                     : ", so the sender delivered anyway, over TLS it could not verify."))
            }
        }
        if let info = a["tlsrpt-info"] { detail.append("The reporter's details: \(info).") }
        // The row's steps with this report's MX host and domain in place of `MXHOST` and `DOMAIN`.
        let steps = (result.flatMap { r in rows.first { $0.result == r }?.actions } ?? []).map {
            $0.replacingOccurrences(of: "MXHOST", with: s.server.host ?? "MX").replacingOccurrences(of: "DOMAIN", with: domain)
        }
        var hit = RuleHit(evidence: s.notes.prefix(1).map { Evidence(position: $0.position, text: $0.text) },
                          detail: detail.joined(separator: " "), title: title, actions: steps, severity: severity)
        hit.actionsReplaceRow = !steps.isEmpty
        return hit
    }
}
