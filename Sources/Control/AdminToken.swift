/// The bearer token that guards the admin API's mutating and reading endpoints.
public struct AdminToken: Sendable {
    /// Who the token stands for in the event log.
    public let name: String
    private let secret: [UInt8]

    public init(name: String = "admin", secret: String) {
        self.name = name
        self.secret = Array(secret.utf8)
    }

    /// The token `environmentValue` (`SLUICE_ADMIN_TOKEN`'s) when it is set and not empty, else
    /// the one in the file named by `tokenFile` (its first line; surrounding whitespace
    /// ignored). Nil when neither is set; throws when the file cannot be read or is empty.
    public static func load(environmentValue: String?, tokenFile: String?) throws(TokenError) -> AdminToken? {
        try secret(environmentValue: environmentValue, tokenFile: tokenFile).map { AdminToken(secret: $0) }
    }

    /// The token's text as `load` finds it (`sluice ctl` sends it); nil when neither is set.
    public static func secret(environmentValue: String?, tokenFile: String?) throws(TokenError) -> String? {
        if let value = environmentValue, !value.isEmpty { return value }
        guard let path = tokenFile else { return nil }
        guard let bytes = try? FileSystem.read(path) else {
            throw TokenError(message: "cannot read the admin token file \(path)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let first = text.split(whereSeparator: \.isNewline).first.map { String($0.trimmingWhitespace()) } ?? ""
        guard !first.isEmpty else { throw TokenError(message: "the admin token file \(path) is empty") }
        return first
    }

    /// Whether an `Authorization` header value is `Bearer <this token>` (the scheme in any
    /// case, RFC 9110 section 11.1), compared in time independent of where the first
    /// difference is.
    public func accepts(authorization: String?) -> Bool {
        guard let value = authorization else { return false }
        let bytes = Array(value.utf8)
        guard bytes.count > 7, String(decoding: bytes[..<6], as: UTF8.self).lowercased() == "bearer", bytes[6] == 0x20 else { return false }
        let offered = Array(bytes[7...].drop { $0 == 0x20 })
        var difference = UInt8(offered.count == secret.count ? 0 : 1)
        for i in 0..<secret.count {
            difference |= secret[i] ^ (i < offered.count ? offered[i] : 0)
        }
        return difference == 0
    }
}

public struct TokenError: Error, Sendable {
    public let message: String
}
