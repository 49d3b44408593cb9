/// One call to etcd's v3 JSON gateway: the path it is posted to and its JSON body. Keys and
/// values are base64, int64 fields JSON strings (lease IDs exceed 2^53), and fields at their
/// zero value are left out, as the gateway itself writes them.
public struct EtcdRequest: Hashable, Sendable {
    public let path: String
    public let body: JSONValue

    /// The body as sent. (It holds no numbers, so encoding cannot fail.)
    public var bodyBytes: [UInt8] { (try? body.encoded()) ?? [] }

    /// The key just past every key that starts with `prefix`: the `range_end` of a prefix
    /// range (the last byte below 0xFF incremented, the rest dropped; `[0]`, meaning "to the
    /// end", when every byte is 0xFF).
    public static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// `/v3/kv/range`: the key, or the keys in `[key, end)`; at `revision` (0: the latest),
    /// only keys created at or before `maxCreateRevision` (0: any), sorted by create revision
    /// when `sortByCreate` is set (`descending` for the newest first), at most `limit` (0: all).
    public static func range(_ key: [UInt8], end: [UInt8]? = nil, revision: Int64 = 0, maxCreateRevision: Int64 = 0,
                             sortByCreate: Bool = false, descending: Bool = false, limit: Int64 = 0) -> EtcdRequest {
        EtcdRequest(path: "/v3/kv/range", body: .object(rangeFields(key, end: end, revision: revision,
            maxCreateRevision: maxCreateRevision, sortByCreate: sortByCreate, descending: descending, limit: limit)))
    }

    /// `/v3/kv/put`: `value` at `key`, attached to `lease` (0: none); `prevKV` asks for the
    /// value it replaced.
    public static func put(_ key: [UInt8], _ value: [UInt8], lease: Int64 = 0, prevKV: Bool = false) -> EtcdRequest {
        EtcdRequest(path: "/v3/kv/put", body: .object(putFields(key, value, lease: lease, prevKV: prevKV)))
    }

    /// `/v3/kv/deleterange`: the key, or the keys in `[key, end)`.
    public static func deleteRange(_ key: [UInt8], end: [UInt8]? = nil) -> EtcdRequest {
        EtcdRequest(path: "/v3/kv/deleterange", body: .object(keyFields(key, end: end)))
    }

    /// `/v3/kv/txn`: if every comparison holds, the `success` operations, else the `failure` ones,
    /// all at one revision.
    public static func txn(_ compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) -> EtcdRequest {
        var fields: [String: JSONValue] = [:]
        if !compare.isEmpty { fields["compare"] = .array(compare.map(\.json)) }
        if !success.isEmpty { fields["success"] = .array(success.map(\.json)) }
        if !failure.isEmpty { fields["failure"] = .array(failure.map(\.json)) }
        return EtcdRequest(path: "/v3/kv/txn", body: .object(fields))
    }

    /// `/v3/lease/grant`: a new lease that lives `ttlSeconds` unless kept alive.
    public static func leaseGrant(ttlSeconds: Int64) -> EtcdRequest {
        EtcdRequest(path: "/v3/lease/grant", body: ["TTL": .string(String(ttlSeconds))])
    }

    /// `/v3/lease/keepalive`: renews lease `id` for its TTL (one message of the gateway's stream).
    public static func leaseKeepAlive(id: Int64) -> EtcdRequest {
        EtcdRequest(path: "/v3/lease/keepalive", body: ["ID": .string(String(id))])
    }

    /// `/v3/lease/revoke`: ends lease `id` now, deleting every key attached to it.
    public static func leaseRevoke(id: Int64) -> EtcdRequest {
        EtcdRequest(path: "/v3/lease/revoke", body: ["ID": .string(String(id))])
    }

