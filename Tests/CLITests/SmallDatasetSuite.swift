import Foundation
import TestSupport

/// A suite that runs the executable on a small synthetic V2 dataset of its own.
protocol SmallDatasetSuite {
    var bv: URL { get }
    var data: SmallDataset { get }
    init(bv: URL, data: SmallDataset)
}

extension SmallDatasetSuite {
    /// The executable and a fresh 14-sample dataset (each test gets its own suite value).
    init() throws { self.init(bv: try batvisionExecutable(), data: try SmallDataset(samples: 14)) }

    var manifest: String { data.dir.file("manifest.json").path }
    var conf: String { Fixtures.repository.appendingPathComponent("conf").path }

    /// The features.h5 below `dir`, if featurize finished one there.
    func cacheFile(_ dir: URL) -> URL? {
        let e = FileManager.default.enumerator(atPath: dir.path)
        while let rel = e?.nextObject() as? String { if rel.hasSuffix("features.h5") { return dir.appendingPathComponent(rel) } }
        return nil
    }
}
