/// Keys the terminal derives from the sale id, so a retry after a crash or a reboot sends the very same key.
public enum IdempotencyKey {
    /// Registering an order or creating a charge: the sale id itself.
    public static func sale(_ saleId: String) -> String { saleId }
    /// The one cancel (or reversal) of a sale.
    public static func cancel(_ saleId: String) -> String { saleId + ":cancel" }
}
