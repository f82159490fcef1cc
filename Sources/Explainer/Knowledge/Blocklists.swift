import TranscriptModel
import Foundation

/// A DNS blocklist (or a provider's own reputation list) named in a reply.
public struct Blocklist: Sendable, Hashable {
    public var name: String
    /// DNS zone queried, when the list is a DNSBL ("zen.spamhaus.org").
    public var zone: String?
    /// Where a person checks the listing and asks for removal (with the address filled in when known).
    public var lookupURL: String
    /// The listed client address, pulled from the reply text.
    public var listedAddress: String?

    public init(name: String, zone: String?, lookupURL: String, listedAddress: String? = nil) {
        self.name = name
        self.zone = zone
        self.lookupURL = lookupURL
        self.listedAddress = listedAddress
    }
}

/// Known lists: text that names them, and their lookup pages. `{ip}` in `withIP` is replaced by the address.
struct BlocklistInfo: Sendable {
    var id: String
    var name: String
    var zone: String?
    var any: [String]
    var lookup: String
    var withIP: String?
    var reason: Reason = .blocked
    var note: String

    func blocklist(ip: String?) -> Blocklist {
        var url = lookup
        if let ip, let t = withIP { url = t.replacingOccurrences(of: "{ip}", with: ip) }
        return Blocklist(name: name, zone: zone, lookupURL: url, listedAddress: ip)
    }
}

enum Blocklists {
    /// Most specific first (a ZEN reply also contains "spamhaus").
    static let known: [BlocklistInfo] = [
        .init(id: "spamhaus.sbl", name: "Spamhaus SBL", zone: "sbl.spamhaus.org", any: ["sbl.spamhaus.org", "spamhaus sbl"],
              lookup: "https://check.spamhaus.org/", withIP: "https://check.spamhaus.org/results/?query={ip}",
              note: "The SBL lists IPs run by or for spammers; removal goes through the network owner."),
        .init(id: "spamhaus.xbl", name: "Spamhaus XBL", zone: "xbl.spamhaus.org", any: ["xbl.spamhaus.org", "spamhaus xbl", "cbl.abuseat.org", "abuseat.org"],
              lookup: "https://check.spamhaus.org/", withIP: "https://check.spamhaus.org/results/?query={ip}",
              note: "The XBL (which absorbed the CBL) lists IPs seen sending from malware or open proxies; clean the machine, then delist."),
        .init(id: "spamhaus.pbl", name: "Spamhaus PBL", zone: "pbl.spamhaus.org", any: ["pbl.spamhaus.org", "spamhaus pbl"],
              lookup: "https://check.spamhaus.org/", withIP: "https://check.spamhaus.org/results/?query={ip}",
              note: "The PBL lists end-user address ranges that should not send directly; send through a proper relay or have the range owner update it."),
        .init(id: "spamhaus.css", name: "Spamhaus CSS", zone: "css.spamhaus.org", any: ["css.spamhaus.org", "spamhaus css"],
              lookup: "https://check.spamhaus.org/", withIP: "https://check.spamhaus.org/results/?query={ip}",
              note: "The CSS lists IPs sending low-reputation mail (snowshoe patterns, bad HELO names)."),
        .init(id: "spamhaus.dbl", name: "Spamhaus DBL", zone: "dbl.spamhaus.org", any: ["dbl.spamhaus.org", "spamhaus dbl"],
              lookup: "https://check.spamhaus.org/", withIP: nil, reason: .spamdetected,
              note: "The DBL lists domains; a domain in the message (links, sender) is listed."),
        .init(id: "spamhaus", name: "Spamhaus ZEN", zone: "zen.spamhaus.org", any: ["zen.spamhaus.org", "spamhaus"],
              lookup: "https://check.spamhaus.org/", withIP: "https://check.spamhaus.org/results/?query={ip}",
              note: "ZEN combines the Spamhaus SBL, XBL, CSS and PBL lists."),
        .init(id: "barracuda", name: "Barracuda Reputation Block List", zone: "b.barracudacentral.org",
              any: ["barracudacentral", "b.barracuda", "barracuda reputation", "brbl"],
              lookup: "https://www.barracudacentral.org/lookups/lookup-reputation", withIP: nil,
              note: "Barracuda's list of IPs with poor sending reputation; removal requests go through its lookup page."),
        .init(id: "spamcop", name: "SpamCop", zone: "bl.spamcop.net", any: ["spamcop"],
              lookup: "https://www.spamcop.net/bl.shtml", withIP: "https://www.spamcop.net/bl.shtml?{ip}",
              note: "SpamCop lists IPs reported by spam recipients; entries expire by themselves once reports stop."),
        .init(id: "uceprotect", name: "UCEPROTECT", zone: "dnsbl-1.uceprotect.net", any: ["uceprotect"],
              lookup: "https://www.uceprotect.net/en/rblcheck.php", withIP: nil,
              note: "UCEPROTECT level 1 lists single IPs; levels 2 and 3 list whole ranges or providers."),
        .init(id: "sorbs", name: "SORBS", zone: "dnsbl.sorbs.net", any: ["sorbs.net", "sorbs"],
              lookup: "http://www.sorbs.net/lookup.shtml", withIP: nil,
              note: "SORBS was shut down in 2024; a receiver still querying it should remove it from its configuration."),
        .init(id: "psbl", name: "PSBL (Passive Spam Block List)", zone: "psbl.surriel.com", any: ["psbl.surriel.com", "psbl.org", "psbl"],
              lookup: "https://psbl.org/", withIP: "https://psbl.org/listing?ip={ip}",
              note: "PSBL lists IPs that sent to spam traps; removal is self-service."),
        .init(id: "mailspike", name: "Mailspike", zone: "bl.mailspike.net", any: ["mailspike"],
              lookup: "https://mailspike.io/", withIP: nil,
              note: "Mailspike scores IP reputation from its traffic sensors."),
        .init(id: "invaluement", name: "Invaluement", zone: nil, any: ["invaluement"],
              lookup: "https://www.invaluement.com/lookup/", withIP: nil,
              note: "Invaluement lists IPs and domains of senders it considers spammy."),
        .init(id: "abusix", name: "Abusix Mail Intelligence", zone: "combined.mail.abusix.zone", any: ["abusix"],
              lookup: "https://lookup.abusix.com/", withIP: "https://lookup.abusix.com/search?q={ip}",
              note: "Abusix lists IPs from its spam traps and abuse reports."),
        .init(id: "surbl", name: "SURBL", zone: "multi.surbl.org", any: ["surbl"],
              lookup: "https://surbl.org/surbl-analysis", withIP: nil, reason: .spamdetected,
              note: "SURBL lists domains found in spam message bodies; a link in the message is listed."),
        .init(id: "uribl", name: "URIBL", zone: "multi.uribl.com", any: ["uribl"],
              lookup: "https://admin.uribl.com/", withIP: nil, reason: .spamdetected,
              note: "URIBL lists domains found in spam message bodies; a link in the message is listed."),
        .init(id: "microsoft", name: "Microsoft 365 blocked senders list", zone: nil,
              any: ["banned sending ip", "sender.office.com"],
              lookup: "https://sender.office.com/", withIP: nil,
              note: "Microsoft 365 keeps its own list of banned sending IPs; the delist portal removes an IP after verification."),
        .init(id: "outlookcom", name: "Outlook.com block list", zone: nil,
              any: ["s3150", "s3140", "part of their network is on our block list", "weren't sent. please contact your internet service provider"],
              lookup: "https://olcsupport.office.com/", withIP: nil,
              note: "Outlook.com (consumer) blocks IPs and ranges with poor reputation; the sender support form asks for mitigation."),
        .init(id: "proofpoint", name: "Proofpoint IP reputation", zone: nil,
              any: ["ipcheck.proofpoint.com", "proofpoint.com/dnsbl-lookup", "dnsbl-lookup.cgi"],
              lookup: "https://ipcheck.proofpoint.com/", withIP: "https://ipcheck.proofpoint.com/?ip={ip}",
              note: "Proofpoint's reputation service blocked the IP; its lookup page has the removal form."),
        .init(id: "cisco", name: "Cisco Talos reputation", zone: nil,
              any: ["talosintelligence", "senderbase"],
              lookup: "https://talosintelligence.com/reputation_center", withIP: "https://talosintelligence.com/reputation_center/lookup?search={ip}",
              note: "Cisco Secure Email (IronPort) gateways reject by Talos sender reputation; the lookup page shows the score and takes tickets."),
        .init(id: "trendmicro", name: "Trend Micro Email Reputation Services", zone: nil,
              any: ["trendmicro", "trend micro", "mail-abuse.com", "emailreputation"],
              lookup: "https://ers.trendmicro.com/", withIP: nil,
              note: "Trend Micro's reputation service lists the IP; its lookup page takes removal requests."),
    ]

