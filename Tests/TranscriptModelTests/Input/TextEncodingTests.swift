import Foundation
import Testing
@testable import TranscriptModel

/// Files written by Windows tools: UTF-16 (Windows PowerShell's `>`), a UTF-8 byte order mark (Notepad).
@Suite struct TextEncodingTests {
    static let session = "220 mx.example.org ESMTP\nEHLO client.example.net\n250 mx.example.org\nMAIL FROM:<a@example.net>\n250 OK\nRCPT TO:<b@example.org>\n554 5.7.1 <b@example.org>: Relay access denied – ünïcode\n"

    private func read(_ bytes: [UInt8]) throws -> [Session] {
        var out: [Session] = []
        _ = try InputDriver.read(name: "t.txt", bytes: bytes) { out.append($0) }
        return out
    }

    @Test func utf16WithAByteOrderMarkReadsAsText() throws {
        let le: [UInt8] = [0xFF, 0xFE] + Self.session.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + Self.session.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        for bytes in [le, be] {
            let s = try #require(try read(bytes).first)
            #expect(s.outcome == .rejected)
            #expect(s.exchanges.last?.reply?.text.hasSuffix("Relay access denied – ünïcode") == true)
        }
    }

    @Test func utf16WithoutAMarkIsRecognisedByItsZeroBytes() throws {
        let le: [UInt8] = Self.session.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try read(le).first?.outcome == .rejected)
    }

    /// Units and surrogate pairs split between chunks come out whole; an unpaired half becomes U+FFFD.
    @Test func chunkBoundariesDoNotSplitCharacters() throws {
        struct OneByte: ByteSource {
            var bytes: [UInt8]
            var at = 0
            mutating func next(name: String) throws -> [UInt8]? {
                guard at < bytes.count else { return nil }
                at += 1
                return [bytes[at - 1]]
            }
        }
        // A lone high surrogate at the end (a Swift string cannot hold one).
        let text = Array("a😀é".utf16) + [0xD800]
        var source = UTF16Source(inner: OneByte(bytes: text.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }), order: .littleEndian)
        var out: [UInt8] = []
        while let c = try source.next(name: "t") { out += c }
        #expect(String(decoding: out, as: UTF8.self) == "a😀é\u{FFFD}")
    }

    @Test func aUTF8ByteOrderMarkIsNotPartOfTheFirstLine() throws {
        let s = try #require(try read([0xEF, 0xBB, 0xBF] + Array(Self.session.utf8)).first)
        #expect(s.lines.first?.text == "220 mx.example.org ESMTP")
        #expect(s.outcome == .rejected)
    }
}
