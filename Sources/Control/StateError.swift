/// A problem with a file of the state dir, e.g.
/// `state/state.json: routes.api.greenWeight: 12000 is not a weight in basis points (0...10000)`.
/// Thrown by `StateStore` and `EventStore`; the message is meant for an operator as is.
public struct StateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file or directory concerned, as the store was given it.
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String {
        "\(file): \(message)"
    }
}
