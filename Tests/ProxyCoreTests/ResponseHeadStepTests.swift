import HTTP1
import Testing
import Traffic
@testable import ProxyCore

/// `MessageReader.readResponseHead`: a backend's first bytes as the exchange judges them, the
/// step both client protocols act on.
@Suite struct ResponseHeadStepTests {
    func attached(upgrade: Bool = false) -> Exchange {
        var x = Exchange(retries: RetryPolicy(), timeouts: Timeouts(connectMs: 1_000, firstByteMs: 5_000, idleMs: 60_000),
                         requestHasBody: false, wantsUpgrade: upgrade)
        x.attached(reused: false, connecting: false, now: 0)
        return x
    }

    func step(_ text: String, eof: Bool = false, _ x: inout Exchange, reader: inout MessageReader) -> ResponseHeadStep {
        Array(text.utf8).withUnsafeBytes { reader.readResponseHead($0, eof: eof, limits: Limits(), exchange: &x, now: 10) }
    }

    @Test func partialHeadWaitsAndAClosedBackendIsAFault() {
        var x = attached()
        var r = MessageReader(isRequest: false)
        guard case .waiting = step("HTTP/1.1 200 OK\r\nA: b\r\n", &x, reader: &r) else { Issue.record("not waiting"); return }
        guard case .fault(.closed) = step("HTTP/1.1 200 OK\r\nA: b\r\n", eof: true, &x, reader: &r) else { Issue.record("no fault"); return }
    }

    @Test func invalidHeadIsAFault() {
        var x = attached()
        var r = MessageReader(isRequest: false)
        guard case .fault(.invalid) = step("HTTP/1.1 2000 OK\r\n\r\n", &x, reader: &r) else { Issue.record("accepted"); return }
    }

    @Test func interimThenFinal() {
        var x = attached()
        var r = MessageReader(isRequest: false)
        let interim = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        guard case .interim(let end) = step(interim, &x, reader: &r) else { Issue.record("no interim"); return }
        #expect(end == interim.utf8.count && r.response.status == 103)
        r.expectBody(.none)
        let final = "HTTP/1.1 204 No Content\r\n\r\n"
        guard case .final(let end2) = step(final, &x, reader: &r) else { Issue.record("no final"); return }
        #expect(end2 == final.utf8.count && x.headSent)
    }

    @Test func tooManyInterimsAndAnUnaskedUpgradeAreFailures() {
        var x = attached()
        var r = MessageReader(isRequest: false)
        var last: ResponseHeadStep = .waiting
        for _ in 0...Exchange.maxInterimResponses {
            last = step("HTTP/1.1 100 Continue\r\n\r\n", &x, reader: &r)
            r.expectBody(.none)
        }
        guard case .failure(let f) = last else { Issue.record("17th interim passed"); return }
        #expect(f.then == .respond(Outcome(.backend, .invalidResponse, status: 502)))
        var y = attached(upgrade: false)
        var r2 = MessageReader(isRequest: false)
        guard case .failure = step("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n", &y, reader: &r2) else {
            Issue.record("unasked 101 passed"); return
        }
    }
}
