/// Abuse and authentication-failure reports in the Abuse Reporting Format (ARF, RFC 5965 and RFC 6591): what
/// a mailbox provider's feedback loop (Yahoo, Microsoft, Comcast, ...) sends when a recipient presses "This is
/// spam", and what a DMARC failure (`ruf=`) report holds. It answers "why do they start refusing our mail":
/// complaints are the reputation a sender is judged by. A report is an email (`multipart/report;
/// report-type=feedback-report`) whose `message/feedback-report` part names the type, the sending address,
/// the envelope and, for authentication failures, what failed and what the receiver did; the reported
/// message or its headers follow. Pasted parts, `.eml` files and mboxes of reports are read alike.
///
/// Each report is a session: the sender's delivery of the reported message to the reporter, its dialogue
/// inferred (refused at the end of DATA when the report says `Delivery-Result: reject`). Attributes carry
/// the report's fields (`feedback-*`) and, as for message headers, the receiver's SPF / DKIM / DMARC verdicts
/// (`auth-*`), so the same authentication findings apply.
public struct FeedbackReportReader: LineReader {
    public static let formatID = "feedback-report"
    public static let summary = "Abuse and DMARC failure reports (ARF: feedback loops' spam complaints, ruf= reports), as .eml, mbox or pasted"

    /// One block of fields at the start of a line, with one of the report's own fields near it.
    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var feedbackType = false, companions = 0, reportType = false
        for l in prefix {
            let t = Bytes.trimmedTrailing(l)
            if Bytes.hasPrefix(t, lowercased: "feedback-type:") { feedbackType = true }
            if LogBytes.find(t.prefix(400), "report-type=feedback-report") != nil || LogBytes.find(t.prefix(400), "report-type=\"feedback-report\"") != nil {
                reportType = true
            }
            for c in companionFields where Bytes.hasPrefix(t, lowercased: c) { companions += 1 }
        }
        if reportType || (feedbackType && companions >= 1) { return 0.96 }
        return 0
    }

    static let companionFields: [StaticString] = ["user-agent:", "version:", "original-mail-from:", "original-rcpt-to:", "arrival-date:",
                                  "source-ip:", "reported-domain:", "auth-failure:", "delivery-result:", "reporting-mta:"]

    /// Reports read from one input (an mbox of a month's complaints is normal; a hostile one is not endless).
    static let maxReports = 200_000

    struct Report {
        var top: HeaderSection?
        var feedback: HeaderSection?
        var original: HeaderSection?
        var startLine = 1
    }

    private let input: String
    private var report = Report()
    private var block = HeaderSection()
    private var inBlock = false
    private var blockStart = 0
    /// The last part header named an included message (`message/rfc822`, `text/rfc822-headers`): the next
    /// block is its header section.
    private var originalNext = false
    private var previousBlank = true
    private var emitted = 0

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmedTrailing(line)
        defer { previousBlank = t.isEmpty }
        // An mbox: each message starts with `From ` after a blank line.
        if previousBlank, Bytes.hasPrefix(t, lowercased: "from "), HeaderSection.fieldName(t) == nil {
            closeBlock(emit: emit)
            flush(emit: emit)
            return
        }
        if !HeaderSection.isContinuation(t), let k = HeaderSection.fieldName(t) {
            if !inBlock {
                inBlock = true
                blockStart = number
                block.reset()
            }
            block.start(t, nameLength: k, number: number)
        } else if inBlock, HeaderSection.isContinuation(t), !Bytes.trimmed(t).isEmpty {
            block.continueField(t, number: number)
        } else if inBlock {
            closeBlock(emit: emit)
        }
    }

    public mutating func finish(emit: (Session) -> Void) {
        closeBlock(emit: emit)
        flush(emit: emit)
        if emitted == 0 {
            emit(.nothingToExplain("No feedback report (a Feedback-Type: field) was found in this input.", input: input, format: Self.formatID))
        }
    }

    /// A block of fields ended: decide what it is.
    private mutating func closeBlock(emit: (Session) -> Void) {
        guard inBlock else { return }
        inBlock = false
        block.close()
        let b = block
        block.reset()
        if b.first("feedback-type") != nil {
            if report.feedback != nil { flush(emit: emit) }
            if report.top == nil { report.startLine = blockStart }
            report.feedback = b
            originalNext = false
            return
        }
        if originalNext {
            originalNext = false
            if report.original == nil { report.original = b }
            return
        }
        let type = b.first("content-type")?.value.lowercased() ?? ""
        if b.fields.allSatisfy({ $0.key.hasPrefix("content-") }) {
            // A MIME part's own header.
            originalNext = type.hasPrefix("message/rfc822") || type.hasPrefix("text/rfc822-headers") || type.hasPrefix("message/rfc822-headers")
            return
        }
        if type.contains("multipart/report") || (report.top == nil && report.feedback == nil) {
            // The report's own header section; a second one starts the next report.
            if report.feedback != nil || report.top != nil, type.contains("multipart/report") { flush(emit: emit) }
            if report.top == nil {
                report.top = b
                report.startLine = blockStart
            }
        }
    }

    private mutating func flush(emit: (Session) -> Void) {
        defer { report = Report(); originalNext = false }
        guard let fb = report.feedback, emitted < Self.maxReports else { return }
        emit(FeedbackReport(top: report.top, feedback: fb, original: report.original).session(input: input, format: Self.formatID, line: report.startLine))
        emitted += 1
    }
}
