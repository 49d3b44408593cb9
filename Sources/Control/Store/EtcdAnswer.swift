/// The answers of etcd's v3 JSON gateway, read from its JSON. Every field at its zero value
/// is absent from what the gateway writes (a failed txn has no `succeeded`, a PUT event no
/// `type`, an expired lease's keepalive no `TTL`), so an absent field reads as zero, false
/// or empty. int64 fields are JSON strings.
public enum EtcdAnswer {
    /// The JSON of a unary answer: the body of a 200, or a `refused` failure carrying the
    /// gateway's error (`{"error", "message", "code"}`) for any other status.
    public static func json(status: Int, body: [UInt8], what: String) throws(EtcdFailure) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw .malformed(what: what, reason: "HTTP \(status), body is not JSON: \(error)")
        }
        guard status == 200 else {
            let reading = Reading(value, what)
            throw .refused(status: status, code: Int((try? reading.int64("code")) ?? 0),
                           message: value["message"]?.stringValue ?? value["error"]?.stringValue ?? "no message")
        }
        return value
    }

    /// The first message of a stream answer read whole (a keepalive sent as one request): a
    /// refusal for a status other than 200, as `json` reads it.
    public static func firstStreamMessage(status: Int, body: [UInt8], what: String) throws(EtcdFailure) -> JSONValue {
        guard status == 200 else { return try json(status: status, body: body, what: what) }
        var parser = WatchStreamParser()
        guard let first = try parser.feed(body + [0x0A]).first else { throw .malformed(what: what, reason: "an empty stream") }
        return first
    }

    /// The `result` of one message of a gateway stream (keepalive, watch); a stream error
    /// (`{"error": {"grpc_code", "http_code", "message"}}`) is a `refused` failure.
    public static func streamResult(_ message: JSONValue, what: String) throws(EtcdFailure) -> JSONValue {
        if let result = message["result"], result.objectValue != nil { return result }
        if let error = message["error"] {
            let reading = Reading(error, what)
            throw .refused(status: Int((try? reading.int64("http_code")) ?? 0), code: Int((try? reading.int64("grpc_code")) ?? 0),
                           message: error["message"]?.stringValue ?? "no message")
        }
        throw .malformed(what: what, reason: "a stream message with neither result nor error")
    }
}

/// Reads the fields of one answer object, absent meaning zero.
struct Reading {
    let value: JSONValue
    let what: String

    init(_ value: JSONValue, _ what: String) {
        self.value = value
        self.what = what
    }

    func fail(_ reason: String) -> EtcdFailure { .malformed(what: what, reason: reason) }

    /// An int64 field: a JSON string of digits (or, leniently, a whole JSON number); 0 when absent.
    func int64(_ key: String) throws(EtcdFailure) -> Int64 {
        switch value[key] {
        case nil: return 0
        case .string(let text)?:
            guard let n = Int64(text) else { throw fail("\(key): not an int64 (\"\(text)\")") }
            return n
        case .number(let n)? where n.rounded() == n && abs(n) <= 9_007_199_254_740_992:
            return Int64(n)
        case let other?: throw fail("\(key): \(other.described)")
        }
    }

    func bool(_ key: String) throws(EtcdFailure) -> Bool {
        switch value[key] {
        case nil: return false
        case .bool(let b)?: return b
        case let other?: throw fail("\(key): \(other.described)")
        }
    }

    func string(_ key: String) throws(EtcdFailure) -> String {
        switch value[key] {
        case nil: return ""
        case .string(let s)?: return s
        case let other?: throw fail("\(key): \(other.described)")
        }
    }

    /// A base64 bytes field; empty when absent.
    func bytes(_ key: String) throws(EtcdFailure) -> [UInt8] {
        let text = try string(key)
        guard let bytes = Base64.decode(text) else { throw fail("\(key): not base64") }
        return bytes
    }

    /// An array of objects, each read by `read`; empty when absent.
    func list<T>(_ key: String, _ read: (Reading) throws(EtcdFailure) -> T) throws(EtcdFailure) -> [T] {
        guard let member = value[key] else { return [] }
        guard let items = member.arrayValue else { throw fail("\(key): \(member.described)") }
        var out: [T] = []
        for (i, item) in items.enumerated() { out.append(try read(Reading(item, "\(what) \(key)[\(i)]"))) }
        return out
    }

    /// An object member read by `read`; nil when absent.
    func object<T>(_ key: String, _ read: (Reading) throws(EtcdFailure) -> T) throws(EtcdFailure) -> T? {
        guard let member = value[key] else { return nil }
        guard member.objectValue != nil else { throw fail("\(key): \(member.described)") }
        return try read(Reading(member, "\(what) \(key)"))
    }

    /// The answer's `header.revision`: the store's revision when it answered.
    func headerRevision() throws(EtcdFailure) -> Int64 {
        try object("header") { r throws(EtcdFailure) in try r.int64("revision") } ?? 0
    }
}

/// One key of the store with its value and history.
public struct EtcdKeyValue: Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision that created the key (the same until it is deleted).
    public var createRevision: Int64
    /// The revision of its last change.
    public var modRevision: Int64
    /// Changes since it was created (1 for a new key).
    public var version: Int64
    /// The lease it is attached to, 0 for none.
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8] = [], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    init(_ r: Reading) throws(EtcdFailure) {
        self.init(key: try r.bytes("key"), value: try r.bytes("value"), createRevision: try r.int64("create_revision"),
                  modRevision: try r.int64("mod_revision"), version: try r.int64("version"), lease: try r.int64("lease"))
    }
}

