import Acquirer
import Foundation

/// The acquirer's books as a value: orders, charges, refunds and idempotency keys, and the rules that move them.
/// No I/O and no clock inside: every step takes `now`, and the records it touched are listed in `changes`
/// for the store to write before the answer leaves the host.
public struct Ledger: Sendable {
    public var rules: LedgerRules
    public var wallets: WalletBook
    public internal(set) var orders: [String: OrderRecord] = [:]
    public internal(set) var charges: [String: ChargeRecord] = [:]
    public internal(set) var refunds: [String: RefundRecord] = [:]
    public internal(set) var keys: [IdempotencyScope: IdempotencyRecord] = [:]
    /// Ids of pending orders and charges: the only records time can change.
    var open: Set<String> = []
    public internal(set) var changes = LedgerChanges()

    public init(rules: LedgerRules = .init(), wallets: WalletBook = .init(), orders: [OrderRecord] = [], charges: [ChargeRecord] = [],
                refunds: [RefundRecord] = [], keys: [IdempotencyRecord] = []) {
        self.rules = rules
        self.wallets = wallets
        for record in orders { self.orders[record.order.orderId] = record }
        for record in charges { self.charges[record.charge.chargeId] = record }
        for record in refunds { self.refunds[record.refund.refundId] = record }
        for record in keys { self.keys[record.scope] = record }
        open = Set(orders.filter { $0.order.status == .pending }.map(\.order.orderId))
            .union(charges.filter { $0.charge.status == .pending }.map(\.charge.chargeId))
    }

    /// Hands the list of touched records to the store and starts a new one.
    public mutating func takeChanges() -> LedgerChanges {
        defer { changes = LedgerChanges() }
        return changes
    }

    // MARK: time

    /// Applies everything that happens by itself up to `now`, earliest first: a shopper finishing confirmation,
    /// the demo shopper paying, an order expiring. A cancelled sale is no longer open, so a late "paid" finds
    /// nothing to change: the cancel wins.
    public mutating func advance(to now: Date) {
        for id in open {
            if orders[id] != nil { advanceOrder(id, to: now) } else if charges[id] != nil { advanceCharge(id, to: now) }
        }
    }

    mutating func advanceOrder(_ id: String, to now: Date) {
        while var record = orders[id], record.order.status == .pending {
            let order = record.order
            let confirmation = order.confirmingUntil
            let autoPay = order.wallet == nil ? record.autoPayAt : nil
            guard let next = [confirmation, autoPay, order.expiresAt].compactMap({ $0 }).min(), next <= now else { return }
            if next == order.expiresAt, next <= (confirmation ?? .distantFuture), next <= (autoPay ?? .distantFuture) {
                record.order.status = .expired
                record.order.confirmingUntil = nil
            } else if let confirmation, next == confirmation {
                record.order.status = .paid
                record.order.paidAt = confirmation
                record.order.confirmingUntil = nil
            } else {
                record.autoPayAt = nil
                record.order = pay(record.order, wallet: rules.autoPayWallet, at: next)
            }
            store(record)
        }
    }

    mutating func advanceCharge(_ id: String, to now: Date) {
        guard var record = charges[id], record.charge.status == .pending,
              let until = record.charge.confirmingUntil, until <= now else { return }
        record.charge.status = .paid
        record.charge.paidAt = until
        record.charge.confirmingUntil = nil
        store(record)
    }

    /// The wallet's answer to a shopper paying an order.
    func pay(_ order: Order, wallet: String, at now: Date) -> Order {
        var order = order
        order.wallet = wallet
        order.walletCountry = wallets.countries[wallet]
        switch wallets.decide(wallet: wallet, amount: order.amount, now: now) {
        case .approve: order.status = .paid; order.paidAt = now
        case let .decline(reason): order.status = .declined; order.declineReason = reason
        case let .confirm(until): order.confirmingUntil = until
        }
        return order
    }

    // MARK: bookkeeping

    mutating func store(_ record: OrderRecord) {
        orders[record.order.orderId] = record
        changes.orders.insert(record.order.orderId)
        if record.order.status == .pending { open.insert(record.order.orderId) } else { open.remove(record.order.orderId) }
    }

    mutating func store(_ record: ChargeRecord) {
        charges[record.charge.chargeId] = record
        changes.charges.insert(record.charge.chargeId)
        if record.charge.status == .pending { open.insert(record.charge.chargeId) } else { open.remove(record.charge.chargeId) }
    }

    mutating func store(_ record: RefundRecord) {
        refunds[record.refund.refundId] = record
        changes.refunds.insert(record.refund.refundId)
    }

    mutating func store(_ record: IdempotencyRecord) {
        keys[record.scope] = record
        changes.keys.insert(record.scope)
    }

    // MARK: checks shared by every request

    static let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")

    static func checkId(_ id: String, _ field: String) throws(LedgerRefusal) {
        guard (1...64).contains(id.count), id.allSatisfy(idCharacters.contains) else {
            throw .badRequest("\(field) must be 1 to 64 characters of A-Z a-z 0-9 . _ : -, not '\(id.prefix(80))'")
        }
    }

    static func checkMoney(amount: Int, currency: String) throws(LedgerRefusal) {
        guard amount > 0 else { throw .badRequest("amount must be a positive whole number of the currency's minor unit, not \(amount)") }
        guard amount <= 999_999_999_999 else { throw .badRequest("amount \(amount) is more than any counter sale") }
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw .badRequest("currency must be ISO 4217 letters such as JPY, not '\(currency.prefix(10))'")
        }
    }

    /// The key a money-moving request must carry.
    static func key(_ caller: Caller) throws(LedgerRefusal) -> IdempotencyScope {
        guard let key = caller.idempotencyKey, !key.isEmpty else {
            throw .badRequest("this request moves money: send an Idempotency-Key header (the sale id)")
        }
        guard key.count <= 128 else { throw .badRequest("the Idempotency-Key is longer than 128 characters") }
        return IdempotencyScope(terminalId: caller.terminalId, key: key)
    }

    /// The resource id an earlier request with this key created, if the request is the same; 409 if it is not.
    func replayed(_ scope: IdempotencyScope, operation: String, fingerprint: String) throws(LedgerRefusal) -> String? {
        guard let earlier = keys[scope] else { return nil }
        guard earlier.operation == operation, earlier.fingerprint == fingerprint else {
            throw .conflict("idempotency_conflict", "the Idempotency-Key '\(scope.key)' was first used for \(earlier.operation) with a different request; retry only with the very same request, or use a new key for a new sale")
        }
        return earlier.resourceId
    }

    static func fingerprint(_ request: some Encodable) -> String {
        (try? WireFormat.encoder().encode(request)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    func idInUse(_ id: String) -> Bool { orders[id] != nil || charges[id] != nil }

    /// A new order or charge needs an id no other sale holds; an id the terminal cancelled before it arrived is spent.
    func checkUnused(_ id: String, record cancelledUnseen: Bool?) throws(LedgerRefusal) {
        if cancelledUnseen == true {
            throw .conflict("cancelled_before_arrival", "'\(id)' was cancelled by the terminal before this request arrived: it moves nothing")
        }
        guard !idInUse(id) else {
            throw .conflict("duplicate_id", "the id '\(id)' is already used by another sale (sent with another Idempotency-Key)")
        }
    }
}
