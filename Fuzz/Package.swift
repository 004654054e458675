// swift-tools-version:5.9
// libFuzzer harnesses for the readers of untrusted input (see docs/reliability.md).
// Build one with: swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address --product fuzz-npy
// Run with:       Fuzz/.build/debug/fuzz-npy Fuzz/corpus/npy -max_total_time=600
import PackageDescription

func harness(_ name: String, _ deps: [String]) -> Target {
    .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport"] + deps.map { .product(name: $0, package: "batvision") },
                      path: "Sources/fuzz-\(name)", swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "batvision-fuzz",
    dependencies: [.package(name: "batvision", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        harness("npy", ["BatvisionIngest"]),
        harness("wav", ["BatvisionIngest"]),
        harness("csv", ["BatvisionIngest"]),
        harness("manifest", ["BatvisionIngest"]),
        harness("safetensors", ["BatvisionTrain"]),
        harness("conf", ["BatvisionCLI"]),
        harness("cacheattrs", ["BatvisionCache", "BatvisionIngest"]),
    ]
)
