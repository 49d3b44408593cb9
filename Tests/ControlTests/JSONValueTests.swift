import Foundation
import Testing
import Control

struct JSONValueTests {
    @Test func literalsBuildTheMatchingCases() {
        let value: JSONValue = ["n": 1, "x": 2.5, "s": "text", "b": true, "none": nil, "list": [1, "two"]]
        #expect(value == .object(["n": .number(1), "x": .number(2.5), "s": .string("text"), "b": .bool(true), "none": .null,
                                  "list": .array([.number(1), .string("two")])]))
    }

    @Test func encodingAndDecodingGiveTheSameValue() throws {
        let value: JSONValue = ["counts": [0, 1, 9_007_199_254_740_992], "flags": [true, false], "ratio": 0.1, "none": nil,
                                "nested": ["deeper": ["text": "é \"quoted\" /slash"]], "empty": [:], "list": []]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }

    @Test func booleansAndNumbersStayApart() throws {
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data("[true, 1, 0, false, 1.0]".utf8))
        #expect(decoded == [true, 1, 0, false, 1])
    }
}
