import Foundation
import Testing

/// `smtpexplain summary` counts what the sessions say: checked against the real-MTA expectations and the
/// log samples' per-session table.
@Suite struct SummaryCountsTests {
    static let sharedCorpus: URL? = {
        let url = BinaryRunner.repo.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }()

    func summary(_ files: [String]) throws -> [String: Any] {
        let r = try BinaryRunner.run(["summary", "--format", "json"] + files)
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return try #require(doc?["summary"] as? [String: Any])
    }

    @Test func realMTAServerLogs() throws {
        guard let corpus = Self.sharedCorpus else { return }
        let realMTA = corpus.appendingPathComponent("real-mta")
        let tsv = try String(contentsOf: realMTA.appendingPathComponent("expected.tsv"), encoding: .utf8)
        var expected: [String: Int] = [:]
        var files: [String] = []
        for line in tsv.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t").map(String.init)
            let log = realMTA.appendingPathComponent("\(f[0])/server.log").path
            // An empty log (nothing listened: connection refused) holds no session.
            guard let size = try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int, size > 0 else { continue }
            files.append(log)
            expected[f[1].split(separator: "|")[0].description, default: 0] += 1
        }
        let s = try summary(files)
        let outcomes = try #require(s["outcomes"] as? [String: Int])
        #expect(s["sessions"] as? Int == files.count)
        for (outcome, n) in expected { #expect(outcomes[outcome] == n, "\(outcome)") }
    }

    @Test func dmarcReportsCountMessages() throws {
        let folder = BinaryRunner.repo.appendingPathComponent("samples/dmarc")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasSuffix(".tsv") }
            .map { folder.appendingPathComponent($0).path }
        let s = try summary(files)
        #expect(s["sessions"] as? Int == 6)
        let dmarc = try #require(s["dmarc"] as? [String: Any])
        #expect(dmarc["messages"] as? Int == 589)
        #expect(dmarc["dispositions"] as? [String: Int] == ["none": 219, "quarantine": 352, "reject": 18])
        let failing = try #require(dmarc["failingSources"] as? [[String: Any]])
        #expect(failing.first?["value"] as? String == "203.0.113.80 (DKIM mailer-esp.example, SPF bounces.mailer-esp.example)")
        #expect(failing.first?["count"] as? Int == 436)
        // Logs have no DMARC section in the text, and zeros in the JSON.
        let log = try summary([BinaryRunner.repo.appendingPathComponent("samples/logs/postfix-inbound.log").path])
        #expect((log["dmarc"] as? [String: Any])?["messages"] as? Int == 0)
    }

    @Test func tlsReportsCountSessions() throws {
        let folder = BinaryRunner.repo.appendingPathComponent("samples/tls-reports")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasSuffix(".tsv") }
            .map { folder.appendingPathComponent($0).path }
        let s = try summary(files)
        #expect(s["sessions"] as? Int == 8)
        let tls = try #require(s["tls"] as? [String: Any])
        #expect(tls["sessions"] as? Int == 1771 && tls["failed"] as? Int == 175)
        let failures = try #require(tls["failures"] as? [[String: Any]])
        #expect(failures.map { $0["value"] as? String ?? "" } == ["sts-policy-fetch-error at mx.travel.example", "certificate-expired at mx2.shop.example",
                                                                 "tlsa-invalid at mail.lab.example", "starttls-not-supported at backup-mx.shop.example",
                                                                 "certificate-host-mismatch at mx1.shop.example"])
        #expect(failures.map { $0["count"] as? Int ?? 0 } == [96, 37, 23, 14, 5])
        let text = try BinaryRunner.run(["summary"] + files)
        #expect(text.stdout.contains("TLS reports: 1771 sessions, 175 failed"))
    }

    @Test func feedbackReportsCountComplaints() throws {
        let folder = BinaryRunner.repo.appendingPathComponent("samples/feedback")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasSuffix(".tsv") }.sorted()
            .map { folder.appendingPathComponent($0).path }
        let s = try summary(files)
        let fb = try #require(s["feedback"] as? [String: Any])
        // 3 incidents in one report, 1 each in the other three.
        #expect(fb["reports"] as? Int == 6)
        let types = try #require(fb["types"] as? [[String: Any]])
        #expect(types.map { "\($0["value"] ?? "")=\($0["count"] ?? "")" } == ["abuse=4", "auth-failure=1", "fraud=1"])
        let sources = try #require(fb["topSources"] as? [[String: Any]])
        #expect(sources.first?["value"] as? String == "203.0.113.58" && sources.first?["count"] as? Int == 4)
        let text = try BinaryRunner.run(["summary"] + files)
        #expect(text.stdout.contains("Feedback reports: 6 (complaints and failure reports), by type"))
        #expect(text.stdout.contains("Your cart is waiting"))
        // A failure report is no complaint.
        #expect(!text.stdout.contains("Invoice 88213 overdue") && sources.count == 2)
        // The HTML summary has the same table as the text one.
        let html = try BinaryRunner.run(["summary", "--format", "html"] + files)
        let table = try #require(html.stdout.range(of: "Sending addresses complained about"))
        #expect(html.stdout[table.upperBound...].prefix(600).contains("203.0.113.58"))
    }

    @Test func logSamples() throws {
        let folder = BinaryRunner.repo.appendingPathComponent("samples/logs")
        let tsv = try String(contentsOf: folder.appendingPathComponent("expected.tsv"), encoding: .utf8)
        var outcomes: [String: Int] = [:], stages: [String: Int] = [:], directions: [String: Int] = [:]
        var files: [String] = []
        var rows = 0
        for line in tsv.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard f.count >= 5 else { continue }
            rows += 1
            let path = folder.appendingPathComponent(f[0]).path
            if !files.contains(path) { files.append(path) }
            directions[f[2], default: 0] += 1
            outcomes[f[3], default: 0] += 1
            if f[3] != "delivered", f[4] != "none" { stages[f[4], default: 0] += 1 }
        }
        let s = try summary(files)
        #expect(s["sessions"] as? Int == rows)
        let gotOutcomes = try #require(s["outcomes"] as? [String: Int])
        for (k, n) in outcomes { #expect(gotOutcomes[k] == n, "outcome \(k)") }
        let gotStages = try #require(s["failedStages"] as? [String: Int])
        for (k, n) in stages { #expect(gotStages[k] == n, "stage \(k)") }
        let gotDirections = try #require(s["directions"] as? [String: Int])
        for (k, n) in directions { #expect(gotDirections[k] == n, "direction \(k)") }
    }
}
