/// Shared plumbing for the transcript dialect readers (swaks, curl, smtplib, ...): a paste normaliser in front
/// of every dialect, byte scanning helpers, timestamp and escape decoders, and a one-session-at-a-time slot.

/// The part of a dialect reader that knows its markers. `Pasted` wraps it with the paste normaliser, so each
/// dialect only sees lines with e-mail quote markers, line numbers and terminal-logger stamps removed.
protocol DialectCore {
    static var formatID: String { get }
    static var summary: String { get }
    /// Score on lines already normalised.
    static func scoreLines(_ lines: [ArraySlice<UInt8>]) -> Double
    /// Dialects whose own lines start with a timestamp opt out of timestamp stripping.
    static var ownsTimestamps: Bool { get }
    init(input: String)
    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void)
    mutating func finish(emit: (Session) -> Void)
}

extension DialectCore {
    static var ownsTimestamps: Bool { false }
}

/// A dialect reader behind the paste normaliser. The first lines are held back (bounded) until the normaliser
/// has decided what decoration the paste carries; then every line is stripped and passed on.
struct Pasted<Core: DialectCore>: LineReader {
    static var formatID: String { Core.formatID }
    static var summary: String { Core.summary }

    static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        let norm = PasteNormalizer.detect(prefix, timestamps: !Core.ownsTimestamps)
        if norm.isIdentity { return Core.scoreLines(prefix) }
        return Core.scoreLines(prefix.map { norm.strip($0) })
    }

    private var core: Core
    private var normalizer: PasteNormalizer?
    private var held: [([UInt8], Int)] = []
    private var heldBytes = 0
    private static var holdLines: Int { 40 }
    private static var holdBytes: Int { 256 * 1024 }

    init(input: String) { core = Core(input: input) }

    mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if let n = normalizer {
            core.line(n.strip(line), number: number, emit: emit)
            return
        }
        held.append((Array(line), number))
        heldBytes += line.count
        if held.count >= Self.holdLines || heldBytes >= Self.holdBytes { release(emit: emit) }
    }

    mutating func finish(emit: (Session) -> Void) {
        if normalizer == nil { release(emit: emit) }
        core.finish(emit: emit)
    }

    private mutating func release(emit: (Session) -> Void) {
        let n = PasteNormalizer.detect(held.map { $0.0[...] }, timestamps: !Core.ownsTimestamps)
        normalizer = n
        let lines = held
        held = []
        for (bytes, number) in lines { core.line(n.strip(bytes[...]), number: number, emit: emit) }
    }
}

/// Decoration a paste picked up on its way to us: `> ` quote markers from e-mail replies, line numbers from an
/// editor or pastebin, `[12:00:01]` stamps from terminal loggers. Decided once from the first lines: it is only
/// stripped when (nearly) every line carries it, so a dialect's own markers are never taken for decoration.
struct PasteNormalizer: Sendable {
    var quoteDepth = 0
    var lineNumbers = false
    var timestamps = false

    var isIdentity: Bool { quoteDepth == 0 && !lineNumbers && !timestamps }

    static func detect(_ lines: [ArraySlice<UInt8>], timestamps allowStamps: Bool) -> PasteNormalizer {
        var n = PasteNormalizer()
        let sample = lines.prefix(40).filter { !Bytes.trimmed($0).isEmpty }
        guard sample.count >= 3 else { return n }
        // E-mail quoting: every non-blank line starts with `>`, and curl's own `> ` lines are not alone.
        let quoted = sample.filter { $0.first == 0x3E }
        let curlLike = sample.filter { $0.first == 0x3C || $0.first == 0x2A }
        if quoted.count == sample.count && curlLike.isEmpty {
            // `> > 250 ok`: count the depth on the first line, trust it for all.
            var depth = 0
            var s = sample[0]
            while let f = s.first, f == 0x3E {
                depth += 1
                s = s.dropFirst()
                if let g = s.first, g == Bytes.space { s = s.dropFirst() }
            }
            n.quoteDepth = depth
        }
        var work = sample.map { n.strip($0) }
        // Line numbers: `12: `, `12| `, `12<TAB>`, increasing by one.
        var numbered = 0
        var last: Int?
        for l in work {
            if let (v, _) = lineNumber(l) {
                if let p = last, v == p + 1 { numbered += 1 } else if last == nil { numbered += 1 }
                last = v
            }
        }
        if numbered * 10 >= work.count * 9 { n.lineNumbers = true }
        work = sample.map { n.strip($0) }
        if allowStamps {
            let stamped = work.filter { leadingStamp($0) != nil }.count
            if stamped * 10 >= work.count * 9 { n.timestamps = true }
        }
        return n
    }

