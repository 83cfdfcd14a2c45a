import Foundation

/// What every harness shares: the input as bytes or text, and an invariant that stops the run with the reason
/// (libFuzzer then writes the input to crash-<sha1> and exits non-zero).

/// The fuzzer's bytes.
public func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] { Array(UnsafeBufferPointer(start: data, count: size)) }

/// The bytes as text the way a scanner or a socket hands it over: invalid UTF-8 replaced by U+FFFD.
public func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
}

/// An invariant of the parser under test: when it does not hold, the run stops here with `reason`.
public func invariant(_ holds: @autoclosure () -> Bool, _ reason: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    guard !holds() else { return }
    let message = "invariant broken at \(file):\(line): \(reason())\n"
    FileHandle.standardError.write(Data(message.utf8))
    abort()
}

/// The repository's root, found from this file (Fuzz/Harnesses/FuzzSupport/), whatever the working folder.
public let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
