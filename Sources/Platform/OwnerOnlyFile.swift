import Foundation
import SystemPackage
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
    public init(path: String, _ failure: SystemCallError) { self.init(path: path, call: failure.call, errno: failure.errno.rawValue) }
    public var description: String { "cannot \(call) \(path): \(reason)" }
}

/// Files that hold secrets or the shop's business (keys, the ECR token, the journal, the ledger): created with
/// their final mode from the first byte (open with O_CREAT and the mode, never chmod afterwards, so they are
/// never readable by others even briefly, whatever the umask), and fsynced before they count as written.
public enum OwnerOnlyFile {
    /// Writes `contents` to `path` (created or replaced in place) with `mode` (0600 unless said otherwise).
    public static func write(_ path: String, _ contents: Data, mode: mode_t = 0o600) throws(FileProblem) {
        let fd = try open(path, options: [.create, .truncate], mode: mode)
        defer { SystemCall.close(fd) }
        do {
            try SystemCall.writeAll(fd, contents)
            try SystemCall.check("fsync") { fsync(fd.rawValue) }
        } catch { throw FileProblem(path: path, error) }
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
        SystemCall.close(try open(path, options: .create, mode: mode))
    }

    private static func open(_ path: String, options: FileDescriptor.OpenOptions, mode: mode_t) throws(FileProblem) -> FileDescriptor {
        let fd: FileDescriptor
        do { fd = try SystemCall.open(path, .writeOnly, options: options, permissions: FilePermissions(rawValue: mode)) } catch {
            throw FileProblem(path: path, error)
        }
        // An existing file keeps the mode it had: give it ours before anything is written into it.
        do { try SystemCall.check("set the mode of") { fchmod(fd.rawValue, mode) } } catch {
            SystemCall.close(fd)
            throw FileProblem(path: path, error)
        }
        return fd
    }
}
