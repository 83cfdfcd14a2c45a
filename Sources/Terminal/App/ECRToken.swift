import Foundation
import Platform

/// The register's bearer token: created once, owner-only from its first byte, and kept, so integrators
/// configure it one time.
public enum ECRToken {
    public static func loadOrCreate(_ path: String) throws(FileProblem) -> String {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try OwnerOnlyFile.write(path, Data((token + "\n").utf8))
        return token
    }
}
