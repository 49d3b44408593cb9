import Testing
@testable import HTTP1

// Split-point helpers over `run` (MessageEvents.swift): the same bytes fed whole, split at
// every index and byte by byte must give the same events.

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ buf: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: buf[range]), as: UTF8.self)
}

func run(_ input: [UInt8], isRequest: Bool, limits: Limits = Limits()) -> [Event] {
    run([input[...]], isRequest: isRequest, limits: limits)
}

func runSplit(_ input: [UInt8], at cuts: [Int], isRequest: Bool, limits: Limits = Limits()) -> [Event] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    for cut in cuts.sorted() where cut >= start && cut <= input.count {
        pieces.append(input[start..<cut])
        start = cut
    }
    pieces.append(input[start...])
    return run(pieces, isRequest: isRequest, limits: limits)
}

func runByteByByte(_ input: [UInt8], isRequest: Bool, limits: Limits = Limits()) -> [Event] {
    run(input.indices.map { input[$0...$0] }, isRequest: isRequest, limits: limits)
}

/// Checks that splitting `input` at every index, and feeding it byte by byte, gives exactly
/// the one-shot result, and returns the one-shot result for further assertions.
@discardableResult
func expectSplitInvariant(
    _ input: [UInt8], isRequest: Bool, limits: Limits = Limits(), sourceLocation: SourceLocation = #_sourceLocation
) -> [Event] {
    let whole = run(input, isRequest: isRequest, limits: limits)
    var failures = 0
    for i in 0...input.count {
        let split = runSplit(input, at: [i], isRequest: isRequest, limits: limits)
        if split != whole {
            failures += 1
            if failures <= 3 {
                Issue.record("split at \(i) of \(input.count): \(split) != one-shot \(whole)", sourceLocation: sourceLocation)
            }
        }
    }
    #expect(failures == 0, "\(failures) split points differ", sourceLocation: sourceLocation)
    let byteByByte = runByteByByte(input, isRequest: isRequest, limits: limits)
    #expect(byteByByte == whole, "byte-by-byte differs", sourceLocation: sourceLocation)
    return whole
}

/// Runs one request head (scanner + parser) on `input` in one piece; nil when it is accepted.
func requestError(_ input: [UInt8], limits: Limits = Limits()) -> ParseError? {
    let events = run(input, isRequest: true, limits: limits)
    if case .headError(let e) = events.first { return e }
    return nil
}

func requestError(_ input: String, limits: Limits = Limits()) -> ParseError? {
    requestError(bytes(input), limits: limits)
}

func responseError(_ input: String, limits: Limits = Limits()) -> ParseError? {
    let events = run(bytes(input), isRequest: false, limits: limits)
    if case .headError(let e) = events.first { return e }
    return nil
}


