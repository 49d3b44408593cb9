public import HTTP1

/// What a backend's bytes mean at the start of a response, as the exchange judges them; the
/// same for an HTTP/1.1 client and an HTTP/2 stream. Made by `MessageReader.readResponseHead`.
public enum ResponseHeadStep: Sendable {
    /// The head is not complete yet: wait for more bytes.
    case waiting
    /// The backend broke the exchange (closed before a whole head, or sent one Sluice
    /// refuses): the shell reports it with `Exchange.backendFailed`.
    case fault(Exchange.Fault)
    /// The exchange refuses the head (one interim response too many, a 101 nobody asked
    /// for): the shell does what the failure says.
    case failure(Exchange.Failure)
    /// A 1xx interim head (not 101) of `headEnd` bytes, to pass on; another head follows.
    case interim(headEnd: Int)
    /// The final head of `headEnd` bytes (status 101-599, in `response.status`).
    case final(headEnd: Int)
}

extension MessageReader {
    /// Reads a response head from `bytes` (`eof`: the backend closed) and tells `exchange`
    /// about it. Runs once per read while a response head is awaited.
    @inlinable
    public mutating func readResponseHead(_ bytes: UnsafeRawBufferPointer, eof: Bool, limits: Limits,
                                          exchange: inout Exchange, now: Int64) -> ResponseHeadStep {
        switch read(bytes, eof: eof, limits: limits) {
        case .needMore, .body:
            return eof ? .fault(.closed) : .waiting
        case .headError:
            return .fault(.invalid)
        case .head(let headEnd):
            let status = response.status
            if status < 200 && status != 101 {
                if let failure = exchange.interimHead() { return .failure(failure) }
                return .interim(headEnd: headEnd)
            }
            if let failure = exchange.finalHead(status: status, now: now) { return .failure(failure) }
            return .final(headEnd: headEnd)
        }
    }
}
