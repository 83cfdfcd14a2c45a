import Acquirer
import Devices
import Foundation
import Imaging
import Logging
import PaymentCodes

/// Everything that reaches the counter, in one ordered stream: the screen and lights can never show an older
/// state after a newer one, because each input is handled to the end (drawn) before the next is taken.
public enum CounterInput: Sendable, Equatable {
    /// A sale changed (sent by the runner in the order the journal committed the changes).
    case sale(Sale)
    /// A code the camera read.
    case code(String)
    case key(CounterKey)
    /// Once a second: countdown, result screens giving way to idle, the clock.
    case tick
    /// The link to the acquirer was checked: nil when reachable, otherwise why not.
    case link(String?)
    /// Sales are stopped until a technician acts (nil: they may go on).
    case blocked(String?)
    /// A technician is needed soon, sales go on (nil: nothing to do).
    case attention(String?)
    /// A sale's slip was numbered (伝票番号), for its result screen.
    case slipNumbered(saleId: String, number: String)
}

/// Where the counter's pictures go: the panel (ScreenPresenter), or a recorder in tests.
public protocol CounterScreen: Sendable {
    func show(_ content: ScreenContent) async
}

extension ScreenPresenter: CounterScreen {}

/// The counter: consumes its inputs one at a time, keeps `CounterState`, and draws what `CounterView` says.
/// Deciding is pure (CounterState, KeypadRules, CounterView); this actor only applies inputs and draws.
public actor Counter {
    public struct Parts: Sendable {
        public var runner: SaleRunner
        public var screen: any CounterScreen
        public var view: CounterView
        /// Whether the system clock can be trusted for payments.
        public var clock: @Sendable () -> Bool
        /// What the status lights should say now.
        public var lights: @Sendable (StatusSignal) -> Void
        public var now: @Sendable () -> Date
        /// Called for each clock tick the counter's loop has handled: proof it is not stuck (systemd's watchdog).
        public var heartbeat: @Sendable () -> Void
        /// The menu's desks: today's sales, reprints, the close, and the supervisors' PINs.
        public var menu: MenuDesks
        /// A tone to play (`CounterSound.cue`); it must return at once: the tone plays off the counter's loop.
        public var sound: @Sendable (SoundEvent) -> Void
        public init(runner: SaleRunner, screen: any CounterScreen, view: CounterView, clock: @escaping @Sendable () -> Bool = { true },
                    lights: @escaping @Sendable (StatusSignal) -> Void = { _ in }, now: @escaping @Sendable () -> Date = { Date() },
                    heartbeat: @escaping @Sendable () -> Void = {}, menu: MenuDesks = MenuDesks(), sound: @escaping @Sendable (SoundEvent) -> Void = { _ in }) {
            self.runner = runner; self.screen = screen; self.view = view; self.clock = clock; self.lights = lights; self.now = now
            self.heartbeat = heartbeat; self.menu = menu; self.sound = sound
        }
    }

    /// What the cashier's menu reaches: each nil where the terminal has no such desk.
    public struct MenuDesks: Sendable {
        /// Today's sales, newest first.
        public var history: @Sendable () async -> [HistoryLine]
        /// Prints a sale's slips again; says what happened.
        public var reprint: @Sendable (String) async -> String
        /// Closes the business day; says what happened.
        public var close: @Sendable () async -> String
        public var pins: OperatorPINs?
        public init(history: @escaping @Sendable () async -> [HistoryLine] = { [] }, reprint: @escaping @Sendable (String) async -> String = { _ in "no printer" },
                    close: @escaping @Sendable () async -> String = { "no daily close here" }, pins: OperatorPINs? = nil) {
            self.history = history; self.reprint = reprint; self.close = close; self.pins = pins
        }
    }

    private let parts: Parts
    private let logger: Logger
    private var state = CounterState()
    private var drawn: ScreenContent?
    private var signalled: StatusSignal?
    private let inbox = CounterInbox()

    public init(_ parts: Parts, logger: Logger) { self.parts = parts; self.logger = logger }

    /// Queues an input; safe from any thread (the camera's, the keypad's, the runner's actor).
    public nonisolated func send(_ input: CounterInput) { inbox.send(input) }

    /// Stops taking inputs; `run()` returns once the queued ones are handled.
    public nonisolated func finish() { inbox.finish() }

    /// Handles inputs in order until `finish()`. Everything that queued up while the panel was busy is applied in
    /// order, then drawn once: a slow panel (a small board drawing 1280x800) never falls behind its inputs.
    public func run() async {
        state.clockSynchronised = parts.clock()
        await draw()
        while let batch = await inbox.next() {
            for input in batch { await handle(input) }
            await draw()
        }
    }

    /// Why payments cannot be taken now, or nil (the register's 503).
    public func refusal() -> String? { state.refusal }

    public var offlineReason: String? { state.offlineReason }
    public var clockSynchronised: Bool { state.clockSynchronised }

    // MARK: inputs

    private func handle(_ input: CounterInput) async {
        let now = parts.now()
        let before = state
        defer { if let cue = CounterSound.cue(for: input, before: before, after: state) { parts.sound(cue) } }
        switch input {
        case let .sale(sale):
            state.apply(sale, now: now)
        case let .code(text):
            await codeRead(text)
        case let .key(key):
            await pressed(key)
        case .tick:
            parts.heartbeat()
            state.clockSynchronised = parts.clock()
            _ = state.tick(now: now, resultHold: parts.view.resultHold)
        case let .link(reason):
            if reason != state.offlineReason { logger.notice(reason.map { "acquirer offline: \($0)" } ?? "acquirer reachable") }
            state.offlineReason = reason
        case let .attention(what):
            if what != state.attention, let what { logger.warning("technician needed: \(what)") }
            state.attention = what
        case let .slipNumbered(id, number):
            state.slipNumbers[id] = number
            if state.slipNumbers.count > 20 { state.slipNumbers = state.slipNumbers.filter { $0.key == id } }
        case let .blocked(why):
            if why != state.blocked { logger.critical(why.map { "sales stopped: \($0)" } ?? "sales allowed again") }
            state.blocked = why
        }
    }

    private func pressed(_ key: CounterKey) async {
        switch KeypadRules.decide(key, &state) {
        case let .start(amount, mode):
            do {
                _ = try await parts.runner.start(amount: amount, currency: parts.view.currency, reference: nil, mode: mode)
                state.typed = ""
            } catch {
                if case .amount = error { state.noticeKey = "amount_over_limit" } else { state.notice = error.description }
            }
        case let .cancel(id):
            _ = try? await parts.runner.cancel(id)
        case .openHistory:
            state.history = await parts.menu.history()
        case let .reprint(id):
            state.notice = await parts.menu.reprint(id)
        case let .authorised(request, pin):
            await authorised(request, pin: pin)
        case let .cycleLanguage(id):
            let shown = parts.view.languages(for: state.open[id], chosen: state.picked(for: id))
            state.chosenLanguage = parts.view.nextLanguage(after: shown)
            state.chosenFor = id
        case .edit, .refuse, .nothing:
            break
        }
    }

    /// A supervisor's PIN typed for a refund or the close: checked (the lockout counts wrong ones), then done.
    private func authorised(_ request: MenuRequest, pin: String) async {
        let role = request.action.role
        let verdict = parts.menu.pins?.verify(role, pin: pin, now: parts.now()) ?? .notSet
        switch verdict {
        case .accepted:
            logger.notice("\(request.action.rawValue) authorised at the keypad by the \(role.rawValue) PIN")
            switch request {
            case let .refund(id, amount):
                do {
                    _ = try await parts.runner.refund(id, amount: amount)
                    state.menu = nil
                    state.noticeKey = "menu_refund_sent"
                } catch {
                    // The wallet's rule or the sale's state: said to the cashier, the menu stays on the sale.
                    state.menu = state.history.first { $0.saleId == id }.map { .sale($0) } ?? .top
                    state.notice = "\(error)"
                }
            case let .void(id):
                do {
                    _ = try await parts.runner.void(id)
                    state.menu = nil
                    state.noticeKey = "menu_void_sent"
                } catch {
                    state.menu = state.history.first { $0.saleId == id }.map { .sale($0) } ?? .top
                    state.notice = "\(error)"
                }
            case .close:
                state.menu = nil
                state.notice = await parts.menu.close()
            }
        case let .wrong(left):
            logger.warning("wrong \(role.rawValue) PIN at the keypad (\(left) attempt(s) left)")
            state.noticeKey = "pin_wrong"
        case let .locked(until):
            logger.warning("the \(role.rawValue) PIN is locked after repeated wrong entries, until \(until)")
            state.noticeKey = "pin_locked"
            state.menu = .top
        case .notSet:
            state.noticeKey = "pin_not_set"
            state.menu = .top
        }
    }

    /// A code the camera read: charged when a sale waits for one; a merchant's code is refused on screen.
    private func codeRead(_ text: String) async {
        // Each code read answers the last message: a notice left after it is about this code (CounterSound reads it).
        state.notice = nil; state.noticeKey = nil
        let report = Classifier(registry: parts.view.registry).classify(text)
        guard report.kind == .consumerPresented, report.valid, let wallet = report.wallet else {
            // The shopper reads a plain request in their languages; the technician finds the reason in the log.
            state.noticeKey = report.kind == .merchantPresented ? "code_merchant" : "code_not_accepted"
            let why = report.kind == .merchantPresented ? "a merchant-presented code" : (report.errors.first ?? "not a payment code")
            logger.notice("code refused", metadata: ["kind": "\(report.kind.rawValue)", "why": "\(why)"])
            return
        }
        if await parts.runner.codeScanned(text, wallet: wallet) == nil {
            logger.info("code read with no sale waiting", metadata: ["wallet": "\(wallet)", "code": "\(LogMask.customerCode(text))"])
        }
    }

    /// Draws what the view says, if it differs from what is on the panel.
    private func draw() async {
        let (screen, lights) = parts.view.picture(state, now: parts.now())
        if lights != signalled { signalled = lights; parts.lights(lights) }
        guard screen != drawn else { return }
        drawn = screen
        await parts.screen.show(screen)
    }
}

