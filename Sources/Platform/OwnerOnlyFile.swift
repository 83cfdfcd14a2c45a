import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file operation that failed: which call, on which file, and the system's reason.
public struct FileProblem: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var call: String
    public var reason: String
    public init(path: String, call: String, errno code: Int32) {
        self.path = path; self.call = call; reason = String(cString: strerror(code))
    }
    public var description: String { "cannot \(call) \(path): \(reason)" }
}

/// Files that hold secrets or the shop's business (keys, the ECR token, the journal, the ledger): created with
/// their final mode from the first byte (open with O_CREAT and the mode, never chmod afterwards, so they are
/// never readable by others even briefly, whatever the umask), and fsynced before they count as written.
public enum OwnerOnlyFile {
    /// Writes `contents` to `path` (created or replaced in place) with `mode` (0600 unless said otherwise).
    public static func write(_ path: String, _ contents: Data, mode: mode_t = 0o600) throws(FileProblem) {
        let fd = try open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        defer { close(fd) }
        var offset = 0
        while offset < contents.count {
            let written = contents.withUnsafeBytes { bytes in Glibc.write(fd, bytes.baseAddress! + offset, contents.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileProblem(path: path, call: "write", errno: errno)
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw FileProblem(path: path, call: "fsync", errno: errno) }
    }

    /// Makes sure `path` exists with `mode` before a library (SQLite) opens it; an existing file keeps its
    /// contents and gets the mode. SQLite gives its -wal and -shm files the mode of the database file.
    public static func prepare(_ path: String, mode: mode_t = 0o600) throws(FileProblem) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw FileProblem(path: folder, call: "create the folder", errno: EACCES)
            }
        }
        let fd = try open(path, flags: O_WRONLY | O_CREAT, mode: mode)
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw FileProblem(path: path, call: "set the mode of", errno: errno) }
    }

    private static func open(_ path: String, flags: Int32, mode: mode_t) throws(FileProblem) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 {
                // An existing file keeps the mode it had: give it ours before anything is written into it.
                guard fchmod(fd, mode) == 0 else { let code = errno; close(fd); throw FileProblem(path: path, call: "set the mode of", errno: code) }
                return fd
            }
            if errno != EINTR { throw FileProblem(path: path, call: "open", errno: errno) }
        }
    }
}
