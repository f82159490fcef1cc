import Foundation
import Testing
@testable import TranscriptModel

/// Every file of the public log corpus is read by a log reader, and every SMTP-related line is understood.
@Suite struct LogCorpusTests {
    @Test func corpusLinesUnderstood() throws {
        let files = LogCorpus.files()
        guard !files.isEmpty else { return }
        var bySource: [String: (understood: Int, unrecognised: Int, ignored: Int, sessions: Int)] = [:]
        var misses: [String] = []
        for f in files where !f.lines.allSatisfy({ $0.isEmpty }) {
            let (sessions, stats) = try LogCorpus.run(f)
            guard let st = stats else {
                misses.append("\(f.path): not read by a log reader (\(sessions.first?.format ?? "no session"))")
                continue
            }
            var s = bySource[f.source] ?? (0, 0, 0, 0)
            s.understood += st.understood; s.unrecognised += st.unrecognised; s.ignored += st.ignored; s.sessions += sessions.count
            bySource[f.source] = s
            for u in st.unrecognisedSamples.prefix(40) { misses.append("\(f.path):\(u.line) [\(st.format)] \(u.text.prefix(200))") }
        }
        for (k, v) in bySource.sorted(by: { $0.key < $1.key }) {
            print("log-corpus \(k): understood \(v.understood)/\(v.understood + v.unrecognised) SMTP-related lines, \(v.ignored) other, \(v.sessions) sessions")
        }
        for m in misses { print("log-corpus miss: \(m)") }
        let total = bySource.values.reduce(0) { $0 + $1.unrecognised }
        let all = bySource.values.reduce(0) { $0 + $1.understood + $1.unrecognised }
        // What is left are the Exim test suite's own `logwrite` debugging lines and one broken line in
        // lightmeter's sample; every shape in SHAPES.md is understood (LogShapesTests).
        #expect(Double(total) <= 0.02 * Double(all), "\(total) of \(all) SMTP-related corpus lines not understood")
        for src in ["crowdsec-hub", "fail2ban", "postfix-grok-patterns", "postfix-source", "wazuh", "wazuh-ruleset", "fluent-plugin-sendmail", "elastic-integrations", "sshguard"] {
            #expect(bySource[src]?.unrecognised ?? 0 == 0, "\(src)")
        }
    }
}
