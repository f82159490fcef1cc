import Foundation
import Testing
@testable import Explainer

/// The JSON writer skips eight bytes at a time while none may need escaping; its output is held to a plain
/// escape of every scalar, on strings that put the special bytes at every offset of a word.
@Suite struct JSONEscapeTests {
    /// What the writer must produce: `"`, `\`, C0 controls, DEL, C1 controls and U+2028/2029 escaped.
    static func reference(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func written(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return w.output
    }

    @Test func specialsAtEveryOffset() {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{85}", "\u{9F}", "\u{2028}", "\u{2029}",
                        "é", "—", "メ", "😀", " ", "~", "!", "#", "[", "]"]
        for sp in specials {
            for before in 0..<17 {
                for after in [0, 1, 7, 8, 9, 20] {
                    let s = String(repeating: "a", count: before) + sp + String(repeating: "z", count: after)
                    #expect(Self.written(s) == Self.reference(s), "\(before) \(sp.unicodeScalars.map { $0.value }) \(after)")
                }
            }
        }
    }

    @Test func randomStrings() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\u{1}", "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}",
                                          "é", "\u{2027}", "\u{2028}", "\u{2029}", "\u{202A}", "😀", "<", "&"]
        for _ in 0..<2_000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
            let str = String(s)
            #expect(Self.written(str) == Self.reference(str), "\(str.unicodeScalars.map { $0.value })")
        }
    }
}
