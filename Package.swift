// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ImaginAI",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "imaginai", targets: ["imaginai"]),
        .executable(name: "imaginai-bench", targets: ["imaginai-bench"]),
        .executable(name: "imaginai-fuzz", targets: ["imaginai-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The leaf: wire types (one Codable struct per method), JSONValue, error codes, RequestType and the
        // JSON writer. No package dependencies, so clients and tools can use the wire types alone.
        .target(name: "ImaginAIProtocol"),
        // Transport: framing, envelope decoding, session state, dispatch, the connections of both ends.
        // Knows nothing of stories; it depends on the leaf for JSONValue and RequestType.
        .target(name: "JSONRPC", dependencies: ["ImaginAIProtocol"]),
        // Pure story logic (prompt assembly, triggering, budgeting). No I/O.
        .target(name: "ImaginAICore"),
        // Reading and writing other tools' card and scenario files. Pure, no I/O.
        .target(name: "ImaginAIFormats", dependencies: ["ImaginAIProtocol", "ImaginAICore"]),
        .target(
            name: "ImaginAIStore",
            dependencies: [
                "ImaginAIProtocol", "ImaginAICore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Language models: the offline storyteller now, HTTP providers next. Depends on the pure core only.
        .target(name: "LLM", dependencies: ["ImaginAICore"]),
        .target(
            name: "ImaginAIServer",
            dependencies: [
                "JSONRPC", "ImaginAIProtocol", "ImaginAICore", "ImaginAIFormats", "ImaginAIStore", "LLM",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "imaginai",
            dependencies: [
                "ImaginAIServer", "JSONRPC", "ImaginAIProtocol", "ImaginAIStore", "ImaginAIFormats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Measures the daemon as a child process beside /bin/cat baselines; see bench/README.md.
        .executableTarget(name: "imaginai-bench", dependencies: ["JSONRPC", "ImaginAIProtocol", "ImaginAICore", "LLM", "ProviderTestSupport"]),
        // libFuzzer target over framing and request decoding; a corpus replayer in a normal build. See scripts/fuzz.
        .executableTarget(name: "imaginai-fuzz", dependencies: ["JSONRPC", "ImaginAIProtocol"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "ImaginAIProtocol"]),
        .testTarget(name: "ImaginAIProtocolTests", dependencies: ["ImaginAIProtocol"]),
        .testTarget(name: "ImaginAICoreTests", dependencies: ["ImaginAICore"]),
        // A scripted HTTP server on loopback, shared by the provider tests of several targets.
        .target(name: "ProviderTestSupport", path: "Tests/ProviderTestSupport"),
        .testTarget(name: "LLMTests", dependencies: ["LLM", "ImaginAICore", "ProviderTestSupport"]),
        .testTarget(name: "ImaginAIFormatsTests", dependencies: ["ImaginAIFormats", "ImaginAIProtocol"]),
        .testTarget(
            name: "ImaginAIStoreTests",
            dependencies: ["ImaginAIStore", "ImaginAIProtocol", "ImaginAICore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "ImaginAIServerTests",
            dependencies: ["ImaginAIServer", "JSONRPC", "ImaginAIProtocol", "ImaginAIStore"]
        ),
        // GRDB: the crash tests read the file the daemon left behind with plain SQL, not through the store.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "imaginai", "JSONRPC", "ImaginAIStore", "ImaginAIProtocol", "ProviderTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
