import Devices
import Foundation
import Imaging

/// One of today's sales as the cashier's history lists it.
public struct HistoryLine: Sendable, Equatable {
    public var saleId: String
    /// Local time the sale started ("10:15").
    public var time: String
    public var amount: Int
    public var currency: String
    public var state: SaleState
    /// Registry id of the wallet, when known.
    public var wallet: String?
    /// What can still be refunded (0 unless paid).
    public var refundable: Int

    public init(_ sale: Sale, time: String) {
        saleId = sale.id; self.time = time; amount = sale.amount; currency = sale.currency; state = sale.state; wallet = sale.wallet
        refundable = sale.state == .paid ? sale.amount - sale.refundedAmount : 0
    }
}

/// Where the cashier is in the keypad menu (the menu key opens it while no sale is open).
public enum CounterMenu: Sendable, Equatable {
    /// 1 today's sales, 2 the daily close.
    case top
    /// Today's sales, newest first, `pageSize` a page; 1–8 picks one, 0 turns the page.
    case history(page: Int)
    /// One sale: 1 reprints its slips, 2 refunds it, 3 voids it (取消, while the host's cancel window is open).
    case sale(HistoryLine)
    /// The amount to refund being typed (Enter alone: all that is left).
    case refundAmount(HistoryLine)
    /// A supervisor's PIN being typed for `request`.
    case pin(MenuRequest)

    public static let pageSize = 8
}

/// What a supervisor's PIN is asked for.
public enum MenuRequest: Sendable, Equatable {
    case refund(saleId: String, amount: Int)
    /// A void (取消) of a paid sale, reversed at the host inside its cancel window.
    case void(saleId: String)
    case close

    public var action: OperatorAction {
        switch self {
        case .refund: .refund
        case .void: .cancelPaid
        case .close: .close
        }
    }
}

/// The menu's keys, decided from the counter's state alone (`KeypadRules` hands keys over while a menu is open).
enum MenuRules {
    static func decide(_ key: CounterKey, _ menu: CounterMenu, _ state: inout CounterState) -> KeyAction {
        state.notice = nil; state.noticeKey = nil
        if key == .cancel { back(from: menu, &state); return .edit }
        switch (menu, key) {
        case (.top, .digit(1)):
            state.menu = .history(page: 0)
            return .openHistory
        case (.top, .digit(2)):
            state.menuTyped = ""
            state.menu = .pin(.close)
            return .edit
        case let (.history(page), .digit(0)):
            let pages = max(1, (state.history.count + CounterMenu.pageSize - 1) / CounterMenu.pageSize)
            state.menu = .history(page: (page + 1) % pages)
            return .edit
        case let (.history(page), .digit(d)):
            let index = page * CounterMenu.pageSize + d - 1
            guard d <= CounterMenu.pageSize, state.history.indices.contains(index) else { return .nothing }
            state.menu = .sale(state.history[index])
            return .edit
        case let (.sale(line), .digit(1)):
            return .reprint(saleID: line.saleId)
        case let (.sale(line), .digit(2)):
            guard line.refundable > 0 else { state.noticeKey = "menu_nothing_to_refund"; return .refuse("nothing to refund") }
            state.menuTyped = ""
            state.menu = .refundAmount(line)
            return .edit
        case let (.sale(line), .digit(3)):
            guard line.state == .paid, line.refundable == line.amount else { state.noticeKey = "menu_nothing_to_void"; return .refuse("nothing to void") }
            state.menuTyped = ""
            state.menu = .pin(.void(saleId: line.saleId))
            return .edit
        case (.refundAmount, .digit(let d)), (.pin, .digit(let d)):
            let limit = if case .pin = menu { 8 } else { KeypadRules.maximumDigits }
            if state.menuTyped.count < limit && !(state.menuTyped.isEmpty && d == 0 && !isPIN(menu)) { state.menuTyped.append(String(d)) }
            return .edit
        case (.refundAmount, .backspace), (.pin, .backspace):
            if !state.menuTyped.isEmpty { state.menuTyped.removeLast() }
            return .edit
        case let (.refundAmount(line), .enter):
            let amount = Int(state.menuTyped) ?? line.refundable
            guard amount > 0, amount <= line.refundable else {
                state.notice = "at most \(ScreenContent.formatAmount(line.refundable, currency: line.currency))"
                return .refuse("too much")
            }
            state.menuTyped = ""
            state.menu = .pin(.refund(saleId: line.saleId, amount: amount))
            return .edit
        case let (.pin(request), .enter):
            guard !state.menuTyped.isEmpty else { return .nothing }
            let pin = state.menuTyped
            state.menuTyped = ""
            return .authorised(request, pin: pin)
        default:
            return .nothing
        }
    }

    static func isPIN(_ menu: CounterMenu) -> Bool { if case .pin = menu { true } else { false } }

    /// Esc: one step back; from the top, out of the menu.
    static func back(from menu: CounterMenu, _ state: inout CounterState) {
        state.menuTyped = ""
        switch menu {
        case .top: state.menu = nil
        case .history: state.menu = .top
        case .sale: state.menu = .history(page: 0)
        case let .refundAmount(line): state.menu = .sale(line)
        case let .pin(request):
            switch request {
            case let .refund(id, _): state.menu = state.history.first { $0.saleId == id }.map { .refundAmount($0) } ?? .top
            case let .void(id): state.menu = state.history.first { $0.saleId == id }.map { .sale($0) } ?? .top
            case .close: state.menu = .top
            }
        }
    }
}
