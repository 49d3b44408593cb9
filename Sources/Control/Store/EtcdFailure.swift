/// Why a call to etcd's gateway gave no usable answer.
public enum EtcdFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// etcd refused the call: the HTTP status and the gRPC code and message it answered
    /// (`404, 5, "etcdserver: requested lease not found"`).
    case refused(status: Int, code: Int, message: String)
    /// The answer is not what the gateway writes: what was read and what is wrong with it.
    case malformed(what: String, reason: String)

    public var description: String {
        switch self {
        case .refused(let status, let code, let message): "etcd refused (HTTP \(status), code \(code)): \(message)"
        case .malformed(let what, let reason): "etcd answer not understood (\(what)): \(reason)"
        }
    }
}
