// swift-tools-version:5.9
import Foundation
import PackageDescription

// On x86-64 machines with AVX2 and FMA (every x86 server and laptop since 2013, and the CI
// machine) our targets are compiled for Haswell (x86-64-v3: AVX2, FMA, BMI2): 256-bit SIMD for the resize, the DSP
// and the training kernels' elementwise loops (featurize 288 -> 423 samples/s measured,
// docs/benchmarks.md). Arithmetic is unchanged: Swift never contracts a * b + c into an
// FMA nor reorders float sums, so results are bit-identical to a portable build (the
// tests, built the same way, check them). BATVISION_PORTABLE=1 builds for any x86-64.
let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
let hasV3 = cpuInfo.contains(" avx2") && cpuInfo.contains(" fma") && cpuInfo.contains(" bmi2")
let portable = ProcessInfo.processInfo.environment["BATVISION_PORTABLE"] != nil
#if arch(x86_64)
let tuned: [SwiftSetting] = hasV3 && !portable ? [.unsafeFlags(["-target-cpu", "haswell"])] : []
#else
let tuned: [SwiftSetting] = []
#endif

// Dependencies point one way: Support <- Ingest <- Cache <- Train <- Eval <- batvision (CLI),
// with the compute-only Model (kernels, U-Net, losses, optimisers, safetensors, metrics;
// OpenBLAS and oneDNN only) beside Cache under Train, and Pictures (Cairo drawing: charts,
// prediction sheets) under Eval. Conf files and flags are parsed in the CLI alone.
let package = Package(
    name: "batvision",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "batvision", targets: ["batvision"]),
        // For the fuzz harnesses (Fuzz/) and anyone embedding the readers.
        .library(name: "BatvisionIngest", targets: ["Support", "Ingest"]),
        .library(name: "BatvisionCache", targets: ["Cache"]),
        .library(name: "BatvisionTrain", targets: ["Model", "Train"]),
        .library(name: "BatvisionCLI", targets: ["BatvisionCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        // Thin shims over Debian's system libraries (see Makefile `deps`).
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5"),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f"),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        // Pictures: Cairo draws the charts and sheets (PNG, SVG, PDF), text in DejaVu Sans.
        .systemLibrary(name: "CCairo", pkgConfig: "cairo"),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas"),
        // oneDNN ships no pkg-config file: the module map links libdnnl (and its libgomp).
        .systemLibrary(name: "CDNNL"),
        .systemLibrary(name: "CMalloc"),
        // SHA-256 (every byte of a dataset is hashed at ingest, validate and featurize).
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto"),

        .target(name: "Support", dependencies: ["COpenSSL"], swiftSettings: tuned),
        .target(name: "Ingest", dependencies: ["Support", "CSndfile"], swiftSettings: tuned),
        .target(name: "Cache", dependencies: ["Ingest", "Support", "CHDF5", "CFFTW"], swiftSettings: tuned),
        .target(name: "Model", dependencies: ["Support", "COpenBLAS", "CDNNL"], swiftSettings: tuned),
        .target(name: "Train", dependencies: ["Cache", "Model"], swiftSettings: tuned),
        .target(name: "Pictures", dependencies: ["Support", "CCairo"], swiftSettings: tuned),
        .target(name: "Eval", dependencies: ["Train", "Pictures"], swiftSettings: tuned),
        .target(name: "BatvisionCLI", dependencies: [
            "Support", "Ingest", "Cache", "Model", "Train", "Eval", "Yams", "CMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: tuned),
        .executableTarget(name: "batvision", dependencies: ["BatvisionCLI"], swiftSettings: tuned),

        // Fixture paths and comparison helpers shared by the test targets.
        .target(name: "TestSupport", dependencies: ["Ingest", "Support", "CPNG"], path: "Tests/TestSupport"),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Support", "TestSupport"]),
        .testTarget(name: "CacheTests", dependencies: ["Cache", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport"]),
        .testTarget(name: "TrainTests", dependencies: ["Train", "TestSupport"]),
        .testTarget(name: "EvalTests", dependencies: ["Eval", "Pictures", "TestSupport"]),
        .testTarget(name: "PicturesTests", dependencies: ["Pictures"]),
        .testTarget(name: "CLITests", dependencies: [
            "Pictures",
            "BatvisionCLI", "batvision", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ]
)
