import TranscriptModel
import Yams

/// Rules a support desk keeps for its own gateways' messages (`--rules FILE`), read from YAML:
///
/// ```yaml
/// rules:
///   - id: acme-quarantine
///     match:
///       code: 550            # a code, a list of codes, or a class such as "5xx"
///       enhanced: "5.7.1"    # prefix of the enhanced status code
///       text: "quarantined"  # case-insensitive substring; a list means any of them
///       command: RCPT        # or a list; CONNECT for the greeting, "." for end of data
///       stage: rcpt          # a failedStage word
///     reason: filtered       # a reason of the vocabulary
///     severity: error        # info, warning or error
///     title: "Held by the ACME gateway's quarantine"
///     explanation: "..."
///     actions: ["Ask the mail team to release it from quarantine."]
/// ```
///
/// User rules are tried before the built-in reply rules, so they add to and override them. Fields a rule
/// leaves out come from the knowledge base, as for built-in rows.
public enum UserRules {
    public struct LoadError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String {
            "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
        }
    }

    public static func load(path: String) throws -> [ReplyRule] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(file: path, line: nil, message: "cannot read the rules file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ yaml: String, file: String) throws -> [ReplyRule] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw LoadError(file: file, line: line(of: e), message: "not valid YAML: \(e)")
        }
        guard let root else { return [] }
        guard let list = root["rules"]?.sequence else {
            throw LoadError(file: file, line: root.mark?.line, message: "expected a top-level `rules:` list")
        }
        var rules: [ReplyRule] = []
        var seen = Set<String>()
        for node in list {
            let rule = try parseRule(node, file: file)
            if !seen.insert(rule.id).inserted {
                throw LoadError(file: file, line: node.mark?.line, message: "duplicate rule id '\(rule.id)'")
            }
            rules.append(rule)
        }
        return rules
    }

    private static func line(of e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    private static let knownKeys: Set<String> = ["id", "match", "reason", "severity", "title", "explanation", "actions"]
    private static let knownMatch: Set<String> = ["code", "enhanced", "text", "command", "stage"]

    private static func parseRule(_ node: Node, file: String) throws -> ReplyRule {
        func fail(_ n: Node?, _ m: String) -> LoadError { LoadError(file: file, line: (n ?? node).mark?.line, message: m) }
        guard let map = node.mapping else { throw fail(node, "each rule must be a mapping with id, match, ...") }
        for (k, v) in map {
            guard let key = k.string, knownKeys.contains(key) else {
                throw fail(v, "unknown key '\(k.string ?? "?")' (known: \(knownKeys.sorted().joined(separator: ", ")))")
            }
        }
        guard let id = node["id"]?.string, !id.isEmpty else { throw fail(node, "a rule needs an `id`") }
        var reason: Reason?
        if let r = node["reason"] {
            guard let v = r.string.flatMap(Reason.init(rawValue:)) else {
                throw fail(r, "unknown reason '\(r.string ?? "?")' (see the README's reason list)")
            }
            reason = v
        }
        var severity: Severity?
        if let s = node["severity"] {
            guard let v = s.string.flatMap(Severity.init(rawValue:)) else {
                throw fail(s, "severity must be info, warning or error")
            }
            severity = v
        }
        var actions: [String] = []
        if let a = node["actions"] {
            if let one = a.string { actions = [one] }
            else if let seq = a.sequence { actions = seq.compactMap(\.string) }
            else { throw fail(a, "actions must be a string or a list of strings") }
        }

        guard let match = node["match"], let mmap = match.mapping, !mmap.isEmpty else {
            throw fail(node, "rule '\(id)' needs a non-empty `match`")
        }
        for (k, v) in mmap where !knownMatch.contains(k.string ?? "") {
            throw fail(v, "unknown match key '\(k.string ?? "?")' (known: \(knownMatch.sorted().joined(separator: ", ")))")
        }
        let codes = try codeMatcher(match["code"], fail)
        let enhanced = match["enhanced"]?.string
        let texts = try strings(match["text"], fail).map { $0.lowercased() }
        let commands = try strings(match["command"], fail).map { $0.uppercased() }
        var stages: [Stage] = []
        for s in try strings(match["stage"], fail) {
            guard let st = Stage(rawValue: s.lowercased()) else { throw fail(match["stage"], "unknown stage '\(s)'") }
            stages.append(st)
        }

        let stageSet = stages
        return ReplyRule(id, severity: severity, reason: reason, title: node["title"]?.string,
                         explanation: node["explanation"]?.string, actions: actions) { c in
            if let codes, !codes(c.reply.code) { return false }
            if let e = enhanced, !(c.reply.enhanced ?? "").hasPrefix(e) { return false }
            if !texts.isEmpty, !texts.contains(where: { Bytes.contains(c.text, $0) }) { return false }
            if !commands.isEmpty, !commands.contains(c.verb ?? "") { return false }
            if !stageSet.isEmpty, !stageSet.contains(c.exchange.stage) { return false }
            return true
        }
    }

    private static func strings(_ n: Node?, _ fail: (Node?, String) -> LoadError) throws -> [String] {
        guard let n else { return [] }
        if let s = n.string { return [s] }
        if let seq = n.sequence { return seq.compactMap(\.string) }
        throw fail(n, "expected a string or a list of strings")
    }

    private static func codeMatcher(_ n: Node?, _ fail: (Node?, String) -> LoadError) throws -> (@Sendable (Int) -> Bool)? {
        guard let n else { return nil }
        var exact: Set<Int> = []
        var classes: Set<Int> = []
        for s in try strings(n, fail) {
            let t = s.lowercased()
            if let v = Int(t), (200...599).contains(v) { exact.insert(v) }
            else if t.count == 3, t.hasSuffix("xx"), let d = Int(t.prefix(1)), (2...5).contains(d) { classes.insert(d) }
            else { throw fail(n, "code must be a reply code (550) or a class (5xx), got '\(s)'") }
        }
        let e = exact, c = classes
        return { code in e.contains(code) || c.contains(code / 100) }
    }
}

import Foundation
