/// One message's header section turned into sessions: one per SMTP hop, oldest first, with the receiving
/// side's verdicts on the hop where the message entered it.
struct MessageHeaders {
    let section: HeaderSection
    /// Every `Received:` field, oldest (the bottom one) first.
    let hops: [ReceivedHop]
    let auth: AuthenticationResults?
    let receivedSPF: AuthenticationResults?

    init(_ section: HeaderSection) {
        self.section = section
        hops = Array(section.all("received").prefix(MessageHeaderReader.maxHops).compactMap { ReceivedHop($0) }.reversed())
        // The top field is the last receiver's; one without SPF, DKIM or DMARC is an internal hop's note.
        let results = section.all("authentication-results").compactMap { AuthenticationResults($0) }
        auth = results.first { r in r.results.contains { ["spf", "dkim", "dmarc"].contains($0.method) } } ?? results.first
        receivedSPF = section.first("received-spf").flatMap { AuthenticationResults(receivedSPF: $0) }
    }

    /// The hop where the message entered the receiving side: the one from the address SPF was checked for;
    /// else the one the verdict's author (authserv-id) received; else the last hop from a public address.
    var boundary: Int? {
        let smtp = hops.indices.filter { hops[$0].isSMTP }
        if let ip = (auth?.spfAddress ?? receivedSPF?.spfAddress)?.lowercased(),
           let i = smtp.last(where: { hops[$0].address?.lowercased() == ip }) {
            return i
        }
        if let id = auth?.authservID?.lowercased() {
            // The same server may take the message twice (from the internet, then back from its content
            // filter or into LMTP): the hop from a public address is the one that came in.
            let by = smtp.filter { hops[$0].byHost.map { $0 == id || $0.hasSuffix("." + id) } ?? false }
            if let i = by.last(where: { hops[$0].address.map(Self.isPublic) ?? false }) ?? by.first { return i }
        }
        return smtp.last { hops[$0].address.map(Self.isPublic) ?? false } ?? smtp.last
    }

    func sessions(input: String, format: String, message: Int) -> [Session] {
        let edge = boundary
        let returnPath = section.first("return-path").map { Self.angle($0.value) }
        // The envelope recipient, for hops that do not name it: the final delivery's own fields, else a lone To:.
        let deliveredTo = ["delivered-to", "x-original-to", "envelope-to"].lazy.compactMap { section.first($0) }.first
            .map { Self.angle($0.value) } ?? section.first("to").flatMap { Self.loneAddress($0.value) }
        let messageID = section.first("message-id").map { Self.angle($0.value) }
        var out: [Session] = []
        var previous: ReceivedHop?
        let smtpHops = hops.filter(\.isSMTP)
        let smtpCount = smtpHops.count
        var number = 0
        let written = section.first("date").flatMap { MailDate.parse($0.value) }
        let times = smtpHops.compactMap(\.time)
        for (i, hop) in hops.enumerated() {
            defer { if hop.time != nil { previous = hop } }
            guard hop.isSMTP else { continue }
            number += 1
            var b = SessionBuilder(input: input, format: format)
            b.direction = .inbound
            b.client = Peer(host: hop.reverseName, address: hop.address, heloName: hop.helo)
            b.server.host = hop.by
            b.server.software = hop.software
            var a = b.attributes
            a["hop"] = "\(number)/\(smtpCount)"
            if message > 1 { a["message"] = String(message) }
            if let id = messageID { a["message-id"] = id }
            if let p = hop.protocolName { a["received-with"] = p }
            if let ip = hop.byAddress { a["received-by-address"] = ip }
            if hop.noReverseName { a["client-reverse-dns"] = "none" }
            if let t = hop.time, let p = previous, let pt = p.time {
                // The time the previous server kept the message (or the two clocks' difference).
                a["hop-delay"] = String(Int((t - pt).rounded()))
                if let by = p.byHost { a["held-by"] = by }
            }
            if number == 1, let t = hop.time, let w = written {
                // From the Date: the client wrote to the first server's receipt: an Outbox that held it.
                a["submit-delay"] = String(Int((t - w).rounded()))
            }
            if number == smtpCount, smtpCount > 1, let first = times.first, let last = times.last {
                a["transit"] = String(Int((last - first).rounded()))
            }
            var notes: [(Int, String)] = [(hop.firstLine, "Received: " + hop.text)]
            if number == 1, let d = section.first("date") { notes.append((d.firstLine, "Date: " + d.value)) }
            if i == edge {
                verdicts(into: &a, notes: &notes)
            }
            b.attributes = a
            let at = SourcePosition(input: input, line: hop.firstLine, time: hop.time)
            for (line, text) in notes.sorted(by: { $0.0 < $1.0 }) {
                b.note(String(text.prefix(2_000)), kind: .log, at: SourcePosition(input: input, line: line, time: line == hop.firstLine ? hop.time : nil))
            }
            replay(hop, into: &b, at: at, sender: hop.envelopeFrom ?? returnPath,
                   recipient: hop.recipient ?? deliveredTo)
            out.append(b.finish())
        }
        return out
    }

