/// The email-sending services whose event JSON the `esp-event` reader knows: how each one's event is
/// recognised (the keys only it uses) and where its fields are. One row per provider; field names are the
/// providers' documented ones.
struct ESPProvider: Sendable {
    let name: String
    /// The provider's event names that are delivery results, and what each means; other events (opens,
    /// clicks, the provider accepting the message from the application) say nothing about the receiver.
    var kinds: [String: ESPEvent.Kind] = [:]
    /// Keys whose presence (quoted, in the raw bytes) makes an input look like this provider's events.
    let markers: [String]
    let recognises: @Sendable (JSONValue) -> Bool
    /// The events in one recognised object (given with `kinds`): one per recipient; none for events that
    /// are not delivery results.
    let events: @Sendable (_ object: JSONValue, _ kinds: [String: ESPEvent.Kind]) -> [ESPEvent]

    func events(in object: JSONValue) -> [ESPEvent] { events(object, kinds) }
}

enum ESPProviders {
    static let table: [ESPProvider] = [ses, sendGrid, mailgun, postmark, sparkPost, mandrill, brevo, mailjet, resend, postal,
                                       azure, scaleway]

    /// Every provider's markers, as bytes.
    static let markerBytes: [[UInt8]] = table.flatMap { $0.markers.map { Array($0.utf8) } }

    /// A provider's event name with its detail: `bounce (blocked)`.
    static func label(_ name: String, _ detail: String?) -> String {
        detail.map { "\(name) (\($0))" } ?? name
    }

    /// Objects that wrap events rather than being one: Mailgun's webhook (`event-data`) and events API
    /// (`items`), an SNS envelope (`Message`, a JSON string), Mandrill's form field, a generic `data`.
    static let containers = ["event-data", "items", "Message", "mandrill_events", "data"]

    // MARK: Amazon SES (SNS notifications and event publishing)

