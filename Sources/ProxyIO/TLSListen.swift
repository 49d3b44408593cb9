/// The TLS listener of the data plane: where it listens and the certificates it starts with.
public struct TLSListen: Sendable {
    public let address: SocketAddress
    public let context: TLSContext

    public init(address: SocketAddress, context: TLSContext) {
        self.address = address
        self.context = context
    }
}
