import Testing
@testable import ImaginAIStore

@Test func notFoundCarriesKindAndId() {
    #expect(StoreError.notFound(kind: "card", id: "c1") != StoreError.notFound(kind: "card", id: "c2"))
}
