/// Runs `body` on the UTF-8 bytes of `text`, as the proxy passes header and path bytes.
func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try Array(text.utf8).withUnsafeBytes(body)
}
