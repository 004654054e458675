import Cache
import Foundation
import Ingest
import Model
import Support

public enum WandbMode: String, CaseIterable, Codable, Sendable {
    case online, offline, disabled

    /// A mode as the W&B client reads WANDB_MODE, older names included (dryrun, run).
    public init?(clientText text: String) {
        guard let mode = WandbMode(rawValue: text) ?? ["dryrun": .offline, "run": .online][text] else { return nil }
        self = mode
    }
}

/// The W&B settings the baseline's commands carry.
public struct WandbConfig: Equatable, Sendable {
    public var enabled: Bool
    public var project: String
    public var entity: String?
    public var mode: WandbMode

    public init(enabled: Bool = false, project: String = "batvision", entity: String? = nil, mode: WandbMode = .disabled) {
        self.enabled = enabled
        self.project = project
        self.entity = entity
        self.mode = mode
    }
}