    static let ses = ESPProvider(
        name: "Amazon SES",
        // An SNS envelope carries the notification as a string, its quotes escaped.
        markers: ["\"notificationType\"", "\"eventType\"", "\"bouncedRecipients\"", "\"smtpResponse\"", #"\"notificationType\""#],
        recognises: { $0["mail"]?.isObject == true && ($0["notificationType"] ?? $0["eventType"]) != nil },
        events: { o, _ in
            let type = (o["notificationType"] ?? o["eventType"])?.text ?? ""
            var base = ESPEvent(provider: "Amazon SES", kind: .bounced, label: type, offset: o.offset ?? 0)
            base.sender = o["mail", "source"]?.text
            base.messageID = o["mail", "messageId"]?.text
            base.subject = o["mail", "commonHeaders", "subject"]?.text
            base.sendingAddress = o["mail", "sourceIp"]?.text
            base.stamp = o["mail", "timestamp"]
            func each(_ list: [JSONValue], _ make: (inout ESPEvent, JSONValue) -> Void) -> [ESPEvent] {
                list.prefix(100).map { r in var e = base; make(&e, r); return e }
            }
            switch type {
            case "Bounce":
                let b = o["bounce"]
                let bounceType = b?["bounceType"]?.text ?? "", sub = b?["bounceSubType"]?.text ?? ""
                base.label = "Bounce (\([bounceType, sub].filter { !$0.isEmpty }.joined(separator: ", ")))"
                base.kind = ["Suppressed", "OnAccountSuppressionList"].contains(sub) ? .dropped : .bounced
                base.remoteAddress = b?["remoteMtaIp"]?.text
                base.stamp = b?["timestamp"] ?? base.stamp
                base.details = ["bounceType: \(bounceType)", "bounceSubType: \(sub)"].filter { !$0.hasSuffix(": ") }
                return each(b?["bouncedRecipients"]?.array ?? []) { e, r in
                    e.recipient = r["emailAddress"]?.text
                    e.reply = r["diagnosticCode"]?.text
                    e.status = r["status"]?.text
                    e.replyOffset = r.offset
                }
            case "Delivery":
                let d = o["delivery"]
                base.kind = .delivered
                base.reply = d?["smtpResponse"]?.text
                base.remoteAddress = d?["remoteMtaIp"]?.text
                base.stamp = d?["timestamp"] ?? base.stamp
                return each(d?["recipients"]?.array ?? []) { e, r in e.recipient = r.text }
            case "DeliveryDelay":
                let d = o["deliveryDelay"]
                base.kind = .deferred
                base.label = "DeliveryDelay (\(d?["delayType"]?.text ?? "?"))"
                base.remoteAddress = d?["remoteMtaIp"]?.text
                base.stamp = d?["timestamp"] ?? base.stamp
                if let until = d?["expirationTime"]?.text { base.details = ["SES retries until \(until)"] }
                return each(d?["delayedRecipients"]?.array ?? []) { e, r in
                    e.recipient = r["emailAddress"]?.text
                    e.reply = r["diagnosticCode"]?.text
                    e.status = r["status"]?.text
                    e.replyOffset = r.offset
                }
            case "Complaint":
                let c = o["complaint"]
                base.kind = .complained
                base.stamp = c?["timestamp"] ?? base.stamp
                if let t = c?["complaintFeedbackType"]?.text { base.details = ["complaintFeedbackType: \(t)"] }
                return each(c?["complainedRecipients"]?.array ?? []) { e, r in e.recipient = r["emailAddress"]?.text }
            case "Reject":
                base.kind = .dropped
                base.heldByService = true   // SES found a virus in the message
                base.details = ["SES rejected the message: \(o["reject", "reason"]?.text ?? "no reason given")"]
                return each(o["mail", "destination"]?.array ?? []) { e, r in e.recipient = r.text }
            default:
                return []
            }
        })

    // MARK: SendGrid (Event Webhook)

    static let sendGrid = ESPProvider(
        name: "SendGrid",
        kinds: ["bounce": .bounced, "deferred": .deferred, "delivered": .delivered, "dropped": .dropped, "spamreport": .complained],
        markers: ["\"sg_event_id\"", "\"sg_message_id\"", "\"smtp-id\""],
        recognises: { $0["event"] != nil && ($0["sg_event_id"] ?? $0["sg_message_id"] ?? $0["smtp-id"]) != nil },
        events: { o, kinds in
            let event = o["event"]?.text ?? ""
            guard let kind = kinds[event] else { return [] }
            var e = ESPEvent(provider: "SendGrid", kind: kind, label: label(event, o["type"]?.text), offset: o.offset ?? 0)
            e.recipient = o["email"]?.text
            e.reply = (kind == .deferred || kind == .delivered) ? (o["response"] ?? o["reason"])?.text : o["reason"]?.text
            e.status = o["status"]?.text
            e.sendingAddress = o["ip"]?.text
            e.messageID = o["sg_message_id"]?.text
            e.stamp = o["timestamp"]
            if let c = o["bounce_classification"]?.text { e.details.append("bounce_classification: \(c)") }
            if let a = o["attempt"]?.text { e.details.append("attempt: \(a)") }
            if kind == .dropped, let r = o["reason"]?.text { e.details.append("SendGrid did not send it: \(r)"); e.reply = nil }
            return [e]
        })

    // MARK: Mailgun (webhooks and the events API)

    static let mailgun = ESPProvider(
        name: "Mailgun",
        kinds: ["failed": .bounced, "delivered": .delivered, "complained": .complained, "rejected": .dropped],
        markers: ["\"delivery-status\"", "\"event-data\"", "\"recipient-domain\""],
        recognises: { $0["event"] != nil && ($0["delivery-status"] ?? $0["recipient-domain"] ?? $0["log-level"]) != nil },
        events: { o, kinds in
            let event = o["event"]?.text ?? ""
            let severity = o["severity"]?.text
            let reason = o["reason"]?.text ?? ""
            guard var kind = kinds[event] else { return [] }
            // `failed` is permanent, temporary, or the service's own suppression.
            if event == "failed" { kind = reason.hasPrefix("suppress-") ? .dropped : severity == "temporary" ? .deferred : .bounced }
            var e = ESPEvent(provider: "Mailgun", kind: kind, label: label(event, severity), offset: o.offset ?? 0)
            e.recipient = o["recipient"]?.text
            e.sender = o["envelope", "sender"]?.text
            e.sendingAddress = o["envelope", "sending-ip"]?.text
            e.messageID = o["message", "headers", "message-id"]?.text
            e.subject = o["message", "headers", "subject"]?.text
            e.stamp = o["timestamp"]
            if let d = o["delivery-status"] {
                e.code = d["code"]?.int
                e.reply = d["message"]?.text ?? d["description"]?.text
                e.status = d["enhanced-code"]?.text
                e.remoteHost = d["mx-host"]?.text
                e.replyOffset = d.offset
                if let n = d["attempt-no"]?.text { e.details.append("attempt-no: \(n)") }
                if let tls = d["tls"]?.bool { e.details.append("tls: \(tls)") }
            }
            if !reason.isEmpty { e.details.append("reason: \(reason)") }
            if kind == .dropped, let r = o["reject", "reason"]?.text { e.details.append("Mailgun did not send it: \(r)") }
            if kind == .dropped { e.code = nil; e.reply = e.reply.map { "Mailgun: \($0)" } }
            return [e]
        })

    // MARK: Postmark (bounce, delivery and spam-complaint webhooks; the bounces API)

    static let postmark = ESPProvider(
        name: "Postmark", markers: ["\"RecordType\"", "\"BouncedAt\"", "\"DeliveredAt\""],
        recognises: { $0["RecordType"] != nil || ($0["BouncedAt"] != nil && $0["Details"] != nil) },
        events: { o, _ in
            let record = o["RecordType"]?.text ?? "Bounce"
            let type = o["Type"]?.text ?? ""
            let kind: ESPEvent.Kind
            switch (record, type) {
            case ("Delivery", _): kind = .delivered
            case ("SpamComplaint", _), (_, "SpamComplaint"): kind = .complained
            case ("Bounce", "ManuallyDeactivated"): kind = .dropped
            case ("Bounce", "AutoResponder"), ("Bounce", "Subscribe"), ("Bounce", "Unsubscribe"), ("Bounce", "OpenRelayTest"):
                return []
            case ("Bounce", _): kind = .bounced   // hard, soft, transient, DNS: the reply tells which
            default: return []
            }
            var e = ESPEvent(provider: "Postmark", kind: kind, label: label(record, type.isEmpty || type == record ? nil : type), offset: o.offset ?? 0)
            e.recipient = (o["Email"] ?? o["Recipient"])?.text
            e.sender = o["From"]?.text
            e.subject = o["Subject"]?.text
            e.messageID = o["MessageID"]?.text
            e.stamp = o["BouncedAt"] ?? o["DeliveredAt"]
            let details = o["Details"]?.text
            // Postmark's test payloads say "Test bounce details": not a reply.
            if let details, details.lowercased().hasPrefix("smtp") || EmbeddedReply.leadingCode(Substring(details)) != nil {
                e.reply = details
            } else if let details, kind != .delivered {
                e.details.append("Details: \(details)")
            }
            if let d = o["Description"]?.text { e.details.append(d) }
            if o["Inactive"]?.bool == true { e.details.append("Postmark deactivated this address: it sends nothing more to it until reactivated.") }
            return [e]
        })

    // MARK: SparkPost (webhooks and the events API)

    static let sparkPost = ESPProvider(
        name: "SparkPost",
        kinds: ["bounce": .bounced, "out_of_band": .bounced, "delay": .deferred, "delivery": .delivered,
                "policy_rejection": .dropped, "generation_rejection": .dropped, "spam_complaint": .complained],
        markers: ["\"msys\"", "\"bounce_class\"", "\"raw_reason\""],
        recognises: { $0["msys"] != nil || ($0["bounce_class"] != nil && $0["rcpt_to"] != nil) },
        events: { o0, kinds in
            let m = o0["msys", "message_event"] ?? o0["msys", "track_event"] ?? o0["msys", "gen_event"] ?? o0
            let type = m["type"]?.text ?? ""
            guard let kind = kinds[type] else { return [] }
            var e = ESPEvent(provider: "SparkPost", kind: kind, label: type, offset: m.offset ?? o0.offset ?? 0)
            e.recipient = m["rcpt_to"]?.text
            e.sender = (m["msg_from"] ?? m["friendly_from"])?.text
            e.subject = m["subject"]?.text
            e.messageID = m["message_id"]?.text
            e.sendingAddress = m["sending_ip"]?.text
            e.stamp = m["timestamp"]
            e.reply = (m["raw_reason"] ?? m["reason"])?.text
            if kind == .delivered || kind == .bounced || kind == .deferred { e.remoteAddress = m["ip_address"]?.text }
            if let c = m["bounce_class"]?.int {
                e.details.append("bounce_class: \(c)" + (bounceClasses[c].map { " (\($0))" } ?? ""))
            }
            if kind == .dropped, let r = e.reply { e.details.append("SparkPost did not send it: \(r)"); e.reply = nil }
            // A policy or generation rejection is SparkPost's own check; suppressions are `policy_rejection`s
            // whose reason names the suppression list.
            if kind == .dropped { e.heldByService = !(e.details.last ?? "").lowercased().contains("suppress") }
            return [e]
        })

    /// SparkPost's bounce classes (its documentation's names).
    static let bounceClasses: [Int: String] = [
        1: "Undetermined", 10: "Invalid Recipient", 20: "Soft Bounce", 21: "DNS Failure", 22: "Mailbox Full",
        23: "Too Large", 24: "Timeout", 25: "Admin Failure", 26: "Smart Send Suppression", 30: "Generic Bounce: No RCPT",
        40: "Generic Bounce", 50: "Mail Block", 51: "Spam Block", 52: "Spam Content", 53: "Prohibited Attachment",
        54: "Relaying Denied", 60: "Auto-Reply", 70: "Transient Failure", 80: "Subscribe", 90: "Unsubscribe",
        100: "Challenge-Response",
    ]

    // MARK: Mandrill (Mailchimp Transactional webhooks)

    static let mandrill = ESPProvider(
        name: "Mailchimp Transactional (Mandrill)",
        kinds: ["hard_bounce": .bounced, "soft_bounce": .bounced, "deferral": .deferred, "send": .delivered,
                "reject": .dropped, "spam": .complained],
        markers: ["\"smtp_events\"", "\"bounce_description\"", "\"diag\""],
        recognises: { $0["msg"]?.isObject == true && $0["event"] != nil },
        events: { o, kinds in
            let event = o["event"]?.text ?? ""
            guard let kind = kinds[event] else { return [] }
            let msg = o["msg"]!
            var e = ESPEvent(provider: "Mailchimp Transactional (Mandrill)", kind: kind, label: event, offset: o.offset ?? 0)
            e.recipient = msg["email"]?.text
            e.sender = msg["sender"]?.text
            e.subject = msg["subject"]?.text
            e.stamp = o["ts"]
            let last = msg["smtp_events"]?.array.last
            e.reply = msg["diag"]?.text ?? last?["diag"]?.text
            e.remoteAddress = last?["destination_ip"]?.text
            e.sendingAddress = last?["source_ip"]?.text
            if let d = msg["bounce_description"]?.text { e.details.append("bounce_description: \(d)") }
            if kind == .dropped { e.details.append("Mandrill did not send it: the address is on its rejection list."); e.reply = nil }
            return [e]
        })

    // MARK: Brevo (formerly Sendinblue) transactional webhooks

    static let brevo = ESPProvider(
        name: "Brevo",
        kinds: ["hard_bounce": .bounced, "soft_bounce": .bounced, "hardBounce": .bounced, "softBounce": .bounced,
                "deferred": .deferred, "delivered": .delivered, "blocked": .dropped, "invalid_email": .dropped,
                "invalid": .dropped, "spam": .complained, "complaint": .complained],
        markers: ["\"ts_event\""],
        recognises: { $0["event"] != nil && $0["message-id"] != nil && ($0["ts_event"] ?? $0["ts_epoch"] ?? $0["date"]) != nil },
        events: { o, kinds in
            let event = o["event"]?.text ?? ""
            guard let kind = kinds[event] else { return [] }
            var e = ESPEvent(provider: "Brevo", kind: kind, label: event, offset: o.offset ?? 0)
            e.recipient = o["email"]?.text
            e.subject = o["subject"]?.text
            e.messageID = o["message-id"]?.text
            e.sendingAddress = o["sending_ip"]?.text
            e.stamp = o["ts_event"] ?? o["ts_epoch"] ?? o["date"]
            if kind == .dropped {
                e.details.append("Brevo did not send it" + (o["reason"]?.text.map { ": \($0)" } ?? "."))
            } else {
                e.reply = o["reason"]?.text
            }
            if event.hasPrefix("soft") { e.status = "4.0.0" }
            return [e]
        })

    // MARK: Mailjet (event API)

    static let mailjet = ESPProvider(
        name: "Mailjet",
        kinds: ["bounce": .bounced, "sent": .delivered, "blocked": .dropped, "spam": .complained],
        markers: ["\"mj_campaign_id\"", "\"mj_message_id\"", "\"error_related_to\"", "\"smtp_reply\""],
        recognises: { $0["event"] != nil && ($0["mj_campaign_id"] ?? $0["mj_message_id"] ?? $0["error_related_to"] ?? $0["smtp_reply"]) != nil },
        events: { o, kinds in
            let event = o["event"]?.text ?? ""
            guard let kind = kinds[event] else { return [] }
            var e = ESPEvent(provider: "Mailjet", kind: kind, label: event, offset: o.offset ?? 0)
            e.recipient = o["email"]?.text
            e.messageID = (o["MessageID"] ?? o["mj_message_id"])?.text
            e.stamp = o["time"]
            if kind == .delivered, var r = o["smtp_reply"]?.text {
                // `sent (250 2.0.0 OK ...)`
                if r.hasPrefix("sent ("), r.hasSuffix(")") { r = String(r.dropFirst(6).dropLast()) }
                e.reply = r
            }
            if kind == .bounced {
                // Mailjet names the error's kind, not the server's reply.
                e.reply = o["error"]?.text
                e.status = o["hard_bounce"]?.bool == false ? "4.0.0" : nil
                if o["error_related_to"]?.text == "domain", ["invalid domain", "no mail host"].contains(e.reply ?? "") {
                    // No server to talk to: the domain has no mail host.
                    e.connectFailure = (.nameNotResolved, o["comment"]?.text ?? e.reply!)
                }
            }
            if let r = o["error_related_to"]?.text { e.details.append("error_related_to: \(r)") }
            if kind == .dropped, let r = o["error"]?.text { e.details.append("Mailjet did not send it: \(r)") }
            if let c = o["comment"]?.text, e.connectFailure == nil { e.details.append("comment: \(c)") }
            return [e]
        })

    // MARK: Resend (webhooks)

    static let resend = ESPProvider(
        name: "Resend",
        kinds: ["email.bounced": .bounced, "email.delivered": .delivered, "email.delivery_delayed": .deferred,
                "email.complained": .complained],
        markers: ["\"email.bounced\"", "\"email.delivered\"", "\"email.delivery_delayed\"", "\"email.complained\"", "\"email_id\""],
        recognises: { ($0["type"]?.text ?? "").hasPrefix("email.") && $0["data"]?.isObject == true },
        events: { o, kinds in
            let type = o["type"]?.text ?? ""
            let d = o["data"]!
            guard var kind = kinds[type] else { return [] }
            if d["bounce", "subType"]?.text == "Suppressed" { kind = .dropped }
            var base = ESPEvent(provider: "Resend", kind: kind, label: type, offset: o.offset ?? 0)
            base.sender = d["from"]?.text
            base.subject = d["subject"]?.text
            base.messageID = d["email_id"]?.text
            base.stamp = o["created_at"]
            if let b = d["bounce"] {
                let t = [b["type"]?.text, b["subType"]?.text].compactMap { $0 }.joined(separator: ", ")
                if !t.isEmpty { base.label += " (\(t))" }
                if kind == .dropped { base.details.append("Resend did not send it: \(b["message"]?.text ?? "suppressed")") }
                else { base.reply = b["message"]?.text }
                if b["type"]?.text == "Transient" { base.status = "4.0.0" }
            }
            let to = d["to"]?.array.compactMap(\.text) ?? []
            return (to.isEmpty ? [nil] : to.prefix(100).map(Optional.some)).map { r in var e = base; e.recipient = r; return e }
        })

    // MARK: Postal (the open-source mail server's webhooks)

    static let postal = ESPProvider(
        name: "Postal",
        kinds: ["MessageSent": .delivered, "MessageDelayed": .deferred, "MessageDeliveryFailed": .bounced, "MessageHeld": .dropped],
        markers: ["\"MessageDeliveryFailed\"", "\"MessageDelayed\"", "\"MessageSent\"", "\"sent_with_ssl\""],
        recognises: { ($0["event"]?.text ?? "").hasPrefix("Message") && $0["payload"]?.isObject == true },
        events: { o, kinds in
            let event = o["event"]?.text ?? ""
            let p = o["payload"]!
            guard let kind = kinds[event] else { return [] }
            var e = ESPEvent(provider: "Postal", kind: kind, label: label(event, p["status"]?.text), offset: o.offset ?? 0)
            e.recipient = p["message", "to"]?.text
            e.sender = p["message", "from"]?.text
            e.subject = p["message", "subject"]?.text
            e.messageID = p["message", "message_id"]?.text
            e.stamp = p["timestamp"] ?? o["timestamp"]
            e.reply = p["output"]?.text
            e.replyOffset = p.offset
            if let d = p["details"]?.text {
                e.details.append(d)
                // `... when sending to mx01.example.org (203.0.113.80)`
                if let r = d.range(of: "sending to ") {
                    let words = d[r.upperBound...].split(separator: " ", maxSplits: 2)
                    if let host = words.first, host.contains(".") { e.remoteHost = String(host) }
                    if words.count > 1, words[1].hasPrefix("("), words[1].hasSuffix(")") {
                        e.remoteAddress = String(words[1].dropFirst().dropLast())
                    }
                }
            }
            if let tls = p["sent_with_ssl"]?.bool { e.details.append("sent_with_ssl: \(tls)") }
            if kind == .dropped { e.details.append("Postal held the message instead of sending it."); e.reply = nil; e.heldByService = true }
            if kind == .deferred, e.status == nil { e.status = "4.0.0" }
            return [e]
        })

    // MARK: Azure Communication Services Email (Event Grid delivery reports)

    static let azure = ESPProvider(
        name: "Azure Communication Services",
        // `Failed` with no reply quoted is the service's own failure; the statusMessage tells.
        kinds: ["Delivered": .delivered, "Bounced": .bounced, "Failed": .bounced, "Suppressed": .dropped,
                "Quarantined": .dropped, "FilteredSpam": .dropped],
        markers: ["\"Microsoft.Communication.EmailDeliveryReportReceived\"", "\"deliveryStatusDetails\"",
                  "\"recipientMailServerHostName\""],
        recognises: { o in
            // An Event Grid or CloudEvents envelope, or its `data` alone.
            let type = (o["eventType"] ?? o["type"])?.text ?? ""
            return type == "Microsoft.Communication.EmailDeliveryReportReceived"
                || (o["deliveryStatusDetails"] != nil && o["status"] != nil && o["recipient"] != nil)
        },
        events: { o, kinds in
            let d = o["deliveryStatusDetails"] != nil ? o : (o["data"] ?? o)
            let status = d["status"]?.text ?? ""
            guard let kind = kinds[status] else { return [] }
            var e = ESPEvent(provider: "Azure Communication Services", kind: kind, label: status, offset: o.offset ?? 0)
            e.recipient = d["recipient"]?.text
            e.sender = d["sender"]?.text
            e.messageID = (d["internetMessageId"] ?? d["messageId"])?.text
            e.stamp = d["deliveryAttemptTimestamp"] ?? o["eventTime"] ?? o["time"]
            e.remoteHost = d["deliveryStatusDetails", "recipientMailServerHostName"]?.text
            e.replyOffset = d["deliveryStatusDetails"]?.offset
            let message = d["deliveryStatusDetails", "statusMessage"]?.text
            if kind == .dropped {
                let why = status == "Suppressed" ? "the address is on its suppression list"
                    : status == "Quarantined" ? "the message was quarantined" : "the message was judged to be spam and blocked"
                e.details.append("Azure Communication Services did not send it: \(why)" + (message.map { " (\($0))" } ?? "."))
                e.heldByService = status != "Suppressed"
            } else {
                e.reply = message
            }
            return [e]
        })

    // MARK: Scaleway Transactional Email (webhook events)

    static let scaleway = ESPProvider(
        name: "Scaleway Transactional Email",
        // `email_dropped` is the receiving server's permanent refusal; `email_blocklisted` is Scaleway's own
        // block list (made after a mailbox-full or mailbox-not-found bounce), so nothing was sent.
        kinds: ["email_delivered": .delivered, "email_deferred": .deferred, "email_dropped": .bounced,
                "email_mailbox_not_found": .bounced, "email_spam": .bounced, "email_blocklisted": .dropped],
        markers: ["\"email_response_message\"", "\"email_try_count\"", "\"email_blocklisted\"", "\"email_mailbox_not_found\""],
        recognises: { o in
            let type = o["type"]?.text ?? ""
            return type.hasPrefix("email_") && (o["email_to"] ?? o["email_id"]) != nil
        },
        events: { o, kinds in
            let type = o["type"]?.text ?? ""
            guard var kind = kinds[type] else { return [] }
            let code = o["email_response_code"]?.int
            // Classified as spam: a refusal when the server said so, else a complaint after delivery.
            if type == "email_spam", (code ?? 0) < 400 { kind = .complained }
            var e = ESPEvent(provider: "Scaleway Transactional Email", kind: kind, label: type, offset: o.offset ?? 0)
            e.recipient = o["email_to"]?.text
            e.sender = o["email_from"]?.text
            e.messageID = o["email_id"]?.text
            e.stamp = o["email_sent_at"] ?? o["created_at"]
            for h in o["email_headers"]?.array ?? [] where h["key"]?.text?.lowercased() == "subject" {
                e.subject = h["value"]?.text
            }
            if kind == .dropped {
                let why = [o["blocklist_type"]?.text, o["blocklist_reason"]?.text].compactMap { $0 }.joined(separator: ": ")
                e.details.append("Scaleway did not send it: the address is on its block list" + (why.isEmpty ? "." : " (\(why))."))
                return [e]
            }
            e.code = code
            e.reply = (o["email_response_message"] ?? o["email_error"])?.text
            if let n = o["email_try_count"]?.int { e.details.append("email_try_count: \(n)") }
            if kind == .deferred, let next = o["email_next_try"]?.text { e.details.append("email_next_try: \(next)") }
            if kind == .deferred, e.status == nil, code == nil { e.status = "4.0.0" }
            return [e]
        })
}
