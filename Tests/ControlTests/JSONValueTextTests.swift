import Foundation
import Testing
import Control

/// `encoded()` and `encodedPretty()`: deterministic RFC 8259 text that reads back as the same value.
struct JSONValueTextTests {
    private static func text(_ value: JSONValue) throws -> String {
        String(decoding: try value.encoded(), as: UTF8.self)
    }

    @Test func compactWithSortedKeys() throws {
        let value: JSONValue = ["zeta": 1, "alpha": [true, false, nil], "mid": ["b": "x", "a": [:]], "list": []]
        #expect(try Self.text(value) == #"{"alpha":[true,false,null],"list":[],"mid":{"a":{},"b":"x"},"zeta":1}"#)
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharacters() throws {
        #expect(try Self.text("a\"b\\c/d") == #""a\"b\\c/d""#)
        #expect(try Self.text("\u{8}\u{C}\n\r\t") == #""\b\f\n\r\t""#)
        #expect(try Self.text("\u{0}\u{1}\u{1F}\u{7F}") == "\"\\u0000\\u0001\\u001f\u{7F}\"")
        #expect(try Self.text("é 😀") == "\"é 😀\"", "non-ASCII is written as UTF-8")
    }

    @Test func wholeNumbersWithoutAFraction() throws {
        #expect(try Self.text([0, -0.0, 10, -3, 1000.0, 9_007_199_254_740_992, -9_007_199_254_740_992]) == "[0,0,10,-3,1000,9007199254740992,-9007199254740992]")
        #expect(try Self.text([0.1, 12.5, -0.005, 1e16, 1e300, .number(.leastNonzeroMagnitude), 1e-5]) == "[0.1,12.5,-0.005,1e+16,1e+300,5e-324,1e-05]")
    }

    @Test func nanAndInfinityAreRefused() {
        for bad in [Double.nan, .infinity, -.infinity] {
            let error = #expect(throws: JSONValue.NonFiniteNumber.self) { try JSONValue.array([["x": .number(bad)]]).encoded() }
            #expect(error?.value.isNaN == bad.isNaN)
        }
    }

    @Test func prettyIsTwoSpacesAndSpacedColons() throws {
        let value: JSONValue = ["version": 1, "routes": ["api": ["steps": [10, 100], "empty": [], "none": [:]]]]
        let expected = """
            {
              "routes" : {
                "api" : {
                  "empty" : [],
                  "none" : {},
                  "steps" : [
                    10,
                    100
                  ]
                }
              },
              "version" : 1
            }
            """
        #expect(String(decoding: try value.encodedPretty(), as: UTF8.self) == expected)
        #expect(try JSONValue(parsing: value.encodedPretty()) == value)
    }

    /// Random values of every kind, written and read back, compact and pretty; Foundation reads
    /// the text as the same value too.
    @Test func roundTrips() throws {
        var random = SystemRandomNumberGenerator()
        func number() -> Double {
            switch Int.random(in: 0..<4, using: &random) {
            case 0: Double(Int.random(in: -1_000_000...1_000_000, using: &random))
            case 1: Double.random(in: -1...1, using: &random)
            case 2: Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random) & ~(0x7FF << 52) | (UInt64.random(in: 1...0x7FE, using: &random) << 52))
            default: Double.random(in: -1e20...1e20, using: &random)
            }
        }
        func string() -> String {
            String((0..<Int.random(in: 0..<8, using: &random)).map { _ in
                Character(Unicode.Scalar([0x0, 0x1F, 0x22, 0x5C, 0x2F, 0x41, 0xE9, 0x20AC, 0x1F600][Int.random(in: 0..<9, using: &random)])!)
            })
        }
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
            case 0: .null
            case 1: .bool(Bool.random(using: &random))
            case 2: .number(number())
            case 3: .string(string())
            case 4: .array((0..<Int.random(in: 0..<4, using: &random)).map { _ in value(depth + 1) })
            default: .object(Dictionary((0..<Int.random(in: 0..<4, using: &random)).map { _ in (string(), value(depth + 1)) },
                                        uniquingKeysWith: { first, _ in first }))
            }
        }
        for _ in 0..<500 {
            let original = value(0)
            #expect(try JSONValue(parsing: original.encoded()) == original)
            #expect(try JSONValue(parsing: original.encodedPretty()) == original)
            let foundation = try JSONSerialization.jsonObject(with: Data(original.encoded()), options: [.fragmentsAllowed])
            let again = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed, .sortedKeys])
            #expect(try JSONValue(parsing: Array(again)) == original)
        }
    }
}
