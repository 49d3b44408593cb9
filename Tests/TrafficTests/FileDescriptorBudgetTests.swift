import Testing
import Traffic

/// The default client-connection cap leaves descriptors for backends, health checks and the
/// admin API whatever the open-file limit (once 10,000 per worker regardless of it).
struct FileDescriptorBudgetTests {
    @Test(arguments: [(1_024, 1), (1_024, 2), (4_096, 8), (20_000, 2), (65_536, 16), (1_048_576, 64), (256, 4)])
    func clientsAndTheirBackendsFitBesideTheReserve(limit: Int, workers: Int) {
        let perWorker = FileDescriptorBudget.clientConnectionsPerWorker(limit: limit, workers: workers)
        let reserved = FileDescriptorBudget.reserved(limit: limit)
        #expect(perWorker >= 1 && perWorker <= FileDescriptorBudget.defaultPerWorker)
        #expect(reserved >= 256)
        if limit > reserved {
            #expect(2 * perWorker * workers + reserved <= limit, "\(perWorker) per worker")
        }
    }

    @Test func figures() {
        // The flood: prlimit --nofile=1024, 2 workers (this CI machine's cores).
        #expect(FileDescriptorBudget.clientConnectionsPerWorker(limit: 1_024, workers: 2) == 192)
        // A 20,000 limit once allowed 2 × 10,000 clients, all of it.
        #expect(FileDescriptorBudget.clientConnectionsPerWorker(limit: 20_000, workers: 2) == 4_375)
        // Plenty of descriptors: the old default.
        #expect(FileDescriptorBudget.clientConnectionsPerWorker(limit: 1_048_576, workers: 4) == 10_000)
        #expect(FileDescriptorBudget.exceeds(perWorker: 10_000, workers: 2, limit: 20_000))
        #expect(!FileDescriptorBudget.exceeds(perWorker: 4_375, workers: 2, limit: 20_000))
    }
}