    /// `/v3/watch`: a stream of the changes to the key, or the keys in `[key, end)`, from
    /// `startRevision` (0: from now); `prevKV` adds each changed key's previous value.
    public static func watch(_ key: [UInt8], end: [UInt8]? = nil, startRevision: Int64 = 0, prevKV: Bool = false) -> EtcdRequest {
        var fields = keyFields(key, end: end)
        if startRevision != 0 { fields["start_revision"] = .string(String(startRevision)) }
        if prevKV { fields["prev_kv"] = true }
        return EtcdRequest(path: "/v3/watch", body: ["create_request": .object(fields)])
    }

    static func keyFields(_ key: [UInt8], end: [UInt8]?) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["key": .string(Base64.encode(key))]
        if let end { fields["range_end"] = .string(Base64.encode(end)) }
        return fields
    }

    static func rangeFields(_ key: [UInt8], end: [UInt8]?, revision: Int64 = 0, maxCreateRevision: Int64 = 0,
                            sortByCreate: Bool = false, descending: Bool = false, limit: Int64 = 0) -> [String: JSONValue] {
        var fields = keyFields(key, end: end)
        if revision != 0 { fields["revision"] = .string(String(revision)) }
        if maxCreateRevision != 0 { fields["max_create_revision"] = .string(String(maxCreateRevision)) }
        if sortByCreate {
            fields["sort_target"] = "CREATE"
            fields["sort_order"] = descending ? "DESCEND" : "ASCEND"
        }
        if limit != 0 { fields["limit"] = .string(String(limit)) }
        return fields
    }

    static func putFields(_ key: [UInt8], _ value: [UInt8], lease: Int64, prevKV: Bool) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["key": .string(Base64.encode(key)), "value": .string(Base64.encode(value))]
        if lease != 0 { fields["lease"] = .string(String(lease)) }
        if prevKV { fields["prev_kv"] = true }
        return fields
    }
}

/// One operation of a transaction's branch.
public enum EtcdOperation: Hashable, Sendable {
    case range(key: [UInt8], end: [UInt8]?)
    case put(key: [UInt8], value: [UInt8], lease: Int64)
    case deleteRange(key: [UInt8], end: [UInt8]?)

    var json: JSONValue {
        switch self {
        case .range(let key, let end): ["request_range": .object(EtcdRequest.rangeFields(key, end: end))]
        case .put(let key, let value, let lease): ["request_put": .object(EtcdRequest.putFields(key, value, lease: lease, prevKV: false))]
        case .deleteRange(let key, let end): ["request_delete_range": .object(EtcdRequest.keyFields(key, end: end))]
        }
    }
}

/// One comparison of a transaction: a key's create revision, mod revision, version or value
/// against a given one. A key that does not exist has create revision, mod revision and
/// version 0.
public struct EtcdCompare: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        case createRevision(Int64)
        case modRevision(Int64)
        case version(Int64)
        case value([UInt8])
    }

    public enum Result: String, Hashable, Sendable {
        case equal = "EQUAL", greater = "GREATER", less = "LESS", notEqual = "NOT_EQUAL"
    }

    public let key: [UInt8]
    public let target: Target
    public let result: Result

    public init(key: [UInt8], _ target: Target, _ result: Result = .equal) {
        self.key = key
        self.target = target
        self.result = result
    }

    var json: JSONValue {
        // The gateway fills absent fields with zero values, so `create_revision: "0"` is
        // written out only because etcd also reads an absent one as 0: either works.
        var fields: [String: JSONValue] = ["key": .string(Base64.encode(key)), "result": .string(result.rawValue)]
        switch target {
        case .createRevision(let r): fields["target"] = "CREATE"; fields["create_revision"] = .string(String(r))
        case .modRevision(let r): fields["target"] = "MOD"; fields["mod_revision"] = .string(String(r))
        case .version(let v): fields["target"] = "VERSION"; fields["version"] = .string(String(v))
        case .value(let v): fields["target"] = "VALUE"; fields["value"] = .string(Base64.encode(v))
        }
        return .object(fields)
    }
}
