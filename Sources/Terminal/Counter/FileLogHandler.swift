import Foundation
import Logging
import Platform

/// Log lines to a file (the terminal itself shows the counter screen, so logs cannot go there).
public struct FileLogHandler: LogHandler {
    final class Sink: @unchecked Sendable {
        let handle: FileHandle
        let lock = NSLock()
        init(_ handle: FileHandle) { self.handle = handle }
        func write(_ line: String) { lock.lock(); handle.write(Data(line.utf8)); lock.unlock() }
    }

    private let label: String
    private let sink: Sink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public static func opening(_ path: String) throws -> @Sendable (String) -> any LogHandler {
        try OwnerOnlyFile.prepare(path) // masked codes and sale ids are still the shop's business
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteNoPermission) }
        handle.seekToEndOfFile()
        let sink = Sink(handle)
        return { label in FileLogHandler(label: label, sink: sink) }
    }

    init(label: String, sink: Sink) { self.label = label; self.sink = sink }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.write("\(ISO8601DateFormatter().string(from: Date())) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n")
    }
}
