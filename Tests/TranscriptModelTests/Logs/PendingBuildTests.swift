import Foundation
import Testing
@testable import TranscriptModel

/// `InputOptions.deferBuilding`: the Postfix reader emits placeholders whose recipe, run later (on a worker
/// thread in the CLI), gives exactly the session it would have built at once.
@Suite struct PendingBuildTests {
    static let dir = repoRoot.appendingPathComponent("samples/logs")

    func read(_ file: String, deferring: Bool) throws -> [Session] {
        var options = InputOptions()
        options.deferBuilding = deferring
        var out: [Session] = []
        _ = try InputDriver.read(path: Self.dir.appendingPathComponent(file).path, options: options) { out.append($0) }
        return out
    }

    @Test(arguments: ["postfix-inbound.log", "postfix-outbound.log", "postfix-deferred-expired.log",
                      "postfix-deferred-greylisted.log", "postfix-journal.json"])
    func placeholdersBuildTheSameSessions(file: String) throws {
        let eager = try read(file, deferring: false)
        let deferred = try read(file, deferring: true)
        #expect(!eager.contains { $0.isPending })
        // Connection failures and stories without a dialogue are cheap and built at once.
        if file == "postfix-inbound.log" || file == "postfix-outbound.log" { #expect(deferred.contains { $0.isPending }) }
        #expect(deferred.count == eager.count)
        for (d, e) in zip(deferred, eager) {
            // Detection confidence, stories and every other field arrive with the build.
            var built = d.resolved(), direct = e
            #expect(built.attributes == direct.attributes)
            built.attributes = [:]; direct.attributes = [:]   // printed in hash order
            #expect(String(describing: built) == String(describing: direct))
        }
    }

    @Test func builderSettingsOfTheReadApplyWhenBuiltLater() throws {
        var small = SessionBuilder.Limits()
        small.displayLines = 2
        let deferred = try SessionBuilder.$defaultLimits.withValue(small) {
            try read("postfix-inbound.log", deferring: true)
        }
        let built = deferred.map { $0.resolved() }   // outside the read's settings
        #expect(built.contains { $0.elidedLines > 0 })
        #expect(built.allSatisfy { $0.lines.count <= 2 })
    }
}
