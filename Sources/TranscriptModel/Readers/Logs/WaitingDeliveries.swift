/// Dovecot deliveries that joined no message yet, read with an MTA's log (Exim's mainlog, Postfix's mail log):
/// each waits a moment of log time for the arrival that names its Message-ID (merged from the other file, it
/// may come just after), then it is a session of its own, as when Dovecot's log is read alone.
struct WaitingDeliveries<Note> {
    private var queue = MomentQueue<(delivery: MailboxDelivery, note: Note, alone: Session)>()
    /// Message-IDs waiting, with how many deliveries each.
    private var ids: [String: Int] = [:]
    var isEmpty: Bool { queue.isEmpty }
    var count: Int { queue.count }

    mutating func append(_ d: MailboxDelivery, note: Note, alone: Session, at time: Double) {
        queue.append((d, note, alone), at: time)
        ids[d.messageID, default: 0] += 1
    }

    /// The deliveries of `messageID`, taken out: the arrival that names it came.
    mutating func take(_ messageID: String) -> [(delivery: MailboxDelivery, note: Note)] {
        guard ids.removeValue(forKey: messageID) != nil else { return [] }
        let out = queue.items.filter { $0.item.delivery.messageID == messageID }.map { ($0.item.delivery, $0.item.note) }
        queue.removeAll { $0.delivery.messageID == messageID }
        return out
    }

    /// The sessions of the deliveries whose moment has passed (every one with `all`), oldest first.
    mutating func due(now: Double, all: Bool = false) -> [Session] {
        queue.due(now: now, all: all).map { u in
            if let c = ids[u.delivery.messageID] { ids[u.delivery.messageID] = c > 1 ? c - 1 : nil }
            return u.alone
        }
    }
}
