import Testing
@testable import ImaginAIServer

@Test func versionIsSemantic() {
    #expect(ServerVersion.version.split(separator: ".").count == 3)
}
