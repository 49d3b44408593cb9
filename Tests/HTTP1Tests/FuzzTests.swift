import Testing
import Traffic
@testable import HTTP1

/// Seeded random mutations of the valid corpus. Whatever the bytes, parsing never crashes
/// (bounds are checked in debug builds) and feeding them in random pieces gives exactly the
/// one-shot result: same accept/reject, same error, same parsed values and body bytes.
struct FuzzTests {
    static let interestingBytes: [UInt8] = [
        0x0D, 0x0A, 0x20, 0x09, 0x3A, 0x2C, 0x3B, 0x30, 0x39, 0x61, 0x66, 0x7A, 0x00, 0x7F, 0x80, 0xFF, 0x22, 0x2F,
        0x2A, 0x48, 0x01, 0x3D,
    ]

    static let snippets: [[UInt8]] = [
        "\r\n", "\r\n\r\n", "\r", "\n", " ", "\t", ":", ",", "0\r\n\r\n", "Host: x\r\n", "Content-Length: 3\r\n",
        "Content-Length: 4, 4\r\n", "Transfer-Encoding: chunked\r\n", "Connection: close, x-a\r\n", "X-A: 1\r\n",
        "Upgrade: h2c\r\n", "HTTP/1.0", "HTTP/1.1", "ffff", "5;e=1\r\nabcde\r\n", "\r\n ",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var b = input
        let count = Int.random(in: 1...4, using: &rng)
        for _ in 0..<count {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !b.isEmpty: // replace with an interesting byte
                b[Int.random(in: 0..<b.count, using: &rng)] = interestingBytes.randomElement(using: &rng)!
            case 1 where !b.isEmpty: // replace with any byte
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2 where !b.isEmpty: // flip one bit
                b[Int.random(in: 0..<b.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 3: // insert a byte or a snippet
                let at = Int.random(in: 0...b.count, using: &rng)
                if Bool.random(using: &rng) {
                    b.insert(interestingBytes.randomElement(using: &rng)!, at: at)
                } else {
                    b.insert(contentsOf: snippets.randomElement(using: &rng)!, at: at)
                }
            case 4 where !b.isEmpty: // delete a byte or a short run
                let at = Int.random(in: 0..<b.count, using: &rng)
                let n = min(b.count - at, Int.random(in: 1...6, using: &rng))
                b.removeSubrange(at..<(at + n))
            case 5 where !b.isEmpty: // truncate
                b.removeSubrange(Int.random(in: 0..<b.count, using: &rng)...)
            case 6 where !b.isEmpty: // duplicate a run (repeated headers, repeated chunks)
                let at = Int.random(in: 0..<b.count, using: &rng)
                let n = min(b.count - at, Int.random(in: 1...30, using: &rng))
                b.insert(contentsOf: b[at..<(at + n)], at: Int.random(in: 0...b.count, using: &rng))
            default:
                break
            }
        }
        return b
    }

    static func randomLimits(_ rng: inout SeededGenerator) -> Limits {
        if Int.random(in: 0..<3, using: &rng) != 0 { return Limits() }
        return Limits(
            requestLine: Int.random(in: 10...60, using: &rng),
            headerSection: Int.random(in: 30...250, using: &rng),
            headerCount: Int.random(in: 1...8, using: &rng)
        )
    }

    static func randomCuts(_ count: Int, _ rng: inout SeededGenerator) -> [Int] {
        guard count > 0 else { return [] }
        return (0..<Int.random(in: 1...5, using: &rng)).map { _ in Int.random(in: 0...count, using: &rng) }
    }

    static func errorKey(_ events: [Event]) -> String {
        switch events.last {
        case .headError(let e)?: return "\(e)"
        case .bodyError?: return "bodyError"
        case .unfinishedHead?, .unfinishedBody?: return "unfinished"
        default: return "ok"
        }
    }

    @Test(arguments: [(true, UInt64(0x5EED_0001)), (false, UInt64(0x5EED_0002))])
    func mutatedMessagesParseTheSameHoweverSplit(isRequest: Bool, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let corpus = (isRequest ? Corpus.requests : Corpus.responses).map { Array($0.utf8) }
        var outcomes: [String: Int] = [:]
        var mismatches = 0
        let cases = 2500
        for n in 0..<cases {
            let input = Self.mutate(corpus.randomElement(using: &rng)!, &rng)
            let limits = Self.randomLimits(&rng)
            let whole = run(input, isRequest: isRequest, limits: limits)
            outcomes[Self.errorKey(whole), default: 0] += 1
            for _ in 0..<3 {
                let cuts = Self.randomCuts(input.count, &rng)
                let split = runSplit(input, at: cuts, isRequest: isRequest, limits: limits)
                if split != whole {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("""
                            case \(n): cuts \(cuts.sorted()) limits \(limits.requestLine)/\(limits.headerSection)/\(limits.headerCount)
                            input: \(String(decoding: input, as: UTF8.self).debugDescription)
                            split:    \(split)
                            one-shot: \(whole)
                            """)
                    }
                }
            }
            if n % 10 == 0 {
                let byteByByte = runByteByByte(input, isRequest: isRequest, limits: limits)
                if byteByByte != whole {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("""
                            case \(n) byte by byte, limits \(limits.requestLine)/\(limits.headerSection)/\(limits.headerCount)
                            input: \(String(decoding: input, as: UTF8.self).debugDescription)
                            byte by byte: \(byteByByte)
                            one-shot:     \(whole)
                            """)
                    }
                }
            }
        }
        #expect(mismatches == 0)
        // The mutations reach both sides of the parser: many accepted, many refused for many reasons.
        #expect(outcomes["ok", default: 0] > cases / 20, "\(outcomes)")
        #expect(outcomes.keys.count >= 8, "\(outcomes)")
    }

    @Test func mutatedChunkedBodiesDecodeTheSameHoweverSplit() {
        var rng = SeededGenerator(seed: 0xC0FF_EE00)
        let corpus = [
            ChunkedDecoderTests.valid,
            "4\r\nWiki\r\n5;x=y\r\npedia\r\ne\r\n in\r\n\r\nchunks.\r\n0\r\nServer-Timing: db;dur=5\r\n\r\n",
            "1\r\na\r\n0\r\n\r\n",
            "0\r\n\r\n",
        ].map { Array($0.utf8) }
        var statuses: [String: Int] = [:]
        for n in 0..<3000 {
            let input = Self.mutate(corpus.randomElement(using: &rng)!, &rng)
            let whole = decodeChunked(input)
            statuses["\(whole.status)", default: 0] += 1
            let cuts = Self.randomCuts(input.count, &rng)
            let split = decodeChunked(input, cuts: cuts)
            #expect(split.status == whole.status && split.data == whole.data, "case \(n) cuts \(cuts)")
            if whole.status == .end {
                #expect(split.trailer == whole.trailer, "case \(n) cuts \(cuts)")
            }
            if whole.status != .error {
                #expect(split.consumed == whole.consumed, "case \(n) cuts \(cuts)")
            }
            if whole.status == .end {
                // Data never exceeds what the input holds, and nothing past the body is consumed
                // that a valid body would not have needed.
                #expect(whole.data.count <= input.count)
                #expect(whole.consumed <= input.count)
            }
        }
        #expect(statuses["end", default: 0] > 100, "\(statuses)")
        #expect(statuses["error", default: 0] > 100, "\(statuses)")
        #expect(statuses["needMore", default: 0] > 10, "\(statuses)")
    }
}
