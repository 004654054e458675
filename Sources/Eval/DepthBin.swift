import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// Pixel-pooled errors for ground truth in [lower, upper) metres.
public struct DepthBin: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var pixels: Int
    /// nil (JSON null) for a bin without pixels: no error was measured there.
    public var rmse: Double?
    public var absRel: Double?

    enum CodingKeys: String, CodingKey { case lower, upper, pixels, rmse, absRel = "abs_rel" }

    public init(lower: Double, upper: Double, pixels: Int, rmse: Double?, absRel: Double?) {
        self.lower = lower
        self.upper = upper
        self.pixels = pixels
        self.rmse = rmse
        self.absRel = absRel
    }

    /// Empty bins say `null` explicitly rather than leaving the keys out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encode(pixels, forKey: .pixels)
        try c.encode(rmse, forKey: .rmse)
        try c.encode(absRel, forKey: .absRel)
    }
}
