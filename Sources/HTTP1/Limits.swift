/// Size limits applied while parsing a message head.
public struct Limits: Sendable {
    /// Longest request line accepted (414 above it).
    public var requestLine: Int
    /// Largest header section, request line included (431 above it).
    public var headerSection: Int
    /// Most header fields in one message (431 above it).
    public var headerCount: Int

    public init(requestLine: Int = 8 * 1024, headerSection: Int = 32 * 1024, headerCount: Int = 128) {
        self.requestLine = requestLine
        self.headerSection = headerSection
        self.headerCount = headerCount
    }
}
