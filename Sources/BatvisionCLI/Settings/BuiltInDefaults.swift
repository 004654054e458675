import Ingest

/// SPEC's defaults, under the conf files: what a setting is when no conf file or flag
/// says otherwise (sections 2 and 4; evaluation as the baseline's test mode).
enum BuiltInDefaults {
    static func values(_ dataset: DatasetKind) -> [String: String] {
        var v: [String: String]
        switch dataset {
        case .batvisionv1:
            v = ["dataset_dir": "out/synthetic/batvisionv1", "manifest": "data-manifests/batvisionv1-synthetic.json",
                 "audio_format": "spectrogram", "max_depth": "12.0", "depth_norm": "true",
                 "learning_rate": "0.001", "batch_size": "128"]
        case .batvisionv2:
            v = ["dataset_dir": "out/synthetic/batvisionv2", "manifest": "data-manifests/batvisionv2-synthetic.json",
                 "audio_format": "mel_spectrogram", "max_depth": "30.0", "depth_norm": "false",
                 "learning_rate": "0.002", "batch_size": "256"]
        }
        v.merge(common) { own, _ in own }
        return v
    }

    static let common: [String: String] = [
        "cache_dir": "out/cache", "location_blacklist": "", "images_size": "256", "preprocess": "resize",
        "depth_resize": "reference", "audio_offset": "0", "audio_cut_ms": "null",
        // Training (conf/mode/train.yaml).
        "experiment_name": "default", "epochs": "80", "optimizer": "AdamW", "criterion": "Combined",
        "l1_weight": "0.237", "silog_weight": "0.637", "silog_lambda": "0.869", "validation": "true",
        "validation_iter": "2", "saving_checkpoints": "10", "checkpoints": "null", "save_best_model": "false",
        "best_metric": "rmse", "shuffle": "true", "seed": "0", "prediction_samples": "4", "clip_grad_norm": "1.0",
        "output_dir": ".", "use_wandb": "false", "wandb_project": "batvision", "wandb_entity": "null",
        "wandb_mode": "online", "threads": "null", "gemm": "auto",
        // Model (conf/model/unet_baseline.yaml).
        "name": "unet_baseline", "generator": "unet_256", "num_downs": "null", "ngf": "64",
        // Evaluation (conf/mode/test.yaml).
        "eval_on": "test", "stat_dir": "stats", "depth_bin": "2.0", "min_depth": "0.0", "max_eval_depth": "null",
        "raw_depth": "false",
    ]
}
