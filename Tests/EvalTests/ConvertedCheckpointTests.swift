import Foundation
import Testing
import TestSupport
import Model
import Train

/// A PyTorch checkpoint converted by scripts/convert_pth.py is a plain safetensors
/// state_dict (no batvision metadata). Written here without torch from the goldens'
/// PyTorch weights, it must load, be recognised (levels, ngf) and give PyTorch's eval output.
@Suite struct ConvertedCheckpointTests {
    @Test(arguments: ["unet32_norm_combined", "unet64_metres_l1", "unet32_norm_silog"])
    func goldenWeightsGiveTheGoldenEvalOutput(_ name: String) throws {
        let dir = try TemporaryFolder("convert")
        defer { dir.cleanup() }
        let weights = try SafeTensors.read(Fixtures.url("goldens/model/\(name).weights_after.safetensors")).tensors
        // What convert_pth.py writes for a DataParallel checkpoint: prefixes removed, format pt.
        let converted = dir.file("converted.safetensors")
        try SafeTensors.write(weights, metadata: ["format": "pt", "source": "\(name).pth"], to: converted)
        let (tensors, info) = try Checkpoint.read(converted)
        #expect(info == nil)
        let cases = (try Fixtures.index()["model"] as? [[String: Any]]) ?? []
        let c = try #require(cases.first { $0["name"] as? String == name })
        let depthNorm = try #require(c["depth_norm"] as? Bool)
        let config = try UNetConfig.inferred(from: tensors, depthNorm: depthNorm, source: converted.path)
        #expect(config.numDowns == Fixtures.number(c["num_downs"]).map(Int.init) && config.ngf == Fixtures.number(c["ngf"]).map(Int.init))
        let model = try UNet(config)
        try model.load(stateDict: tensors, source: converted.path)
        let batch = try SafeTensors.read(Fixtures.url("goldens/model/\(name).batch.safetensors")).tensors
        let input = try #require(batch["input"])
        let out = try model.forward(try #require(input.floats), batch: input.shape[0], height: input.shape[2], width: input.shape[3], training: false)
        let golden = try SafeTensors.read(Fixtures.url("goldens/model/\(name).outputs.safetensors")).tensors
        let err = maxRelativeError(out, try #require(golden["eval_output_after_step"]?.floats))
        #expect(err < 1e-4, "eval output: \(err)")
    }

    @Test func dataParallelPrefixesAreAccepted() throws {
        let weights = try SafeTensors.read(Fixtures.url("goldens/model/unet32_norm_combined.weights_after.safetensors")).tensors
        var prefixed: [String: NamedTensor] = [:]
        for (k, v) in weights { prefixed["module." + k] = v }
        let config = try UNetConfig.inferred(from: prefixed, depthNorm: true, source: "x")
        let model = try UNet(config)
        try model.load(stateDict: prefixed, source: "x")
        #expect(model.stateDict() == weights)
    }

    @Test func aStateDictOfAnotherShapeIsRefusedByName() throws {
        let weights = try SafeTensors.read(Fixtures.url("goldens/model/unet32_norm_silog.weights_after.safetensors")).tensors
        let model = try UNet(UNetConfig(numDowns: 5, ngf: 4, depthNorm: true))
        #expect {
            try model.load(stateDict: weights, source: "other.safetensors")
        } throws: { error in
            "\(error)".contains("other.safetensors") && "\(error)".contains("model.model.0.weight")
        }
    }
}