    /// The dialogue a Received field proves: connected, greeted, TLS and AUTH when its protocol says so, one
    /// recipient, the data accepted under the queue id. Every step is inferred.
    private func replay(_ hop: ReceivedHop, into b: inout SessionBuilder, at p: SourcePosition, sender: String?, recipient: String?) {
        func c(_ s: String) { b.client(Array(s.utf8)[...], at: p, inferred: true) }
        func s(_ s: String) { b.server(Array(s.utf8)[...], at: p, inferred: true) }
        let host = hop.by ?? "(server)"
        // The `by` server's own address in its Received field is often an internal one (Microsoft's): kept
        // as an attribute, not as the address the client connected to.
        b.connected(address: nil, port: nil, at: p)
        s("220 \(host) (greeting not in the headers)")
        let proto = hop.protocolName?.uppercased() ?? "ESMTP"
        let greet = hop.isLMTP ? "LHLO" : (proto == "SMTP" ? "HELO" : "EHLO")
        let helo = "\(greet) \(hop.helo ?? "")".trimmingSpaces
        c(helo)
        s("250 \(host)")
        if hop.usedTLS {
            c("STARTTLS")
            s("220 2.0.0 Ready to start TLS")
            b.tlsEstablished(TLSFacts(version: hop.tlsVersion, cipher: hop.cipher), at: p)
            c(helo)
            s("250 \(host)")
        }
        if hop.usedAuth {
            c("AUTH")
            s("235 2.7.0 Authentication successful")
        }
        c("MAIL FROM:<\(sender ?? "(sender not in the headers)")>")
        s("250 2.1.0 Ok")
        c("RCPT TO:<\(recipient ?? "(recipient not in the headers)")>")
        s("250 2.1.5 Ok")
        c("DATA")
        s("354 End data with <CR><LF>.<CR><LF>")
        c(".")
        s(hop.id.map { "250 2.0.0 Ok: queued as \($0)" } ?? "250 2.0.0 Ok")
        c("QUIT")
        s("221 2.0.0 Bye")
        b.closed(by: .client, at: p)
    }

