import ArgumentParser
import Foundation
import Train

/// The baseline's W&B flags.
struct WandbOptions: ParsableArguments {
    @Flag(name: .setting(\.useWandb), inversion: .prefixedNo, help: .setting(\.useWandb))
    var useWandb: Bool?
    @Option(name: .setting(\.wandbProject), help: .setting(\.wandbProject))
    var wandbProject: String?
    @Option(name: .setting(\.wandbEntity), help: .setting(\.wandbEntity))
    var wandbEntity: Nullable<String>?
    @Option(name: .setting(\.wandbMode), help: .setting(\.wandbMode))
    var wandbMode: WandbMode?

    func config(_ r: inout SettingsResolver, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WandbConfig {
        WandbConfig(enabled: try r.bool(\.useWandb, flag: useWandb), project: try r.value(\.wandbProject, flag: wandbProject),
                    entity: try r.optional(\.wandbEntity, flag: wandbEntity),
                    mode: try Self.mode(flag: wandbMode, &r, environment: environment))
    }

    /// The mode W&B itself is set to: the flag, else WANDB_MODE (as the client reads it), else the conf files.
    static func mode(flag: WandbMode?, _ r: inout SettingsResolver, environment: [String: String]) throws -> WandbMode {
        guard flag == nil, let mode = try environmentMode(environment) else { return try r.value(\.wandbMode, flag: flag) }
        r.record("wandb_mode", environment["WANDB_MODE"] ?? "", origin: environmentOrigin)
        return mode
    }

    static let environmentOrigin = "environment variable WANDB_MODE"

    /// WANDB_MODE as the client reads it, when set (train and wandb-sync).
    static func environmentMode(_ environment: [String: String]) throws -> WandbMode? {
        guard let text = environment["WANDB_MODE"], !text.isEmpty else { return nil }
        guard let mode = WandbMode(clientText: text) else {
            throw SettingError.invalid(key: "wandb_mode", value: text, origin: environmentOrigin, expected: "online, offline or disabled")
        }
        return mode
    }
}
