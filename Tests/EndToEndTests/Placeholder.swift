import Testing
@Test func binaryDirectoryExists() {}
