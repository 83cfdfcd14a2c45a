import Foundation

/// How the shopper pays: we show the code, we scan theirs, or both at once.
public enum SaleMode: String, Codable, Sendable, CaseIterable { case show, scan, auto }

/// Where a sale stands. The journal stores the raw value; final states never change except paid -> refunding.
public enum SaleState: String, Codable, Sendable, CaseIterable {
    /// Journalled, nothing sent yet.
    case created
    /// Scan mode: waiting for the shopper to hold up a code; nothing at the host.
    case awaitingCode = "awaiting-code"
    /// Sent to the host; waiting for the shopper or the wallet.
    case pending
    /// The host's answer was lost (timeout, 5xx, reset): being resolved by inquiry.
    case unknown
    /// A cancel (or reversal) is being sent, and resent until the host answers.
    case cancelling
    /// A refund is being sent, and resent until the host answers.
    case refunding
    case paid, declined, expired, cancelled, refunded

    public var isFinal: Bool { [.paid, .declined, .expired, .cancelled, .refunded].contains(self) }
}

/// Why the terminal wants a sale undone; it decides what a late "paid" means.
public enum UndoReason: String, Codable, Sendable {
    /// The cashier pressed cancel or the register cancelled: money that moved anyway goes back.
    case cashier
    /// The code's time ran out: a payment that slipped in before the cancel stands.
    case expired
    /// The terminal restarted mid-sale: a payment the host has stands.
    case recovery
    /// Auto mode: the shopper held up their own code, so the shown order is withdrawn before charging it.
    case switchToScan = "switch-to-scan"
    /// A supervisor voids a paid sale (取消): the host reverses it inside its cancel window; outside it the sale
    /// stays paid (a refund, 返品, is the way then), never refunded by itself.
    case void
}

/// What the host may hold of the order or charge in flight. Money can move only where the host may have it, so a
/// sale ends as "nothing moved" only from `none`, or from an answer that covers everything sent (an inquiry that finds
/// it, an acknowledged cancel, which real hosts remember and a later registration then cannot undo).
public enum HostReach: String, Codable, Sendable {
    /// Nothing was sent, or every attempt failed to connect.
    case none
    /// Sent (or about to be): its answer has not come back yet.
    case sent
    /// An attempt's outcome is unknown (timeout, reset, a restart while it was out): it may arrive at any time.
    case uncertain
    /// The host has answered about it: it holds the order or charge.
    case known
}

/// Why a sale ended other than paid, for the register and the cashier (separate from any transport detail).
public enum SaleEndReason: String, Codable, Sendable {
    /// The cashier pressed cancel or the register cancelled.
    case cashier
    /// The code's time ran out, or the host let the order expire.
    case expired
    /// The terminal restarted mid-sale and withdrew it.
    case recovery
    /// The wallet declined the payment.
    case declined
    /// The host refused the request (the text in `detail` says why).
    case refused
    /// Nothing reached the host: wallets cannot pay offline.
    case offline
    /// The host cancelled it on its own.
    case host
    /// The money went back (a refund of the whole amount).
    case refunded
}

/// One sale as the journal keeps it. A value: the machine returns a new one for each event.
public struct Sale: Codable, Sendable, Equatable {
    public var id: String
    public var amount: Int
    public var currency: String
    public var reference: String?
    public var mode: SaleMode
    public var state: SaleState
    /// The JPQR shown (merchant-presented); built on the terminal before anything is sent.
    public var payload: String?
    /// Charges made for this sale; each new customer code gets the next number, never while one is unresolved.
    public var chargeCount: Int
    /// The wallet of the shopper's code, once known.
    public var wallet: String?
    /// The paying wallet's country as the host named it (ISO 3166 alpha-2): the shopper's language when the
    /// registry does not know the wallet.
    public var walletCountry: String?
    /// The shopper's language the register asked for (a language id of Assets/languages.toml); it wins over the wallet's.
    public var language: String?
    /// The customer code masked for the journal and the screen; the full code lives only in memory.
    public var maskedCode: String?
    public var expiresAt: Date
    public var undo: UndoReason?
    /// What the host or the wallet said (a decline reason, a refusal), for the screen and the register.
    public var detail: String?
    /// The last transport problem (timeout, reset, no connection), for technicians; never a decline reason.
    public var lastError: String?
    /// Why the sale ended, once it has (nil while open and for a paid sale).
    public var endReason: SaleEndReason?
    public var refundedAmount: Int
    /// Refund requests sent (each gets its own id); `refundsMade` counts the ones the host accepted.
    public var refundCount: Int
    public var refundsMade: Int
    /// When the terminal learned the sale was paid: the start of the wallet's refund window.
    public var paidAt: Date?
    /// The amount of the refund being sent (resent with the same key until the host answers).
    public var refundInFlight: Int
    /// What the host may hold of the order or charge in flight (`hostID`).
    public var reach: HostReach
    /// A cancel of `hostID` was sent and has had no answer that settles it: until it has, a "paid" heard from a
    /// long-poll may still be reversed by it, so it is not final.
    public var cancelInFlight: Bool
    /// Consecutive inquiries or resends without an answer, for the back-off.
    public var attempts: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, amount: Int, currency: String, reference: String? = nil, mode: SaleMode, payload: String? = nil,
                expiresAt: Date, now: Date) {
        self.id = id; self.amount = amount; self.currency = currency; self.reference = reference; self.mode = mode
        state = .created; self.payload = payload; chargeCount = 0; wallet = nil; walletCountry = nil; language = nil; maskedCode = nil; self.expiresAt = expiresAt
        undo = nil; detail = nil; lastError = nil; endReason = nil; refundedAmount = 0; refundCount = 0; refundsMade = 0; paidAt = nil; refundInFlight = 0; reach = .none; cancelInFlight = false; attempts = 0; createdAt = now; updatedAt = now
    }

    /// The sale is waiting for the shopper's own code (scan mode, or auto mode while the shown order is open).
    public var wantsCustomerCode: Bool {
        mode != .show && (state == .awaitingCode || (mode == .auto && state == .pending && isOrder))
    }

    /// Merchant-presented while no customer code has been charged.
    public var isOrder: Bool { chargeCount == 0 }
    /// The host-side id of what is in flight: the order (the sale id) or the latest charge.
    public var hostID: String { isOrder ? id : chargeID(chargeCount) }
    public func chargeID(_ n: Int) -> String { "\(id)-c\(n)" }
    public var refundID: String { "\(id)-r\(refundCount)" }
    /// The register cancelled, but the money could not be given back: the sale stands as paid.
    public var cancelOverridden: Bool { state == .paid && undo == .cashier }
    /// The same sale apart from the time it was last touched: what decides whether an event changed anything.
    public func sameContent(as other: Sale) -> Bool {
        var a = self, b = other
        a.updatedAt = .distantPast; b.updatedAt = .distantPast
        return a == b
    }
}
