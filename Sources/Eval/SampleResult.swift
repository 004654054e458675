import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// One evaluated sample.
public struct SampleResult: Sendable {
    public var id: String
    public var split: Split
    public var index: Int
    public var metrics: DepthMetrics

    /// V2 ids are `<location>/<split>/<n>`; V1 has no locations.
    public var location: String {
        let parts = id.split(separator: "/")
        return parts.count >= 3 ? String(parts[0]) : ""
    }
}
