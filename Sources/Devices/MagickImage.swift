import CMagickWand
import Imaging

/// Image files read through ImageMagick the way zbarimg reads them: every frame, exported as 8-bit
/// intensity ("I"), so any file zbarimg can scan reaches our scanner with the same pixels.
enum MagickImage {
    static func frames(_ path: String) throws(ImageFile.Failure) -> [GrayImage] {
        let magick: Magick
        do { magick = try Magick.load() } catch {
            throw ImageFile.Failure(path: path, message: error.description)
        }
        let m = magick.call
        guard let wand = m.NewMagickWand() else { throw ImageFile.Failure(path: path, message: "ImageMagick could not start") }
        defer { _ = m.DestroyMagickWand(wand) }
        guard m.MagickPingImage(wand, path) == Magick.yes else { throw failure(path, magick, wand, "not a readable image") }
        // Ping reads headers only: refuse a crafted size before any pixels are allocated.
        m.MagickResetIterator(wand)
        while m.MagickNextImage(wand) == Magick.yes {
            try ImageFile.checkSize(path, Int(m.MagickGetImageWidth(wand)), Int(m.MagickGetImageHeight(wand)))
        }
        m.ClearMagickWand(wand)
        guard m.MagickReadImage(wand, path) == Magick.yes else { throw failure(path, magick, wand, "not a readable image") }
        var frames: [GrayImage] = []
        m.MagickResetIterator(wand)
        while m.MagickNextImage(wand) == Magick.yes {
            let width = Int(m.MagickGetImageWidth(wand)), height = Int(m.MagickGetImageHeight(wand))
            try ImageFile.checkSize(path, width, height)
            var image = GrayImage(width: width, height: height)
            let exported = image.pixels.withUnsafeMutableBytes {
                m.MagickExportImagePixels(wand, 0, 0, width, height, "I", Magick.bytes, $0.baseAddress!)
            }
            guard exported == Magick.yes else { throw failure(path, magick, wand, "cannot export the pixels") }
            frames.append(image)
        }
        guard !frames.isEmpty else { throw ImageFile.Failure(path: path, message: "no image in the file") }
        return frames
    }

    private static func failure(_ path: String, _ magick: Magick, _ wand: OpaquePointer, _ what: String) -> ImageFile.Failure {
        ImageFile.Failure(path: path, message: magick.exception(wand).map { "\(what) (\($0))" } ?? what)
    }
}
