import CLinuxShim
import HTTP1
import ProxyCore
import Traffic

/// The protocol a client spoke, for the access log and the requests-by-protocol counters.
public enum ClientProtocol: Int, CaseIterable, Sendable {
    case http11, h2

    public var label: String { self == .h2 ? "h2" : "http/1.1" }
}

extension Worker {
    /// Records a finished exchange of either protocol from its outcome: its statistics
    /// (metrics, requests by protocol and the judge's evidence) and, unless the access log
    /// is off, one JSON line in the access-log buffer with the protocol, the status sent,
    /// the outcome and the bytes sent. `request` is the method, a 0 byte and the path,
    /// JSON-escaped; `routeIndex` is -1 for a request no route took, `backendIndex` -1 when
    /// no backend was tried. Runs once per exchange; allocates nothing.
    @inline(__always)
    func record(_ outcome: Outcome, protocol proto: ClientProtocol, routing: WorkerRouting, routeIndex: Int, pool: Pool,
                forced: Bool, backendIndex: Int, requestID: UnsafeRawBufferPointer, request parts: UnsafeRawBufferPointer,
                bytesSent: Int, startMicros: Int64, peerText: borrowing PeerText) {
        let micros = shim_monotonic_us() - startMicros
        if routeIndex >= 0 {
            stats.record(slot: routing.statsSlots[routeIndex], pool: pool, outcome: outcome, micros: micros, forced: forced)
        }
        stats.requestsByProtocol[proto.rawValue] &+= 1
        guard settings.accessLog != nil else { return }
        accessLog.append("{\"timestamp\":\"")
        timestamp.append(to: &accessLog)
        accessLog.append("\",\"level\":\"info\",\"message\":\"request\",\"request_id\":\"")
        accessLog.append(requestID)
        accessLog.append(proto == .h2 ? "\",\"protocol\":\"h2\",\"method\":\"" : "\",\"protocol\":\"http/1.1\",\"method\":\"")
        let split = parts.firstIndex(of: 0) ?? parts.count
        accessLog.append(UnsafeRawBufferPointer(rebasing: parts[..<split]))
        accessLog.append("\",\"path\":\"")
        if split < parts.count { accessLog.append(UnsafeRawBufferPointer(rebasing: parts[(split + 1)...])) }
        accessLog.append("\",\"status_code\":")
        accessLog.appendDecimal(outcome.logStatus)
        accessLog.append(",\"outcome\":\"")
        accessLog.append(outcome.cause.label)
        accessLog.append("\",\"bytes_sent\":")
        accessLog.appendDecimal(bytesSent)
        accessLog.append(",\"duration_ms\":")
        accessLog.appendDecimal(Int(micros / 1000))
        accessLog.append(UInt8(ascii: "."))
        let frac = Int(micros % 1000)
        accessLog.append(UInt8(48 + frac / 100))
        accessLog.append(UInt8(48 + (frac / 10) % 10))
        accessLog.append(UInt8(48 + frac % 10))
        if routeIndex >= 0 {
            accessLog.append(",\"route\":\"")
            accessLog.append(routing.snapshot.routes[routeIndex].nameBytes)
            accessLog.append(pool == .blue ? "\",\"pool\":\"blue\"" : "\",\"pool\":\"green\"")
            if backendIndex >= 0 && backendIndex < routing.snapshot.backendLabels.count {
                accessLog.append(",\"upstream\":\"")
                accessLog.append(routing.snapshot.backendLabels[backendIndex])
                accessLog.append(UInt8(ascii: "\""))
            } else {
                accessLog.append(",\"upstream\":null")
            }
            accessLog.append(forced ? ",\"forced\":true" : ",\"forced\":false")
        } else {
            accessLog.append(",\"route\":null,\"pool\":null,\"upstream\":null")
        }
        accessLog.append(",\"client\":\"")
        peerText.withBytes { accessLog.append($0) }
        accessLog.append("\"}\n")
    }
}
