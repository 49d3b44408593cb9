/// Splits the body of a gateway stream (`/v3/watch`, `/v3/lease/keepalive`) into its
/// messages: one JSON object a line (`{"result": {...}}` or `{"error": {...}}`), the lines
/// cut anywhere by chunks and reads. Feed it the body's data as it is decoded
/// (`ResponseReader` removes the chunked framing); it keeps a partial line for the next feed.
public struct WatchStreamParser: Sendable {
    private var partial: [UInt8] = []
    /// Longest message kept while waiting for its end (a watch answer with many large values).
    private let maxMessage: Int

    public init(maxMessage: Int = 16 << 20) {
        self.maxMessage = maxMessage
    }

    /// The messages completed by `data`, in order. Throws when a line is not JSON or a
    /// message grows past `maxMessage`; the stream cannot go on after that.
    public mutating func feed(_ data: [UInt8]) throws(EtcdFailure) -> [JSONValue] {
        var messages: [JSONValue] = []
        var start = 0
        while let newline = data[start...].firstIndex(of: UInt8(ascii: "\n")) {
            partial.append(contentsOf: data[start..<newline])
            start = newline + 1
            let line = partial
            partial.removeAll(keepingCapacity: true)
            guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { continue }
            do {
                messages.append(try JSONValue(parsing: line))
            } catch {
                throw .malformed(what: "stream message", reason: "\(error)")
            }
        }
        partial.append(contentsOf: data[start...])
        guard partial.count <= maxMessage else {
            throw .malformed(what: "stream message", reason: "longer than \(maxMessage) bytes")
        }
        return messages
    }
}
