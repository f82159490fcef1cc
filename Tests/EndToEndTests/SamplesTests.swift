import Foundation
import Testing

/// Every sample explains with the verdict written down in its folder's expected.tsv.
@Suite struct SamplesTests {
    struct Row: Sendable, CustomStringConvertible {
        var file: String
        var outcomes: [String]
        var stages: [String]
        var findings: [[String]]
        var description: String { file }
    }

    static func rows(_ folder: String) -> [Row] {
        let url = BinaryRunner.repo.appendingPathComponent("samples/\(folder)/expected.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") { return nil }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3 else { return nil }
            let findings = f.count > 3 && f[3] != "-" ? f[3].split(whereSeparator: { $0 == "," || $0 == "&" })
                .map { $0.split(separator: "|").map { String($0).trimmingCharacters(in: .whitespaces) } } : []
            return Row(file: "samples/\(folder)/\(f[0])", outcomes: f[1].split(separator: "|").map(String.init),
                       stages: f[2].split(separator: "|").map(String.init), findings: findings)
        }
    }

    /// Each sample folder with an expected.tsv: hand-typed telnet sessions, captures (one connection per
    /// file), application error messages, bounces, email services' events, Postfix, Exchange, Sendmail and Exim
    /// queue listings, Exchange Online message traces, message headers, DMARC reports, SMTP TLS reports, feedback reports, DNS lookups, report emails, address tests, MTA configurations;
    /// and each client's or server's debug output (swaks, curl, openssl, ...), also pasted amid other text.
    @Test(arguments: ["telnet", "pcap", "client-error", "bounce", "esp-event", "postfix-queue", "exchange-queue",
                      "sendmail-queue", "exim-queue", "exchange-trace", "headers", "dmarc", "tls-reports", "feedback", "dns", "report-mail", "address-test", "config",
                      "swaks", "curl", "openssl", "smtplib", "phpmailer", "nodemailer", "javamail", "mailkit", "msmtp", "sendmail",
                      "exchange", "exim", "hmailserver", "iis-smtp", "postfix-verbose", "rfc", "mixed"].flatMap(rows))
    func sample(row: Row) throws {
        try expectVerdict(row)
    }

    private func expectVerdict(_ row: Row) throws {
        let doc = try BinaryRunner.json([row.file])
        let sessions = try #require(doc["sessions"] as? [[String: Any]])
        let s = try #require(sessions.first)
        #expect(row.outcomes.contains(s["outcome"] as? String ?? "?"), "\(row.file): outcome \(s["outcome"] ?? "nil")")
        let stage = (s["failedStage"] as? String) ?? "none"
        #expect(row.stages.contains(stage), "\(row.file): failedStage \(stage)")
        let findings = (s["findings"] as? [[String: Any]]) ?? []
        let words = Set(findings.compactMap { $0["id"] as? String } + findings.compactMap { $0["reason"] as? String })
        for group in row.findings {
            #expect(group.contains { words.contains($0) }, "\(row.file): expected one of \(group), got \(words.sorted())")
        }
    }

    @Test func everySampleExplainsWithoutError() throws {
        let root = BinaryRunner.repo.appendingPathComponent("samples")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }
            .filter { !["md", "tsv"].contains($0.pathExtension) && !$0.hasDirectoryPath } ?? []
        #expect(files.count >= 10)
        for f in files {
            let r = try BinaryRunner.run([f.path, "--format", "json"])
            #expect(r.status == 0, "\(f.lastPathComponent): exit \(r.status) \(r.stderr)")
        }
    }
}
