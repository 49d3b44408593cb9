import Dispatch

/// Posts rollout events to a route's `webhook` URL as JSON, off every event loop: deliveries
/// run one at a time on a serial queue of their own, so a slow or dead receiver delays only
/// other webhooks, never the proxy or the admin API. A delivery that fails (no connection, a
/// timeout, a status other than 2xx) is retried after 1, 2, 4, 8, 16 and 32 s, then given up
/// with an error on stderr.
public final class WebhookSender: Sendable {
    /// Seconds to wait before each retry.
    static let backoffSeconds = [1, 2, 4, 8, 16, 32]
    private let queue = DispatchQueue(label: "sluice.webhooks")

    public init() {}

    /// Runs on the admin loop when a rollout event is recorded; returns at once. A URL that
    /// does not parse is reported and dropped (route files only accept `http://` URLs).
    public func post(_ url: String, _ payload: [UInt8]) {
        guard let (client, path) = HTTPClient.parse(url: url) else {
            EventLog.write(.error, "webhook URL is not http://HOST:PORT/PATH; not sent", ["url": .string(url)])
            return
        }
        let timed = HTTPClient(host: client.host, port: client.port, timeoutSeconds: 5)
        queue.async { self.deliver(timed, path, payload, url: url, attempt: 0) }
    }

    /// Runs on the queue: one attempt, and the next one scheduled if it failed.
    private func deliver(_ client: HTTPClient, _ path: String, _ payload: [UInt8], url: String, attempt: Int) {
        let problem: String
        do {
            let response = try client.send("POST", path, headers: [("Content-Type", "application/json")], body: payload)
            if (200..<300).contains(response.status) { return }
            problem = "status \(response.status)"
        } catch {
            problem = error.message
        }
        guard attempt < Self.backoffSeconds.count else {
            EventLog.write(.error, "webhook not delivered; giving up",
                           ["url": .string(url), "attempts": .number(Double(attempt + 1)), "error": .string(problem)])
            return
        }
        let delay = Self.backoffSeconds[attempt]
        EventLog.write(.warning, "webhook delivery failed; retrying",
                       ["url": .string(url), "attempt": .number(Double(attempt + 1)), "retry_in_s": .number(Double(delay)),
                        "error": .string(problem)])
        queue.asyncAfter(deadline: .now() + .seconds(delay)) {
            self.deliver(client, path, payload, url: url, attempt: attempt + 1)
        }
    }
}
