/// Reads a delivered message's header section, as pasted from a mail client ("Show original", "View message
/// source", Outlook's Internet headers), an `.eml` file or an mbox: the answer to "it arrived late", "it went
/// to Junk", "DMARC failed". Each `Received:` field is one SMTP hop the message made, rebuilt as a session
/// (client, HELO, TLS, authentication, recipient, queue id, time); the hop where the message entered the
/// receiving side (found by the address SPF was checked for) carries the receiver's verdicts: SPF, DKIM,
/// DMARC and composite authentication from `Authentication-Results:` and `Received-SPF:`, and the spam
/// verdict (Microsoft 365's `X-Forefront-Antispam-Report`, SpamAssassin's `X-Spam-Status`, Rspamd's
/// `X-Spamd-Result`). Bodies are skipped; an mbox gives one message after another.
public struct MessageHeaderReader: LineReader {
    public static let formatID = "message-headers"
    public static let summary = "Message headers (mail client's \"show original\", .eml, mbox): each Received hop, SPF / DKIM / DMARC results, Microsoft 365, SpamAssassin and Rspamd spam verdicts"

    /// Hops rebuilt per message (a mail loop can stack hundreds of Received fields).
    static let maxHops = 60

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var fields = 0, received = 0, dialogue = 0
        var section = HeaderSection()
        var inHeaders = false
        for (n, l) in prefix.enumerated() {
            let t = Bytes.trimmedTrailing(l)
            if t.isEmpty {
                if inHeaders && received > 0 { break }
                continue
            }
            // A typed session whose DATA holds a message with headers is the transcript readers'.
            if !HeaderSection.isContinuation(t), isReply(t) || Scan.startsWithVerb(t) { dialogue += 1 }
            if let k = HeaderSection.fieldName(t) {
                inHeaders = true
                fields += 1
                section.start(t, nameLength: k, number: n + 1)
                if k == 8, Bytes.hasPrefix(t, lowercased: "received") { received += 1 }
            } else if inHeaders, HeaderSection.isContinuation(t) || received > 0 {
                section.continueField(t, number: n + 1)
            } else {
                // A preamble (Gmail's summary above "Show original"): the headers start after it.
                inHeaders = false
                fields = 0
                received = 0
                section.reset()
            }
        }
        section.close()
        guard received > 0, fields >= 3, dialogue < 2, !isBounce(section) else { return 0 }
        return 0.85
    }

    /// `250 ok`, `550-5.1.1 ...`: an SMTP reply line.
    static func isReply(_ t: ArraySlice<UInt8>) -> Bool {
        let u = t.prefix(4)
        guard u.count >= 3, let f = u.first, f >= 0x32, f <= 0x35 else { return false }
        let i = u.startIndex
        guard Bytes.isDigit(u[i + 1]), Bytes.isDigit(u[i + 2]) else { return false }
        return u.count == 3 || u[i + 3] == Bytes.space || u[i + 3] == 0x2D
    }

    /// A non-delivery report is a message too; the bounce reader explains it.
    static func isBounce(_ h: HeaderSection) -> Bool {
        if h.first("x-failed-recipients") != nil { return true }
        if let c = h.first("content-type")?.value.lowercased(), c.contains("multipart/report") || c.contains("delivery-status") { return true }
        if let f = h.first("from")?.value.lowercased(), f.contains("mailer-daemon") || f.contains("mail delivery") || f.contains("postmaster@") {
            return true
        }
        if let s = h.first("subject")?.value.lowercased() {
            for p in ["undeliver", "delivery status notification", "mail delivery failed", "returned mail", "failure notice",
                      "delivery failure", "non-delivery", "nondeliverable", "delivery has failed"] where s.hasPrefix(p) {
                return true
            }
        }
        return false
    }

    private enum State { case seeking, headers, body }

    private let input: String
    private var state = State.seeking
    private var section = HeaderSection()
    private var sawReceived = false
    private var previousBlank = true
    private var messages = 0
    private var emitted = 0

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmedTrailing(line)
        defer { previousBlank = t.isEmpty }
        switch state {
        case .seeking:
            guard !t.isEmpty, !Self.isMboxSeparator(t) else { return }
            if let n = HeaderSection.fieldName(t) { begin(t, n, number) }
        case .headers:
            if t.isEmpty {
                finishMessage(emit)
                state = .body
            } else if HeaderSection.isContinuation(t) {
                section.continueField(t, number: number)
            } else if let n = HeaderSection.fieldName(t) {
                section.start(t, nameLength: n, number: number)
                if n == 8, Bytes.hasPrefix(t, lowercased: "received") { sawReceived = true }
            } else if sawReceived {
                // A paste that lost the folded lines' indentation.
                section.continueField(t, number: number)
            } else {
                // Text above the headers (a mail client's summary): start again at the next field.
                section.reset()
                state = .seeking
            }
        case .body:
            if previousBlank, Self.isMboxSeparator(t) { state = .seeking }
        }
    }

    public mutating func finish(emit: (Session) -> Void) {
        if state == .headers { finishMessage(emit) }
        if emitted == 0 {
            let why = messages == 0
                ? "No message header section found (fields such as Received:, From:, Subject: before the first empty line)."
                : "The message headers hold no Received: field of an SMTP hop, so there is no hop to explain (a copy from the Sent folder, or headers cut above the Received fields)."
            emit(.nothingToExplain(why, input: input, format: Self.formatID))
        }
    }

    private mutating func begin(_ t: ArraySlice<UInt8>, _ n: Int, _ number: Int) {
        section.reset()
        section.start(t, nameLength: n, number: number)
        sawReceived = n == 8 && Bytes.hasPrefix(t, lowercased: "received")
        state = .headers
    }

    private mutating func finishMessage(_ emit: (Session) -> Void) {
        section.close()
        defer { section.reset(); sawReceived = false }
        guard !section.fields.isEmpty else { return }
        messages += 1
        for s in MessageHeaders(section).sessions(input: input, format: Self.formatID, message: messages) {
            emitted += 1
            emit(s)
        }
    }

    /// mbox: `From sender@example.com Mon Nov 30 08:12:44 2026` starts the next message.
    static func isMboxSeparator(_ t: ArraySlice<UInt8>) -> Bool {
        t.count > 5 && Bytes.hasPrefix(t, lowercased: "from ") && t[t.startIndex] == 0x46
    }
}
