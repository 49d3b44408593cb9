/// One problem in one route file, located by a key path, e.g.
/// `routes/api.json: pools.green.backends[1]: cannot resolve host "nope.invalid"`.
public struct RouteFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as found in the routes directory (the directory itself for directory-level errors).
    public var file: String
    /// Where in the file: `pools.green.backends[1]`, `health.interval`; empty for the file as a whole.
    public var keyPath: String
    public var message: String

    public init(file: String, keyPath: String, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        keyPath.isEmpty ? "\(file): \(message)" : "\(file): \(keyPath): \(message)"
    }
}
