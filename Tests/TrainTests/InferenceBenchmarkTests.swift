import Ingest
import Model
import Support
import Testing
@testable import Train

/// `bench eval`'s timing loop: every sample of the asked splits once per pass, on the
/// engine asked for, and refused for a model the cache's images do not fit.
@Suite struct InferenceBenchmarkTests {
    @Test(arguments: [GemmEngine.openblas, .onednn, .portable])
    func countsEverySampleOfTheSplitsOnTheEngineAsked(engine: GemmEngine) throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let splits: [Split] = [.val, .test]
        let r = try InferenceBenchmark.run(cache: fx.cache, splits: splits, numDowns: 5, ngf: 4, batchSize: 3, passes: 2,
                                           par: Parallelism(workers: 2), gemm: engine)
        #expect(r.samples == 2 * splits.reduce(0) { $0 + fx.cache.count($1) })
        #expect(r.samples > 0 && r.seconds > 0)
        #expect(r.gemm == engine && r.size == 32)
    }

    @Test func refusesAModelTheImagesDoNotFit() throws {
        let fx = try TrainingFixture(samples: 8)
        defer { fx.dir.cleanup() }
        // 32 x 32 images cannot go down 6 levels.
        #expect {
            try InferenceBenchmark.run(cache: fx.cache, splits: Split.allCases, numDowns: 6, ngf: 4, batchSize: 2, passes: 1)
        } throws: { ($0 as? SettingViolation)?.description.contains("needs images whose sides are multiples of 64") == true }
    }
}
