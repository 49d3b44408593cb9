/// Which certificate answers a TLS client's server name (SNI): built once per certificate
/// set from the DNS names each certificate is for, consulted once per handshake.
///
/// Certificate 0 is the default: it answers a client without SNI or with a name no
/// certificate has. An exact name wins over a wildcard; among equals the earlier
/// certificate wins. A wildcard `*.example.com` covers one label, as in RFC 6125 6.4.3:
/// `a.example.com`, not `example.com` nor `a.b.example.com`. Names compare without case.
public struct ServerNameTable: Sendable {
    private struct Entry: Sendable {
        /// The lowercase name, or for a wildcard its suffix from the dot (`.example.com`).
        let name: [UInt8]
        let wildcard: Bool
        let certificate: Int
    }

    /// Exact names first, then wildcards, each in certificate order.
    private let entries: [Entry]

    /// `names[i]`: the DNS names of certificate `i`.
    public init(names: [[String]]) {
        var exact: [Entry] = []
        var wildcards: [Entry] = []
        for (certificate, list) in names.enumerated() {
            for name in list {
                let lowered = Array(name.lowercased().utf8)
                if lowered.count > 2 && lowered[0] == UInt8(ascii: "*") && lowered[1] == UInt8(ascii: ".") {
                    wildcards.append(Entry(name: Array(lowered.dropFirst()), wildcard: true, certificate: certificate))
                } else {
                    exact.append(Entry(name: lowered, wildcard: false, certificate: certificate))
                }
            }
        }
        entries = exact + wildcards
    }

    /// The certificate for `serverName` (the SNI bytes, any case); 0 when none has it.
    /// Does not allocate.
    public func certificate(for serverName: UnsafeRawBufferPointer) -> Int {
        for entry in entries {
            let matched = entry.name.withUnsafeBytes { name -> Bool in
                guard entry.wildcard else { return ASCII.equalsIgnoringCase(serverName, lowercased: name) }
                guard serverName.count > name.count,
                      ASCII.hasSuffixIgnoringCase(serverName, lowercased: name) else { return false }
                let label = serverName.prefix(serverName.count - name.count)
                return !label.contains(UInt8(ascii: "."))
            }
            if matched { return entry.certificate }
        }
        return 0
    }
}
