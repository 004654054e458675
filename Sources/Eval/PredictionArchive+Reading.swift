import Cache
import Foundation
import Ingest
import Support
import Train

extension PredictionArchive {
    /// What a sheet is drawn from: some of an archive's samples, and the archive's scale.
    public struct Selection {
        public var panels: [DepthPanel]
        /// The features' max_depth (from `feature_config`), when they set one.
        public var maxDepth: Double?
        /// The epoch the archive records (-1 or absent: none).
        public var epoch: Int?
        /// How many samples the archive holds.
        public var count: Int
    }

    /// The largest side and the most samples an archive may declare before anything is read:
    /// a hostile file cannot make the reader allocate more than it could hold.
    static let maxSide = FeatureConfig.imagesSizes.upperBound
    static let maxSamples = 10_000_000

    /// Reads the samples `ids` (in that order), or the first `first`, of an archive written
    /// by `eval --save_predictions` or the PyTorch trainer. Every shape, type and id is
    /// checked; an error names the file and what was expected.
    public static func select(from url: URL, ids: [String]?, first: Int) throws -> Selection {
        let path = url.path
        func refuse(_ why: String) -> FileError { FileError.unreadable(path: path, reason: why) }
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        guard file.intAttribute("complete") == 1 else {
            throw refuse("not a complete prediction archive (no complete = 1): the run that wrote it stopped early")
        }
        for name in ["/gt", "/pred", "/sample"] where !file.exists(name) {
            throw refuse("no dataset \(name) (expected /gt, /pred [N, 1, S, S] float32 and /sample [N] ids)")
        }
        let gt = try file.openDataset("/gt"), pred = try file.openDataset("/pred"), sample = try file.openDataset("/sample")
        defer { gt.close(); pred.close(); sample.close() }
        let shape = gt.shape
        guard shape.count == 4, shape[1] == 1, shape[2] == shape[3], (1...maxSide).contains(shape[2]),
              (1...maxSamples).contains(shape[0]) else {
            throw refuse("/gt has shape \(shape): expected [N, 1, S, S] with N from 1 to \(maxSamples) and S from 1 to \(maxSide)")
        }
        guard pred.shape == shape else { throw refuse("/pred has shape \(pred.shape), /gt \(shape): expected the same") }
        guard gt.isFloat32, pred.isFloat32 else { throw refuse("/gt and /pred must be float32 (metres)") }
        let n = shape[0], side = shape[2]
        guard sample.shape == [n] else { throw refuse("/sample has shape \(sample.shape): expected [\(n)], one id per map") }
        guard let width = sample.stringWidth, width <= 4096 else { throw refuse("/sample must hold fixed-length ids of at most 4096 bytes") }
        guard n * width <= 1 << 28 else { throw refuse("/sample holds \(n) ids of \(width) bytes: more than this reader takes (256 MB)") }
        let allIds = try sample.readStrings()
        let rows: [Int]
        if let ids {
            var index: [String: Int] = [:]
            for (i, id) in allIds.enumerated() where index[id] == nil { index[id] = i }
            let missing = ids.filter { index[$0] == nil }
            guard missing.isEmpty else {
                throw refuse("no sample \(missing.prefix(5).map { "'\(clipped($0, limit: 80))'" }.joined(separator: ", "))\(missing.count > 5 ? " and \(missing.count - 5) more" : "") (it holds \(n): \(allIds.prefix(3).joined(separator: ", "))\(n > 3 ? ", ..." : ""))")
            }
            rows = ids.compactMap { index[$0] }
        } else {
            rows = Array(0..<min(first, n))
        }
        var splits: [String] = []
        if file.exists("/split") {
            let s = try file.openDataset("/split")
            defer { s.close() }
            if s.shape == [n], let w = s.stringWidth, w <= 16 { splits = try s.readStrings() }
        }
        let panels = try rows.map { i -> DepthPanel in
            DepthPanel(id: allIds[i], split: splits.indices.contains(i) ? Split(rawValue: splits[i]) ?? .test : .test,
                       gt: try gt.readRows(i, count: 1), pred: try pred.readRows(i, count: 1), size: side)
        }
        var maxDepth: Double?
        if let json = file.stringAttribute(FeatureCacheSchema.featureConfigAttribute) {
            do { maxDepth = try FeatureConfig(canonicalJSON: json).maxDepth } catch {
                throw refuse("attribute \(FeatureCacheSchema.featureConfigAttribute) is not a feature config: \(plainReason(error))")
            }
        }
        let epoch = file.intAttribute("epoch").flatMap { $0 >= 0 ? $0 : nil }
        return Selection(panels: panels, maxDepth: maxDepth, epoch: epoch, count: n)
    }
}
