import ImaginAIFormats
import ImaginAIProtocol
import Testing

/// The scan that says where text stops being JSON.
struct JSONSyntaxTests {
    @Test(arguments: [
        #"{"a": [1, 2.5e-3, true, false, null, "x\"\u00e9\n"], "b": {}}"#, "  []  ", "-0", #""ü""#,
    ])
    func wellFormedTextHasNoProblem(_ text: String) {
        #expect(JSONSyntax.firstProblem(in: text) == nil)
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "expected a field name but found '}'"),
        ("[1, 2,]", 1, 7, "expected a value but found ']'"),
        ("{\"a\" 1}", 1, 6, "expected ':' after the field name"),
        ("{\n  \"née\": \"x\"\n  \"b\": 2}", 3, 3, "expected ',' or '}'"),
        ("[\"line\nbreak\"]", 1, 7, "a line break inside a string"),
        ("{\"a\": [1, 2", 1, 12, "the text ends before an array ('[') opened earlier is closed"),
        ("{'a': 1}", 1, 2, "expected a field name in double quotes but found ''a': 1}'"),
        ("[01]", 1, 2, "a number cannot start with 0"),
        ("[1.]", 1, 4, "a number needs digits after its decimal point"),
        ("[\"\\x\"]", 1, 3, "not an escape JSON knows"),
        ("[\"\\u12\"]", 1, 3, "four hexadecimal digits"),
        ("[\"ab\\", 1, 6, "the text ends inside the string that starts at line 1, column 2"),
        ("{} {}", 1, 4, "more text follows the end of the JSON value"),
        ("tru", 1, 1, "expected a value but found 'tru'"),
        ("", 1, 1, "the text ends where a value was expected"),
    ])
    func problemsAreFoundWhereTheyAre(_ text: String, line: Int, column: Int, reason: String) throws {
        let problem = try #require(JSONSyntax.firstProblem(in: text), "\(text)")
        #expect(problem.line == line && problem.column == column, "\(text): \(problem)")
        #expect(problem.reason.contains(reason), "\(text): \(problem.reason)")
    }

    /// Nesting deeper than any decoder accepts is scanned without recursion.
    @Test func deepNestingIsScannedWithoutRecursion() {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(JSONSyntax.firstProblem(in: deep) == nil)
    }

    @Test func scenarioImportNamesThePlaceInAFileThatIsNotJSON() throws {
        let text = "\u{FEFF}{\n  \"name\": \"Test\",\n  \"instructions\": \"x\"\n  \"openingScene\": \"y\"\n}"
        #expect(throws: FormatError(
            "Invalid params: 'data' is a string but not JSON text: at line 4, column 3, expected ',' or '}' but found '\"openingScen…'; is a comma missing?",
            kind: .notJSON, line: 4, column: 3)
        ) { try ScenarioFiles.read(.string(text), format: nil) }
        #expect(throws: FormatError("Invalid params: 'data' is empty: it holds no JSON at all", kind: .empty)) {
            try ScenarioFiles.read(.string(" \n\t"), format: nil)
        }
    }
}
