import Testing
@testable import TranscriptModel

@Suite struct JSONParserTests {
    @Test func parsesObjectsArraysAndEscapes() throws {
        let v = try #require(JSONParser.parse(Array(#"{"a": [1, 2.5, true, null], "s": "x\"y\u00e9\ud83d\ude00\n", "e": {}}"#.utf8)))
        #expect(v["a"]?.array.count == 4)
        #expect(v["a"]?.array[1].double == 2.5)
        #expect(v["s"]?.string == "x\"yé😀\n")
        #expect(v["e"]?.isObject == true)
        #expect(v["a"]?.array[0].string == "1")
    }

    @Test func rejectsWhatIsNotOneValue() {
        for bad in [#"{"a": 1"#, #"{"a": 1} x"#, #"{"a" 1}"#, #"["a",]"#, "{'a': 1}", "\"\u{01}\"", #""\x""#, ""] {
            #expect(JSONParser.parse(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONParser.parse(Array(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(JSONParser.parse(Array(fine.utf8)) != nil)
    }
}

@Suite struct JSONDocumentsTests {
    private func documents(_ lines: [String]) -> [JSONDocuments.Document] {
        var d = JSONDocuments()
        var out: [JSONDocuments.Document] = []
        for (i, l) in lines.enumerated() { d.line(Array(l.utf8)[...], number: i + 1) { out.append($0) } }
        d.finish { out.append($0) }
        return out
    }

    @Test func oneDocumentPerLineAndAcrossLines() {
        let docs = documents([#"{"a": 1}"#, #"2026-12-01 webhook: {"b": "}{"}"#, "[", #"  {"c": 3},"#, #"  {"d": 4}"#, "]"])
        #expect(docs.count == 3)
        #expect(docs.map { String(decoding: $0.bytes, as: UTF8.self) }[1] == #"{"b": "}{"}"#)
        let third = docs[2]
        let v = JSONParser.parse(third.bytes)
        #expect(v?.array.count == 2)
        // The second event's object starts on input line 5.
        #expect(third.line(at: v!.array[1].offset!) == 5)
        #expect(third.line(at: 0) == 3)
    }

    @Test func anOversizedDocumentIsGivenUpAndReadingGoesOn() {
        var d = JSONDocuments()
        var out: [JSONDocuments.Document] = []
        d.line(Array("[".utf8)[...], number: 1) { out.append($0) }
        let chunk = Array(String(repeating: "1,", count: 1 << 20).utf8)[...]
        for n in 2...6 { d.line(chunk, number: n) { out.append($0) } }
        d.line(Array("1]".utf8)[...], number: 7) { out.append($0) }
        d.line(Array(#"{"after": true}"#.utf8)[...], number: 8) { out.append($0) }
        d.finish { out.append($0) }
        #expect(out.count == 2)
        #expect(out[0].truncated)
        #expect(out[0].bytes.count <= JSONDocuments.maxBytes)
        #expect(JSONParser.parse(out[1].bytes)?["after"]?.bool == true)
    }

    @Test func aCutDocumentStopsBeingSkippedAtTheNextLineOpeningOne() {
        var d = JSONDocuments()
        var out: [JSONDocuments.Document] = []
        // A line cut before its end: the array never closes.
        d.line(Array(("[" + String(repeating: "{\"a\":1},", count: 1 << 20)).utf8)[...], number: 1) { out.append($0) }
        d.line(Array(#"{"b": 2}"#.utf8)[...], number: 2) { out.append($0) }
        d.finish { out.append($0) }
        #expect(out.count == 2)
        #expect(out[0].truncated)
        #expect(JSONParser.parse(out[1].bytes)?["b"]?.int == 2)
    }
}
