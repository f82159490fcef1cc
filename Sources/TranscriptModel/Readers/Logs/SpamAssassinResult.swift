/// SpamAssassin's verdict as spamd logs it, and amavis's "passed, but marked as spam": the `spam-*` session
/// attributes the explainer's spam-filter rules read (as for Rspamd's verdicts).
enum SpamAssassinResult {
    /// `spamd: result: Y 15 - BAYES_99,RCVD_IN_SBL,URIBL_BLACK scantime=2.1,size=5120,...,required_score=5.0,
    /// ...,mid=<m@x>,...` → the Message-ID and the attributes. `Y` is spam (the MTA then marks it), `.` is not.
    static func parse(_ m: ArraySlice<UInt8>) -> (String, [String: String])? {
        guard let r = LogBytes.find(m.prefix(200), "result: ") else { return nil }
        var rest = m[(r + 8)...].prefix(8_192)
        guard let flag = rest.first, flag == 0x59 || flag == 0x2E else { return nil }
        rest = rest.dropFirst()
        guard rest.first == Bytes.space else { return nil }
        rest = rest.dropFirst()
        let score = rest.prefix { $0 != Bytes.space }
        guard !score.isEmpty, score.count < 12 else { return nil }
        rest = rest[score.endIndex...]
        guard LogBytes.starts(rest, " - ") else { return nil }
        rest = rest.dropFirst(3)
        let rules = rest.prefix { $0 != Bytes.space }
        guard let mid = LogBytes.value(rest, "mid=").map({ Bytes.string($0.prefix(300)) }), !mid.isEmpty else { return nil }
        let required = LogBytes.value(rest, "required_score=").map { Bytes.string($0.prefix(12)) }
        var a = ["spam-filter": "spamassassin", "spam-action": flag == 0x59 ? "tagged" : "no action",
                 "spam-score": Bytes.string(score) + (required.map { "/" + $0 } ?? "")]
        // Rule names without their scores (spamd does not log them); `none` when no rule hit.
        let names = rules.split(separator: 0x2C).prefix(40).map { Bytes.string($0) }.filter { $0 != "none" }
        a["spam-symbols"] = names.joined(separator: "; ")
        return (mid, a)
    }

    /// amavis `(01733-06) Passed SPAM {RelayedTaggedInbound}, ..., Hits: 8.1, ...` (also `SPAMMY`): passed on
    /// with a spam mark, which the mailbox then files in Junk.
    static func amavisTagged(_ m: ArraySlice<UInt8>) -> [String: String]? {
        var rest = m.prefix(4_000)
        if rest.first == 0x28, let close = rest.firstIndex(of: 0x29) { rest = Bytes.trimmed(rest[(close + 1)...]) }
        guard LogBytes.starts(rest, "Passed SPAM ") || LogBytes.starts(rest, "Passed SPAMMY ") || LogBytes.starts(rest, "Passed SPAM,")
                || LogBytes.starts(rest, "Passed SPAMMY,") else { return nil }
        var a = ["spam-filter": "amavis", "spam-action": "tagged", "spam-symbols": ""]
        a["spam-score"] = LogBytes.value(rest, "Hits: ").map { Bytes.string($0.prefix(20)) } ?? "?"
        return a
    }
}
