import Foundation
import Imaging
import Platform
import SystemPackage
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
        defer { SystemCall.close(fd) }
        try PrinterIO.writeAll(fd, ESCPOS.job(slip), device: description)
        // Half-close, then wait for the printer to close: the bytes are in the printer, not only in our buffer.
        _ = try? SystemCall.check("shutdown") { shutdown(fd.rawValue, Int32(SHUT_WR)) }
        _ = try? PrinterIO.readStatusByte(fd, timeout: .seconds(2), device: description)
    }

    public func status() throws(DeviceError) -> PrinterStatus? {
        let fd = try connect()
        defer { SystemCall.close(fd) }
        return try PrinterIO.askStatus(fd, device: description)
    }

    public func close() {}

    /// TCP connect with a 3 s limit (a printer switched off must not hold the counter).
    private func connect() throws(DeviceError) -> FileDescriptor {
        var hints = addrinfo(ai_flags: 0, ai_family: AF_UNSPEC, ai_socktype: Int32(SOCK_STREAM.rawValue), ai_protocol: 0,
                             ai_addrlen: 0, ai_addr: nil, ai_canonname: nil, ai_next: nil)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw DeviceError(device: description, call: "resolve", hint: "cannot find \(host) on the network")
        }
        defer { freeaddrinfo(found) }
        let fd: FileDescriptor
        do {
            fd = FileDescriptor(rawValue: try SystemCall.check("socket") {
                socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            })
        } catch { throw DeviceError(device: description, error) }
        do {
            // Not repeated when interrupted: the connection goes on being made, and the wait below sees it.
            try SystemCall.check("connect", retryOnInterrupt: false) { Glibc.connect(fd.rawValue, info.pointee.ai_addr, info.pointee.ai_addrlen) }
        } catch where error.errno == .nowInProgress {
            let offTheNetwork = "is the printer on and on the network?"
            let ready: SystemCall.Events?
            do { ready = try SystemCall.poll(fd, for: .writable, timeout: .seconds(3)) } catch {
                SystemCall.close(fd)
                throw DeviceError(device: description, call: "connect", errno: error.errno.rawValue, hint: offTheNetwork)
            }
            guard ready != nil else {
                SystemCall.close(fd)
                throw DeviceError(device: description, call: "connect", errno: ETIMEDOUT, hint: offTheNetwork)
            }
            var problem: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = try? SystemCall.check("getsockopt SO_ERROR") { getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &problem, &length) }
            if problem != 0 {
                SystemCall.close(fd)
                throw DeviceError(device: description, call: "connect", errno: problem, hint: offTheNetwork)
            }
        } catch {
            SystemCall.close(fd)
            throw DeviceError(device: description, error)
        }
        // Blocking again for the writes: a full printer buffer makes us wait, as it should.
        _ = try? SystemCall.check("fcntl F_SETFL") { fcntl(fd.rawValue, F_SETFL, fcntl(fd.rawValue, F_GETFL) & ~O_NONBLOCK) }
        return fd
    }
}
