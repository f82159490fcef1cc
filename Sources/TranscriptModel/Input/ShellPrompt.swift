/// A command typed after a shell prompt (`admin@ops:~$ dig MX shop.example`, `[root@mx2 ~]# exim -bt a@b`,
/// `C:\> nslookup ...`): the readers of tool output recognise their commands on what follows it.
enum ShellPrompt {
    /// The text after the prompt (the first `$ `, `# `, `> ` or `% ` within 60 characters), or the whole line.
    static func command(in s: String) -> Substring {
        for marker in ["$ ", "# ", "> ", "% "] {
            if let r = s.range(of: marker), s.distance(from: s.startIndex, to: r.lowerBound) <= 60 {
                return s[r.upperBound...]
            }
        }
        return Substring(s)
    }
}
