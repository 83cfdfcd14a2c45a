import Crypto
import Foundation
import SwiftASN1
import X509

/// A development PKI made in memory with swift-certificates and swift-crypto (no openssl CLI): one CA, the
/// acquirer host's certificate (localhost, 127.0.0.1, ::1) and one terminal's client certificate.
/// Keys are ECDSA P-256; certificates are what the simulator and the terminal's TLS load.
public struct DevelopmentPKI {
    /// A certificate with its private key, both as PEM.
    public struct Issued: Sendable {
        public var certificatePEM: String
        public var keyPEM: String
        public var certificate: Certificate
    }

    public var authority: Issued
    private let authorityKey: P256.Signing.PrivateKey

    /// A new CA valid from `now` (a minute back, for clocks a little behind) for `days`.
    public init(name: String = "qrpos development CA", now: Date = Date(), days: Int = 825) throws {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("qrpos development")
            CommonName(name)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: .init(key))
        self.authorityKey = key
        self.authority = Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation, certificate: certificate)
    }

    /// Loads an existing CA (ca.pem + ca.key) to issue more certificates under it.
    public init(certificatePEM: String, keyPEM: String) throws {
        let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        let certificate = try Certificate(pemEncoded: certificatePEM)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw PKIError(description: "the CA key does not belong to the CA certificate")
        }
        self.authorityKey = key
        self.authority = Issued(certificatePEM: certificatePEM, keyPEM: keyPEM, certificate: certificate)
    }

    /// The acquirer host: a server certificate for these names and addresses.
    public func issueHost(names: [String] = ["localhost"], addresses: [String] = ["127.0.0.1", "::1"],
                          now: Date = Date(), days: Int = 825) throws -> Issued {
        var alternativeNames = names.map { GeneralName.dnsName($0) }
        for address in addresses {
            guard let bytes = IPAddressBytes.parse(address) else { throw PKIError(description: "not an IP address: \(address)") }
            alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        return try issue(
            subject: try DistinguishedName { OrganizationName("qrpos development"); CommonName(names.first ?? "acquirer host") },
            notBefore: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(Double(days) * 86_400),
            usage: .serverAuth, alternativeNames: alternativeNames)
    }

    /// A terminal: a client certificate whose subject common name is the terminal id.
    public func issueTerminal(id: String, notBefore: Date = Date().addingTimeInterval(-60),
                              notAfter: Date = Date().addingTimeInterval(825 * 86_400)) throws -> Issued {
        try issue(subject: try DistinguishedName {
                      OrganizationName("qrpos development")
                      OrganizationalUnitName("terminals")
                      CommonName(id)
                  },
                  notBefore: notBefore, notAfter: notAfter, usage: .clientAuth, alternativeNames: [])
    }

    /// A terminal's certificate for a key made on the terminal (enrollment): only the public key reaches the CA.
    public func issueTerminal(id: String, publicKey: Certificate.PublicKey, notBefore: Date, notAfter: Date) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName("qrpos development")
            OrganizationalUnitName("terminals")
            CommonName(id)
        }
        return try sign(subject: subject, publicKey: publicKey, notBefore: notBefore, notAfter: notAfter, usage: .clientAuth, alternativeNames: [])
    }

    private func issue(subject: DistinguishedName, notBefore: Date, notAfter: Date,
                       usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName]) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let certificate = try sign(subject: subject, publicKey: Certificate.PublicKey(key.publicKey), notBefore: notBefore, notAfter: notAfter,
                                   usage: usage, alternativeNames: alternativeNames)
        return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation, certificate: certificate)
    }

    private func sign(subject: DistinguishedName, publicKey: Certificate.PublicKey, notBefore: Date, notAfter: Date,
                      usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName]) throws -> Certificate {
        let authorityKeyId = try authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: authority.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKeyId { AuthorityKeyIdentifier(keyIdentifier: authorityKeyId) }
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: .init(authorityKey))
        return certificate
    }
}

public struct PKIError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// IPv4 dotted quads and IPv6 text as the 4 or 16 bytes an iPAddress name holds.
enum IPAddressBytes {
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
