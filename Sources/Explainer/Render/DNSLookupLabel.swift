import TranscriptModel

extension Session {
    /// DNS answers pasted alone or looked up live: no connection, no dialogue.
    var isDNSAnswersOnly: Bool { format == "dns" && exchanges.isEmpty && !connectAttempted }

    /// Renderers name the lookup instead of a server and a client that are not there:
    /// `DNS lookup shop.example TXT · server 127.0.0.53#53`.
    var dnsLookupLabel: String? {
        guard isDNSAnswersOnly else { return nil }
        return "DNS lookup" + (attributes["dns-query"].map { " " + $0 } ?? "") + (attributes["dns-server"].map { " · server " + $0 } ?? "")
    }

    /// An MTA's routing test (`exim -bt`): no connection either; renderers name the address tested.
    var addressTestLabel: String? {
        guard format == AddressTestReader.formatID, exchanges.isEmpty, let address = attributes["address-test-address"] else { return nil }
        let tool = attributes["address-test-tool"] == "sendmail" ? "Sendmail" : "Exim"
        return "\(tool) address test of \(address)" + (attributes["address-test-result"].map { " · \($0)" } ?? "")
    }

    /// A pasted MTA configuration: `Postfix settings (12)`.
    var configLabel: String? {
        guard format == MTAConfigReader.formatID, exchanges.isEmpty, let mta = attributes["config-mta"] else { return nil }
        return (mta == "exim" ? "Debian exim4 settings" : mta == "sendmail" ? "sendmail.mc settings" : "Postfix settings") + " (\(notes.filter { $0.kind == .log }.count) lines)"
    }

    /// The label of a session without SMTP, in place of its server and client.
    var noSMTPLabel: String? { dnsLookupLabel ?? addressTestLabel ?? configLabel }
}