    /// Finds the client address a blocking reply names: prefers "ip=", "IP ", "[a.b.c.d]", "(a.b.c.d)" after the
    /// reply code (addresses before it belong to the remote host the quoting MTA talked to).
    static func listedAddress(in text: String, replyStart: Int?) -> String? {
        let ips = ReplyScanner.ipv4s(in: text)
        guard !ips.isEmpty else { return nil }
        let b = Array(text.lowercased().utf8)
        let start = replyStart ?? 0
        let after = ips.filter { $0.at >= start }
        let pool = after.isEmpty ? ips : after
        func preceded(_ at: Int, by s: String) -> Bool {
            let sb = Array(s.utf8)
            guard at >= sb.count else { return false }
            return Array(b[(at - sb.count)..<at]) == sb
        }
        for ip in pool where preceded(ip.at, by: "ip=") || preceded(ip.at, by: "ip ") || preceded(ip.at, by: "ip: ")
            || preceded(ip.at, by: "ip address ") || preceded(ip.at, by: "?") {
            return ip.ip
        }
        for ip in pool where preceded(ip.at, by: "[") || preceded(ip.at, by: "(") { return ip.ip }
        return pool.first?.ip
    }

    /// Zone named after "blocked using" / "listed in" / "listed at" for lists we do not know.
    static func namedZone(in lower: String) -> String? {
        for marker in ["blocked using ", "listed in ", "listed at ", "listed on ", "found in "] {
            guard Bytes.contains(lower, marker), let r = lower.range(of: marker) else { continue }
            let rest = lower[r.upperBound...]
            let zone = rest.prefix { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
            let z = String(zone).trimmingCharacters(in: CharacterSet(charactersIn: ".-"))
            if z.contains("."), z.count >= 4 { return z }
        }
        return nil
    }
}
