/// Why a routes directory was refused: every error of every file, in file order, so that
/// `sluice check` can show them all at once.
public struct RouteLoadFailure: Error, Sendable, CustomStringConvertible {
    /// Never empty.
    public var errors: [RouteFileError]

    public init(errors: [RouteFileError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
