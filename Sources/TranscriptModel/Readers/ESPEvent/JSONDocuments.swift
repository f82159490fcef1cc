/// Cuts a stream of lines into JSON documents: one per line (JSON Lines), or one spread over many lines
/// (pretty-printed, or an array of events). Text before a document's first brace is skipped (a log line's
/// prefix). A document over `maxBytes` is given up, so memory stays bounded on any input.
struct JSONDocuments {
    static let maxBytes = 8 << 20

    struct Document {
        var bytes: [UInt8]
        /// Line number of each line's first byte in `bytes`, in order.
        var lineStarts: [(offset: Int, line: Int)]
        /// It opened at the first byte of its line.
        var atLineStart = false
        /// The document was cut at `maxBytes` and is not complete.
        var truncated = false

        /// The input line of a byte offset in `bytes`.
        func line(at offset: Int) -> Int {
            var lo = 0, hi = lineStarts.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if lineStarts[mid].offset <= offset { lo = mid + 1 } else { hi = mid }
            }
            return lineStarts[max(0, lo - 1)].line
        }
    }

    private var current: Document?
    /// Inside a document that was given up: its bytes are counted through, not kept.
    private var skipping = false
    /// The given-up document opened at the start of a line, so one opening at the start of a line ends it
    /// (its own line may have been cut, and its depth can no longer be trusted).
    private var skippedAtLineStart = false
    private var depth = 0
    private var inString = false
    private var escaped = false

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Document) -> Void) {
        var i = line.startIndex
        // JSON Lines: an object that never closed (a cut line) must not swallow the next event. An object
        // opened at the start of a line inside another one opened the same way is taken as the next event
        // (pretty-printers indent nested values).
        if let c = current, !skipping, c.bytes.first == 0x7B, c.atLineStart, line.first == 0x7B {
            emit(c)
            current = nil
        }
        if skipping, skippedAtLineStart, line.first == 0x7B || line.first == 0x5B {
            skipping = false
        }
        while i < line.endIndex {
            if current == nil, !skipping {
                // Outside a document: wait for its first brace or bracket.
                while i < line.endIndex, line[i] != 0x7B, line[i] != 0x5B { i += 1 }
                guard i < line.endIndex else { return }
                current = Document(bytes: [], lineStarts: [(0, number)], atLineStart: i == line.startIndex)
                depth = 0
                inString = false
                escaped = false
            } else if current != nil, current!.lineStarts.last!.line != number {
                current!.bytes.append(0x0A)
                current!.lineStarts.append((current!.bytes.count, number))
            }
            let start = i
            var ended = false
            while i < line.endIndex {
                let c = line[i]
                i += 1
                if inString {
                    if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                    continue
                }
                switch c {
                case 0x22: inString = true
                case 0x7B, 0x5B: depth += 1
                case 0x7D, 0x5D: depth -= 1
                default: break
                }
                if depth <= 0 { ended = true; break }
            }
            if skipping {
                if ended { skipping = false }
                continue
            }
            if current!.bytes.count + (i - start) > Self.maxBytes {
                current!.truncated = true
                emit(current!)
                skippedAtLineStart = current!.atLineStart
                current = nil
                skipping = !ended
                continue
            }
            current!.bytes.append(contentsOf: line[start..<i])
            if ended {
                emit(current!)
                current = nil
            }
        }
    }

    mutating func finish(emit: (Document) -> Void) {
        if let c = current { emit(c) }
        current = nil
        skipping = false
    }
}