/// The counter's ordered queue: inputs in the order they were sent, taken all at once by the one loop.
final class CounterInbox: @unchecked Sendable {
    private typealias Waiter = CheckedContinuation<[CounterInput]?, Never>
    private let lock = NSLock()
    private var queued: [CounterInput] = []
    private var waiting: Waiter?
    private var finished = false

    func send(_ input: CounterInput) {
        let handOver: (Waiter, [CounterInput])? = lock.withLock {
            guard !finished else { return nil }
            // Ticks only say "look at the clock": one waiting is as good as many.
            if input == .tick, queued.last == .tick { return nil }
            queued.append(input)
            guard let waiter = waiting else { return nil }
            waiting = nil
            defer { queued = [] }
            return (waiter, queued)
        }
        if let (waiter, batch) = handOver { waiter.resume(returning: batch) }
    }

    func finish() {
        let waiter: Waiter? = lock.withLock {
            finished = true
            defer { waiting = nil }
            return waiting
        }
        waiter?.resume(returning: nil)
    }

    /// Everything queued, in order; waits while nothing is; nil once finished and empty.
    func next() async -> [CounterInput]? {
        await withCheckedContinuation { (continuation: Waiter) in
            let ready: [CounterInput]?? = lock.withLock {
                if !queued.isEmpty { defer { queued = [] }; return .some(queued) }
                if finished { return .some(nil) }
                waiting = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