    func strip(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = line
        if quoteDepth > 0 {
            for _ in 0..<quoteDepth {
                guard let f = s.first, f == 0x3E else { break }
                s = s.dropFirst()
                if let g = s.first, g == Bytes.space { s = s.dropFirst() }
            }
        }
        if lineNumbers, let (_, len) = Self.lineNumber(s) { s = s.dropFirst(len) }
        if timestamps, let len = Self.leadingStamp(s) { s = s.dropFirst(len) }
        return s
    }

    /// `  12: rest`, `12 | rest`, `12<TAB>rest`: the number and the length of the decoration.
    static func lineNumber(_ s: ArraySlice<UInt8>) -> (Int, Int)? {
        var i = s.startIndex
        while i < s.endIndex, s[i] == Bytes.space, i - s.startIndex < 6 { i += 1 }
        let d0 = i
        var v = 0
        while i < s.endIndex, Bytes.isDigit(s[i]), i - d0 < 6 { v = v * 10 + Int(s[i] - 0x30); i += 1 }
        guard i > d0, i < s.endIndex else { return nil }
        var j = i
        while j < s.endIndex, s[j] == Bytes.space { j += 1 }
        guard j < s.endIndex else { return nil }
        let sep = s[j]
        if sep == 0x3A || sep == 0x7C {   // ':' '|'
            j += 1
        } else if s[i] == Bytes.tab {
            j = i + 1
        } else {
            return nil
        }
        if j < s.endIndex, s[j] == Bytes.space { j += 1 }
        return (v, j - s.startIndex)
    }

    /// `[12:00:01] `, `12:00:01 `, `[2026-11-29 12:00:01] `, `2026-11-29T12:00:01Z `: length with the blank.
    static func leadingStamp(_ s: ArraySlice<UInt8>) -> Int? {
        var t = s
        var bracket = false
        if let f = t.first, f == 0x5B { bracket = true; t = t.dropFirst() }
        var len = 0
        if let (_, l) = Stamp.date(t) { len = l } else if let (_, l) = Stamp.clock(t) { len = l } else { return nil }
        t = t.dropFirst(len)
        if bracket {
            guard let f = t.first, f == 0x5D else { return nil }
            t = t.dropFirst()
        }
        guard let f = t.first, Bytes.isBlank(f) else { return nil }
        t = t.dropFirst()
        return s.count - t.count
    }
}

/// Byte scanning helpers (case-sensitive, unlike `Bytes.hasPrefix`).
enum Scan {
    @inline(__always)
    static func hasPrefix(_ s: ArraySlice<UInt8>, _ p: StaticString) -> Bool {
        let n = p.utf8CodeUnitCount
        guard s.count >= n else { return false }
        let b = p.utf8Start
        var i = s.startIndex
        for k in 0..<n {
            if s[i] != b[k] { return false }
            i += 1
        }
        return true
    }

    /// The rest after `p` when `s` starts with it.
    @inline(__always)
    static func after(_ s: ArraySlice<UInt8>, _ p: StaticString) -> ArraySlice<UInt8>? {
        hasPrefix(s, p) ? s.dropFirst(p.utf8CodeUnitCount) : nil
    }

