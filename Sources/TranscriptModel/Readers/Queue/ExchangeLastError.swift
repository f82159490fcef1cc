/// What an Exchange `LastError` says happened on the last delivery attempt. Exchange starts it with its own
/// code (`451 4.4.0`), then either quotes the receiving server (`Primary target IP address responded with:
/// "550 5.7.1 ..."`, Exchange Online `... -> 550 5.7.1 ...`), or tells a fault of its own: a socket error
/// while connecting, a DNS answer, or a reply it made up itself (`421 4.4.2 Connection dropped ...`).
struct ExchangeLastError {
    enum Kind: Equatable {
        /// No TCP connection: the failure from the socket error code or Exchange's words (a domain that does
        /// not exist is `nameNotResolved`).
        case unreachable(ConnectFailure)
        /// The receiving server's reply, as Exchange quotes it.
        case reply(String)
        /// Exchange's own reason, with no reply to quote.
        case own
    }

    var kind: Kind = .own
    /// Exchange's own enhanced code at the start (`4.4.0`).
    var enhanced: String?
    /// `The last endpoint attempted was 192.0.2.25:25`.
    var address: String?
    var port: Int?

    /// Windows socket error codes for a connection that was not made.
    static let socketErrors: [(code: String, failure: ConnectFailure)] = [
        ("10060", .timedOut), ("10061", .refused), ("10065", .noRoute), ("10064", .noRoute), ("10051", .networkUnreachable),
    ]

    /// Replies Exchange writes itself rather than quoting the server (code 421, inside the quotes).
    static let ownReplies: [(words: String, kind: Kind)] = [
        ("Unable to connect", .unreachable(.other)),
        ("Connection dropped", .own),
        ("Connection timed out", .own),
    ]

    /// Words of Exchange's own errors (its components' codes and phrases), never of a remote server's reply.
    static let ownWords = ["RESOLVER.", "SMTPSEND.", "STOREDRV.", "ROUTING.", "Connection dropped", "Unable to connect",
                           "Error communicating with", "Cannot connect to remote server", "DNS query failed",
                           "Message expired", "Message delayed"]

    /// Exchange's words for a domain with no DNS entry.
    static let noDomain = ["SMTPSEND.DNS.NonExistentDomain", "InfoDomainNonexistent", "nonexistent domain"]

    init(_ text: String) {
        let lower = text.lowercased()
        if let (_, rest, _) = EmbeddedReply.leadingCode(Substring(text)) {
            enhanced = ReplyLine.splitEnhanced(String(rest), code: 0).enhanced
        }
        if let r = lower.range(of: "last endpoint attempted was ") {
            let token = text[r.upperBound...].prefix { !$0.isWhitespace }
            let (host, port) = Scan.hostPort(String(token.hasSuffix(".") ? token.dropLast() : token))
            if !host.isEmpty { address = host; self.port = port }
        }
        if let code = Self.socketErrors.first(where: { lower.contains("error code: \($0.code)") || lower.contains("error code \($0.code)") }) {
            kind = .unreachable(code.failure)
        } else if lower.contains("failed to connect") || lower.contains("winsock error") || lower.contains("socket error code") {
            kind = .unreachable(.other)
        } else if Self.noDomain.contains(where: { lower.contains($0.lowercased()) }) {
            kind = .unreachable(.nameNotResolved)
        } else if let quoted = Self.quotedReply(text) {
            kind = Self.ownReplies.first { quoted.localizedCaseInsensitiveContains($0.words) }?.kind ?? .reply(quoted)
        }
    }

    /// An error of Exchange's own that is a reply with a code in none of Exchange's words is the receiving
    /// server's reply as it was: Exchange Online's trace puts it in the LED without quoting it.
    mutating func takeBareReply(_ text: String) {
        guard kind == .own, EmbeddedReply.leadingCode(Substring(text)) != nil,
              !Self.ownWords.contains(where: { text.contains($0) }) else { return }
        kind = .reply(text)
    }

    /// `responded with: "550 5.7.1 text."` or Exchange Online's `-> 550 5.7.1 text Raw: ...`.
    static func quotedReply(_ text: String) -> String? {
        if let r = text.range(of: "responded with: \"") {
            let inner = text[r.upperBound...].prefix { $0 != "\"" }
            return EmbeddedReply.leadingCode(inner) != nil ? String(inner) : nil
        }
        if let r = text.range(of: " -> ") {
            var inner = text[r.upperBound...]
            for end in [" Raw:", " [Hostname=", " [Message="] { if let e = inner.range(of: end) { inner = inner[..<e.lowerBound] } }
            return EmbeddedReply.leadingCode(inner) != nil ? String(inner) : nil
        }
        return nil
    }

    /// The attempt `text` tells, as a session: a connection not made (to the endpoint, else to `host` or the
    /// `domain` Exchange was routing to), the receiving server's reply, or Exchange's own reason. `envelope` is
    /// nil for a whole queue.
    func session(_ text: String, input: String, format: String, host: String?, domain: String?,
                 envelope: (sender: String?, recipients: [String])?, notes: [PostfixLogReader.LogNote],
                 at position: SourcePosition) -> Session {
        switch kind {
        case .unreachable(let failure):
            return PostfixLogReader.unreachable(input: input, format: format, host: host ?? (address == nil ? domain : nil),
                                                 ip: address, port: port, reason: text, failure: failure,
                                                 service: "smtp", qid: nil, notes: notes, pos: position, envelope: envelope,
                                                 // `Unable to connect`, a socket error without a known code: Exchange does not say why.
                                                 unexplained: failure == .other)
        case .reply(let reply):
            return QueuedAttempt.reply(reply, input: input, format: format, lister: "Exchange", host: host, address: address,
                                       port: port, sender: envelope?.sender, recipients: envelope?.recipients ?? [],
                                       notes: notes, at: position)
        case .own:
            return QueuedAttempt.ownReason(input: input, format: format, reason: text, notes: notes, envelope: envelope)
        }
    }
}
