import CMagickWand
import Foundation
import Imaging

/// Image files read through ImageMagick the way zbarimg reads them: every frame, exported as 8-bit
/// intensity ("I"), so any file zbarimg can scan reaches our scanner with the same pixels.
enum MagickImage {
    /// ImageMagick is set up once per process; its resource limits refuse oversized images cleanly.
    private static let ready: Bool = {
        MagickWandGenesis()
        _ = MagickSetResourceLimit(WidthResource, 65535)
        _ = MagickSetResourceLimit(HeightResource, 65535)
        return true
    }()

    static func frames(_ path: String) throws(ImageFile.Failure) -> [GrayImage] {
        precondition(ready)
        guard let wand = NewMagickWand() else { throw ImageFile.Failure(path: path, message: "ImageMagick could not start") }
        defer { _ = DestroyMagickWand(wand) }
        guard MagickPingImage(wand, path) == MagickTrue else { throw failure(path, wand, "not a readable image") }
        // Ping reads headers only: refuse a crafted size before any pixels are allocated.
        MagickResetIterator(wand)
        while MagickNextImage(wand) == MagickTrue {
            try ImageFile.checkSize(path, Int(MagickGetImageWidth(wand)), Int(MagickGetImageHeight(wand)))
        }
        ClearMagickWand(wand)
        guard MagickReadImage(wand, path) == MagickTrue else { throw failure(path, wand, "not a readable image") }
        var frames: [GrayImage] = []
        MagickResetIterator(wand)
        while MagickNextImage(wand) == MagickTrue {
            let width = Int(MagickGetImageWidth(wand)), height = Int(MagickGetImageHeight(wand))
            try ImageFile.checkSize(path, width, height)
            var image = GrayImage(width: width, height: height)
            let exported = image.pixels.withUnsafeMutableBytes {
                MagickExportImagePixels(wand, 0, 0, width, height, "I", CharPixel, $0.baseAddress)
            }
            guard exported == MagickTrue else { throw failure(path, wand, "cannot export the pixels") }
            frames.append(image)
        }
        guard !frames.isEmpty else { throw ImageFile.Failure(path: path, message: "no image in the file") }
        return frames
    }

    private static func failure(_ path: String, _ wand: OpaquePointer, _ what: String) -> ImageFile.Failure {
        var severity = UndefinedException
        guard let text = MagickGetException(wand, &severity) else { return ImageFile.Failure(path: path, message: what) }
        defer { _ = MagickRelinquishMemory(text) }
        let reason = String(cString: text)
        return ImageFile.Failure(path: path, message: reason.isEmpty ? what : "\(what) (\(reason))")
    }
}
