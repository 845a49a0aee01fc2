import Testing
@testable import ImaginAIFormats

@Test func formatNamesAreTheWireNames() {
    #expect(CardFileFormat(rawValue: "aidungeon-worldinfo") == .aidungeonWorldInfo)
}
