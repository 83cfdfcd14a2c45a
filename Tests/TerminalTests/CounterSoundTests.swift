import Devices
import Foundation
import Logging
import PaymentCodes
import Testing
@testable import Terminal

/// When the counter plays which tone: the pure rules (cue per input, quiet hours), the terminal file's [sound],
/// the counter's loop playing each tone once per transition, the player that keeps it off that loop, the self-test,
/// and `qrpos run` end to end on a simulated sounder.
@Suite struct CounterSoundTests {
    static let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    static func at(_ hour: Int, _ minute: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = tokyo
        return calendar.date(from: DateComponents(year: 2026, month: 12, day: 2, hour: hour, minute: minute))!
    }

    // MARK: quiet hours

    @Test func quietHoursWrapMidnight() {
        let night = QuietHours(from: 22 * 60, to: 7 * 60)
        for (h, m) in [(22, 0), (23, 59), (0, 0), (3, 30), (6, 59)] { #expect(night.contains(Self.at(h, m), in: Self.tokyo), "\(h):\(m)") }
        for (h, m) in [(7, 0), (12, 0), (21, 59)] { #expect(!night.contains(Self.at(h, m), in: Self.tokyo), "\(h):\(m)") }
        let lunch = QuietHours(from: 12 * 60, to: 13 * 60)
        #expect(lunch.contains(minute: 12 * 60) && lunch.contains(minute: 12 * 60 + 59) && !lunch.contains(minute: 13 * 60) && !lunch.contains(minute: 11 * 60 + 59))
    }

    @Test func duringQuietHoursOnlyTheSalesTonesPlay() {
        let settings = SoundSettings(volume: 80, quiet: QuietHours(from: 22 * 60, to: 7 * 60))
        let night = Self.at(23, 30), day = Self.at(12, 0)
        for event in [SoundEvent.codeRead, .paid, .declined] {
            #expect(settings.plays(event, at: night, in: Self.tokyo) && settings.plays(event, at: day, in: Self.tokyo), "\(event)")
        }
        #expect(!settings.plays(.attention, at: night, in: Self.tokyo))
        #expect(settings.plays(.attention, at: day, in: Self.tokyo))
        #expect(SoundSettings(volume: 80).plays(.attention, at: night, in: Self.tokyo), "no quiet hours: everything plays")
        #expect(SoundEvent.allCases.allSatisfy { !SoundSettings(volume: 0).plays($0, at: day, in: Self.tokyo) }, "volume 0 is silent")
    }

    // MARK: the terminal file

    @Test func theTerminalFileSetsVolumeAndQuietHours() throws {
        let sim = ConfigTests.simTerminal
        #expect(try ConfigTests.load(sim).sound == SoundSettings(volume: 80))
        let quiet = sim.replacingOccurrences(of: "volume = 80\n# quiet_from = \"22:00\"\n# quiet_to = \"07:00\"", with: "volume = 35\nquiet_from = \"22:30\"\nquiet_to = \"06:45\"")
        #expect(quiet != sim)
        #expect(try ConfigTests.load(quiet).sound == SoundSettings(volume: 35, quiet: QuietHours(from: 22 * 60 + 30, to: 6 * 60 + 45)))
        let without = sim.replacingOccurrences(of: "[sound]\n", with: "[sounds_not_here]\n")
        #expect(try ConfigTests.load(without).sound == SoundSettings(volume: 80), "no [sound]: volume 80, no quiet hours")
        // Mistakes in [sound] name their key: ConfigTests.mistakesNameTheKey.
    }

    // MARK: which input calls for which tone

    static func sale(_ state: SaleState, mode: SaleMode = .show, code: String? = nil, undo: UndoReason? = nil) -> Sale {
        var sale = CounterViewTests.sale(state, mode: mode)
        sale.maskedCode = code; sale.undo = undo
        return sale
    }

    /// The tone for `sale` arriving at a counter that has `open` at the counter.
    static func cue(_ sale: Sale, open: Sale?) -> SoundEvent? {
        var before = CounterState()
        if let open { before.apply(open, now: CounterViewTests.t0) }
        var after = before
        after.apply(sale, now: CounterViewTests.t0)
        return CounterSound.cue(for: .sale(sale), before: before, after: after)
    }

    @Test func aSaleAtTheCounterPlaysItsCodeAndItsEnd() {
        let waiting = Self.sale(.awaitingCode, mode: .scan)
        let charging = Self.sale(.pending, mode: .scan, code: "2800********1234")
        #expect(Self.cue(charging, open: waiting) == .codeRead, "the shopper's code was taken")
        #expect(Self.cue(charging, open: charging) == nil, "the same code again is no new read")
        #expect(Self.cue(Self.sale(.paid, mode: .scan, code: "2800********1234"), open: charging) == .paid)
        #expect(Self.cue(Self.sale(.declined, mode: .scan, code: "2800********1234"), open: charging) == .declined)
        // Auto mode: the shown order is withdrawn for the shopper's own code.
        let order = Self.sale(.pending, mode: .auto)
        #expect(Self.cue(Self.sale(.cancelling, mode: .auto, code: "2800********1234", undo: .switchToScan), open: order) == .codeRead)
        // A shown code paid, declined, expired, cancelled.
        let shown = Self.sale(.pending)
        #expect(Self.cue(Self.sale(.paid), open: shown) == .paid)
        #expect(Self.cue(Self.sale(.declined), open: shown) == .declined)
        #expect(Self.cue(Self.sale(.expired), open: shown) == nil)
        #expect(Self.cue(Self.sale(.cancelled), open: Self.sale(.cancelling, undo: .cashier)) == nil)
        #expect(Self.cue(Self.sale(.unknown), open: shown) == nil, "a timeout is the counter's business, not the shopper's")
    }

    @Test func finishedAndBackgroundSalesPlayNothing() {
        // A paid sale announced again, or a background refund that leaves it paid: not at the counter.
        #expect(Self.cue(Self.sale(.paid), open: nil) == nil)
        #expect(Self.cue(Self.sale(.refunded), open: nil) == nil)
        // A void (取消) whose cancel window had closed leaves the sale paid: not a second "paid".
        #expect(Self.cue(Self.sale(.paid, undo: .void), open: Self.sale(.cancelling, undo: .void)) == nil)
    }

    @Test func attentionOnceWhenSomethingStarts() {
        func cue(_ input: CounterInput, _ change: (inout CounterState) -> Void, from before: CounterState = CounterState()) -> SoundEvent? {
            var after = before
            change(&after)
            return CounterSound.cue(for: input, before: before, after: after)
        }
        var offline = CounterState()
        offline.offlineReason = "connection refused"
        #expect(cue(.link("connection refused"), { $0.offlineReason = "connection refused" }) == .attention)
        #expect(cue(.link("timeout"), { $0.offlineReason = "timeout" }, from: offline) == nil, "still offline, another reason")
        #expect(cue(.link(nil), { $0.offlineReason = nil }, from: offline) == nil, "back online")
        #expect(cue(.attention("paper out"), { $0.attention = "paper out" }) == .attention)
        var noticed = CounterState()
        noticed.attention = "paper out"
        #expect(cue(.attention("paper out"), { $0.attention = "paper out" }, from: noticed) == nil)
        #expect(cue(.blocked("journal damaged"), { $0.blocked = "journal damaged" }) == .attention)
        #expect(cue(.code("000201…"), { $0.noticeKey = "code_merchant" }) == .attention, "a refused code")
        #expect(cue(.code("2800…"), { _ in }) == nil, "a code taken (the sale's change plays it)")
        #expect(cue(.tick, { $0.lastResult = nil }) == nil && cue(.key(.digit(1)), { $0.typed = "1" }) == nil)
        #expect(cue(.slipNumbered(saleId: "S1", number: "0001"), { $0.slipNumbers["S1"] = "0001" }) == nil)
    }

    // MARK: the counter's loop

    /// A scanned sale from its start to paid, with clock ticks, redraws and a slip number between: each tone once,
    /// in order. Then the link lost twice over, a refused code, and a code with no sale waiting.
    @Test func theCounterPlaysEachToneOncePerTransition() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-sound-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let merchant = try PaymentRequest(toml: ConfigTests.simTerminal)
        let runner = SaleRunner(journal: try Journal(path: folder + "/journal.sqlite"), client: NoHost(), merchant: merchant,
                                settings: .init(codeLifetime: 60, terminalLabel: "T1", longPoll: .seconds(1)), logger: Logger(label: "test"))
        let heard = HeardInOrder<SoundEvent>()
        let counter = Counter(.init(runner: runner, screen: RecordingScreen(), view: CounterViewTests.view, now: { CounterViewTests.t0 },
                                    sound: { heard.add($0) }),
                              logger: Logger(label: "test"))
        let running = Task { await counter.run() }
        let code = "2800********1234"
        let steps: [CounterInput] = [
            .sale(Self.sale(.created, mode: .scan)), .tick, .sale(Self.sale(.awaitingCode, mode: .scan)), .tick,
            .sale(Self.sale(.pending, mode: .scan, code: code)), .tick, .tick,
            .sale(Self.sale(.paid, mode: .scan, code: code)), .slipNumbered(saleId: "S1", number: "0001"), .tick,
            .sale(Self.sale(.paid, mode: .scan, code: code)), .tick,
        ]
        for step in steps { counter.send(step) }
        counter.finish()
        await running.value
        #expect(heard.all == [.codeRead, .paid])

        let heardLater = HeardInOrder<SoundEvent>()
        let second = Counter(.init(runner: runner, screen: RecordingScreen(), view: CounterViewTests.view, now: { CounterViewTests.t0 },
                                   sound: { heardLater.add($0) }),
                             logger: Logger(label: "test"))
        let again = Task { await second.run() }
        for step: CounterInput in [.link("connection refused"), .link("timeout"), .tick, .link(nil),
                                   .code("00020101021226"), .code("900081818812345678901234")] {
            second.send(step)
        }
        second.finish()
        await again.value
        #expect(heardLater.all == [.attention, .attention], "offline once, then the merchant's code; the shopper's code with no sale waiting is silent")
    }

    // MARK: the player off the loop

    /// A sounder that takes its time, and fails while told to.
    final class SlowSounder: Sounder, @unchecked Sendable {
        let lock = NSLock()
        var played: [(SoundEvent, Int)] = []
        var failing = false
        var closed = false
        let description = "slow"
        func play(_ event: SoundEvent, volume: Int) throws(DeviceError) {
            Thread.sleep(forTimeInterval: 0.15)
            if lock.withLock({ failing }) { throw DeviceError(device: "slow", call: "play", hint: "unplugged") }
            lock.withLock { played.append((event, volume)) }
        }
        func close() { lock.withLock { closed = true } }
    }

    @Test func thePlayerNeverWaitsAndKeepsTheNewestWaitingTone() {
        let sounder = SlowSounder()
        let player = SoundPlayer(sounder: sounder, settings: SoundSettings(volume: 60))
        let started = ContinuousClock.now
        player.play(.codeRead)
        player.play(.paid)
        player.play(.declined)
        #expect(ContinuousClock.now - started < .milliseconds(50), "play returns at once")
        player.settle()
        #expect(sounder.lock.withLock { sounder.played.map(\.0) } == [.codeRead, .declined], "the newest waiting tone replaced the older")
        #expect(sounder.lock.withLock { sounder.played.allSatisfy { $0.1 == 60 } })
        player.close()
        #expect(sounder.lock.withLock { sounder.closed })
        player.play(.paid)
        player.settle()
        #expect(sounder.lock.withLock { sounder.played.count } == 2, "nothing plays once closed")
    }

    @Test func thePlayerKeepsQuietHoursAndReportsFailuresOnce() {
        let sounder = SlowSounder()
        let reports = HeardInOrder<String>()
        let player = SoundPlayer(sounder: sounder, settings: SoundSettings(volume: 80, quiet: QuietHours(from: 22 * 60, to: 7 * 60)), timeZone: Self.tokyo,
                                 now: { Self.at(23, 0) }, report: { reports.add($0.map { "\($0)" } ?? "working") })
        player.play(.attention)
        player.settle()
        player.play(.paid)
        player.settle()
        #expect(sounder.lock.withLock { sounder.played.map(\.0) } == [.paid], "attention waits out the night")
        sounder.lock.withLock { sounder.failing = true }
        player.play(.paid); player.settle()
        player.play(.declined); player.settle()
        sounder.lock.withLock { sounder.failing = false }
        player.play(.paid); player.settle()
        #expect(reports.all == ["slow: play failed: unplugged", "working"])
        #expect(SoundPlayer(sounder: nil, settings: SoundSettings()).description == "no sound")
    }

    // MARK: the self-test and `qrpos run`

    @Test func theSelfTestPlaysEveryToneOrSaysThereIsNoSound() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-sound-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let sim = BoardFilesTests.repository.appendingPathComponent("Board/sim").path
        let options = SelfTest.Options(boardFolder: sim, stateFolder: state)
        let check = SelfTest.soundCheck(try BoardConfig(folder: sim, stateFolder: state), options: options, volume: 80)
        #expect(check.status == .pass && check.detail.contains("code-read, paid, declined, attention played"), "\(check)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state + "/sounds").sorted() == ["attention.wav", "code-read.wav", "declined.wav", "paid.wav"])
        let qemu = BoardFilesTests.repository.appendingPathComponent("Board/qemu-x86_64").path
        let none = SelfTest.soundCheck(try BoardConfig(folder: qemu, stateFolder: state), options: .init(boardFolder: qemu, stateFolder: state), volume: 80)
        #expect(none.status == .skip && none.detail.contains("no sound"), "\(none)")
    }
}

