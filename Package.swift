// swift-tools-version:5.9
import PackageDescription

// Dependencies point one way: Ingest <- Cache <- Train <- Eval <- batvision (CLI).
let package = Package(
    name: "batvision",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "batvision", targets: ["batvision"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        // Thin shims over Debian's system libraries (see Makefile `deps`).
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5"),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f"),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas"),

        .target(name: "Ingest", dependencies: [
            "CSndfile",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Cache", dependencies: ["Ingest", "CHDF5", "CFFTW", "Yams"]),
        .target(name: "Train", dependencies: ["Cache", "COpenBLAS"]),
        .target(name: "Eval", dependencies: ["Train", "CPNG"]),
        .executableTarget(name: "batvision", dependencies: [
            "Ingest", "Cache", "Train", "Eval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fixture paths and comparison helpers shared by the test targets.
        .target(name: "TestSupport", dependencies: ["Ingest"], path: "Tests/TestSupport"),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "TestSupport"]),
        .testTarget(name: "CacheTests", dependencies: ["Cache", "TestSupport"]),
        .testTarget(name: "TrainTests", dependencies: ["Train", "TestSupport"]),
        .testTarget(name: "EvalTests", dependencies: ["Eval", "TestSupport"]),
    ]
)
