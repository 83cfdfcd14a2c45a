import Devices
import ShopperCodes
import Foundation
import Imaging
import PaymentCodes
import Testing

/// One shown code is one charge: a code held in view is reported once, and again only after it was gone.
struct DeduplicationTests {
    @Test func windowRemembersACodeWhileItIsInView() {
        var window = SightingWindow(window: .seconds(3))
        // Held from 0 to 5 s (each sighting extends the showing), B appears at 5 s, A is gone 5 s → 8.1 s.
        let sightings: [(String, Int)] = [("A", 0), ("A", 500), ("A", 2900), ("A", 5000), ("B", 5000), ("A", 8100)]
        let reported = sightings.map { window.isNew($0.0, at: .milliseconds($0.1)) }
        #expect(reported == [true, false, false, false, true, true])
        window.forget(before: .seconds(60))
        #expect(window.remembered == 0)
    }

    @Test func scannerReportsAHeldCodeOnceOnATestClock() throws {
        let clock = TestClock()
        var logged: [String] = []
        let scanner = CodeScanner(classifier: Corpus.classifier, settings: .init(window: .seconds(2)), now: { clock.now }, log: { logged.append($0) })
        let payPay = "900081818812345678901234"
        let frame = try Fixtures.frame(payPay)
        var reports: [Int] = []
        for (tick, ms) in [0, 100, 400, 1500, 3600, 3800].enumerated() {
            clock.advance(to: .milliseconds(ms))
            let codes = Fixtures.lend(frame, sequence: tick + 1) { scanner.scan($0) }
            reports.append(codes.count)
            if let code = codes.first {
                #expect(code.text == payPay && code.report.wallet == "paypay" && code.symbology == .code128)
            }
        }
        // Held from 0 to 1.5 s, then out of view until 3.6 s (more than 2 s): reported twice, no more.
        #expect(reports == [1, 0, 0, 0, 1, 0])
        #expect(logged.count == 2)
        // Logs never hold the whole code (it is bearer money).
        #expect(logged.allSatisfy { !$0.contains(payPay) && $0.contains("900081") && $0.contains("paypay") }, "\(logged)")
    }

    @Test func oneNumberShownAsBarcodeAndQRIsOneCode() throws {
        let number = "134567890123456789"
        var frame = GrayImage(width: 900, height: 480, fill: 235)
        for (image, left) in [(try ShopperCode.render(number, as: .code128, module: 2), 20), (try ShopperCode.render(number, as: .qr, module: 4), 560)] {
            for y in 0..<image.height { for x in 0..<image.width { frame[left + x, 60 + y] = image[x, y] } }
        }
        let scanner = CodeScanner(classifier: Corpus.classifier, now: { .zero })
        let all = Fixtures.lend(frame) { scanner.read($0).symbols }
        #expect(Set(all.map(\.kind)) == [.qr, .code128], "both symbols are in the frame")
        let codes = Fixtures.lend(frame) { scanner.scan($0) }
        #expect(codes.map(\.text) == [number])
        #expect(codes.first?.report.wallet == "wechatpay")
    }

    @Test func resetStartsANewShowing() throws {
        let scanner = CodeScanner(classifier: Corpus.classifier, now: { .zero })
        let frame = try Fixtures.frame("2612345678901234")
        #expect(Fixtures.lend(frame) { scanner.scan($0) }.count == 1)
        #expect(Fixtures.lend(frame) { scanner.scan($0) }.isEmpty)
        scanner.resetWindow()
        #expect(Fixtures.lend(frame) { scanner.scan($0) }.first?.report.wallet == "alipay")
    }

    @Test func darkModeCodeIsReadInverted() throws {
        let frame = try Fixtures.frame("6212345678901234567", as: .qr).inverted
        let scanner = CodeScanner(classifier: Corpus.classifier)
        let codes = Fixtures.lend(frame) { scanner.scan($0) }
        #expect(codes.first?.attempt == .inverted && codes.first?.report.wallet == "unionpay")
        // Without the second look the same frame yields nothing: the inverted retry is what reads it.
        let plain = CodeScanner(classifier: Corpus.classifier, settings: .init(attempts: [.asIs]))
        #expect(Fixtures.lend(frame) { plain.scan($0) }.isEmpty)
    }

    @Test func masksNeverShowAWholeCode() {
        #expect(Mask.scanned("900081818812345678901234") == "900081**************1234")
        #expect(Mask.scanned("hQVDUFYwMWEfTwigAAAAZQOSAlcT") == "hQVDUFYw…(28 characters)")
        #expect(Mask.scanned("ABCD") == "AB…(4 characters)")
    }
}
