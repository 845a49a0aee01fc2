import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

// Shapes of real files that are not among the published fixtures, written here from each tool's format.

@Test func anAIDungeonExportOfNoCardsImportsBackAsNothing() throws {
    for format in [nil, CardFileFormat.aidungeon] {
        let result = try CardFiles.read(.string("[]"), format: format)
        #expect(result.format == .aidungeon)
        #expect(result.cards.isEmpty && result.skipped.isEmpty)
    }
    // The round trip it comes from: a scenario without cards exports `[]`.
    #expect(try CardFiles.write([], format: .aidungeon) == .array([]))
}
