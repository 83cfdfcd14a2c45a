import Acquirer
import Foundation
import Logging
import PaymentCodes

/// Drives sales: every event goes through the pure machine, the new state is committed to the journal,
/// and only then is the host contacted. Answers come back as events. One actor, so events never race.
public actor SaleRunner {
    public struct Settings: Sendable {
        public var codeLifetime: Int
        public var terminalLabel: String
        /// Longest long-poll `wait` (kept under the client's read timeout).
        public var longPoll: Duration
        /// The largest sale this terminal takes (minor units), whoever keys it: the register or the keypad.
        public var maximumAmount: Int
        /// The scheme of the code shown for a sale (the terminal file's `sale.scheme`).
        public var scheme: any MerchantScheme
        /// The wallets' refund rules (Assets/wallets.toml), checked before a refund is sent.
        public var refunds: RefundPolicy
        public init(codeLifetime: Int, terminalLabel: String, longPoll: Duration, maximumAmount: Int = 1_000_000,
                    scheme: any MerchantScheme = JPQRScheme(), refunds: RefundPolicy = .hostDecides) {
            self.codeLifetime = codeLifetime; self.terminalLabel = terminalLabel; self.longPoll = longPoll; self.maximumAmount = maximumAmount
            self.scheme = scheme; self.refunds = refunds
        }
    }

    public enum StartError: Error, CustomStringConvertible {
        case busy(String), journal(String), payload(String), amount(String)
        public var description: String {
            switch self {
            case let .amount(why): return why
            case let .busy(id): return "sale \(id) is still in progress: finish or cancel it first"
            case let .journal(why): return "the journal refused the sale: \(why)"
            case let .payload(why): return "cannot build the code: \(why)"
            }
        }
    }

    private let journal: Journal
    private let client: any AcquirerLink
    private let merchant: PaymentRequest
    private let settings: Settings
    private let logger: Logger
    private let metrics: CounterMetrics
    private var sales: [String: Sale] = [:]
    /// Full customer codes, kept in memory only for the charge in flight (never journalled or logged).
    private var customerCodes: [String: String] = [:]
    private var waiters: [String: [CheckedContinuation<Sale, Never>]] = [:]
    private var expiryTimers: [String: Task<Void, Never>] = [:]
    private var listeners: [@Sendable (SaleChange) -> Void] = []
    private let crashPoint = ProcessInfo.processInfo.environment["QRPOS_CRASH_AT"]

    public init(journal: Journal, client: any AcquirerLink, merchant: PaymentRequest, settings: Settings, logger: Logger,
                metrics: CounterMetrics = .off) {
        self.journal = journal; self.client = client; self.merchant = merchant; self.settings = settings; self.logger = logger
        self.metrics = metrics
    }

    /// Called on every committed change, in commit order, from inside the runner (screens, lights, the camera gate).
    public func onChange(_ listener: @escaping @Sendable (SaleChange) -> Void) { listeners.append(listener) }

    /// The sale in progress at the counter, if any (one shopper at a time). A refund of an earlier sale going on in
    /// the background is not one: it neither blocks a new sale nor takes the counter's screen or camera.
    public var current: Sale? { sales.values.filter { !$0.state.isFinal && $0.state != .refunding }.max { $0.createdAt < $1.createdAt } }

    /// The sale that waits for the shopper's own code, if any: what the camera is open for.
    public var waitingForCode: Sale? { current.flatMap { $0.wantsCustomerCode ? $0 : nil } }

    /// The sales still in memory: open ones only (a finished sale leaves memory and is read from the journal).
    public var openSales: [Sale] { sales.values.sorted { $0.createdAt < $1.createdAt } }

    /// A sale by id, from memory or the journal. A journal that cannot be read is an error, not "no such sale".
    public func sale(_ id: String) throws -> Sale? {
        if let sale = sales[id] { return sale }
        return try journal.sale(id)
    }

    // MARK: starting and stopping

    public func start(amount: Int, currency: String, reference: String?, mode: SaleMode, language: String? = nil) throws(StartError) -> Sale {
        if let busy = current { throw .busy(busy.id) }
        guard amount > 0, amount <= settings.maximumAmount else {
            throw .amount("amount \(amount) is over this terminal's limit of \(settings.maximumAmount)")
        }
        let now = Date()
        let id = Self.newID(now)
        var payload: String?
        if mode != .scan {
            var request = merchant
            request.amount = Currency.code(currency).map { $0.amountText(minorUnits: amount) } ?? String(amount)
            request.currency = currency
            request.reference = id
            request.terminalLabel = settings.terminalLabel
            do { payload = try settings.scheme.build(request) } catch { throw .payload(error.description) }
        }
        var sale = Sale(id: id, amount: amount, currency: currency, reference: reference, mode: mode, payload: payload,
                        expiresAt: now.addingTimeInterval(TimeInterval(settings.codeLifetime)), now: now)
        sale.language = language
        do { try journal.insert(sale) } catch { throw .journal("\(error)") }
        sales[id] = sale
        crash("created")
        announce(sale)
        handle(id, .begin)
        // The code's lifetime; cancelled when the sale ends, so a busy day does not keep a sleeping task per sale.
        expiryTimers[id] = Task { [weak self, lifetime = settings.codeLifetime] in
            do { try await Task.sleep(for: .seconds(lifetime)) } catch { return }
            await self?.handle(id, .expired)
        }
        return sale
    }

    /// A code read by the camera; charged only for a sale that is waiting for one (or in auto mode).
    @discardableResult
    public func codeScanned(_ code: String, wallet: String) -> Sale? {
        guard let sale = waitingForCode else { return nil }
        customerCodes[sale.id] = code
        handle(sale.id, .codeScanned(wallet: wallet, masked: LogMask.customerCode(code)))
        return try? self.sale(sale.id)
    }

    /// Why a cancel or a refund cannot be taken, decided inside the runner so no other change slips in between
    /// the check and the act (the register's 404, 409 or 400).
    public enum FollowUpRefusal: Error, CustomStringConvertible {
        case noSuchSale(String)
        /// The sale is in a state where this cannot be done; the text says why and what to do instead.
        case conflict(String)
        /// More than can still be refunded.
        case tooMuch(String)
        /// The wallet does not take this refund (its rule in the registry).
        case walletRule(RefundRule.Refusal)
        public var description: String {
            switch self {
            case let .noSuchSale(id): "no sale \(id)"
            case let .conflict(why), let .tooMuch(why): why
            case let .walletRule(refusal): refusal.message
            }
        }
    }

    public func cancel(_ id: String) throws -> Sale {
        guard let before = try sale(id) else { throw FollowUpRefusal.noSuchSale(id) }
        // Paid, and its money is on the way back: a cancel has nothing left to do (and would not be sent).
        if before.state == .refunding {
            let what = before.refundInFlight > 0 ? "a refund of \(before.refundInFlight) is being sent" : "the terminal is asking the host where its refund stands"
            throw FollowUpRefusal.conflict("sale \(id) was paid and \(what): there is nothing to cancel; follow it with GET /v1/sales/\(id)?wait=20")
        }
        // A finished sale has nothing to cancel: money that moved goes back through a refund, and says so.
        if before.state.isFinal {
            let hint = before.state == .paid ? "; to give the money back, POST /v1/refunds" : ""
            throw FollowUpRefusal.conflict("sale \(id) is already \(before.state.rawValue)\(hint)")
        }
        handle(id, .cashierCancel)
        return try sale(id) ?? before
    }

    /// A supervisor's void (取消) of a paid sale, before anything of it was refunded: the host reverses it while its
    /// cancel window is open; otherwise the sale stays paid and `detail` says why (refund it instead).
    public func void(_ id: String) throws -> Sale {
        guard let before = try sale(id) else { throw FollowUpRefusal.noSuchSale(id) }
        guard before.state == .paid else {
            let hint = before.state.isFinal ? "" : "; an open sale is cancelled with POST /v1/sales/\(id)/cancel"
            throw FollowUpRefusal.conflict("sale \(id) is \(before.state.rawValue); only a paid sale can be voided\(hint)")
        }
        guard before.refundedAmount == 0 else {
            throw FollowUpRefusal.conflict("sale \(id) has been partly refunded; refund what is left instead (POST /v1/refunds)")
        }
        handle(id, .voidRequested)
        return try sale(id) ?? before
    }

    public func refund(_ id: String, amount: Int) throws -> Sale {
        guard let before = try sale(id) else { throw FollowUpRefusal.noSuchSale(id) }
        // One refund at a time: the one in flight is resent with its key until the host answers.
        if before.state == .refunding {
            let what = before.refundInFlight > 0 ? "a refund of \(before.refundInFlight) is being sent" : "the terminal is asking the host where its last refund stands"
            throw FollowUpRefusal.conflict("sale \(id): \(what); wait until it is done (GET /v1/sales/\(id)?wait=20), then refund what is left")
        }
        guard before.state == .paid else { throw FollowUpRefusal.conflict("sale \(id) is \(before.state.rawValue); only a paid sale can be refunded") }
        guard amount > 0, amount <= before.amount - before.refundedAmount else {
            throw FollowUpRefusal.tooMuch("at most \(before.amount - before.refundedAmount) can still be refunded")
        }
        if let refusal = settings.refunds.refusal(before, amount: amount, now: Date()) {
            logger.notice("refund refused by the wallet's rule", metadata: ["sale": "\(id)", "rule": "\(refusal.code)"])
            throw FollowUpRefusal.walletRule(refusal)
        }
        handle(id, .refundRequested(amount: amount))
        return try sale(id) ?? before
    }

    /// Resumes every sale the journal holds unfinished (after a crash, a power cut or a deploy).
    public func recover() throws -> [Sale] {
        let unfinished = try journal.unfinished()
        for sale in unfinished {
            sales[sale.id] = sale
            logger.notice("resuming sale", metadata: ["sale": "\(sale.id)", "state": "\(sale.state.rawValue)"])
            handle(sale.id, .recover)
        }
        metrics.openSales(sales.values)
        return unfinished
    }

    /// Long-poll: the sale once it is final, or as it stands after `seconds`.
    public func wait(_ id: String, seconds: Int) async throws -> Sale? {
        guard let sale = try sale(id) else { return nil }
        if sale.state.isFinal || seconds <= 0 { return sale }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(seconds))
            await self?.releaseWaiters(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in waiters[id, default: []].append(continuation) }
    }

    private func releaseWaiters(_ id: String) {
        guard let sale = try? sale(id) else { return }
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: sale) }
    }

    // MARK: the loop

    /// An answer about the order or charge that was in flight when it was asked. A long-poll on an order that
    /// auto mode has since withdrawn must not settle the charge that replaced it, so such answers are dropped.
    private func handle(_ id: String, _ event: SaleEvent, about hostID: String) {
        guard let sale = sales[id], sale.hostID == hostID else {
            logger.debug("stale answer dropped", metadata: ["sale": "\(id)", "about": "\(hostID)", "event": "\(event)"])
            return
        }
        handle(id, event)
    }

    private func handle(_ id: String, _ event: SaleEvent) {
        let stored: Sale?
        do { stored = try sales[id] ?? journal.sale(id) } catch {
            logger.critical("journal read failed; the event waits", metadata: ["sale": "\(id)", "event": "\(event)", "error": "\(error)"])
            return
        }
        guard let sale = stored else { return }
        let (next, effects) = SaleMachine.step(sale, event, now: Date())
        // An event that changes nothing writes nothing (a late timer, a second cancel, an answer to a finished sale).
        guard !next.sameContent(as: sale) || !effects.isEmpty else { return }
        // Journal first: a transition is on disk before anything it causes leaves the terminal.
        do { try journal.commit(next, from: sale.state, event: event) } catch {
            logger.critical("journal write failed; the sale waits", metadata: ["sale": "\(id)", "error": "\(error)"])
            return
        }
        // Only open sales stay in memory: a long day of finished ones lives in the journal.
        sales[id] = next.state.isFinal ? nil : next
        crash(next.state.rawValue)
        if next.state != sale.state {
            logger.info("sale \(next.state.rawValue)", metadata: ["sale": "\(id)", "amount": "\(next.amount)", "event": "\(event)"])
        }
        if next.state.isFinal {
            customerCodes[id] = nil
            expiryTimers.removeValue(forKey: id)?.cancel()
        }
        // The one place a sale's end is counted: where its final state is committed.
        if metrics.isOn && next.state.isFinal && !sale.state.isFinal && endsForTheFirstTime(id, from: sale.state) { metrics.saleEnded(next) }
        metrics.openSales(sales.values)
        if !next.sameContent(as: sale) { announce(next) }
        for effect in effects { perform(effect, next) }
    }

    /// Whether a sale that reaches a final state now ends for the first time. The one way out of a final state is a
    /// refund of a paid sale (paid -> refunding -> paid or refunded), so only from `refunding` can it have ended
    /// before; a cashier's cancel whose payment slipped through also goes by `refunding` without having ended. The
    /// journal's history tells them apart (its last line is the transition just committed).
    private func endsForTheFirstTime(_ id: String, from previous: SaleState) -> Bool {
        guard previous == .refunding else { return true }
        do {
            return try !journal.transitions(of: id).dropLast().contains { SaleState(rawValue: $0.toState)?.isFinal == true }
        } catch {
            logger.error("metrics: the sale's history cannot be read; its end is not counted", metadata: ["sale": "\(id)", "error": "\(error)"])
            return false
        }
    }

    private func announce(_ sale: Sale) {
        let change = SaleChange(sale: sale, waitingForCode: waitingForCode != nil)
        for listener in listeners { listener(change) }
        if sale.state.isFinal { releaseWaiters(sale.id) }
    }

    /// Test hook: QRPOS_CRASH_AT=<state> kills the process right after that state is committed,
    /// as a power cut would, so restart recovery is tested at every transition.
    private func crash(_ point: String) {
        if crashPoint == point {
            logger.critical("QRPOS_CRASH_AT=\(point): stopping as a power cut would")
            kill(getpid(), SIGKILL)
        }
    }

    private func perform(_ effect: SaleEffect, _ sale: Sale) {
        let id = sale.id, hostID = sale.hostID, isOrder = sale.isOrder
        switch effect {
        case .registerOrder:
            let order = OrderRequest(orderId: id, amount: sale.amount, currency: sale.currency, qrPayload: sale.payload ?? "",
                                     expiresInSeconds: max(1, Int(sale.expiresAt.timeIntervalSinceNow)))
            Task {
                let outcome = await client.registerOrder(order)
                await heardWallet(id, outcome, about: hostID)
                await handle(id, .createAnswer(Self.answer(outcome)), about: hostID)
            }
        case .awaitResult:
            let wait = settings.longPoll
            Task {
                let answer: HostAnswer
                if isOrder {
                    let outcome = await client.inquireOrder(hostID, wait: wait)
                    await heardWallet(id, outcome, about: hostID)
                    answer = Self.answer(outcome)
                } else {
                    answer = Self.answer(await client.inquireCharge(hostID, wait: wait))
                }
                await handle(id, .answer(answer), about: hostID)
            }
        case .inquire:
            Task {
                let answer: HostAnswer
                if isOrder {
                    let outcome = await client.inquireOrder(hostID)
                    await heardWallet(id, outcome, about: hostID)
                    answer = Self.answer(outcome)
                } else {
                    answer = Self.answer(await client.inquireCharge(hostID))
                }
                await handle(id, .answer(answer), about: hostID)
            }
        case .charge:
            guard let code = customerCodes[id], let wallet = sale.wallet else {
                // After a restart the one-time code is gone; nothing was charged with it here.
                Task { await handle(id, .createAnswer(.refused("the shopper's code was lost in a restart; ask for a new one")), about: hostID) }
                return
            }
            let request = ChargeRequest(chargeId: hostID, amount: sale.amount, currency: sale.currency, wallet: wallet, customerCode: code)
            Task { let outcome = await client.charge(request); await handle(id, .createAnswer(Self.answer(outcome)), about: hostID) }
        case .cancel:
            Task {
                let answer = isOrder ? Self.answer(await client.cancelOrder(hostID)) : Self.answer(await client.cancelCharge(hostID))
                await handle(id, .cancelAnswer(answer), about: hostID)
            }
        case let .refund(amount):
            let request = RefundRequest(refundId: sale.refundID, paymentId: hostID, amount: amount, reason: sale.undo == .cashier ? "cancelled at the counter" : "refund at the counter")
            Task { let outcome = await client.refund(request); await handle(id, .refundAnswer(Self.answer(outcome)), about: hostID) }
        case let .retryAfter(seconds):
            Task { try? await Task.sleep(for: .seconds(seconds)); await handle(id, .retryDue) }
        }
    }

    /// The wallet the host says paid a shown code, journalled before the answer that ends the sale.
    private func heardWallet<T: HostResource>(_ id: String, _ outcome: AcquirerOutcome<T>, about hostID: String) {
        if case let .done(resource) = outcome, let wallet = resource.paidWallet {
            handle(id, .walletNamed(wallet, country: resource.walletCountry), about: hostID)
        }
    }

    static func answer<T: HostResource>(_ outcome: AcquirerOutcome<T>) -> HostAnswer {
        switch outcome {
        case let .done(resource): return .status(resource.status, detail: resource.declineReason)
        case let .refused(refusal) where refusal.status == 404: return .notFound
        case let .refused(refusal): return .refused(refusal.message)
        case let .unknown(unknown): return .unknown(unknown.description)
        case let .unreachable(why): return .unreachable(why)
        }
    }

    /// Sortable, unique per terminal, and short enough for tag 62.05 (25 characters).
    static func newID(_ now: Date) -> String {
        let stamp = Int(now.timeIntervalSince1970 * 1000)
        return "S\(stamp)\(String(format: "%04d", Int.random(in: 0..<10000)))"
    }
}

/// One committed change, as the runner announces it.
public struct SaleChange: Sendable {
    public var sale: Sale
    /// Whether a sale now waits for the shopper's own code (the camera gate), whichever sale changed.
    public var waitingForCode: Bool
}

/// What orders, charges and refunds share, for mapping answers.
public protocol HostResource: Sendable {
    var status: PaymentStatus { get }
    var declineReason: String? { get }
    /// The wallet that paid, when the host names it.
    var paidWallet: String? { get }
    /// That wallet's country, when the host names it.
    var walletCountry: String? { get }
}

extension Order: HostResource {
    public var paidWallet: String? { status == .paid ? wallet : nil }
}
extension Charge: HostResource {
    public var paidWallet: String? { wallet }
}
extension Refund: HostResource {
    public var declineReason: String? { nil }
    public var paidWallet: String? { nil }
    public var walletCountry: String? { nil }
}

// MARK: read-only helpers for the ECR API

extension SaleRunner {
    /// The register's sale list, newest first, read from the journal (every transition is committed there before
    /// memory changes, so open sales are listed as they stand).
    public func sales(_ query: SaleListQuery) throws -> SaleListPage { try journal.sales(query) }
}
