// swift-tools-version: 6.1
import PackageDescription

// The release daemon is what a player runs: `imaginai serve` should start in a few milliseconds and sit
// small while idle, like a language server. Three link choices serve that (bench/README.md has the
// figures), on Linux release builds only; debug builds and tests link as usual.
// - The Swift runtime and Foundation are linked in (`-static-stdlib`): no twenty shared libraries to map
//   and bind at every start. The binary grows from 25 MB to about 95 MB.
// - Not position-independent: the loader has no ~90,000 relocations to apply (and so no pages to copy)
//   before `main`. The shared libraries it still loads (libc, SQLite) keep their address randomisation.
// - lld lays out first the functions a start and a first session run (scripts/link-order), so they share
//   a few hundred pages instead of touching 64 KiB windows all over the binary.
// - No symbols exported to the dynamic linker (nothing loads against the daemon; libcurl is dlopen'ed
//   and needs none of ours): 10,000 fewer entries for the loader to page in at start (1 MiB of RSS).
let leanDaemonLinking: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-static-stdlib", "-use-ld=lld", "-Xlinker", "-no-pie",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/link-order/imaginai.order",
            "-Xlinker", "--no-warn-symbol-ordering", "-Xlinker", "--no-export-dynamic",
        ],
        .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "ImaginAI",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "imaginai", targets: ["imaginai"]),
        .executable(name: "imaginai-bench", targets: ["imaginai-bench"]),
        .executable(name: "imaginai-fuzz", targets: ["imaginai-fuzz"]),
        .executable(name: "imaginai-web", targets: ["imaginai-web"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Only imaginai-web uses these: the daemon itself never links an HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
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
                // SQLite's C API, for reading column text in place on the scenario/get path.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Language models: the offline storyteller now, HTTP providers next. Depends on the pure core only.
        // libcurl's types and constants, and calls into the library opened with dlopen on the first
        // provider request; nothing links libcurl, so CRUD and the offline storyteller never load it.
        // Builds need libcurl4-openssl-dev's headers.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "LLM", dependencies: ["ImaginAICore", "CCurl"]),
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
            ],
            swiftSettings: [
                // Compiled against the static Swift modules too, so the objects ask the linker for the
                // static libraries' own dependencies (ICU behind Foundation).
                .unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release)),
            ],
            linkerSettings: leanDaemonLinking
        ),
        // Measures the daemon as a child process beside /bin/cat baselines; see bench/README.md.
        // GRDB: the long-adventure row writes a 100,000-turn history into the file between two daemons.
        // ImaginAIStore: the recall rows time the store's recall and prompt reads in-process.
        .executableTarget(
            name: "imaginai-bench",
            dependencies: [
                "JSONRPC", "ImaginAIProtocol", "ImaginAICore", "ImaginAIStore", "LLM", "ProviderTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The browser bridge behind `imaginai web`: serves clients/web/page and gives each WebSocket its own
        // `imaginai serve` child. A separate executable so that the daemon never links Hummingbird and NIO.
        .executableTarget(
            name: "imaginai-web",
            dependencies: [
                "JSONRPC",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // libFuzzer target over framing and request decoding; a corpus replayer in a normal build. See scripts/fuzz.
        .executableTarget(name: "imaginai-fuzz", dependencies: ["JSONRPC", "ImaginAIProtocol"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "ImaginAIProtocol"]),
        .testTarget(name: "ImaginAIProtocolTests", dependencies: ["ImaginAIProtocol"]),
        .testTarget(name: "ImaginAICoreTests", dependencies: ["ImaginAICore"]),
        // A scripted HTTP server on loopback, shared by the provider tests of several targets.
        .target(name: "ProviderTestSupport", path: "Tests/ProviderTestSupport"),
        .testTarget(name: "LLMTests", dependencies: ["LLM", "ImaginAICore", "ProviderTestSupport"]),
        .testTarget(name: "ImaginAIFormatsTests", dependencies: ["ImaginAIFormats", "ImaginAIProtocol", "ImaginAICore"]),
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
                "imaginai", "JSONRPC", "ImaginAIStore", "ImaginAIProtocol", "ProviderTestSupport", "LLM",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // `imaginai web` end to end: both executables as child processes, spoken to over raw sockets.
        .testTarget(name: "WebBridgeTests", dependencies: ["imaginai", "imaginai-web"]),
    ],
    swiftLanguageModes: [.v6]
)
