import Testing
import Control

/// `JSONValue(parsing:)`: RFC 8259 text in, the value or the place and reason of the first error out.
struct JSONParserTests {
    private static func parse(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: text)
    }

    @Test func everyKindOfValue() throws {
        let value = try Self.parse(#" {"a": [1, -2.5, 3e2, 0.25E-1, -0], "b": {"c": null, "d": true, "e": false}, "f": "x", "g": {}, "h": []} "#)
        #expect(value == ["a": [1, -2.5, 300, 0.025, 0], "b": ["c": nil, "d": true, "e": false], "f": "x", "g": [:], "h": []])
    }

    @Test func topLevelScalarsAndWhitespace() throws {
        #expect(try Self.parse("\t\r\n 42 \n") == 42)
        #expect(try Self.parse(#""only""#) == "only")
        #expect(try Self.parse("null") == nil)
        #expect(try Self.parse("\u{FEFF}{}") == [:], "a UTF-8 byte order mark is skipped")
    }

    @Test func booleansAndNumbersStayApart() throws {
        #expect(try Self.parse("[true, 1, 0, false, 1.0]") == [true, 1, 0, false, 1])
        #expect(try Self.parse("[true, 1]").arrayValue?.first?.numberValue == nil)
    }

    @Test func stringEscapes() throws {
        #expect(try Self.parse(#""\" \\ \/ \b \f \n \r \t""#) == "\" \\ / \u{8} \u{C} \n \r \t")
        #expect(try Self.parse(#""\u0041\u00e9\u20AC\u0000""#) == "Aé€\u{0}")
        #expect(try Self.parse(#""\ud83d\ude00 and \uD834\uDD1E""#) == "😀 and 𝄞", "surrogate pairs, either case")
        #expect(try Self.parse("\"é 😀 raw UTF-8\"") == "é 😀 raw UTF-8")
    }

    @Test func numbersBecomeTheNearestDouble() throws {
        #expect(try Self.parse("0.1") == .number(0.1))
        #expect(try Self.parse("9007199254740993") == .number(9_007_199_254_740_992))
        #expect(try Self.parse("1e308") == .number(1e308))
        #expect(try Self.parse("5e-324") == .number(.leastNonzeroMagnitude))
        #expect(try Self.parse("1e-400") == .number(0), "underflow is zero, as strtod has it")
        #expect(try Self.parse("-12.5e+1") == .number(-125))
    }

    @Test func aKeyGivenTwiceKeepsItsLastValue() throws {
        #expect(try Self.parse(#"{"a": 1, "a": 2}"#) == ["a": 2])
    }

    @Test func nestingUpToTheLimit() throws {
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try Self.parse(deep).arrayValue?.count == 1)
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let error = #expect(throws: JSONSyntaxError.self) { try Self.parse(tooDeep) }
        #expect(error?.offset == 512)
        #expect(error?.reason.hasPrefix("Too many nested arrays and objects") == true)
    }

    @Test(arguments: [
        ("", 0, 1, 1, "Unexpected end of file"),
        ("{\n  \"name\": \"x\",\n  \"pools\": }\n", 28, 3, 12, "Invalid value"),
        (#"{"name": "x""#, 12, 1, 13, "Unexpected end of file"),
        ("[1,]", 3, 1, 4, "Invalid value"),
        (#"{"a": 1,}"#, 8, 1, 9, "Expected a string key"),
        ("{'a': 1}", 1, 1, 2, "Expected a string key"),
        (#"{"a" 1}"#, 5, 1, 6, "Expected ':' after an object key"),
        (#"{"a": 1 "b": 2}"#, 8, 1, 9, "Expected ',' or '}' after an object member"),
        ("[1 2]", 3, 1, 4, "Expected ',' or ']' after an array element"),
        ("[1] x", 4, 1, 5, "Unexpected text after the JSON value"),
        ("nul", 0, 1, 1, "Invalid value"),
        ("True", 0, 1, 1, "Invalid value"),
        ("01", 1, 1, 2, "Number with leading zero"),
        ("-", 1, 1, 2, "Unexpected end of file"),
        ("[-x]", 2, 1, 3, "Invalid number"),
        ("1.", 2, 1, 3, "Unexpected end of file"),
        ("1.e5", 2, 1, 3, "Invalid number"),
        ("1e+", 3, 1, 4, "Unexpected end of file"),
        ("+1", 0, 1, 1, "Invalid value"),
        ("1e999", 0, 1, 1, "Number 1e999 is too large"),
        ("\"a\tb\"", 2, 1, 3, "Unescaped control character in a string"),
        (#""\x""#, 1, 1, 2, "Invalid escape sequence"),
        (#""\u12G4""#, 5, 1, 6, "Invalid hex digit in a \\u escape"),
        (#""\ud800""#, 1, 1, 2, "Unpaired UTF-16 surrogate"),
        (#""\ud800\u0041""#, 1, 1, 2, "Unpaired UTF-16 surrogate"),
        (#""\udc00""#, 1, 1, 2, "Unpaired UTF-16 surrogate"),
        ("\"abc", 4, 1, 5, "Unexpected end of file"),
    ])
    func errorsNameThePlaceAndTheReason(text: String, offset: Int, line: Int, column: Int, reason: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try Self.parse(text) }
        #expect(error?.offset == offset && error?.line == line && error?.column == column, "\(String(describing: error))")
        #expect(error?.reason == reason)
    }

    @Test func invalidUTF8InAStringIsAnError() {
        let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: bytes) }
        #expect(error?.reason == "Invalid UTF-8 in a string" && error?.offset == 6)
    }

    @Test func theErrorReadsAsAPlace() {
        let error = #expect(throws: JSONSyntaxError.self) { try Self.parse("{\n  \"name\": \"x\",\n  \"pools\": }\n") }
        #expect(error?.description == "at line 3, column 12: Invalid value")
    }

    @Test func parsingStrictlyNamesEveryKeyGivenTwice() throws {
        let text = #"{"name": "a", "pools": {"blue": {"b": [1, {"x": 1, "x": 2}]}, "blue": 3}, "name": "a2", "ok": {"name": 1}}"#
        let (value, duplicates) = try JSONValue.parsingStrictly(Array(text.utf8))
        #expect(duplicates == ["pools.blue.b[1].x", "pools.blue", "name"])
        #expect(value["name"] == "a2")
        #expect(try JSONValue.parsingStrictly(Array(#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#.utf8)).duplicateKeys == [])
    }
}
