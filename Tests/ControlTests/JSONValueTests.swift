import Testing
import Control

struct JSONValueTests {
    @Test func literalsBuildTheMatchingCases() {
        let value: JSONValue = ["n": 1, "x": 2.5, "s": "text", "b": true, "none": nil, "list": [1, "two"]]
        #expect(value == .object(["n": .number(1), "x": .number(2.5), "s": .string("text"), "b": .bool(true), "none": .null,
                                  "list": .array([.number(1), .string("two")])]))
    }

    @Test func typedLooksAnswerOnlyForTheirKind() {
        let value: JSONValue = ["s": "text", "n": 3, "b": false, "a": [1], "o": ["k": nil]]
        #expect(value["s"]?.stringValue == "text" && value["n"]?.stringValue == nil)
        #expect(value["n"]?.numberValue == 3 && value["b"]?.numberValue == nil)
        #expect(value["b"]?.boolValue == false && value["n"]?.boolValue == nil)
        #expect(value["a"]?.arrayValue == [1] && value["o"]?.arrayValue == nil)
        #expect(value["o"]?.objectValue == ["k": .null] && value["o"]?["k"] == .null)
        #expect(value["missing"] == nil && value["s"]?["k"] == nil)
    }

    @Test func plainTextIsWhatATableShows() {
        #expect(JSONValue.string("a \"b\"").plainText == "a \"b\"")
        #expect(JSONValue.number(10).plainText == "10")
        #expect(JSONValue.number(12.5).plainText == "12.5")
        #expect(JSONValue.bool(true).plainText == "true")
        #expect(JSONValue.null.plainText == "null")
        #expect((["b": [1, "x"], "a": nil] as JSONValue).plainText == #"{"a":null,"b":[1,"x"]}"#)
    }
}
