import Testing
@testable import Traffic

/// The election with a fake clock: time is whatever the test says it is.
struct LeaderElectionTests {
    private let settings = LeaderElection.Settings(prefix: Array("/sluice/leader/".utf8), ttlSeconds: 6, marginMs: 1_000, retryMs: 500)
    private let lease: Int64 = 7_587_869_551_488_457_991
    private var key: [UInt8] { Array("/sluice/leader/7587869551488457991".utf8) }

    /// An election that has its lease (granted at `grantedAt`) and its key (create revision 40).
    private func campaigned(grantedAt: Int = 0) -> LeaderElection {
        var election = LeaderElection(settings: settings)
        #expect(election.start(now: grantedAt) == [.grantLease(ttlSeconds: 6)])
        #expect(election.leaseGranted(id: lease, ttlSeconds: 6, now: grantedAt + 5) == [.createKey(key: key, lease: lease)])
        #expect(election.keyCreated(lease: lease, createRevision: 40, now: grantedAt + 10) == [.readPredecessor(maxCreateRevision: 39)])
        return election
    }

    private func leader() -> LeaderElection {
        var election = campaigned()
        #expect(election.predecessorRead(lease: lease, key: nil, revision: 40, now: 20)
                == [.becameLeader(.init(key: key, createRevision: 40))])
        return election
    }

    @Test func theLowestCreateRevisionLeads() {
        let election = leader()
        #expect(election.fence(now: 20) == .init(key: key, createRevision: 40))
        #expect(election.leaseID == lease)
    }

    @Test func aLaterCandidateWaitsForTheKeyBeforeIt() {
        var election = campaigned()
        let older = Array("/sluice/leader/1".utf8)
        #expect(election.predecessorRead(lease: lease, key: older, revision: 41, now: 20) == [.watchDeletion(key: older, fromRevision: 42)])
        #expect(election.fence(now: 20) == nil)
        // The deletion of another key changes nothing.
        #expect(election.keyDeleted(lease: lease, key: Array("/sluice/leader/2".utf8), now: 30) == [])
        #expect(election.keyDeleted(lease: lease, key: older, now: 40) == [.stopWatching, .readPredecessor(maxCreateRevision: 39)])
        #expect(election.predecessorRead(lease: lease, key: nil, revision: 45, now: 50) == [.becameLeader(.init(key: key, createRevision: 40))])
    }

    @Test func renewalsEveryThirdOfTheTTLMoveTheDeadline() {
        var election = leader()
        #expect(election.tick(now: 1_999) == [])
        #expect(election.tick(now: 2_000) == [.keepAlive(lease: lease)])
        // One keepalive in flight at a time.
        #expect(election.tick(now: 2_250) == [])
        #expect(election.keepAliveAnswered(lease: lease, ttlSeconds: 6, now: 2_300) == [])
        // Deadline: sent at 2000 + 6 s - 1 s margin.
        #expect(election.fence(now: 6_999) != nil && election.fence(now: 7_000) == nil)
        #expect(election.tick(now: 4_000) == [.keepAlive(lease: lease)])
    }

    @Test func missedKeepalivesDeposeTheLeaderAtItsOwnDeadline() {
        var election = leader()
        #expect(election.tick(now: 2_000) == [.keepAlive(lease: lease)])
        #expect(election.requestFailed(.keepAlive, lease: lease, now: 3_000) == [])
        #expect(election.tick(now: 3_250) == [])
        #expect(election.tick(now: 3_500) == [.keepAlive(lease: lease)])
        // The grant was sent at 0: deadline 0 + 6 s - 1 s. No answer by then.
        #expect(election.tick(now: 4_999) == [])
        #expect(election.fence(now: 4_999) != nil)
        #expect(election.tick(now: 5_000) == [.steppedDown(.deadlinePassed)])
        #expect(election.fence(now: 5_000) == nil)
        // A late renewal that still finds the lease: the key survived, look again.
        #expect(election.keepAliveAnswered(lease: lease, ttlSeconds: 6, now: 5_200) == [.readPredecessor(maxCreateRevision: 39)])
        #expect(election.predecessorRead(lease: lease, key: nil, revision: 50, now: 5_300) == [.becameLeader(.init(key: key, createRevision: 40))])
    }

    @Test func aKeepaliveWithoutTTLStepsDownAtOnceAndCampaignsAgain() {
        var election = leader()
        #expect(election.tick(now: 2_000) == [.keepAlive(lease: lease)])
        #expect(election.keepAliveAnswered(lease: lease, ttlSeconds: 0, now: 2_100) == [.steppedDown(.leaseLost), .grantLease(ttlSeconds: 6)])
        #expect(election.fence(now: 2_100) == nil && election.leaseID == nil)
        let next: Int64 = 99
        #expect(election.leaseGranted(id: next, ttlSeconds: 6, now: 2_200)
                == [.createKey(key: Array("/sluice/leader/99".utf8), lease: next)])
        // Answers for the old lease are ignored from now on.
        #expect(election.keepAliveAnswered(lease: lease, ttlSeconds: 6, now: 2_300) == [])
        #expect(election.keyCreated(lease: lease, createRevision: 40, now: 2_300) == [])
    }

    @Test func aFailedFencedWriteDeposesAndGivesUpTheLease() {
        var election = leader()
        #expect(election.fenceFailed(now: 1_000) == [.steppedDown(.fenced), .revokeLease(lease), .grantLease(ttlSeconds: 6)])
        #expect(election.fenceFailed(now: 1_100) == [])
    }

    @Test func failedCampaignRequestsAreRepeatedAfterTheRetryDelay() {
        var election = LeaderElection(settings: settings)
        _ = election.start(now: 0)
        #expect(election.requestFailed(.grant, lease: nil, now: 100) == [])
        #expect(election.tick(now: 599) == [])
        #expect(election.tick(now: 600) == [.grantLease(ttlSeconds: 6)])
        #expect(election.leaseGranted(id: lease, ttlSeconds: 6, now: 700) == [.createKey(key: key, lease: lease)])
        #expect(election.requestFailed(.createKey, lease: lease, now: 800) == [])
        #expect(election.tick(now: 1_300) == [.createKey(key: key, lease: lease)])
        #expect(election.keyCreated(lease: lease, createRevision: 40, now: 1_400) == [.readPredecessor(maxCreateRevision: 39)])
        #expect(election.requestFailed(.readPredecessor, lease: lease, now: 1_500) == [])
        #expect(election.tick(now: 2_000).contains(.readPredecessor(maxCreateRevision: 39)))
    }

    @Test func theDeadlineCountsFromTheGrantsSendingTime() {
        var election = LeaderElection(settings: settings)
        _ = election.start(now: 0)
        // The grant's answer takes 4.5 s: 0 + 6 s - 1 s leaves 0.5 s of leading.
        _ = election.leaseGranted(id: lease, ttlSeconds: 6, now: 4_500)
        _ = election.keyCreated(lease: lease, createRevision: 40, now: 4_600)
        #expect(election.predecessorRead(lease: lease, key: nil, revision: 40, now: 4_700) == [.becameLeader(.init(key: key, createRevision: 40))])
        #expect(election.tick(now: 5_000).contains(.steppedDown(.deadlinePassed)))
    }

    @Test func aCampaignPastItsDeadlineDoesNotLead() {
        var election = campaigned()
        #expect(election.predecessorRead(lease: lease, key: nil, revision: 40, now: 5_000) == [])
        #expect(election.fence(now: 5_000) == nil)
    }

    @Test func aLateGrantIsRevoked() {
        var election = leader()
        #expect(election.leaseGranted(id: 5, ttlSeconds: 6, now: 100) == [.revokeLease(5)])
    }

    @Test func resigningRevokesTheLease() {
        var election = leader()
        #expect(election.resign() == [.steppedDown(.resigned), .revokeLease(lease)])
        #expect(election.tick(now: 10_000) == [] && election.fence(now: 10_000) == nil)
        var waiting = campaigned()
        _ = waiting.predecessorRead(lease: lease, key: [1], revision: 41, now: 20)
        #expect(waiting.resign() == [.stopWatching, .revokeLease(lease)])
    }
}
