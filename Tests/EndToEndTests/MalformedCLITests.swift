import Foundation
import Testing

/// Every hostile file in `Tests/Malformed`, through the built binary in every output format and `summary`:
/// the process ends on its own with 0, 1 or 2 (a trap ends it with a signal instead).
@Suite struct MalformedCLITests {
    static let folder = BinaryRunner.repo.appendingPathComponent("Tests/Malformed")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { !$0.hasSuffix(".md") }.sorted()
    }

    @Test(arguments: files)
    func everyFormatEndsCleanly(file: String) throws {
        let path = "Tests/Malformed/" + file
        for args in [["--format", "text"], ["--format", "jsonl"], ["--format", "html"], ["--format", "markdown"],
                     ["summary", "--format", "text"], ["summary", "--format", "html"]] {
            let r = try BinaryRunner.run(args.first == "summary" ? args + [path] : [path] + args)
            #expect((0...2).contains(r.status), "\(file) \(args): exit \(r.status), \(r.stderr.prefix(300))")
        }
    }

    /// Times and durations past `Int`'s range (a pcapng in whole seconds, a Sendmail delay of 10^18 days)
    /// are shown, not trapped on.
    @Test func timesPastIntRangeAreShown() throws {
        let cap = try BinaryRunner.run(["Tests/Malformed/pcapng-timestamps-past-int-range.pcapng"])
        #expect(cap.status == 0)
        #expect(cap.stdout.contains("Verdict: REJECTED"))
        let log = try BinaryRunner.run(["Tests/Malformed/sendmail-delay-past-int-range.log"])
        #expect(log.status == 0)
        #expect(log.stdout.contains("Verdict: DEFERRED"))
    }
}
