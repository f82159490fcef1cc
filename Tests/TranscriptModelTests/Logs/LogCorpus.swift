import Foundation
@testable import TranscriptModel

/// The public MTA log corpus (../shared/corpus/logs): the log lines of each file, unwrapped from the test
/// harness formats they were published in (fail2ban `# failJSON` comments, grok YAML `data:`, Wazuh ini
/// `log N pass =`, sshguard triples, Postfix `smtpd_check` transcripts). Bare Postfix messages get a
/// syslog header naming the daemon the test names. Nothing is copied into the repository: this reads the
/// corpus in place.
enum LogCorpus {
    struct File {
        var source: String
        var path: String
        var lines: [String]
    }

    static func files() -> [File] {
        guard let root = sharedCorpus?.appendingPathComponent("logs") else { return [] }
        var out: [File] = []
        func read(_ rel: String) -> String? {
            let url = root.appendingPathComponent(rel)
            guard let data = try? Data(contentsOf: url) else { return nil }
            if rel.hasSuffix(".gz") {
                guard let d = try? Gzip.decompress(Array(data)) else { return nil }
                return String(decoding: d, as: UTF8.self)
            }
            return String(decoding: data, as: UTF8.self)
        }
        func lines(_ s: String) -> [String] { s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        func list(_ dir: String) -> [String] {
            let url = root.appendingPathComponent(dir)
            guard let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) else { return [] }
            var r: [String] = []
            for case let u as URL in e where !u.hasDirectoryPath {
                r.append(dir + "/" + u.path.dropFirst(url.path.count + 1))
            }
            return r.sorted()
        }
        // fail2ban: the MTA files only.
        for name in ["postfix", "exim", "exim-spam", "sendmail-auth", "sendmail-reject"] {
            guard let t = read("fail2ban/\(name)") else { continue }
            out.append(File(source: "fail2ban", path: "fail2ban/\(name)",
                            lines: lines(t).filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }))
        }
        // postfix-grok-patterns: one message per YAML file.
        let daemons: [String: String] = ["trivial_rewrite": "trivial-rewrite", "script": "postfix-script"]
        var grok: [String] = []
        for rel in list("postfix-grok-patterns/test") where rel.hasSuffix(".yaml") {
            let base = (rel as NSString).lastPathComponent
            let prefix = String(base[..<(base.range(of: "_0", options: .backwards)?.lowerBound ?? base.endIndex)])
            if ["command_counter_data", "delays", "tls_features"].contains(prefix) { continue } // fragments, not lines
            guard let t = read(rel), let d = lines(t).first(where: { $0.hasPrefix("data:") }) else { continue }
            var v = d.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("\"") && v.hasSuffix("\"") {
                v = String(v.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            } else if v.hasPrefix("'") && v.hasSuffix("'") {
                v = String(v.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
            }
            grok.append("Jan  1 00:00:00 mail postfix/\(daemons[prefix] ?? prefix)[1\(grok.count)]: \(v)")
        }
        out.append(File(source: "postfix-grok-patterns", path: "postfix-grok-patterns/test/*.yaml", lines: grok))
        // lightmeter: whole log files (some gzipped).
        for rel in list("lightmeter-controlcenter") {
            guard let t = read(rel) else { continue }
            out.append(File(source: "lightmeter-controlcenter", path: rel, lines: lines(t)))
        }
        for rel in list("exim-testsuite/test") {
            guard let t = read(rel) else { continue }
            out.append(File(source: "exim-testsuite", path: rel, lines: lines(t)))
        }
        for rel in list("crowdsec-hub") where rel.hasSuffix(".log") && !rel.contains("exchange-smtp") {
            guard let t = read(rel) else { continue }
            out.append(File(source: "crowdsec-hub", path: rel, lines: lines(t)))
        }
        for rel in ["wazuh-ruleset/0025-sendmail.ini", "wazuh-ruleset/0030-postfix.ini", "wazuh-ruleset/0325-opensmtpd.ini",
                    "wazuh-ruleset/0515-exim.ini", "wazuh/ruleset/testing/tests/exim.ini"] {
            guard let t = read(rel) else { continue }
            let ls = lines(t).compactMap { l -> String? in
                guard l.hasPrefix("log "), let eq = l.range(of: " = ") else { return nil }
                return String(l[eq.upperBound...])
            }
            out.append(File(source: rel.hasPrefix("wazuh/") ? "wazuh" : "wazuh-ruleset", path: rel, lines: ls))
        }
        if let t = read("sshguard/src/parser/tests.txt") {
            var section = ""
            var byMTA: [String: [String]] = [:]
            for l in lines(t) {
                if l.hasPrefix("# ") {
                    if l.contains("{{{") { section = l.dropFirst(2).components(separatedBy: " {{{")[0].lowercased() }
                    continue
                }
                guard ["exim", "sendmail", "postfix", "opensmtpd"].contains(section) else { continue }
                if l == "M" || l.isEmpty || l.hasPrefix("*") { continue }
                if let f = l.first, f.isNumber, l.split(separator: " ").count == 4, Int(l.split(separator: " ")[0]) != nil { continue }
                byMTA[section, default: []].append(l)
            }
            for (k, v) in byMTA.sorted(by: { $0.key < $1.key }) {
                out.append(File(source: "sshguard", path: "sshguard/src/parser/tests.txt#\(k)", lines: v))
            }
        }
        for rel in list("postfix-source") where rel.contains(".ref") {
            guard let t = read(rel) else { continue }
            let ls = lines(t).compactMap { l -> String? in
                guard l.hasPrefix("./smtpd_check: ") else { return nil }
                let m = l.dropFirst(15).replacingOccurrences(of: "<queue id>: ", with: "NOQUEUE: ")
                return "Jan  1 00:00:00 mail postfix/smtpd[1]: \(m)"
            }
            out.append(File(source: "postfix-source", path: rel, lines: ls))
        }
        if let t = read("fluent-plugin-sendmail/test/data/data") {
            out.append(File(source: "fluent-plugin-sendmail", path: "fluent-plugin-sendmail/test/data/data", lines: lines(t)))
        }
        if let t = read("elastic-integrations/microsoft_exchange_server/test-messagetracking.log") {
            out.append(File(source: "elastic-integrations", path: "elastic-integrations/microsoft_exchange_server/test-messagetracking.log", lines: lines(t)))
        }
        return out
    }

    /// Run a file through the driver; returns its sessions and the reader's statistics.
    static func run(_ f: File, format: String? = nil) throws -> ([Session], LogReaderStats?) {
        var out: [Session] = []
        let name = "corpus:" + f.path
        let info = try InputDriver.read(name: name, bytes: Array(f.lines.joined(separator: "\n").utf8),
                                        options: InputOptions(forcedFormat: format)) { out.append($0) }
        _ = info
        return (out, LogStatsRegistry.shared.take(input: name))
    }
}
