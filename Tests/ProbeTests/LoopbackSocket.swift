import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A socket of `type` bound to 127.0.0.1:`port` (0: any free port), listening when it is a stream socket;
/// with the port it got. The test servers (DNS, HTTPS) share it.
func loopbackSocket(_ type: __socket_type, port: UInt16 = 0) -> (fd: Int32, port: UInt16)? {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { return nil }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, type != SOCK_STREAM || listen(fd, 16) == 0 else { close(fd); return nil }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return (fd, UInt16(bigEndian: addr.sin_port))
}
