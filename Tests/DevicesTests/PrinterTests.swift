import CLinux
import Devices
import Foundation
import Imaging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Slips as receipt printers get them: drawn by our own layout and fonts, sent as ESC/POS raster (GS v 0), read
/// back with our own small decoder and zbar; a network printer on loopback, and the printer's status.
@Suite(.serialized) struct PrinterTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let languages = try! Languages(toml: String(contentsOfFile: repository.path + "/Assets/languages.toml", encoding: .utf8), file: "languages.toml")
    static let strings = try! UIStrings(folder: repository.path + "/Assets/strings", languages: languages.ids) { try String(contentsOfFile: $0, encoding: .utf8) }
    // FreeType is single-threaded: the suite is serialized.
    nonisolated(unsafe) static let painter = ScreenPainter(fonts: try! FontBook(languages: languages))

    static let slip = SlipContent(kind: .sale, copy: .customer, merchantName: "キューアールポス麺処", merchantNameOther: "QRPOS DEMO NOODLES",
                                  merchantCity: "OSAKA", time: "2026-12-02 10:15", terminalID: "SIM-0001", slipNumber: 7,
                                  saleID: "S-20261202-0007", wallet: "PayPay", maskedCode: "2800********1234", amount: 1200, currency: "JPY",
                                  hostReference: "S-20261202-0007")

    /// Our own reading of ESC/POS: every GS v 0 band stacked into one picture; other commands skipped by length.
    static func decode(_ bytes: [UInt8]) throws -> MonoImage {
        var i = 0, width = 0, rows: [UInt8] = [], height = 0
        while i < bytes.count {
            switch (bytes[i], i + 1 < bytes.count ? bytes[i + 1] : 0) {
            case (0x1B, 0x40): i += 2                                    // ESC @
            case (0x1B, 0x64): i += 3                                    // ESC d n
            case (0x1D, 0x56): i += bytes[i + 2] == 0x42 ? 4 : 3         // GS V m [n]
            case (0x1D, 0x76):                                           // GS v 0 m xL xH yL yH data
                let x = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8, y = Int(bytes[i + 6]) | Int(bytes[i + 7]) << 8
                guard width == 0 || width == x else { throw DecodeError(text: "bands of different widths") }
                width = x
                rows += bytes[i + 8..<i + 8 + x * y]
                height += y
                i += 8 + x * y
            default: throw DecodeError(text: "unknown command \(String(format: "%02X %02X", bytes[i], bytes[i + 1])) at \(i)")
            }
        }
        return MonoImage(width: width * 8, height: height, bits: rows)
    }
    struct DecodeError: Error { var text: String }

    @Test(arguments: [PrinterChoice.Paper.mm58, .mm80])
    func aSlipReadsBackFromItsBytes(_ paper: PrinterChoice.Paper) throws {
        let (image, drawn) = try Self.painter.renderSlip(Self.slip, strings: Self.strings, width: paper.dots)
        #expect(image.width == paper.dots)
        let bytes = ESCPOS.job(image)
        let decoded = try Self.decode(bytes)
        #expect(decoded == image)
        // The QR on the slip carries the sale id, so a refund can start by scanning it.
        let codes = CodeReader().read(decoded.gray).map(\.text)
        #expect(codes == ["QRPOS-SALE:S-20261202-0007"], "\(codes)")
        // Japanese is drawn as text (not a code page): every label fits its box and has ink.
        let japanese = drawn.texts.filter { $0.item.language == "ja" }
        for label in ["お客様控え", "伝票番号", "売上", "合計"] {
            let text = try #require(japanese.first { $0.shown.contains(label) }, "\(label) is missing")
            #expect(!text.inked.isEmpty && text.item.box.contains(text.inked), "\(label): ink \(text.inked) outside \(text.item.box)")
        }
        #expect(drawn.texts.contains { $0.shown == "0007" })
    }

    @Test func aRefundSlipSaysSoAndCountsNegative() throws {
        var refund = Self.slip
        refund.kind = .refund
        refund.copy = .merchant
        let (_, drawn) = try Self.painter.renderSlip(refund, strings: Self.strings, width: 384)
        #expect(drawn.texts.contains { $0.shown.hasPrefix("返品") } && drawn.texts.contains { $0.shown.hasPrefix("加盟店控え") })
        #expect(drawn.texts.contains { $0.shown.hasPrefix("-") && $0.shown.contains("1,200") })
    }

    @Test func theSimulatedPrinterKeepsPNGAndTheExactBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("receipts-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let printer = try PrinterChoice.open(.simulated, target: folder, paper: .mm58)
        let (image, _) = try Self.painter.renderSlip(Self.slip, strings: Self.strings, width: printer.dots)
        try printer.print(image, named: "0007-S-20261202-0007")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/0007-S-20261202-0007.bin")))
        #expect(bytes == ESCPOS.job(image))
        let png = try PNGFile.read(folder + "/0007-S-20261202-0007.png", as: .gray)
        #expect(png.width == 384 && png.height == image.height)
        // Paper out: said, and nothing printed.
        try "paper-out\n".write(toFile: folder + "/printer-status", atomically: true, encoding: .utf8)
        #expect(try printer.status()?.problem == "the printer is out of paper")
        #expect(throws: DeviceError.self) { try printer.print(image, named: "0008-x") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/0008-x.bin"))
    }

    /// A printer on TCP 9100 played by a listening socket on loopback: it keeps what it receives and answers
    /// DLE EOT with the status bytes it is given.
    final class FakeNetworkPrinter: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private let lock = NSLock()
        private var _received: [[UInt8]] = []
        var received: [[UInt8]] { lock.withLock { _received } }
        private var _statusBytes: [UInt8: UInt8] = [1: 0x12, 2: 0x12, 4: 0x12]
        var statusBytes: [UInt8: UInt8] {
            get { lock.withLock { _statusBytes } }
            set { lock.withLock { _statusBytes = newValue } }
        }

        init() throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var size = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, size) } }
            guard bound == 0, listen(listener, 4) == 0 else { throw DecodeError(text: "cannot listen") }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &size) } }
            self.listener = listener
            port = Int(UInt16(bigEndian: address.sin_port))
            Thread.detachNewThread { [self] in self.serve() }
        }

        private func serve() {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = read(client, &buffer, buffer.count)
                    if count <= 0 { break }
                    bytes += buffer[0..<count]
                    // Real-time status requests are answered at once, as printers do.
                    if bytes.count >= 3, bytes[bytes.count - 3] == 0x10, bytes[bytes.count - 2] == 0x04, let answer = statusBytes[bytes[bytes.count - 1]] {
                        var byte = answer
                        _ = write(client, &byte, 1)
                    }
                }
                lock.withLock { _received.append(bytes) }
                close(client)
            }
        }

        deinit { close(listener) }
    }

    @Test func aNetworkPrinterGetsTheSameBytesAndReportsPaperOut() throws {
        let fake = try FakeNetworkPrinter()
        let printer = try PrinterChoice.open(.network, target: "127.0.0.1:\(fake.port)", paper: .mm80)
        let (image, _) = try Self.painter.renderSlip(Self.slip, strings: Self.strings, width: printer.dots)
        try printer.print(image, named: "0007")
        #expect(fake.received.first == ESCPOS.job(image))
        #expect(try printer.status() == PrinterStatus())
        fake.statusBytes = [1: 0x12 | 0x08, 2: 0x12 | 0x20, 4: 0x12 | 0x60]
        let status = try #require(try printer.status())
        #expect(status.paperOut && !status.online && status.problem == "the printer is out of paper")
        fake.statusBytes = [1: 0x12, 2: 0x12, 4: 0x12 | 0x0C]
        #expect(try printer.status()?.warning == "the paper roll is nearly finished")
    }

    /// usblp played by a pseudo-terminal in raw mode: the test holds the printer's end, reads the job and, when
    /// told to, answers each DLE EOT request with a status byte, as a two-way printer does.
    final class FakeUSBPrinter: @unchecked Sendable {
        let device: String
        private let printerEnd: Int32, held: Int32
        private let lock = NSLock()
        private var _received: [UInt8] = []
        private var _answering = false
        var received: [UInt8] { lock.withLock { _received } }
        var answering: Bool {
            get { lock.withLock { _answering } }
            set { lock.withLock { _answering = newValue } }
        }

        init() throws {
            printerEnd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
            // unlockpt and ptsname as their ioctls (asm-generic/ioctls.h): Swift's Glibc does not show the functions.
            var unlock: Int32 = 0, number: UInt32 = 0
            guard printerEnd >= 0, qrpos_ioctl(printerEnd, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
                  qrpos_ioctl(printerEnd, 0x8004_5430 /* TIOCGPTN */, &number) == 0 else { throw DecodeError(text: "no pty") }
            device = "/dev/pts/\(number)"
            // Held open so the raw mode stays between the printer's opens; no line discipline touches the bytes.
            held = open(device, O_RDWR | O_NOCTTY)
            var settings = termios()
            guard held >= 0, tcgetattr(held, &settings) == 0 else { throw DecodeError(text: "cannot open \(device)") }
            cfmakeraw(&settings)
            tcsetattr(held, TCSANOW, &settings)
            Thread.detachNewThread { [self] in self.serve() }
        }

        private func serve() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(printerEnd, &buffer, buffer.count)
                guard count > 0 else { return }
                let chunk = Array(buffer[0..<count])
                let answer = lock.withLock { () -> Bool in _received += chunk; return _answering }
                // A status request comes alone (the job waits for its answer); 0x12 is "all well" for each of them.
                if answer, chunk.count == 3, chunk[0] == 0x10, chunk[1] == 0x04 {
                    var byte: UInt8 = 0x12
                    _ = write(printerEnd, &byte, 1)
                }
            }
        }

        deinit { close(held); close(printerEnd) }
    }

    @Test func aUSBPrinterGetsEveryByteAndAnswersItsStatus() throws {
        let fake = try FakeUSBPrinter()
        let printer = try PrinterChoice.open(.usb, target: fake.device, paper: .mm58)
        // A one-way printer never answers: no status after the wait, not an error.
        let start = ContinuousClock.now
        #expect(try printer.status() == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(450))
        fake.answering = true
        #expect(try printer.status() == PrinterStatus())
        // A slip is far more than the pty takes at once: written in pieces, every byte arrives in order.
        let (image, _) = try Self.painter.renderSlip(Self.slip, strings: Self.strings, width: printer.dots)
        let job = ESCPOS.job(image)
        let before = fake.received.count
        try printer.print(image, named: "0007")
        let deadline = ContinuousClock.now + .seconds(5)
        while fake.received.count < before + job.count, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(Array(fake.received.dropFirst(before)) == job)
    }

    @Test func aPrinterThatIsOffTheNetworkIsNamed() throws {
        let printer = try PrinterChoice.open(.network, target: "127.0.0.1:1", paper: .mm58)
        #expect(throws: DeviceError.self) { try printer.status() }
        #expect(throws: DeviceError.self) { try PrinterChoice.open(.usb, target: "/dev/usb/lp-none", paper: .mm58) }
    }
}
