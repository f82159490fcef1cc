/// What PowerShell prints for a list of objects, as an admin pastes it from a console: `Format-List`
/// (`Key : value` blocks separated by blank lines; a long value wrapped onto indented lines) or
/// `Format-Table` (a header, a dashed rule, one row per object; with `-Wrap` a row goes on in lines whose
/// first column is blank), and the same objects saved with `Export-Csv` (a quoted header of property names,
/// one row per object; Windows PowerShell puts a `#TYPE` line first). Fed line by line, it hands back each
/// object when it is complete.
struct PowerShellListing {
    /// `LastError                        : 451 4.4.0 ...`: a property of a `Format-List` block.
    static func property(_ l: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>)? {
        guard let f = l.first, Bytes.isAlnum(f), !Bytes.isDigit(f) else { return nil }
        var i = l.startIndex
        while i < l.endIndex, Bytes.isAlnum(l[i]), i - l.startIndex < 48 { i += 1 }
        let key = l[l.startIndex..<i]
        while i < l.endIndex, l[i] == Bytes.space { i += 1 }
        guard i < l.endIndex, l[i] == 0x3A, i + 1 == l.endIndex || l[i + 1] == Bytes.space else { return nil }
        return (Bytes.string(key), Bytes.trimmed(l[(i + 1)...]))
    }

    /// The columns of a `Format-Table` listing, from its header and the dashed rule under it.
    struct Table {
        var names: [String]
        var starts: [Int]

        static func isRule(_ l: ArraySlice<UInt8>) -> Bool {
            let t = Bytes.trimmed(l)
            return t.count >= 3 && t.first == 0x2D && t.allSatisfy { $0 == 0x2D || $0 == Bytes.space }
        }

        init?(header: ArraySlice<UInt8>, rule: ArraySlice<UInt8>) {
            names = []; starts = []
            var i = rule.startIndex
            while i < rule.endIndex, names.count < 64 {
                guard rule[i] == 0x2D else { i += 1; continue }
                let start = i - rule.startIndex
                while i < rule.endIndex, rule[i] == 0x2D { i += 1 }
                let end = i - rule.startIndex
                let h = header.dropFirst(start).prefix(end - start)
                // A default view's header has spaces (`Recipient Address`); the property has none.
                let name = Bytes.string(Bytes.trimmed(h).filter { $0 != Bytes.space })
                guard !name.isEmpty else { return nil }
                names.append(name); starts.append(start)
            }
            guard names.count >= 2 else { return nil }
        }

        /// A row's cells by column; the last column runs to the end of the line.
        func cells(_ l: ArraySlice<UInt8>) -> [String: String] {
            var out: [String: String] = [:]
            for (n, name) in names.enumerated() {
                let from = starts[n]
                let cell = n + 1 < starts.count ? l.dropFirst(from).prefix(starts[n + 1] - from) : l.dropFirst(from)
                let t = Bytes.trimmed(cell)
                if !t.isEmpty { out[name] = Bytes.string(t.prefix(PowerShellListing.maxValueBytes)) }
            }
            return out
        }
    }

    /// One object as far as read: its properties and the line each starts on.
    struct Record {
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
        var first = 0
        /// The property a wrapped `Format-List` value continues.
        var last: String?

        subscript(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
    }

    private var record: Record?
    private var table: Table?
    /// The property names of an `Export-Csv` header, while its rows last.
    private var csvNames: [String]?
    private var header: ArraySlice<UInt8>?
    static var maxValueBytes: Int { 8192 }
    private static var maxProperties: Int { 64 }

    /// The object that this line completes, if any.
    mutating func read(line: ArraySlice<UInt8>, number: Int) -> Record? {
        let t = Bytes.trimmed(line)
        if t.isEmpty { table = nil; header = nil; return close() }
        if LogBytes.starts(t, "#TYPE ") { csvNames = nil; return close() }
        // Under a header, only a row naming the same first property starts a new one (a second export pasted).
        if let names = Self.csvHeader(t), csvNames.map({ names.first == $0.first }) ?? true {
            csvNames = names
            table = nil; header = nil
            return close()
        }
        if let names = csvNames {
            var r = Record(first: number)
            for (name, cell) in zip(names, CSVLine.cells(t)) where !cell.isEmpty {
                r.values[name] = CSVLine.unquote(cell.prefix(Self.maxValueBytes))
                r.lines[name] = number
            }
            // A row is a whole object; one still open above the header goes first and the row waits a call.
            let done = close()
            record = r
            return done ?? close()
        }
        if Table.isRule(line), let h = header, let tb = Table(header: h, rule: line) {
            table = tb
            header = nil
            return close()
        }
        if let tb = table {
            let cells = tb.cells(line)
            if cells[tb.names[0]] == nil, var r = record {
                for (k, v) in cells where (r.values[k]?.utf8.count ?? 0) < Self.maxValueBytes { r.values[k, default: ""] += (r.values[k] == nil ? "" : " ") + v }
                record = r
                return nil
            }
            let done = close()
            var r = Record(first: number)
            r.values = cells
            for k in cells.keys { r.lines[k] = number }
            record = r
            return done
        }
        if let (key, value) = Self.property(line) {
            // A property the block already has starts the next object (blocks pasted without blank lines).
            let done = record?.values[key] != nil ? close() : nil
            var r = record ?? Record(first: number)
            if r.values.count < Self.maxProperties {
                r.values[key] = Bytes.string(value.prefix(Self.maxValueBytes))
                r.lines[key] = number
                r.last = key
            }
            record = r
            header = nil
            return done
        }
        if let f = line.first, Bytes.isBlank(f), var r = record, let k = r.last, (r.values[k]?.utf8.count ?? 0) < Self.maxValueBytes {
            r.values[k, default: ""] += " " + Bytes.string(t.prefix(Self.maxValueBytes))
            record = r
            return nil
        }
        // A prompt, a command, or the header of a table.
        header = line.prefix(4096)
        return close()
    }

    /// `"Date","Event","Detail",...`: the quoted property names `Export-Csv` writes first (at least three,
    /// each a property name), or nil.
    static func csvHeader(_ l: ArraySlice<UInt8>) -> [String]? {
        guard l.first == 0x22, l.count < 4096 else { return nil }
        let cells = CSVLine.cells(l)
        guard cells.count >= 3, cells.count <= maxProperties else { return nil }
        for c in cells {
            guard let f = c.first, Bytes.isAlnum(f), !Bytes.isDigit(f), c.count <= 48, c.allSatisfy({ Bytes.isAlnum($0) || $0 == 0x5F }) else { return nil }
        }
        return cells.map { Bytes.string($0) }
    }

    /// The last object, at the end of the input.
    mutating func finish() -> Record? { close() }

    /// An object needs two properties: one alone is a line of something else.
    private mutating func close() -> Record? {
        guard let r = record else { return nil }
        record = nil
        return r.values.count >= 2 ? r : nil
    }
}
