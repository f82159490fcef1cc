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
}
