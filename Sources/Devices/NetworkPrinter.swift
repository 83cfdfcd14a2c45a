import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// An ESC/POS printer on the shop's network, raw TCP on port 9100 (what Epson, Star and most others listen on).
/// One connection per job or status request: such printers serve one client at a time.
public final class NetworkPrinter: Printer {
    public let host: String
    public let port: Int
    public let dots: Int
    private let paper: PrinterChoice.Paper
    public var description: String { "escpos network \(host):\(port) \(paper.rawValue) mm" }

    public init(address: String, paper: PrinterChoice.Paper) throws(DeviceError) {
        let parts = address.split(separator: ":")
        guard let first = parts.first, parts.count <= 2, let port = parts.count == 2 ? Int(parts[1]) : 9100, (1...65535).contains(port) else {
            throw DeviceError(device: address, call: "parse address", hint: "write HOST or HOST:PORT (raw printing is usually port 9100)")
        }
        host = String(first); self.port = port; self.paper = paper; dots = paper.dots
    }

    public func print(_ slip: MonoImage, named name: String) throws(DeviceError) {
        let fd = try connect()
        defer { Glibc.close(fd) }
        try PrinterIO.writeAll(fd, ESCPOS.job(slip), device: description)
        // Half-close, then wait for the printer to close: the bytes are in the printer, not only in our buffer.
        shutdown(fd, Int32(SHUT_WR))
        _ = try? PrinterIO.readStatusByte(fd, timeout: 2000, device: description)
    }

    public func status() throws(DeviceError) -> PrinterStatus? {
        let fd = try connect()
        defer { Glibc.close(fd) }
        return try PrinterIO.askStatus(fd, device: description)
    }

    public func close() {}

    /// TCP connect with a 3 s limit (a printer switched off must not hold the counter).
    private func connect() throws(DeviceError) -> Int32 {
        var hints = addrinfo(ai_flags: 0, ai_family: AF_UNSPEC, ai_socktype: Int32(SOCK_STREAM.rawValue), ai_protocol: 0,
                             ai_addrlen: 0, ai_addr: nil, ai_canonname: nil, ai_next: nil)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw DeviceError(device: description, call: "resolve", hint: "cannot find \(host) on the network")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw DeviceError(device: description, call: "socket", errno: errno) }
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { let code = errno; Glibc.close(fd); throw DeviceError(device: description, call: "connect", errno: code) }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var ready: Int32
            repeat { ready = poll(&poller, 1, 3000) } while ready < 0 && errno == EINTR
            var problem: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &problem, &length)
            if ready <= 0 || problem != 0 {
                Glibc.close(fd)
                throw DeviceError(device: description, call: "connect", errno: ready == 0 ? ETIMEDOUT : problem, hint: "is the printer on and on the network?")
            }
        }
        // Blocking again for the writes: a full printer buffer makes us wait, as it should.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }
}
