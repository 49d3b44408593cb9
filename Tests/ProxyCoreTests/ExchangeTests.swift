import Testing
import Traffic
@testable import ProxyCore

/// The exchange as a state machine, driven with a fake clock (`now` in ms).
@Suite struct ExchangeTests {
    let timeouts = Timeouts(connectMs: 1_000, firstByteMs: 5_000, idleMs: 60_000)

    func exchange(attempts: Int = 2, body: Bool = false, upgrade: Bool = false,
                  onConnect: Bool = true, onReset: Bool = true) -> Exchange {
        Exchange(retries: RetryPolicy(attempts: attempts, onConnectFailure: onConnect, onResetBeforeResponse: onReset),
                 timeouts: timeouts, requestHasBody: body, wantsUpgrade: upgrade)
    }

    @Test func aCompletedResponseEndsWithItsStatus() {
        var x = exchange()
        x.attached(reused: false, connecting: true, now: 0)
        #expect(x.state == .connecting && x.deadline == 1_000)
        x.connected(now: 10)
        #expect(x.deadline == 5_010)
        #expect(x.finalHead(status: 200, now: 20) == nil)
        #expect(x.headSent)
        let outcome = x.responseComplete(excess: false)
        #expect(outcome == Outcome(.backend, .completed, status: 200))
        #expect(!outcome.isFailure && outcome.isJudged && !outcome.isBackendFailure && outcome.logStatus == 200)
    }

    @Test func aFailedConnectIsRetriedAndBlamed() {
        var x = exchange(attempts: 1)
        x.attached(reused: false, connecting: true, now: 0)
        let first = x.backendFailed(.closed, clientSawNothing: true)
        #expect(first == .init(blameBackend: true, then: .retry(resendHead: false)))
        #expect(x.mayTry)
        x.attached(reused: false, connecting: true, now: 5)
        #expect(x.tries == 2 && !x.mayTry)
        let second = x.backendFailed(.closed, clientSawNothing: true)
        #expect(second == .init(blameBackend: true, then: .respond(Outcome(.backend, .connectFailed, status: 502))))
        #expect(x.outcome?.isFailure == true)
    }

    @Test func aConnectTimeoutIsRetriedAtItsDeadline() {
        var x = exchange()
        x.attached(reused: false, connecting: true, now: 100)
        #expect(x.tick(now: 1_099, clientSawNothing: true) == nil)
        #expect(x.tick(now: 1_100, clientSawNothing: true) == .init(blameBackend: true, then: .retry(resendHead: false)))
    }

    @Test func withoutConnectRetriesAFailedConnectIsA502() {
        var x = exchange(onConnect: false)
        x.attached(reused: false, connecting: true, now: 0)
        #expect(x.backendFailed(.closed, clientSawNothing: true).then == .respond(Outcome(.backend, .connectFailed, status: 502)))
    }

    @Test func aReusedConnectionResetBeforeAnyByteIsARaceRetriedWithTheHead() {
        var x = exchange()
        x.attached(reused: true, connecting: false, now: 0)
        let failure = x.backendFailed(.closed, clientSawNothing: true)
        #expect(failure == .init(blameBackend: false, then: .retry(resendHead: true)))
        // No backend left: the client gets the reset's 502.
        #expect(x.noBackendLeft() == Outcome(.backend, .resetBeforeHead, status: 502))
    }

    @Test func aRequestWithABodyIsNeverResent() {
        var x = exchange(body: true)
        x.attached(reused: true, connecting: false, now: 0)
        let failure = x.backendFailed(.closed, clientSawNothing: true)
        #expect(failure == .init(blameBackend: false, then: .respond(Outcome(.backend, .resetBeforeHead, status: 502))))
    }

    @Test func aResetAfterInterimBytesIsNotRetried() {
        var x = exchange()
        x.attached(reused: true, connecting: false, now: 0)
        x.responseRead(now: 1)
        #expect(x.interimHead() == nil)
        let failure = x.backendFailed(.closed, clientSawNothing: true)
        #expect(failure == .init(blameBackend: true, then: .respond(Outcome(.backend, .resetBeforeHead, status: 502))))
    }

    @Test func interimResponsesAreBounded() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        for _ in 0..<Exchange.maxInterimResponses { #expect(x.interimHead() == nil) }
        #expect(x.interimHead()?.then == .respond(Outcome(.backend, .invalidResponse, status: 502)))
    }