/// The answer to a range.
public struct EtcdRangeAnswer: Hashable, Sendable {
    public var revision: Int64
    public var kvs: [EtcdKeyValue]
    /// Keys in the range (more than `kvs` holds when a limit cut it).
    public var count: Int64

    public init(json: JSONValue) throws(EtcdFailure) {
        try self.init(Reading(json, "range"))
    }

    init(_ r: Reading) throws(EtcdFailure) {
        revision = try r.headerRevision()
        kvs = try r.list("kvs", EtcdKeyValue.init)
        count = try r.int64("count")
    }
}

/// The answer to a put: the revision it made, and the replaced value when asked for.
public struct EtcdPutAnswer: Hashable, Sendable {
    public var revision: Int64
    public var previous: EtcdKeyValue?

    public init(json: JSONValue) throws(EtcdFailure) {
        try self.init(Reading(json, "put"))
    }

    init(_ r: Reading) throws(EtcdFailure) {
        revision = try r.headerRevision()
        previous = try r.object("prev_kv", EtcdKeyValue.init)
    }
}

/// The answer to a deleterange: how many keys it deleted.
public struct EtcdDeleteAnswer: Hashable, Sendable {
    public var revision: Int64
    public var deleted: Int64

    public init(json: JSONValue) throws(EtcdFailure) {
        try self.init(Reading(json, "deleterange"))
    }

    init(_ r: Reading) throws(EtcdFailure) {
        revision = try r.headerRevision()
        deleted = try r.int64("deleted")
    }
}

/// The answer to a transaction: whether the comparisons held, and the answers of the branch
/// that ran, in order.
public struct EtcdTxnAnswer: Hashable, Sendable {
    public enum Response: Hashable, Sendable {
        case range(EtcdRangeAnswer)
        case put(EtcdPutAnswer)
        case deleteRange(EtcdDeleteAnswer)
    }

    public var revision: Int64
    public var succeeded: Bool
    public var responses: [Response]

    public init(json: JSONValue) throws(EtcdFailure) {
        let r = Reading(json, "txn")
        revision = try r.headerRevision()
        succeeded = try r.bool("succeeded")
        responses = try r.list("responses") { item throws(EtcdFailure) in
            if let range = try item.object("response_range", EtcdRangeAnswer.init) { return .range(range) }
            if let put = try item.object("response_put", EtcdPutAnswer.init) { return .put(put) }
            if let delete = try item.object("response_delete_range", EtcdDeleteAnswer.init) { return .deleteRange(delete) }
            throw item.fail("no response_range, response_put or response_delete_range")
        }
    }
}

/// The answer to a lease grant or keepalive: the lease and its TTL in seconds. A keepalive
/// of a lease that no longer exists answers without a TTL (0): the lease is gone.
public struct EtcdLeaseAnswer: Hashable, Sendable {
    public var revision: Int64
    public var id: Int64
    public var ttlSeconds: Int64

    /// A grant's answer (a unary body).
    public init(grant json: JSONValue) throws(EtcdFailure) {
        try self.init(Reading(json, "lease grant"))
    }

    /// A keepalive's answer: the gateway's stream message `{"result": {...}}`.
    public init(keepAlive json: JSONValue) throws(EtcdFailure) {
        try self.init(Reading(try EtcdAnswer.streamResult(json, what: "lease keepalive"), "lease keepalive"))
    }

    init(_ r: Reading) throws(EtcdFailure) {
        revision = try r.headerRevision()
        id = try r.int64("ID")
        ttlSeconds = try r.int64("TTL")
    }
}

/// One message of a watch stream: the watch was created, some keys changed, or etcd
/// cancelled it (when `compactRevision` is set, because the revisions it asked for were
/// compacted away: read afresh and watch again from the read's revision + 1).
public struct EtcdWatchAnswer: Hashable, Sendable {
    public struct Event: Hashable, Sendable {
        public enum Kind: Hashable, Sendable { case put, delete }
        public var kind: Kind
        /// The key after the change (for a delete, just its key and the deleting revision).
        public var kv: EtcdKeyValue
        /// The key before the change, when the watch asked for it and the key existed.
        public var previous: EtcdKeyValue?
    }

    public var revision: Int64
    public var watchID: Int64
    public var created: Bool
    public var canceled: Bool
    public var compactRevision: Int64
    public var cancelReason: String
    public var events: [Event]

    /// One message `{"result": {...}}` of the stream (see `WatchStreamParser`).
    public init(json: JSONValue) throws(EtcdFailure) {
        let r = Reading(try EtcdAnswer.streamResult(json, what: "watch"), "watch")
        revision = try r.headerRevision()
        watchID = try r.int64("watch_id")
        created = try r.bool("created")
        canceled = try r.bool("canceled")
        compactRevision = try r.int64("compact_revision")
        cancelReason = try r.string("cancel_reason")
        events = try r.list("events") { e throws(EtcdFailure) in
            let kind: Event.Kind
            switch try e.string("type") {
            case "", "PUT": kind = .put
            case "DELETE": kind = .delete
            case let other: throw e.fail("type: \(other)")
            }
            guard let kv = try e.object("kv", EtcdKeyValue.init) else { throw e.fail("kv: missing") }
            return Event(kind: kind, kv: kv, previous: try e.object("prev_kv", EtcdKeyValue.init))
        }
    }
}
