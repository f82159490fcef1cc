/// One line of a CSV file as Windows tools write it (Exchange's tracking logs, Exchange Online's reports,
/// PowerShell's `Export-Csv`): cells split on commas outside RFC 4180 quotes, without copying the bytes.
enum CSVLine {
    /// Split a CSV row (RFC 4180 quotes; doubled quotes stay doubled in the slice, `unquote` removes them).
    static func cells(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = line.startIndex
        while i <= line.endIndex {
            if i < line.endIndex, line[i] == 0x22 {
                var j = i + 1
                while j < line.endIndex {
                    if line[j] == 0x22 {
                        if j + 1 < line.endIndex, line[j + 1] == 0x22 { j += 2; continue }
                        break
                    }
                    j += 1
                }
                out.append(line[(i + 1)..<min(j, line.endIndex)])
                i = min(j + 1, line.endIndex)
                if i < line.endIndex, line[i] == 0x2C { i += 1 } else { break }
                if i == line.endIndex { out.append([]); break }
            } else {
                let e = line[i...].firstIndex(of: 0x2C) ?? line.endIndex
                out.append(line[i..<e])
                if e == line.endIndex { break }
                i = e + 1
                if i == line.endIndex { out.append([]); break }
            }
            if out.count > 200 { break }
        }
        return out
    }

    /// A cell's text, with the doubled quotes of a quoted cell made single.
    static func unquote(_ s: ArraySlice<UInt8>) -> String {
        Bytes.string(s).replacingOccurrences(of: "\"\"", with: "\"")
    }
}
