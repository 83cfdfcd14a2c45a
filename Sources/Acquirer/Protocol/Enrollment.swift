import Foundation
import PaymentCodes

/// Enrollment, modelled on EST (RFC 7030): the terminal makes its key, sends a PKCS#10 request (base64 DER, as EST's
/// simpleenroll) with a one-time enrollment code, and the host answers with the certificate chain and the merchant
/// profile. Unlike EST the answer is JSON with PEM certificates, not a PKCS#7 certs-only message: our libraries
/// have no CMS encoder, and the profile has to travel with the certificate anyway (Docs/acquirer-api.yaml).
public enum EnrollmentPath {
    /// The host's CA, unauthenticated: the terminal pins it by the fingerprint the technician typed.
    public static let caCertificates = "/.well-known/est/cacerts"
    /// First enrollment: HTTP Basic with terminal id and enrollment code, over server-authenticated TLS.
    public static let simpleEnroll = "/.well-known/est/simpleenroll"
    /// Renewal over the usual mutual TLS: the certificate that is about to expire authenticates the request.
    public static let simpleReenroll = "/.well-known/est/simplereenroll"
}

/// What the host answers an enrollment with.
public struct EnrollmentAnswer: Codable, Sendable {
    /// PEM: the terminal's certificate first, then the CA.
    public var certificateChain: [String]
    public var profile: MerchantProfile
    public init(certificateChain: [String], profile: MerchantProfile) { self.certificateChain = certificateChain; self.profile = profile }
}

/// Who the merchant is and how the terminal sells, as the acquirer issued it: the terminal uses it at start, so
/// nobody types JPQR identifiers on a board. The `merchant` object has the keys of a terminal file's [merchant].
public struct MerchantProfile: Codable, Sendable, Equatable {
    public var terminalId: String
    public var merchant: PaymentRequest
    /// The shop's name in each language tag ("ja", "en", "zh-Hans", …), for screens and slips.
    public var names: [String: String]
    public var sale: SaleLimits
    public var issuedAt: Date

    public struct SaleLimits: Codable, Sendable, Equatable {
        public var acceptedWallets: [String]
        /// The largest amount, in minor units.
        public var maximumAmount: Int
        /// Seconds a shown code stays valid.
        public var codeLifetime: Int
        public var currency: String
        /// The scheme of the code the terminal shows (jpqr, khqr, …).
        public var scheme: String
        public init(acceptedWallets: [String], maximumAmount: Int, codeLifetime: Int, currency: String, scheme: String = "jpqr") {
            self.acceptedWallets = acceptedWallets; self.maximumAmount = maximumAmount; self.codeLifetime = codeLifetime
            self.currency = currency; self.scheme = scheme
        }
    }

    public init(terminalId: String, merchant: PaymentRequest, names: [String: String], sale: SaleLimits, issuedAt: Date) {
        self.terminalId = terminalId; self.merchant = merchant; self.names = names; self.sale = sale; self.issuedAt = issuedAt
    }
}
