import Foundation

/// One row of the knowledge table: a match condition and what it means.
///
/// A row matches when every condition it sets holds: the basic code is in `codes`, the enhanced code is in
/// `enhanced` (registry form "X.7.1", or a subject prefix "X.7."), the command is in `commands` and not in
/// `notCommands`, and the lower-cased reply text contains at least one of `any` (and all of `all`, and none
/// of `none`). Unset conditions always hold.
struct KnowledgeEntry: Sendable {
    /// Precedence, first wins: specific provider/product texts > blocklist names > generic text patterns >
    /// enhanced code subject/detail > basic code by command > class fallback. Within a tier, table order.
    enum Tier: Int, Sendable, Comparable {
        case provider = 0, blocklist, text, enhanced, code
        static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }
    }

    var id: String
    var tier: Tier
    var codes: ClosedRange<Int>? = nil
    var enhanced: [String] = []
    var commands: Set<String>? = nil
    var notCommands: Set<String> = []
    /// Only when the command the reply answered is unknown.
    var noCommand = false
    /// Enhanced codes (or subject prefixes) that exclude the row.
    var notEnhanced: [String] = []
    var any: [String] = []
    var all: [String] = []
    var none: [String] = []
    var reason: Reason
    /// nil: derived from the reply's class (2xx info, 4xx warning, 5xx error).
    var severity: Severity? = nil
    var title: String
    /// nil: the reason's summary.
    var explanation: String? = nil
    /// nil: the reason's default next steps.
    var actions: [String]? = nil
    var provider: String? = nil
    var blocklist: Blocklist? = nil
    var reference: String? = nil
    /// `any`, `all` and `none` as ids in `ReplyKnowledge.phrases`, set when the table is compiled.
    var anyIDs: [Int32] = []
    var allIDs: [Int32] = []
    var noneIDs: [Int32] = []

    /// Tested through a pointer so that only the fields looked at are read: copying a whole row per test
    /// (a dozen retains and releases) cost more than the test.
    static func matches(_ e: UnsafePointer<KnowledgeEntry>, code: Int?, enhanced xCode: String?, command: String?,
                        found: PhraseSet) -> Bool {
        if let r = e.pointee.codes {
            guard let c = code, r.contains(c) else { return false }
        }
        if !e.pointee.enhanced.isEmpty {
            guard let x = xCode else { return false }
            var ok = false
            for p in e.pointee.enhanced where p.hasSuffix(".") ? x.hasPrefix(p) : x == p { ok = true; break }
            if !ok { return false }
        }
        if e.pointee.commands != nil {
            guard let c = command, e.pointee.commands!.contains(c) else { return false }
        }
        if let c = command, !e.pointee.notCommands.isEmpty, e.pointee.notCommands.contains(c) { return false }
        if e.pointee.noCommand, command != nil { return false }
        if let x = xCode, !e.pointee.notEnhanced.isEmpty,
           e.pointee.notEnhanced.contains(where: { $0.hasSuffix(".") ? x.hasPrefix($0) : x == $0 }) { return false }
        if !e.pointee.anyIDs.isEmpty {
            var ok = false
            for s in e.pointee.anyIDs where found.contains(s) { ok = true; break }
            if !ok { return false }
        }
        for s in e.pointee.allIDs where !found.contains(s) { return false }
        for s in e.pointee.noneIDs where found.contains(s) { return false }
        return true
    }
}

/// Small constructors so the tables read as tables.
extension KnowledgeEntry {
    static func provider(_ id: String, _ name: String, any: [String], all: [String] = [], none: [String] = [],
                         codes: ClosedRange<Int>? = nil, enhanced: [String] = [], commands: Set<String>? = nil,
                         _ reason: Reason, _ title: String, _ explanation: String? = nil, actions: [String]? = nil,
                         severity: Severity? = nil, ref: String? = nil) -> KnowledgeEntry {
        KnowledgeEntry(id: "kb.\(id)", tier: .provider, codes: codes, enhanced: enhanced, commands: commands,
                       any: any, all: all, none: none, reason: reason, severity: severity, title: title,
                       explanation: explanation, actions: actions, provider: name, reference: ref)
    }

    static func text(_ id: String, any: [String], all: [String] = [], none: [String] = [],
                     codes: ClosedRange<Int>? = nil, enhanced: [String] = [], commands: Set<String>? = nil,
                     notCommands: Set<String> = [], noCommand: Bool = false, notEnhanced: [String] = [], _ reason: Reason, _ title: String, _ explanation: String? = nil,
                     actions: [String]? = nil, severity: Severity? = nil, ref: String? = nil) -> KnowledgeEntry {
        KnowledgeEntry(id: "text.\(id)", tier: .text, codes: codes, enhanced: enhanced, commands: commands,
                       notCommands: notCommands, noCommand: noCommand, notEnhanced: notEnhanced, any: any, all: all, none: none, reason: reason, severity: severity,
                       title: title, explanation: explanation, actions: actions, reference: ref)
    }

    static func status(_ x: [String], commands: Set<String>? = nil, _ reason: Reason, _ title: String,
                       _ explanation: String? = nil, actions: [String]? = nil, provider: String? = nil, ref: String? = nil) -> KnowledgeEntry {
        let id = "enh." + x[0].replacingOccurrences(of: "X.", with: "x.") + (commands.map { "." + $0.sorted().joined(separator: "+").lowercased() } ?? "")
        return KnowledgeEntry(id: id, tier: .enhanced, enhanced: x, commands: commands, reason: reason, title: title,
                              explanation: explanation, actions: actions, provider: provider, reference: ref ?? "RFC 3463")
    }

    static func reply(_ codes: ClosedRange<Int>, _ commands: Set<String>?, _ reason: Reason, _ title: String,
                      _ explanation: String? = nil, severity: Severity? = nil, ref: String = "RFC 5321 §4.2") -> KnowledgeEntry {
        let c = codes.lowerBound == codes.upperBound ? "\(codes.lowerBound)" : "\(codes.lowerBound)-\(codes.upperBound)"
        let id = "code.\(c)" + (commands.map { "." + $0.sorted().joined(separator: "+").lowercased() } ?? "")
        return KnowledgeEntry(id: id, tier: .code, codes: codes, commands: commands, reason: reason, severity: severity,
                              title: title, explanation: explanation, reference: ref)
    }
}