    /// Index of the first occurrence of `p` (case-sensitive), searching at most `limit` bytes.
    static func find(_ s: ArraySlice<UInt8>, _ p: StaticString, limit: Int = .max) -> Int? {
        let n = p.utf8CodeUnitCount
        guard n > 0, s.count >= n else { return nil }
        let b = p.utf8Start
        let first = b[0]
        var i = s.startIndex
        let last = limit >= s.count ? s.endIndex - n : Swift.min(s.endIndex - n, s.startIndex + limit)
        while i <= last {
            if s[i] == first {
                var k = 1
                while k < n, s[i + k] == b[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }

    static func dropLeadingBlanks(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var t = s
        while let f = t.first, Bytes.isBlank(f) { t = t.dropFirst() }
        return t
    }

    /// Known SMTP verb at the start of `s` (what a client line looks like).
    static func startsWithVerb(_ s: ArraySlice<UInt8>) -> Bool {
        let t = dropLeadingBlanks(s)
        var end = t.startIndex
        while end < t.endIndex, !Bytes.isBlank(t[end]), t[end] != 0x3A, end - t.startIndex < 9 { end += 1 }
        guard end > t.startIndex, end - t.startIndex <= 8 else { return false }
        if end < t.endIndex, !Bytes.isBlank(t[end]), t[end] != 0x3A { return false }
        return CommandParser.knownVerbs.contains(Bytes.string(t[t.startIndex..<end]).uppercased())
    }

    /// `host:port` or `[v6]:port` split; port nil when absent.
    static func hostPort(_ text: String) -> (String, Int?) {
        var t = Substring(text)
        while let l = t.last, l == "." || l == "," || l == ":" { t = t.dropLast() }
        if let colon = t.lastIndex(of: ":"), let p = Int(t[t.index(after: colon)...]) {
            var h = t[..<colon]
            if h.hasPrefix("["), h.hasSuffix("]") { h = h.dropFirst().dropLast() }
            return (String(h), p)
        }
        return (String(t), nil)
    }
}

/// Timestamps printed by debug output.
enum Stamp {
    /// `HH:MM:SS` with optional `.fraction`: seconds since midnight and the length read.
    static func clock(_ s: ArraySlice<UInt8>) -> (Double, Int)? {
        let u = Array(s.prefix(32))
        guard u.count >= 8, Bytes.isDigit(u[0]), Bytes.isDigit(u[1]), u[2] == 0x3A, Bytes.isDigit(u[3]),
              Bytes.isDigit(u[4]), u[5] == 0x3A, Bytes.isDigit(u[6]), Bytes.isDigit(u[7]) else { return nil }
        let h = Int(u[0] - 48) * 10 + Int(u[1] - 48)
        let m = Int(u[3] - 48) * 10 + Int(u[4] - 48)
        let sec = Int(u[6] - 48) * 10 + Int(u[7] - 48)
        guard h < 24, m < 60, sec < 61 else { return nil }
        var value = Double(h * 3600 + m * 60 + sec)
        var i = 8
        if i < u.count, u[i] == 0x2E || u[i] == 0x2C {
            var scale = 0.1
            i += 1
            let start = i
            while i < u.count, Bytes.isDigit(u[i]) { value += Double(u[i] - 48) * scale; scale /= 10; i += 1 }
            if i == start { i -= 1 }
        }
        return (value, i)
    }

    /// `YYYY-MM-DD HH:MM:SS(.fff)(Z|+hh:mm)` or with `T`: seconds since the epoch (UTC unless an offset is
    /// given) and the length read.
    static func date(_ s: ArraySlice<UInt8>) -> (Double, Int)? {
        let u = Array(s.prefix(40))
        guard u.count >= 19, Bytes.isDigit(u[0]), Bytes.isDigit(u[1]), Bytes.isDigit(u[2]), Bytes.isDigit(u[3]),
              u[4] == 0x2D, Bytes.isDigit(u[5]), Bytes.isDigit(u[6]), u[7] == 0x2D, Bytes.isDigit(u[8]),
              Bytes.isDigit(u[9]), u[10] == 0x20 || u[10] == 0x54 else { return nil }
        guard let (secs, clen) = clock(s.dropFirst(11)) else { return nil }
        let y = Int(u[0] - 48) * 1000 + Int(u[1] - 48) * 100 + Int(u[2] - 48) * 10 + Int(u[3] - 48)
        let mo = Int(u[5] - 48) * 10 + Int(u[6] - 48)
        let d = Int(u[8] - 48) * 10 + Int(u[9] - 48)
        guard (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var len = 11 + clen
        var value = Double(daysFromCivil(y, mo, d)) * 86400 + secs
        if len < u.count, u[len] == 0x5A { len += 1 }
        else if len + 6 <= u.count, u[len] == 0x2B || u[len] == 0x2D,
                Bytes.isDigit(u[len + 1]), Bytes.isDigit(u[len + 2]), u[len + 3] == 0x3A,
                Bytes.isDigit(u[len + 4]), Bytes.isDigit(u[len + 5]) {
            let oh = Int(u[len + 1] - 48) * 10 + Int(u[len + 2] - 48)
            let om = Int(u[len + 4] - 48) * 10 + Int(u[len + 5] - 48)
            let off = Double(oh * 3600 + om * 60)
            value += u[len] == 0x2B ? -off : off
            len += 6
        }
        return (value, len)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

/// Python `repr()` of `str` or `bytes`: `'ehlo x\r\n'`, `b'250 ok\r\n'`, `"it's"`.
enum PythonRepr {
    /// The decoded bytes, or nil when `s` is not a quoted literal.
    static func decode(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        var t = Bytes.trimmed(s)
        if let f = t.first, f == 0x62 { t = t.dropFirst() }          // b'...'
        guard let q = t.first, q == 0x27 || q == 0x22 else { return nil }
        t = t.dropFirst()
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var i = t.startIndex
        while i < t.endIndex {
            let b = t[i]
            if b == q { return out }
            if b == 0x5C, i + 1 < t.endIndex {
                let e = t[i + 1]
                i += 2
                switch e {
                case 0x72: out.append(0x0D)       // \r
                case 0x6E: out.append(0x0A)       // \n
                case 0x74: out.append(0x09)       // \t
                case 0x30: out.append(0)          // \0
                case 0x78:                        // \xNN
                    if i + 1 < t.endIndex, let h = Bytes.hexValue(t[i]), let l = Bytes.hexValue(t[i + 1]) {
                        out.append(h << 4 | l)
                        i += 2
                    }
                default: out.append(e)            // \\ \' \"
                }
                continue
            }
            out.append(b)
            i += 1
        }
        return out   // unterminated (line cut): keep what there is
    }

    /// Split decoded wire bytes into lines on CRLF (or LF); a final line terminator adds no empty line.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                var end = i
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                out.append(bytes[start..<end])
                start = i + 1
            }
            i += 1
        }
        if start < bytes.count { out.append(Bytes.trimmedTrailing(bytes[start...])) }
        return out
    }
}

/// HTML as PHPMailer's `Debugoutput = 'html'` prints it: a few entities and `<br>` line ends.
enum HTMLText {
    /// Lines of one HTML-escaped output line: split at `<br>`/`<br />`, entities decoded.
    static func decodeLines(_ s: ArraySlice<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var cur: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let b = s[i]
            if b == 0x3C, let len = brTag(s[i...]) {
                lines.append(cur)
                cur = []
                i += len
                continue
            }
            if b == 0x26, let (ch, len) = entity(s[i...]) {
                cur.append(contentsOf: ch)
                i += len
                continue
            }
            cur.append(b)
            i += 1
        }
        if !cur.isEmpty || lines.isEmpty { lines.append(cur) }
        return lines
    }

    private static func brTag(_ s: ArraySlice<UInt8>) -> Int? {
        for tag: StaticString in ["<br>", "<br />", "<br/>", "<BR>", "<BR />"] where Scan.hasPrefix(s, tag) {
            return tag.utf8CodeUnitCount
        }
        return nil
    }

    private static func entity(_ s: ArraySlice<UInt8>) -> ([UInt8], Int)? {
        let table: [(StaticString, UInt8)] = [("&gt;", 0x3E), ("&lt;", 0x3C), ("&amp;", 0x26), ("&quot;", 0x22),
                                              ("&#039;", 0x27), ("&#39;", 0x27), ("&apos;", 0x27), ("&nbsp;", 0x20)]
        for (name, ch) in table where Scan.hasPrefix(s, name) { return ([ch], name.utf8CodeUnitCount) }
        return nil
    }

    /// True when a line looks HTML-escaped (PHPMailer html output).
    static func looksEscaped(_ s: ArraySlice<UInt8>) -> Bool {
        Scan.find(s, "-&gt;") != nil || Scan.find(s, "<br") != nil
    }
}

/// One open session at a time, for dialects that print one connection after another.
struct SessionSlot {
    let input: String
    let format: String
    var builder: SessionBuilder

    init(input: String, format: String) {
        self.input = input
        self.format = format
        self.builder = SessionBuilder(input: input, format: format)
    }

    /// Emit the open session, if anything happened in it, and start a fresh one.
    mutating func rotate(emit: (Session) -> Void) {
        if !builder.isEmpty { emit(builder.finish()) }
        builder = SessionBuilder(input: input, format: format)
    }

    /// The dialogue has begun (some exchange or a connection outcome is known).
    var hasBegun: Bool {
        let s = builder.session
        return !s.exchanges.isEmpty || s.connected == true || s.connectFailure != nil || s.closedBy != nil
    }

    /// Nothing more can happen on this connection: closed, failed, or QUIT answered.
    var isOver: Bool {
        let s = builder.session
        if s.closedBy != nil || s.connectFailure != nil { return true }
        if s.quitSent, builder.awaitingReplies == 0 { return true }
        return false
    }

    func position(_ line: Int, time: Double? = nil) -> SourcePosition {
        SourcePosition(input: input, line: line, time: time)
    }

    mutating func note(_ s: ArraySlice<UInt8>, _ kind: Note.Kind, _ pos: SourcePosition) {
        builder.note(Bytes.string(Bytes.trimmed(s)), kind: kind, at: pos)
    }

    /// Connection failure wording printed by most tools (`Connection refused`, `ECONNREFUSED`, Winsock codes).
    static func failure(in s: ArraySlice<UInt8>) -> ConnectFailure? {
        if let f = ToolLine.connectFailure(in: s) { return f }
        if Bytes.contains(s, lowercased: "econnrefused") || Bytes.contains(s, lowercased: "actively refused") {
            return .refused
        }
        if Bytes.contains(s, lowercased: "etimedout") { return .timedOut }
        if Bytes.contains(s, lowercased: "ehostunreach") { return .noRoute }
        if Bytes.contains(s, lowercased: "enetunreach") { return .networkUnreachable }
        if Bytes.contains(s, lowercased: "enotfound") || Bytes.contains(s, lowercased: "eai_again")
            || Bytes.contains(s, lowercased: "unknownhostexception") {
            return .nameNotResolved
        }
        return nil
    }
}

/// Counting helpers for `score`.
enum Score {
    static func count(_ lines: [ArraySlice<UInt8>], _ test: (ArraySlice<UInt8>) -> Bool) -> Int {
        var n = 0
        for l in lines where test(l) { n += 1 }
        return n
    }
}
