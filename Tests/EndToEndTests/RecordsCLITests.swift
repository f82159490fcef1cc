import Foundation
import Testing

/// `smtpexplain records`: usage errors, and a run against a DNS server that does not answer (nothing leaves
/// loopback; the live lookups themselves are tested in ProbeTests/RecordCheckTests on a test zone).
@Suite struct RecordsCLITests {
    @Test func usageErrorsExitTwo() throws {
        for args in [["records", "user@example.com"], ["records", "localhost"], ["records", "example.com", "--selector", "a b"],
                     ["records", "example.com", "--dns-server", "dns.example"]] {
            let r = try BinaryRunner.run(args)
            #expect(r.status == 2, "\(args): \(r.status)")
        }
    }

    @Test func unansweredLookupIsExplained() throws {
        // Port 9 (discard) on loopback: nothing answers, so the lookup fails and says so.
        let args = ["records", "example.test", "--dns-server", "127.0.0.1:9", "--timeout", "1"]
        let doc = try BinaryRunner.json(args)
        let s = try #require((doc["sessions"] as? [[String: Any]])?.first)
        #expect(s["format"] as? String == "dns")
        let ids = ((s["findings"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(ids == ["dns-lookup-failed"])
        #expect((s["summary"] as? String)?.hasPrefix("DNS answers only, no SMTP session: ") == true)
        let strict = try BinaryRunner.run(args + ["--fail-on-problems"])
        #expect(strict.status == 1 && strict.stdout.contains("DNS lookup example.test MX"))
    }
}