/// What was told, in order, from any thread.
final class HeardInOrder<Item: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Item] = []
    func add(_ item: Item) { lock.withLock { items.append(item) } }
    var all: [Item] { lock.withLock { items } }
}

/// `qrpos run` on a board with a simulated sounder: a shown code paid by the shopper leaves paid.wav, and nothing else.
@Suite(.serialized) struct CounterSoundEndToEndTests {
    @Test func aPaidSaleSoundsPaidOnce() async throws {
        let shop = try Shop()
        let board = shop.folder + "/board/board.toml"
        try (String(contentsOfFile: board, encoding: .utf8) + "\n[sound]\nbackend = \"simulated\"\nfolder = \"\(shop.folder)/sounds\"\n")
            .write(toFile: board, atomically: true, encoding: .utf8)
        do {
            try shop.startAcquirer([])
            try shop.startTerminal()
            try await shop.waitForTerminal()
            let id = try await shop.sale(800)
            _ = try await shop.shopperPays(id)
            #expect(try await shop.finalStatus(id) == "paid")
            let paid = shop.folder + "/sounds/paid.wav"
            for _ in 0..<50 where !FileManager.default.fileExists(atPath: paid) { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: shop.folder + "/sounds") == ["paid.wav"])
            let (_, health) = try await shop.ecr(.GET, "/v1/health")
            #expect((health["sound"] as? [String: Any])?["status"] as? String == "ok", "\(health)")
        } catch {
            Issue.record("terminal log:\n\(shop.log().suffix(3000))")
            await shop.close()
            throw error
        }
        await shop.close()
    }
}
