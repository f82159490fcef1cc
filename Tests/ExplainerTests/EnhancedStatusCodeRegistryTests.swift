import Foundation
import Testing
@testable import Explainer

/// Checks the enhanced status code table against the copy of the IANA registry's code list in Resources/.
@Suite struct EnhancedStatusCodeRegistryTests {
    static func registryCodes() throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/iana-enhanced-status-codes.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            let l = line.trimmingCharacters(in: .whitespaces)
            guard !l.isEmpty, !l.hasPrefix("#") else { return nil }
            return l.split(whereSeparator: { $0 == "\t" || $0 == " " }).first.map(String.init)
        }
    }

    @Test func registryCopyIsReadable() throws {
        let codes = try Self.registryCodes()
        #expect(codes.count >= 80)
        #expect(codes.contains("X.7.26"))
    }

    @Test func everyRegistryCodeIsInTheTable() throws {
        let table = Set(EnhancedStatusCodes.all.map(\.code))
        let missing = try Self.registryCodes().filter { !table.contains($0) }
        #expect(missing.isEmpty, "missing from EnhancedStatusCodes.all: \(missing)")
    }

    @Test func tableHasNoCodeOutsideTheRegistryAndNoDuplicates() throws {
        let registry = Set(try Self.registryCodes())
        let codes = EnhancedStatusCodes.all.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(codes.filter { !registry.contains($0) }.isEmpty)
        #expect(EnhancedStatusCodes.all.allSatisfy { !$0.title.isEmpty && $0.reference.hasPrefix("RFC") || $0.reference.hasPrefix("IANA") })
    }

    @Test(arguments: ["5.7.1", "4.7.1", "X.7.1", "2.1.5", "5.1.10", "4.4.7", "5.7.30"])
    func lookupMatchesAnyClass(_ code: String) throws {
        let e = try #require(EnhancedStatusCodes.lookup(code))
        #expect(e.code.hasPrefix("X."))
        #expect(code.hasSuffix(String(e.code.dropFirst(1))))
    }

    @Test func lookupRejectsUnknownAndMalformed() {
        #expect(EnhancedStatusCodes.lookup("5.7.999") == nil)
        #expect(EnhancedStatusCodes.lookup("3.1.1") == nil)
        #expect(EnhancedStatusCodes.lookup("5.7") == nil)
        #expect(EnhancedStatusCodes.lookup("") == nil)
    }

    @Test func enhancedMeaningNamesClassSubjectAndDetail() throws {
        let m = try #require(ReplyKnowledge.enhancedMeaning("5.7.1"))
        #expect(m == "Permanent failure: security or policy status: delivery not authorized, message refused")
        let t = try #require(ReplyKnowledge.enhancedMeaning("4.2.2"))
        #expect(t.hasPrefix("Temporary failure: mailbox status: mailbox full"))
        #expect(ReplyKnowledge.enhancedMeaning("nonsense") == nil)
        let vendor = try #require(ReplyKnowledge.enhancedMeaning("5.7.606"))
        #expect(vendor.contains("banned sending IP"))
        let unknown = try #require(ReplyKnowledge.enhancedMeaning("5.7.999"))
        #expect(unknown.contains("not in the IANA registry"))
    }
}
