import Devices
import ShopperCodes
import Foundation
import Imaging
import PaymentCodes
import Testing

/// Every wallet's codes under each distortion, read through the still-image path (`qrpos scan --images`)
/// and by zbarimg on the same files: we must read every image zbarimg reads, name the right wallet, and
/// keep each distortion's decode rate above the floor measured when this test was written.
struct CorpusDecodeTests {
    /// Measured rates (ours) minus a small margin; raise them when the scanner gets better.
    static let floors: [Distortion: Double] = [
        .clean: 1.0, .rotation: 0.96, .blur: 0.56, .lowContrast: 0.96, .noise: 0.96, .perspective: 0.96, .glare: 0.64, .small: 0.92, .inverted: 1.0, .jpeg: 0.9,
    ]

    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-corpus-\(getpid())")

    /// Writes the distortion's frames as PNG files; returns (file, code) pairs.
    static func write(_ distortion: Distortion) throws -> [(file: String, code: Corpus.Code)] {
        let dir = folder.appendingPathComponent(distortion.rawValue)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try Corpus.codes.enumerated().map { index, code in
            let image = try ShopperCode.render(code.payload, as: code.symbology, module: code.symbology == .qr ? 4 : 2)
            let frame = distortion.frame(image, symbology: code.symbology, seed: UInt64(index + 1))
            let file = dir.appendingPathComponent("\(code.name).\(distortion == .jpeg ? "jpg" : "png")").path
            if distortion == .jpeg { try SampleImageFile.writeJPEG(frame, quality: 30, to: file) } else { try PNGFile.write(frame, to: file) }
            return (file, code)
        }
    }

    /// zbarimg's reads of each file (QR, Code 128 and EAN-13 only: the symbologies a counter meets).
    static func zbarimg(_ files: [String]) throws -> [String: [String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        process.arguments = ["-q", "--xml"] + files
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let xml = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var reads: [String: [String]] = [:]
        for source in xml.components(separatedBy: "<source href='").dropFirst() {
            let file = String(source.prefix { $0 != "'" })
            for symbol in source.components(separatedBy: "<symbol type='").dropFirst() {
                let type = symbol.prefix { $0 != "'" }
                guard ["QR-Code", "CODE-128", "EAN-13"].contains(type),
                      let start = symbol.range(of: "<data><![CDATA["), let end = symbol.range(of: "]]></data>") else { continue }
                reads[file, default: []].append(String(symbol[start.upperBound..<end.lowerBound]))
            }
        }
        return reads
    }

    @Test(arguments: Distortion.allCases)
    func decodeRateHoldsAndCoversZbarimg(_ distortion: Distortion) throws {
        let clock = ContinuousClock()
        var corpus: [(file: String, code: Corpus.Code)] = []
        let made = try clock.measure { corpus = try Self.write(distortion) }
        let started = clock.now
        let scanner = CodeScanner(classifier: Corpus.classifier, settings: .stillImages)
        let camera = ImageFolderCamera(files: corpus.map(\.file))
        var ours: [String: [ScannedCode]] = [:]
        while true {
            let outcome = try camera.capture(timeoutMilliseconds: 0) { frame in ours[frame.file!] = scanner.scan(frame) }
            if outcome == .finished { break }
            #expect(outcome == .frame, "\(outcome)")
        }
        let ourTime = clock.now - started
        var theirs: [String: [String]] = [:]
        let theirTime = try clock.measure { theirs = try Self.zbarimg(corpus.map(\.file)) }
        var oursRead = 0, theirsRead = 0, missed: [String] = []
        for (file, code) in corpus {
            let read = ours[file]?.first { $0.text == code.payload }
            if let read {
                oursRead += 1
                #expect(read.report.wallet == code.wallet, "\(file): read as \(read.report.wallet ?? "nothing"), expected \(code.wallet)")
                #expect(read.report.kind == .consumerPresented, "\(file): \(read.report.errors)")
            }
            // Anything else read would be a misread: a wrong charge.
            for other in ours[file] ?? [] where other.text != code.payload { Issue.record("\(file): misread \(Mask.scanned(other.text))") }
            if theirs[file]?.contains(code.payload) == true {
                theirsRead += 1
                if read == nil { missed.append((file as NSString).lastPathComponent) }
            }
        }
        let rescued = Dictionary(grouping: ours.values.compactMap { $0.first?.attempt }.filter { $0 != .asIs }, by: \.rawValue).mapValues(\.count)
        if !rescued.isEmpty { print("  \(distortion.rawValue) read on a second look: \(rescued.sorted { $0.key < $1.key })") }
        let unread = corpus.filter { entry in ours[entry.file]?.contains { $0.text == entry.code.payload } != true }.map(\.code.name)
        if !unread.isEmpty { print("  \(distortion.rawValue) not read: \(unread.joined(separator: " "))") }
        let total = Double(corpus.count), rate = Double(oursRead) / total
        print(String(format: "decode rate %-14@ ours %3d/%d (%5.1f%%)  zbarimg %3d/%d (%5.1f%%)   [made in %@, ours %@, zbarimg %@]",
                     distortion.rawValue as NSString, oursRead, corpus.count, 100 * rate, theirsRead, corpus.count, 100 * Double(theirsRead) / total,
                     "\(made)" as NSString, "\(ourTime)" as NSString, "\(theirTime)" as NSString))
        #expect(missed.isEmpty, "zbarimg read these and we did not: \(missed)")
        #expect(rate >= Self.floors[distortion]!, "\(distortion.rawValue): \(oursRead)/\(corpus.count) is below the floor \(Self.floors[distortion]!)")
    }
}
