import Foundation
import HTTP1

/// The answers of a real etcd 3.4 recorded by scripts/record-etcd-answers.sh
/// (Fixtures/etcd/NAME.http: raw HTTP responses, head and body as sent).
enum EtcdFixture {
    /// The raw bytes of a recorded answer.
    static func raw(_ name: String) -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/etcd")
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(name + ".http")) else {
            fatalError("missing fixture \(name).http: run scripts/record-etcd-answers.sh")
        }
        return Array(data)
    }

    /// The recorded answer's status and decoded body. A recorded watch stream was cut by the
    /// recorder's time limit, so its body is what arrived by then.
    static func answer(_ name: String) -> (status: Int, body: [UInt8]) {
        var reader = ResponseReader()
        var body: [UInt8] = []
        let (_, progress) = raw(name).withUnsafeBytes { reader.read($0, body: &body) }
        if case .failed(let reason) = progress { fatalError("\(name): \(reason)") }
        return (reader.status, body)
    }
}