    /// The receiving side's verdicts as attributes, and their fields as notes (the findings' evidence).
    func verdicts(into a: inout [String: String], notes: inout [(Int, String)]) {
        if let f = section.first("from")?.value, let at = f.lastIndex(of: "@") {
            let domain = f[f.index(after: at)...].prefix { $0 != ">" && $0 != " " && $0 != ";" && $0 != "," }
            if !domain.isEmpty { a["header-from-domain"] = domain.lowercased() }
        }
        var spfFrom = auth
        if auth?.verdict("spf") == nil { spfFrom = receivedSPF }
        if let r = auth {
            if let id = r.authservID { a["auth-by"] = id }
            notes.append((r.line, "Authentication-Results: " + (section.fields.first { $0.firstLine == r.line }?.value ?? "")))
        }
        if let spf = spfFrom?.verdict("spf") {
            a["auth-spf"] = spf.result
            if let d = spf.properties["smtp.mailfrom"] ?? spf.properties["smtp.helo"] { a["auth-spf-domain"] = d.mailDomain }
            if let ip = spfFrom?.spfAddress { a["auth-spf-ip"] = ip }
            if let c = spf.comment { a["auth-spf-detail"] = c }
            if let r = receivedSPF, spfFrom?.line == r.line {
                notes.append((r.line, "Received-SPF: " + (section.fields.first { $0.firstLine == r.line }?.value ?? "")))
            }
        }
        if let r = auth {
            if let dkim = r.verdict("dkim") {
                a["auth-dkim"] = dkim.result
                if let d = dkim.properties["header.d"] ?? dkim.properties["header.i"], d != "none" { a["auth-dkim-domain"] = d.mailDomain }
                if let why = dkim.properties["reason"] ?? dkim.comment { a["auth-dkim-detail"] = why }
            }
            if let dmarc = r.verdict("dmarc") {
                a["auth-dmarc"] = dmarc.result
                if let d = dmarc.properties["header.from"] { a["auth-dmarc-domain"] = d.lowercased() }
                // Gmail: `(p=QUARANTINE sp=QUARANTINE dis=QUARANTINE)`; Microsoft: `action=oreject`.
                let words = (dmarc.comment ?? "").split(separator: " ")
                if let p = words.first(where: { $0.hasPrefix("p=") }) { a["auth-dmarc-policy"] = p.dropFirst(2).lowercased() }
                if let d = words.first(where: { $0.hasPrefix("dis=") }) { a["auth-dmarc-disposition"] = d.dropFirst(4).lowercased() }
                if let act = dmarc.properties["action"] { a["auth-dmarc-disposition"] = act.lowercased() }
            }
            if let comp = r.verdict("compauth") {
                a["auth-compauth"] = comp.result
                if let why = comp.properties["reason"] { a["auth-compauth-reason"] = why }
            }
            if let arc = r.verdict("arc") { a["auth-arc"] = arc.result }
        }
        // ARC: what the first receiver that sealed the message (a mailing list, a forwarder) found, when that
        // was another server than the one judging now.
        let arc = section.all("arc-authentication-results").compactMap { AuthenticationResults($0) }
            .min { ($0.instance ?? .max) < ($1.instance ?? .max) }
        if let first = arc, let by = first.authservID, by.lowercased() != auth?.authservID?.lowercased() {
            a["arc-first-by"] = by
            for m in ["spf", "dkim", "dmarc"] { if let r = first.verdict(m) { a["arc-first-" + m] = r.result } }
            notes.append((first.line, "ARC-Authentication-Results: " + (section.fields.first { $0.firstLine == first.line }?.value ?? "")))
        }
        for (k, v) in SpamVerdictHeaders.attributes(section) { a[k] = v }
        for f in section.fields where SpamVerdictHeaders.keys.contains(f.key) && f.key != "x-microsoft-antispam" {
            notes.append((f.firstLine, f.name + ": " + f.value))
        }
    }

    /// `Dana <dana@contoso.example>` → `dana@contoso.example`; nil for several addresses.
    static func loneAddress(_ v: String) -> String? {
        guard !v.contains(","), v.contains("@") else { return nil }
        let a = angle(v)
        return a.contains("@") && !a.contains(" ") ? a : nil
    }

    static func angle(_ v: String) -> String {
        var t = v.trimmingSpaces
        if let open = t.firstIndex(of: "<"), let close = t[open...].firstIndex(of: ">") { t = String(t[t.index(after: open)..<close]) }
        return t
    }

    /// Not a private, loopback, link-local or shared address (RFC 1918, 6598, 4193, 4291): the ranges of the
    /// explainer's `SessionFacts.isPrivateAddress`, which this module cannot call.
    static func isPublic(_ ip: String) -> Bool {
        let v = ip.lowercased()
        if v.contains(":") {
            return !(v == "::1" || v.hasPrefix("fe80:") || v.hasPrefix("fc") || v.hasPrefix("fd"))
        }
        let o = v.split(separator: ".").compactMap { Int($0) }
        guard o.count == 4 else { return false }
        switch (o[0], o[1]) {
        case (10, _), (127, _), (192, 168), (169, 254): return false
        case (172, 16...31), (100, 64...127): return false
        default: return true
        }
    }
}

extension ReceivedHop {
    /// The receiving server's name in lower case.
    var byHost: String? { by?.lowercased() }
}
