import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, bounded multipart/form-data reader (RFC 7578) for the page's form: the whole body is already in
/// memory (capped by `--max-body`), so parts are slices of it and nothing is copied. Limits: 64 parts, 16 kB
/// of headers per part. Anything malformed is a `MultipartError` with a message fit to show.
struct MultipartPart {
    var name: String
    var filename: String?
    var contentType: String?
    var body: ArraySlice<UInt8>
}

struct MultipartError: Error, CustomStringConvertible {
    var description: String
}

enum Multipart {
    static let maxParts = 64
    static let maxHeaderBytes = 16 * 1024

    /// The boundary parameter of a `multipart/form-data` content type, nil if it is not one.
    static func boundary(contentType: String) -> String? {
        let params = HeaderValue(contentType)
        guard params.value.lowercased() == "multipart/form-data" else { return nil }
        guard let b = params.parameters["boundary"], !b.isEmpty, b.utf8.count <= 200 else { return nil }
        return b
    }

    static func parse(_ body: [UInt8], boundary: String) throws -> [MultipartPart] {
        let dash = Array("--".utf8) + Array(boundary.utf8)
        let delimiter = Array("\r\n".utf8) + dash
        // The first boundary may start the body (no CRLF in front of it); a preamble before it is ignored.
        var pos: Int
        if body.count >= dash.count, Array(body[0..<dash.count]) == dash {
            pos = dash.count
        } else if let d = find(delimiter, in: body, from: 0) {
            pos = d + delimiter.count
        } else {
            throw MultipartError(description: "the upload is not valid multipart/form-data (no boundary found)")
        }
        var parts: [MultipartPart] = []
        while true {
            // After a boundary: `--` ends the body, otherwise CRLF and a part follow (transport padding allowed).
            if pos + 2 <= body.count, body[pos] == UInt8(ascii: "-"), body[pos + 1] == UInt8(ascii: "-") { break }
            while pos < body.count, body[pos] == UInt8(ascii: " ") || body[pos] == UInt8(ascii: "\t") { pos += 1 }
            guard pos + 2 <= body.count, body[pos] == 13, body[pos + 1] == 10 else {
                throw MultipartError(description: "the upload is not valid multipart/form-data (cut short)")
            }
            pos += 2
            guard parts.count < maxParts else {
                throw MultipartError(description: "the upload has more than \(maxParts) form fields")
            }
            let headerText: String
            let bodyStart: Int
            if pos + 2 <= body.count, body[pos] == 13, body[pos + 1] == 10 {
                headerText = ""  // a part with no headers at all
                bodyStart = pos + 2
            } else if let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: pos, limit: maxHeaderBytes) {
                headerText = String(decoding: body[pos..<headerEnd], as: UTF8.self)
                bodyStart = headerEnd + 4
            } else {
                throw MultipartError(description: "the upload is not valid multipart/form-data (part headers too long or cut short)")
            }
            guard let end = find(delimiter, in: body, from: bodyStart) else {
                throw MultipartError(description: "the upload is not valid multipart/form-data (cut short: no closing boundary)")
            }
            var part = MultipartPart(name: "", filename: nil, contentType: nil, body: body[bodyStart..<end])
            for line in headerText.split(separator: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingSpaces.lowercased()
                let value = String(line[line.index(after: colon)...])
                if key == "content-disposition" {
                    let h = HeaderValue(value)
                    part.name = h.parameters["name"] ?? ""
                    part.filename = h.parameters["filename"]
                } else if key == "content-type" {
                    part.contentType = value.trimmingSpaces
                }
            }
            parts.append(part)
            pos = end + delimiter.count
        }
        return parts
    }

    /// Offset of `needle` in `hay` at or after `from` (within `limit` bytes of it if given).
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, limit: Int? = nil) -> Int? {
        guard from <= hay.count, !needle.isEmpty else { return nil }
        let end = limit.map { min(hay.count, from + $0 + needle.count) } ?? hay.count
        guard end - from >= needle.count else { return nil }
        // memchr for the first byte, memcmp for the rest (memmem is not in every C library's Swift overlay).
        return hay.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in
                let base = h.baseAddress!
                var i = from
                let last = end - needle.count
                while i <= last {
                    guard let p = memchr(base + i, Int32(needle[0]), last - i + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(p))
                    if memcmp(base + at, n.baseAddress!, needle.count) == 0 { return at }
                    i = at + 1
                }
                return nil
            }
        }
    }
}

/// `type/subtype; key=value; key="quoted value"` as in Content-Type and Content-Disposition.
struct HeaderValue {
    var value: String
    var parameters: [String: String] = [:]

    init(_ text: String) {
        var items: [String] = []
        var current = ""
        var quoted = false
        // No backslash escapes: browsers send quotes in file names as %22 (WHATWG multipart encoding) and
        // old ones send Windows paths with backslashes.
        for ch in text {
            if ch == "\"" { quoted.toggle() }
            if ch == ";" && !quoted { items.append(current); current = ""; continue }
            current.append(ch)
        }
        items.append(current)
        value = items.first?.trimmingSpaces ?? ""
        for item in items.dropFirst() {
            guard let eq = item.firstIndex(of: "=") else { continue }
            let key = item[..<eq].trimmingSpaces.lowercased()
            var v = item[item.index(after: eq)...].trimmingSpaces
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") {
                v = String(v.dropFirst().dropLast())
                    .replacingOccurrences(of: "%22", with: "\"")
                    .replacingOccurrences(of: "%0D", with: "\r")
                    .replacingOccurrences(of: "%0A", with: "\n")
            }
            if parameters[key] == nil { parameters[key] = v }
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// `application/x-www-form-urlencoded` (a form posted without the file field).
enum FormURLEncoded {
    static func parse(_ body: [UInt8]) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let kv = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(decoding: decode(kv[0]), as: UTF8.self)
            out.append((key, kv.count > 1 ? decode(kv[1]) : []))
        }
        return out
    }

    static func decode(_ s: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = s.startIndex
        while i < s.endIndex {
            let b = s[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), i + 2 < s.endIndex, let h = hex(s[i + 1]), let l = hex(s[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
