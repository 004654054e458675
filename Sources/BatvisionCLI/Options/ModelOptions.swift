import ArgumentParser
import Foundation
import Model
import Train

/// The model conf's `name`: the first part of the run name (train names runs by it, eval finds them).
struct ModelNameOption: ParsableArguments {
    @Option(name: .setting(\.name), help: .setting(\.name))
    var name: String?

    func resolve(_ r: inout SettingsResolver) throws -> String {
        try r.value(\.name, flag: name)
    }
}

/// The U-Net's shape (conf/model/unet_baseline.yaml); `UNetConfig` holds the rules.
struct ModelOptions: ParsableArguments {
    @OptionGroup var name: ModelNameOption
    @Option(name: .setting(\.generator), help: .setting(\.generator))
    var generator: Generator?
    @Option(name: .setting(\.numDowns), help: .setting(\.numDowns))
    var numDowns: Nullable<Int>?
    @Option(name: .setting(\.ngf), help: .setting(\.ngf))
    var ngf: Int?

    func config(depthNorm: Bool, _ r: inout SettingsResolver) throws -> UNetConfig {
        let generator = try r.value(\.generator, flag: generator)
        let downs = try r.optional(\.numDowns, flag: numDowns) ?? generator.levels
        return UNetConfig(numDowns: downs, ngf: try r.value(\.ngf, flag: ngf), depthNorm: depthNorm)
    }
}
