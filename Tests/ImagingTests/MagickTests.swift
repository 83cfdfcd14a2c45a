import CMagickWand
import Foundation
import Imaging
import Testing

/// ImageMagick is loaded with dlopen and called through our own declarations (CMagickWand): its headers, compiled
/// here with the flags its pkg-config file gives, must agree with every value and size we pass it.
@Suite struct MagickTests {
    @Test func ourDeclarationsMatchImageMagicksOwnHeaders() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-magick-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("abi.c")
        try """
        #include <stdio.h>
        #include <wand/MagickWand.h>
        int main(void) {
            printf("%d %d %d %d %d %d %zu %zu %zu\\n", (int)MagickFalse, (int)MagickTrue, (int)CharPixel, (int)WidthResource,
                   (int)HeightResource, (int)UndefinedException, sizeof(MagickSizeType), sizeof(MagickBooleanType), sizeof(StorageType));
            return 0;
        }
        """.write(to: source, atomically: true, encoding: .utf8)
        let binary = folder.appendingPathComponent("abi").path
        let flags = try run("/usr/bin/pkg-config", ["--cflags", "--libs", "MagickWand"]).split(separator: " ").map(String.init)
        _ = try run("/usr/bin/cc", [source.path, "-o", binary] + flags)
        let values = try run(binary, []).split(separator: " ").compactMap { Int($0) }
        let ours = [QRPOS_MAGICK_FALSE, QRPOS_MAGICK_TRUE, QRPOS_MAGICK_CHAR_PIXEL, QRPOS_MAGICK_WIDTH_RESOURCE,
                    QRPOS_MAGICK_HEIGHT_RESOURCE, QRPOS_MAGICK_UNDEFINED_EXCEPTION].map { Int($0) }
            + [MemoryLayout<UInt64>.size, MemoryLayout<Int32>.size, MemoryLayout<Int32>.size]
        #expect(values == ours, "ImageMagick's headers say \(values), CMagickWand declares \(ours)")
    }

    @Test func loadsOnceAndSaysWhatWentWrong() throws {
        let first = try Magick.load(), second = try Magick.load()
        #expect(unsafeBitCast(first.call.NewMagickWand, to: UnsafeRawPointer.self) == unsafeBitCast(second.call.NewMagickWand, to: UnsafeRawPointer.self))
        let wand = try #require(first.call.NewMagickWand())
        defer { _ = first.call.DestroyMagickWand(wand) }
        #expect(first.call.MagickReadImage(wand, "/nonexistent/qrpos.gif") != Magick.yes)
        let reason = try #require(first.exception(wand))
        #expect(reason.contains("qrpos.gif"), "ImageMagick's reason: \(reason)")
    }

    private func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(path): \(text)"]) }
        return text
    }
}
