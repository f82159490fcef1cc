/// Picks the reader for an input from its first lines. Each reader scores itself; the best wins, ties go to
/// the earlier entry of the registry. Reads a bounded prefix only.
public enum FormatDetector {
    public static let prefixLines = 200
    public static let prefixBytes = 64 * 1024

    /// Every line-oriented reader, most specific first. Readers of later issues add themselves here.
    public static let lineReaders: [any LineReader.Type] = [
        PostfixVerboseReader.self,
        EximReader.self,
        ExchangeReader.self,
        HMailServerReader.self,
        IISSMTPReader.self,
        SwaksReader.self,
        OpenSSLReader.self,
        SendmailReader.self,
        CurlReader.self,
        SmtplibReader.self,
        PHPMailerReader.self,
        NodemailerReader.self,
        JavaMailReader.self,
        MsmtpReader.self,
        MailKitReader.self,
        RFCExampleReader.self,
        ESPEventReader.self,
        DMARCReportReader.self,
        TLSReportReader.self,
        ReportMailReader.self,
        FeedbackReportReader.self,
        PostfixQueueReader.self,
        ExchangeQueueReader.self,
        SendmailQueueReader.self,
        EximQueueReader.self,
        AddressTestReader.self,
        MTAConfigReader.self,
        ExchangeTraceReader.self,
        ClientErrorReader.self,
        BounceReader.self,
        MessageHeaderReader.self,
        TelnetReader.self,
    ]
        + [DNSOutputReader.self]
        + [PostfixLogReader.self]
        + [EximLogReader.self]
        + [SendmailLogReader.self]
        + [OpenSMTPDLogReader.self]
        + [ExchangeTrackingReader.self]
        + [QmailLogReader.self]
        + [CourierLogReader.self]
        + [KerioLogReader.self]
        + [RspamdLogReader.self]
        + [DovecotLogReader.self]

    public struct Choice: Sendable {
        public var reader: any LineReader.Type
        public var confidence: Double
        /// No reader recognised the input: read as an unmarked paste, best effort.
        public var fallback: Bool
    }

    public static func choose(prefix: [ArraySlice<UInt8>], forced: String? = nil) -> Choice? {
        if let forced {
            guard let r = lineReaders.first(where: { $0.formatID == forced }) else { return nil }
            return Choice(reader: r, confidence: 1, fallback: false)
        }
        var best: (any LineReader.Type)?
        var bestScore = -1.0
        for r in lineReaders {
            let s = r.score(prefix)
            if s > bestScore { best = r; bestScore = s }
        }
        guard let best, bestScore >= 0.2 else {
            return Choice(reader: TelnetReader.self, confidence: max(bestScore, 0), fallback: true)
        }
        return Choice(reader: best, confidence: bestScore, fallback: false)
    }

    public static var formatIDs: [String] { lineReaders.map { $0.formatID } }

    /// Lines that are nearly all stamped system-log lines naming their program (syslog, `journalctl`): a log
    /// no reader knows by its first lines may still hold a mail server's further on.
    static func isSystemLog(_ prefix: [ArraySlice<UInt8>]) -> Bool {
        var parser = LogHeaderParser()
        var lines = 0, headed = 0
        for line in prefix where !line.isEmpty {
            lines += 1
            let l = parser.parse(line)
            if l.time != nil, !l.program.isEmpty { headed += 1 }
        }
        return lines > 0 && headed * 10 >= lines * 9
    }
}
