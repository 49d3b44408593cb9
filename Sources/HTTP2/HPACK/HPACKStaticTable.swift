/// The static table of RFC 7541 Appendix A: indices 1 to 61.
public enum HPACKStaticTable {
    public static let entries: [(name: [UInt8], value: [UInt8])] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
        (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
        (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
        (":status", "404"), (":status", "500"), ("accept-charset", ""), ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""), ("accept-ranges", ""), ("accept", ""), ("access-control-allow-origin", ""),
        ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
        ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""),
        ("from", ""), ("host", ""), ("if-match", ""), ("if-modified-since", ""),
        ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""), ("last-modified", ""),
        ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
        ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
        ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""),
        ("www-authenticate", ""),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    /// Appendix A's 61 entries (a constant: `entries` is a lazily made global).
    public static var count: Int { 61 }

    /// For each name length, the index in `entries` of the first entry of every name of that
    /// length: a lookup compares the few names of its length, not all 61.
    static let firstOfNameByLength: [[Int]] = {
        var table = [[Int]](repeating: [], count: entries.map(\.name.count).max()! + 1)
        for (i, entry) in entries.enumerated() where i == 0 || entries[i - 1].name != entry.name {
            table[entry.name.count].append(i)
        }
        return table
    }()

    /// The static index (1-based) of the first entry named `name`, and of the entry that also
    /// has `value`, for the encoder.
    public static func find(name: [UInt8], value: ArraySlice<UInt8>) -> (nameIndex: Int?, fullIndex: Int?) {
        let byLength = firstOfNameByLength
        guard name.count < byLength.count else { return (nil, nil) }
        let entries = entries
        for first in byLength[name.count] where entries[first].name == name {
            var i = first
            while i < entries.count && entries[i].name == name {
                if entries[i].value[...] == value { return (first + 1, i + 1) }
                i += 1
            }
            return (first + 1, nil)
        }
        return (nil, nil)
    }
}