    @Test func interimResponsesDoNotExtendTheFirstByteTimeout() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        for t in stride(from: 500, to: 5_000, by: 500) {
            x.responseRead(now: Int64(t))
            #expect(x.interimHead() == nil)
            #expect(x.tick(now: Int64(t), clientSawNothing: false) == nil)
        }
        #expect(x.tick(now: 5_000, clientSawNothing: false) == .init(blameBackend: true, then: .respond(Outcome(.backend, .timeoutBeforeHead, status: 504))))
    }

    @Test func requestBytesSentRestartTheFirstByteTimeout() {
        var x = exchange(body: true)
        x.attached(reused: false, connecting: false, now: 0)
        x.requestSent(now: 4_000)
        #expect(x.tick(now: 5_000, clientSawNothing: true) == nil)
        #expect(x.tick(now: 9_000, clientSawNothing: true)?.then == .respond(Outcome(.backend, .timeoutBeforeHead, status: 504)))
    }

    @Test func aBodyThatStallsIsCutAfterTheHead() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        #expect(x.finalHead(status: 200, now: 100) == nil)
        x.responseRead(now: 3_000)
        #expect(x.tick(now: 7_999, clientSawNothing: false) == nil)
        let failure = x.tick(now: 8_000, clientSawNothing: false)
        #expect(failure == .init(blameBackend: true, then: .abort(Outcome(.backend, .timeoutAfterHead, status: 200))))
        let outcome = x.outcome!
        #expect(outcome.isFailure && outcome.countedStatus == 502 && outcome.logStatus == 200 && outcome.isBackendFailure)
    }

    @Test func aBodyCutShortIsAFailureLikeA502() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        #expect(x.finalHead(status: 200, now: 1) == nil)
        let failure = x.backendFailed(.closed, clientSawNothing: false)
        #expect(failure == .init(blameBackend: true, then: .abort(Outcome(.backend, .closedAfterHead, status: 200))))
        #expect(x.outcome!.isFailure && x.outcome!.isJudged && x.outcome!.countedStatus == 502)
    }

    @Test func aBrokenBodyBeforeAnyByteReachedTheClientIsAnswered502() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        #expect(x.finalHead(status: 200, now: 1) == nil)
        let failure = x.backendFailed(.invalid, clientSawNothing: true)
        #expect(failure == .init(blameBackend: true, then: .respond(Outcome(.backend, .invalidBody, status: 502))))
    }

    @Test func bytesPastTheBodyAreAFailure() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        _ = x.finalHead(status: 200, now: 1)
        let outcome = x.responseComplete(excess: true)
        #expect(outcome == Outcome(.backend, .excessBody, status: 200) && outcome.isFailure)
    }

    @Test func anUnaskedSwitchIsRefusedAndAnAskedOneTunnels() {
        var unasked = exchange()
        unasked.attached(reused: false, connecting: false, now: 0)
        #expect(unasked.finalHead(status: 101, now: 1)?.then == .respond(Outcome(.backend, .invalidResponse, status: 502)))
        var asked = exchange(upgrade: true)
        asked.attached(reused: false, connecting: false, now: 0)
        #expect(asked.finalHead(status: 101, now: 1) == nil)
        #expect(asked.state == .tunnel && asked.tick(now: 1_000_000, clientSawNothing: false) == nil)
        #expect(asked.tunnelClosed() == Outcome(.backend, .completed, status: 101))
    }

    @Test func aClientGoneAfterAnInterimResponseIsA499() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        #expect(x.interimHead() == nil)
        let outcome = x.clientGone()
        #expect(outcome == Outcome(.client, .clientClosedBeforeHead, status: 0))
        #expect(outcome.logStatus == 499 && !outcome.isJudged && !outcome.isFailure)
    }

    @Test func aClientGoneMidBodyKeepsTheStatusSent() {
        var x = exchange()
        x.attached(reused: false, connecting: false, now: 0)
        _ = x.finalHead(status: 200, now: 1)
        #expect(x.clientGone() == Outcome(.client, .clientClosedAfterHead, status: 200))
        // Later events change nothing.
        #expect(x.clientGone() == Outcome(.client, .clientClosedAfterHead, status: 200))
    }

    @Test func nothingToTryIsA503() {
        var x = exchange()
        let outcome = x.noBackendLeft()
        #expect(outcome == Outcome(.proxy, .rejected, status: 503) && outcome.isFailure && !outcome.isBackendFailure)
    }

    @Test func aRefusedRequestBodyIsAnsweredOrCut() {
        var before = exchange(body: true)
        before.attached(reused: false, connecting: false, now: 0)
        #expect(before.requestRefused(status: 400) == .respond(Outcome(.proxy, .rejected, status: 400)))
        var after = exchange(body: true)
        after.attached(reused: false, connecting: false, now: 0)
        _ = after.finalHead(status: 200, now: 1)
        #expect(after.requestRefused(status: 408) == .abort(Outcome(.client, .clientClosedAfterHead, status: 200)))
    }

    @Test func everyBackendFailureCauseHasAMetricSlot() {
        let labels = Outcome.Cause.backendFailures.map { "\($0.label)" }
        #expect(labels == ["connect_failed", "connect_timeout", "reset_before_head", "invalid_response", "timeout_before_head",
                           "closed_after_head", "timeout_after_head", "invalid_body", "excess_body"])
        #expect(Outcome.Cause.backendFailures.allSatisfy { Outcome(.backend, $0, status: 502).isBackendFailure })
    }
}
