import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: which call, as a technician reads it ("open", "VIDIOC_DQBUF", "poll"), and the
/// kernel's reason. Each program turns it into its own error (DeviceError, FileProblem), hints and all.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var errno: Errno

    public init(call: String, errno: Errno) { self.call = call; self.errno = errno }

    /// A non-blocking descriptor with nothing for us yet (EAGAIN): not a failure to its callers.
    public var wouldBlock: Bool { errno == .resourceTemporarilyUnavailable || errno == .wouldBlock }

    public var description: String { "\(call) failed (\(String(cString: strerror(errno.rawValue))))" }
}

/// An ioctl request with the type its argument must have, named as the kernel's header names it.
public struct IOControl<Argument>: Sendable {
    public typealias Function = @Sendable (Int32, UInt, UnsafeMutableRawPointer?) -> Int32
    public let name: String
    public let request: UInt
    /// What makes the call: plain ioctl(2), or a library's own wrapper where the library must see every ioctl
    /// on its descriptors (libv4l2 converting formats, libdrm).
    public let function: Function

    public init(_ name: String, _ request: UInt, through function: @escaping Function = { qrpos_ioctl($0, $1, $2) }) {
        self.name = name; self.request = request; self.function = function
    }
}

/// The system calls qrpos makes, each a thin typed wrapper over swift-system's FileDescriptor or the C call.
/// Here and nowhere else a call interrupted by a signal (EINTR) is made again, and a failure becomes a
/// SystemCallError naming the call.
public enum SystemCall {
    /// Runs `body`, a C call that returns -1 and sets errno when it fails, again while a signal interrupts it.
    /// `retryOnInterrupt: false` for the few calls that must not be repeated (connect carries on by itself).
    @discardableResult
    public static func check<Result: FixedWidthInteger>(_ call: String, retryOnInterrupt: Bool = true,
                                                         _ body: () -> Result) throws(SystemCallError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Errno(rawValue: Glibc.errno)
            if code == .interrupted, retryOnInterrupt { continue }
            throw SystemCallError(call: call, errno: code)
        }
    }

    /// The corresponding C function is `open`; the descriptor is always close-on-exec.
    public static func open(_ path: String, _ mode: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions = [],
                            permissions: FilePermissions? = nil) throws(SystemCallError) -> FileDescriptor {
        try typed("open") { try FileDescriptor.open(FilePath(path), mode, options: options.union(.closeOnExec), permissions: permissions) }
    }

    /// The corresponding C function is `close`. Never retried: Linux frees the descriptor even when close is
    /// interrupted, and a second close could shut a descriptor another thread has just been given.
    public static func close(_ fd: FileDescriptor) {
        try? fd.close()
    }

    /// The corresponding C function is `read`: what is there, up to the buffer's size; 0 at the end of the file.
    /// A non-blocking descriptor with nothing to read throws an error whose `wouldBlock` is true.
    public static func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        try typed("read") { try fd.read(into: buffer) }
    }

    /// `read` into an array's bytes (its count is the most that is read).
    public static func read(_ fd: FileDescriptor, into buffer: inout [UInt8]) throws(SystemCallError) -> Int {
        try buffer.withUnsafeMutableBytes { bytes in Result { () throws(SystemCallError) in try read(fd, into: bytes) } }.get()
    }

    /// `read` into the bytes of one value (a struct input_event); true when the whole value came.
    public static func readValue<Value>(_ fd: FileDescriptor, into value: inout Value) throws(SystemCallError) -> Bool {
        let size = MemoryLayout<Value>.size
        let count = try withUnsafeMutableBytes(of: &value) { bytes throws(SystemCallError) in try read(fd, into: bytes) }
        return count == size
    }

    /// The corresponding C function is `write`, repeated until every byte is written (a short write, a full
    /// printer buffer, a pipe, are not errors).
    public static func writeAll(_ fd: FileDescriptor, _ bytes: some Sequence<UInt8>) throws(SystemCallError) {
        _ = try typed("write") { try fd.writeAll(bytes) }
    }

    /// The corresponding C function is `ioctl` (or the library's wrapper the request names).
    public static func control<Argument>(_ fd: FileDescriptor, _ request: IOControl<Argument>, _ argument: inout Argument) throws(SystemCallError) {
        _ = try withUnsafeMutableBytes(of: &argument) { bytes throws(SystemCallError) in
            try check(request.name) { request.function(fd.rawValue, request.request, bytes.baseAddress) }
        }
    }

    /// What a descriptor can be waited for, and what `poll` says happened.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int16(POLLIN))
        public static let writable = Events(rawValue: Int16(POLLOUT))
        public static let error = Events(rawValue: Int16(POLLERR))
        public static let hangUp = Events(rawValue: Int16(POLLHUP))
    }

    /// The corresponding C function is `poll` on one descriptor: what happened, or nil when `timeout` passed
    /// first. An interrupted wait goes on for the time that is left, not for a new `timeout`.
    public static func poll(_ fd: FileDescriptor, for events: Events, timeout: Duration) throws(SystemCallError) -> Events? {
        let deadline = ContinuousClock.now + timeout
        var poller = pollfd(fd: fd.rawValue, events: events.rawValue, revents: 0)
        while true {
            let left = max(.zero, deadline - .now)
            // Rounded up: a wait of 0.4 ms must not become a poll that returns at once, over and over.
            let milliseconds = Int32(clamping: (left.components.seconds * 1000) + (left.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            let ready = Glibc.poll(&poller, 1, milliseconds)
            if ready > 0 { return Events(rawValue: poller.revents) }
            if ready == 0 { return nil }
            let code = Errno(rawValue: Glibc.errno)
            if code != .interrupted { throw SystemCallError(call: "poll", errno: code) }
        }
    }

    /// The corresponding C function is `mmap`, shared and read-write: a panel's memory or a DRM dumb buffer.
    public static func mapShared(_ fd: FileDescriptor, length: Int, offset: Int = 0, call: String = "mmap") throws(SystemCallError) -> UnsafeMutableRawPointer {
        guard let memory = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, off_t(offset)), memory != MAP_FAILED else {
            throw SystemCallError(call: call, errno: Errno(rawValue: Glibc.errno))
        }
        return memory
    }

    /// The corresponding C function is `munmap`, for what `mapShared` mapped.
    public static func unmap(_ memory: UnsafeMutableRawPointer, length: Int) {
        _ = munmap(memory, length)
    }

    /// swift-system's calls throw an untyped Errno (already retried on EINTR): typed here, with the call named.
    private static func typed<Result>(_ call: String, _ body: () throws -> Result) throws(SystemCallError) -> Result {
        do { return try body() } catch let code as Errno { throw SystemCallError(call: call, errno: code) } catch {
            throw SystemCallError(call: call, errno: .ioError)
        }
    }
}
