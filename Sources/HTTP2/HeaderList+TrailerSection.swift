import HTTP1

extension HeaderList {
    /// Fields that have no place in a trailer section passed on to an HTTP/2 client, besides
    /// the connection-specific ones (`RequestFields.connectionSpecific`): framing and routing
    /// (RFC 9110 6.5.1), `te` (RFC 9113 8.2.2) and the list of trailers itself. Lowercase.
    static let notInTrailers: [[UInt8]] = ["content-length", "host", "te", "trailer"].map { Array($0.utf8) }

    /// Appends the fields of an HTTP/1.1 trailer section (its field lines, each ending in CRLF,
    /// as `ChunkedDecoder.trailer` hands them out) in HTTP/2's form: names lowercased, values
    /// without surrounding whitespace. A line that is not `name ":" value`, a field with a byte
    /// RFC 9113 8.2.1 refuses, a connection-specific field and one of `notInTrailers` are
    /// dropped. Runs once for a response whose body ended with a non-empty trailer section.
    public mutating func appendTrailerSection(_ section: UnsafeRawBufferPointer) {
        var lineStart = 0
        while lineStart < section.count {
            var lineEnd = lineStart
            while lineEnd < section.count && section[lineEnd] != 0x0A { lineEnd += 1 }
            let textEnd = lineEnd > lineStart && section[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
            appendTrailerLine(UnsafeRawBufferPointer(rebasing: section[lineStart..<textEnd]))
            lineStart = lineEnd + 1
        }
    }

    /// One field line without its line end: appended, then removed again if it may not go on.
    private mutating func appendTrailerLine(_ line: UnsafeRawBufferPointer) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let byteCount = bytes.count
        append(name: line[..<colon].lazy.map(ByteClass.lower), value: line[line.trimmingOWS((colon + 1)..<line.count)])
        let name = self.name(count - 1)
        if RequestFields.fieldCause(name: name, value: value(count - 1)) != nil || Self.notInTrailers.contains(where: { name.equals($0) }) {
            bytes.removeLast(bytes.count - byteCount)
            fields.removeLast()
        }
    }
}
