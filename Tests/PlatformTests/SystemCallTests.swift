import CLinux
import Foundation
import Platform
import SystemPackage
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SystemCall against pipes and real signals: a signal without SA_RESTART interrupts a blocking call (the raw call
/// shows it does), and the layer makes the call again; short writes, poll's time left, typed ioctls and errors.
@Suite(.serialized) struct SystemCallTests {
    /// SIGUSR1 with a handler that does nothing and no SA_RESTART: a blocked read or poll returns EINTR.
    static let interrupting: Void = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        sigaction(SIGUSR1, &action, nil)
    }()

    /// A thread that runs `body` and can be sent SIGUSR1 while it is blocked.
    final class Interruptible: @unchecked Sendable {
        private let lock = NSLock()
        private var thread: pthread_t?
        private var finished = false
        private let done = DispatchSemaphore(value: 0)

        init(_ body: @escaping @Sendable () -> Void) {
            _ = SystemCallTests.interrupting
            Thread.detachNewThread { [self] in
                // Threads started from Dispatch's workers inherit their blocked signals.
                var usr1 = sigset_t()
                sigemptyset(&usr1)
                sigaddset(&usr1, SIGUSR1)
                pthread_sigmask(SIG_UNBLOCK, &usr1, nil)
                lock.withLock { thread = pthread_self() }
                body()
                lock.withLock { finished = true }
                done.signal()
            }
        }

        /// Sends SIGUSR1 every 10 ms for `duration`, or until the body has finished.
        func interrupt(for duration: Duration) {
            let end = ContinuousClock.now + duration
            while ContinuousClock.now < end, !hasFinished {
                lock.withLock { if !finished, let thread { pthread_kill(thread, SIGUSR1) } }
                usleep(10_000)
            }
        }

        func wait() { done.wait() }
        var hasFinished: Bool { lock.withLock { finished } }
    }

    final class Box<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Value
        init(_ value: Value) { stored = value }
        var value: Value {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    static func pipe() throws -> (read: FileDescriptor, write: FileDescriptor) {
        let ends = try FileDescriptor.pipe()
        return (ends.readEnd, ends.writeEnd)
    }

    @Test func aReadInterruptedByASignalIsMadeAgain() throws {
        let (reader, writer) = try Self.pipe()
        defer { SystemCall.close(reader); SystemCall.close(writer) }
        // The raw call first: the signal does interrupt a blocked read here.
        let raw = Box<(Int, Int32)>((0, 0))
        let bare = Interruptible {
            var byte: UInt8 = 0
            let count = Glibc.read(reader.rawValue, &byte, 1)
            raw.value = (count, Glibc.errno)
        }
        bare.interrupt(for: .seconds(2))
        if !bare.hasFinished { try SystemCall.writeAll(writer, [0]) } // never interrupted: let it go, and fail below
        bare.wait()
        #expect(raw.value.0 == -1 && raw.value.1 == EINTR)
        // Through the layer the same signals are absorbed and the bytes arrive.
        let got = Box<Result<[UInt8], SystemCallError>?>(nil)
        let layered = Interruptible {
            var buffer = [UInt8](repeating: 0, count: 16)
            do throws(SystemCallError) {
                let count = try SystemCall.read(reader, into: &buffer)
                got.value = .success(Array(buffer[0..<count]))
            } catch { got.value = .failure(error) }
        }
        layered.interrupt(for: .milliseconds(300))
        #expect(!layered.hasFinished)
        try SystemCall.writeAll(writer, [1, 2, 3])
        layered.wait()
        #expect(try got.value?.get() == [1, 2, 3])
    }

    @Test func anInterruptedPollWaitsOnlyForTheTimeLeft() throws {
        let (reader, writer) = try Self.pipe()
        defer { SystemCall.close(reader); SystemCall.close(writer) }
        let outcome = Box<(Result<SystemCall.Events?, SystemCallError>, Duration)?>(nil)
        let waiting = Interruptible {
            let start = ContinuousClock.now
            let result = Result { () throws(SystemCallError) in try SystemCall.poll(reader, for: .readable, timeout: .milliseconds(600)) }
            outcome.value = (result, ContinuousClock.now - start)
        }
        waiting.interrupt(for: .milliseconds(400))
        waiting.wait()
        let (result, took) = try #require(outcome.value)
        #expect(try result.get() == nil)
        // Not cut short by the signals, and not started over by each of them (30-odd signals of 10 ms).
        #expect(took >= .milliseconds(590) && took < .milliseconds(1200), "\(took)")
    }

    @Test func pollSaysWhatHappened() throws {
        let (reader, writer) = try Self.pipe()
        defer { SystemCall.close(reader) }
        #expect(try SystemCall.poll(reader, for: .readable, timeout: .milliseconds(20)) == nil)
        #expect(try SystemCall.poll(writer, for: .writable, timeout: .milliseconds(20)) == .writable)
        try SystemCall.writeAll(writer, [7])
        #expect(try SystemCall.poll(reader, for: .readable, timeout: .seconds(1)) == .readable)
        SystemCall.close(writer)
        let events = try #require(try SystemCall.poll(reader, for: .readable, timeout: .seconds(1)))
        #expect(events.contains(.readable))
        var byte: UInt8 = 0
        let whole = try SystemCall.readValue(reader, into: &byte)
        #expect(whole && byte == 7)
        // The writer is gone: the end of the file.
        let more = try SystemCall.readValue(reader, into: &byte)
        #expect(!more)
    }

    @Test func everyByteIsWrittenThroughShortWrites() throws {
        // A pipe takes 64 KiB at a time: a megabyte is many partial writes while the reader drains it.
        let (reader, writer) = try Self.pipe()
        defer { SystemCall.close(reader) }
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 ^ $0 >> 9) }
        let failure = Box<SystemCallError?>(nil)
        let writing = Interruptible {
            do throws(SystemCallError) { try SystemCall.writeAll(writer, bytes) } catch { failure.value = error }
            SystemCall.close(writer)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = try SystemCall.read(reader, into: &buffer)
            if count == 0 { break }
            received += buffer[0..<count]
        }
        writing.wait()
        #expect(failure.value == nil)
        #expect(received == bytes)
    }

    @Test func aNonBlockingReadWithNothingThereWouldBlock() throws {
        let (reader, writer) = try Self.pipe()
        defer { SystemCall.close(reader); SystemCall.close(writer) }
        try SystemCall.check("fcntl") { fcntl(reader.rawValue, F_SETFL, O_NONBLOCK) }
        var byte: UInt8 = 0
        let error = #expect(throws: SystemCallError.self) { _ = try SystemCall.readValue(reader, into: &byte) }
        #expect(error?.wouldBlock == true && error?.call == "read")
    }

    @Test func anIoctlIsTypedNamedAndRetried() throws {
        let (reader, writer) = try Self.pipe()
        defer { SystemCall.close(reader); SystemCall.close(writer) }
        // A pipe is no terminal: the error names the request and carries ENOTTY.
        var size = winsize()
        let windowSize = IOControl<winsize>("TIOCGWINSZ", qrpos_tiocgwinsz())
        let error = #expect(throws: SystemCallError.self) { try SystemCall.control(reader, windowSize, &size) }
        #expect(error?.call == "TIOCGWINSZ" && error?.errno == .inappropriateIOCTLForDevice)
        // Interrupted twice, then done: made three times, the argument reaches the call.
        let calls = Box(0)
        let flaky = IOControl<Int32>("FLAKY", 0x1234) { fd, request, argument in
            calls.value += 1
            if calls.value < 3 { Glibc.errno = EINTR; return -1 }
            argument?.assumingMemoryBound(to: Int32.self).pointee = Int32(request) + fd
            return 0
        }
        var answer: Int32 = 0
        try SystemCall.control(reader, flaky, &answer)
        #expect(calls.value == 3 && answer == 0x1234 + reader.rawValue)
    }

    @Test func checkRetriesOnlyWhereAsked() throws {
        var attempts = 0
        let result = try SystemCall.check("twice interrupted") { () -> Int32 in
            attempts += 1
            if attempts < 3 { Glibc.errno = EINTR; return -1 }
            return 5
        }
        #expect(result == 5 && attempts == 3)
        let error = #expect(throws: SystemCallError.self) {
            try SystemCall.check("connect", retryOnInterrupt: false) { () -> Int32 in Glibc.errno = EINTR; return -1 }
        }
        #expect(error?.call == "connect" && error?.errno == .interrupted)
    }

    @Test func openNamesTheCallAndClosesOnExec() throws {
        let error = #expect(throws: SystemCallError.self) { _ = try SystemCall.open("/nonexistent/qrpos", .readOnly) }
        #expect(error?.call == "open" && error?.errno == .noSuchFileOrDirectory)
        #expect(error.map { "\($0)" } == "open failed (No such file or directory)")
        let fd = try SystemCall.open("/dev/null", .readWrite)
        defer { SystemCall.close(fd) }
        #expect(fcntl(fd.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    }
}
