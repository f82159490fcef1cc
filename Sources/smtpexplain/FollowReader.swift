import Synchronization
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// `--follow`: read a growing file like `tail -f`, feeding new lines to the same reader, until Ctrl-C or
/// SIGTERM; then the reader is finished so open sessions are still printed.
enum FollowReader {
    static let stop = Atomic<Bool>(false)

    static func read(path: String, options: InputOptions, emit: (Session) -> Void) throws -> InputInfo {
        signal(SIGINT) { _ in FollowReader.stop.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in FollowReader.stop.store(true, ordering: .relaxed) }
        return try InputDriver.follow(path: path, options: options, shouldStop: { stop.load(ordering: .relaxed) },
                                      emit: emit)
    }
}
