import PaymentCodes

/// What may reach a log. A customer code is a one-time secret worth money until it expires; one masking
/// rule for the whole terminal (PaymentCodes' `Mask.number`: first 6 and last 4, as card numbers are cut).
public enum LogMask {
    public static func customerCode(_ code: String) -> String { Mask.number(code) }
}
