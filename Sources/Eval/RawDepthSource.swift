import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// The dataset's raw depth maps, found by sample id, for `--raw_depth`.
public struct RawDepthSource {
    public let root: DatasetRoot
    let records: [String: SampleRecord]

    public init(manifest: Manifest, root: DatasetRoot) {
        self.root = root
        records = Dictionary(manifest.samples.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Sample `id`'s depth as the target's metres (nan_to_num for V1, mm -> m, clipped to
    /// max_depth, negatives 0) at its native resolution, and its height and width.
    func metres(_ id: String, config: FeatureConfig) throws -> (values: [Float], height: Int, width: Int) {
        guard let record = records[id] else {
            throw EvalError.config("sample \(id) of the cache is not in the manifest: pass the manifest the cache was built from")
        }
        let npy = try NPYArray(contentsOf: try root.checkedURL(relative: record.depth.path))
        guard npy.shape.count == 2, npy.count > 0 else {
            throw EvalError.config("\(record.depth.path): depth of shape \(npy.shape), expected 2-D")
        }
        var values = npy.floats()
        values.withUnsafeMutableBufferPointer { DepthTarget(config: config).metres($0) }
        return (values, npy.shape[0], npy.shape[1])
    }
}
