"""Resolved settings, as ``batvision train`` resolves them (Sources/Cache/Settings.swift,
TrainOptions.swift, TrainingConfig.swift): SPEC's built-in defaults per dataset, then
``conf/dataset/<dataset>.yaml``, ``conf/mode/train.yaml``, ``conf/model/unet_baseline.yaml``
(each overriding the previous), then the command-line flags, then TrainingConfig's
defaults for keys still unset. Values are kept as text, as Swift prints them (YAML
``true`` -> "true", ``12.0`` -> "12.0", ``null`` -> "null", lists joined by commas);
they go into the checkpoints' ``settings`` unchanged.
"""
import os

BUILT_IN = {
    "batvisionv1": {"dataset": "batvisionv1", "dataset_dir": "out/synthetic/batvisionv1",
                    "manifest": "data-manifests/batvisionv1-synthetic.json", "cache_dir": "out/cache",
                    "audio_format": "spectrogram", "max_depth": "12.0", "depth_norm": "true", "images_size": "256",
                    "preprocess": "resize", "learning_rate": "0.001", "batch_size": "128"},
    "batvisionv2": {"dataset": "batvisionv2", "dataset_dir": "out/synthetic/batvisionv2",
                    "manifest": "data-manifests/batvisionv2-synthetic.json", "cache_dir": "out/cache",
                    "audio_format": "mel_spectrogram", "max_depth": "30.0", "depth_norm": "false", "images_size": "256",
                    "preprocess": "resize", "learning_rate": "0.002", "batch_size": "256"},
}

TRAINING_DEFAULTS = {
    "experiment_name": "default", "epochs": "80", "optimizer": "AdamW", "criterion": "Combined",
    "l1_weight": "0.237", "silog_weight": "0.637", "silog_lambda": "0.869", "validation": "true",
    "validation_iter": "2", "saving_checkpoints": "10", "checkpoints": "null", "save_best_model": "false",
    "best_metric": "rmse", "shuffle": "true", "seed": "0", "generator": "unet_256", "num_downs": "null",
    "ngf": "64", "prediction_samples": "4", "clip_grad_norm": "1.0", "output_dir": ".",
    "use_wandb": "false", "wandb_project": "batvision", "wandb_entity": "null", "wandb_mode": "online",
    "threads": "null", "depth_resize": "reference", "audio_offset": "0", "audio_cut_ms": "null",
    # The Swift tool's GEMM library (--gemm); recorded here so both trainers record the same keys.
    "gemm": "auto",
}

# Swift's train resolves (and so records) neither of these: they are ingest's.
NOT_RECORDED = ("dataset_dir", "location_blacklist")
# A flag's value is recorded as Swift prints the parsed value (``1e-3`` -> ``0.001``).
FLOAT_KEYS = ("audio_cut_ms", "learning_rate", "l1_weight", "silog_weight", "silog_lambda", "clip_grad_norm", "max_depth")
INT_KEYS = ("audio_offset", "batch_size", "epochs", "validation_iter", "saving_checkpoints", "checkpoints", "num_downs", "ngf",
            "prediction_samples", "images_size", "seed", "threads")


def flag_text(key, value):
    """A flag's text as the Swift tool records it once parsed."""
    v = str(value)
    if v in ("", "null", "none", "None", "~"):
        return "null" if v else v
    try:
        if key in FLOAT_KEYS:
            return repr(float(v))
        if key in INT_KEYS:
            return str(int(v))
    except ValueError:
        pass
    return v

FEATURE_FLAGS = ("dataset_dir", "manifest", "cache_dir", "audio_format", "max_depth", "depth_norm", "images_size",
                 "preprocess", "depth_resize", "audio_offset", "audio_cut_ms")
TRAIN_FLAGS = ("experiment_name", "learning_rate", "batch_size", "epochs", "optimizer", "criterion", "l1_weight",
               "silog_weight", "silog_lambda", "validation", "validation_iter", "saving_checkpoints", "checkpoints",
               "best_metric", "shuffle", "seed", "generator", "num_downs", "ngf", "prediction_samples",
               "clip_grad_norm", "output_dir", "wandb_project", "wandb_entity", "wandb_mode")
TRAIN_SWITCHES = ("save_best_model", "use_wandb")
GENERATORS = {"unet_256": 8, "unet_128": 7}


def model_config(num_downs, ngf, depth_norm, input_nc=2, output_nc=1):
    """The UNetConfig of the Swift tool as its Codable JSON encodes it (CheckpointInfo.model)."""
    return {"inputChannels": int(input_nc), "outputChannels": int(output_nc), "numDowns": int(num_downs),
            "ngf": int(ngf), "depthNorm": bool(depth_norm)}


METRIC_NAMES = ("abs_rel", "rmse", "delta1", "delta2", "delta3", "log10", "mae")


def swift_text(v):
    """A YAML value as Swift's "\\(value)" prints it."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return ",".join(swift_text(x) for x in v)
    return str(v)


def parse_yaml(path):
    try:
        import yaml
    except ImportError:  # a tiny parser for the flat `key: value  # comment` files
        return _parse_flat(path)
    with open(path) as f:
        node = yaml.safe_load(f)
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise ValueError(f"{path}: expected a mapping of settings (key: value)")
    return {str(k): swift_text(v) for k, v in node.items()}


def _parse_flat(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split(" #")[0].rstrip() if not line.lstrip().startswith("#") else ""
            if not line.strip() or ":" not in line:
                continue
            k, v = line.split(":", 1)
            v = v.strip().strip("'\"")
            if v in ("", "~", "null", "Null", "NULL"):
                v = "null"
            elif v in ("[]",):
                v = ""
            elif v.lower() in ("true", "false"):
                v = v.lower()
            out[k.strip()] = v
    return out


class Settings:
    def __init__(self):
        self.values, self.origins = {}, {}

    def merge(self, d, origin):
        for k, v in d.items():
            self.values[k], self.origins[k] = v, origin

    def set(self, k, v, origin="command line"):
        if v is not None:
            self.values[k], self.origins[k] = str(v), origin

    def set_default(self, k, v, origin="built-in"):
        if k not in self.values:
            self.values[k], self.origins[k] = v, origin

    def __getitem__(self, k):
        return self.values.get(k)

    def string(self, k):
        v = self.values.get(k)
        if v is None or v == "":
            raise ValueError(f"{k} is not set (pass --{k})")
        return v

    def _fail(self, k, expected):
        return ValueError(f"{k} = '{self.values.get(k, '')}' (from {self.origins.get(k, '?')}): expected {expected}")

    def int(self, k):
        try:
            return int(self.string(k))
        except ValueError:
            raise self._fail(k, "a whole number") from None

    def double(self, k):
        try:
            return float(self.string(k))
        except ValueError:
            raise self._fail(k, "a number") from None

    @staticmethod
    def is_null(raw):
        return raw in ("", "null", "none", "None", "~")

    def optional_int(self, k):
        raw = self.values.get(k)
        if raw is None or self.is_null(raw):
            return None
        try:
            return int(raw)
        except ValueError:
            raise self._fail(k, "a whole number or null") from None

    def optional_double(self, k):
        raw = self.values.get(k)
        if raw is None or self.is_null(raw):
            return None
        try:
            return float(raw)
        except ValueError:
            raise self._fail(k, "a number or null") from None

    def bool(self, k):
        v = self.string(k).lower()
        if v in ("true", "1", "yes", "on"):
            return True
        if v in ("false", "0", "no", "off"):
            return False
        raise self._fail(k, "true or false")


def load(dataset, conf_dir="conf", flags=None, switches=()):
    """Settings of a training run; ``flags``: key -> text given on the command line."""
    if dataset not in BUILT_IN:
        raise ValueError(f"dataset {dataset!r}: expected batvisionv1 or batvisionv2")
    s = Settings()
    s.merge(BUILT_IN[dataset], "built-in")
    for rel in (f"dataset/{dataset}.yaml", "mode/train.yaml", "model/unet_baseline.yaml"):
        p = os.path.join(conf_dir, rel)
        if os.path.exists(p):
            s.merge(parse_yaml(p), p)
    s.set("dataset", dataset)
    for k, v in (flags or {}).items():
        s.set(k, flag_text(k, v))
    for k in switches:
        s.set(k, "true")
    for k, v in TRAINING_DEFAULTS.items():
        s.set_default(k, v)
    for k in NOT_RECORDED:
        s.values.pop(k, None)
        s.origins.pop(k, None)
    return s


def python_float(x):
    """A float as Python's repr prints it (the run name's lr)."""
    return repr(float(x))


class TrainingConfig:
    """TrainingConfig.swift: everything a run needs, from resolved settings."""

    def __init__(self, s):
        self.settings = s
        self.dataset = s.string("dataset")
        self.experiment_name = s.string("experiment_name")
        self.learning_rate = s.double("learning_rate")
        self.batch_size = s.int("batch_size")
        self.epochs = s.int("epochs")
        self.optimizer = s.string("optimizer")
        if self.optimizer not in ("Adam", "AdamW", "SGD"):
            raise s._fail("optimizer", "Adam, AdamW or SGD")
        self.criterion = s.string("criterion")
        if self.criterion not in ("L1", "SIlog", "Combined"):
            raise s._fail("criterion", "L1, SIlog or Combined")
        self.l1_weight, self.silog_weight = s.double("l1_weight"), s.double("silog_weight")
        self.silog_lambda = s.double("silog_lambda")
        self.max_depth = s.optional_double("max_depth")
        self.depth_norm = s.bool("depth_norm")
        self.validation = s.bool("validation")
        self.validation_iter = s.int("validation_iter")
        self.saving_checkpoints = s.int("saving_checkpoints")
        self.resume_epoch = s.optional_int("checkpoints")
        self.save_best_model = s.bool("save_best_model")
        self.best_metric = s.string("best_metric")
        self.shuffle = s.bool("shuffle")
        try:
            self.seed = int(s.string("seed"))
            assert self.seed >= 0
        except (ValueError, AssertionError):
            raise s._fail("seed", "a whole number >= 0") from None
        downs = s.optional_int("num_downs")
        if downs is None:
            gen = s.string("generator")
            if gen not in GENERATORS:
                raise s._fail("generator", "unet_256 or unet_128 (or set num_downs)")
            downs = GENERATORS[gen]
        self.num_downs, self.ngf = downs, s.int("ngf")
        self.prediction_samples = s.int("prediction_samples")
        self.clip_grad_norm = s.double("clip_grad_norm")
        self.output_dir = s["output_dir"] or "."
        if self.num_downs < 5:
            raise ValueError(f"num_downs {self.num_downs}: the U-Net needs at least 5 levels")
        if self.ngf < 1:
            raise ValueError(f"ngf {self.ngf}: must be positive")
        if not (self.learning_rate > 0 and self.learning_rate != float("inf")):
            raise s._fail("learning_rate", "a positive number")
        for key, v in (("batch_size", self.batch_size), ("epochs", self.epochs),
                       ("validation_iter", self.validation_iter), ("saving_checkpoints", self.saving_checkpoints)):
            if v < 1:
                raise s._fail(key, "at least 1")
        if self.best_metric not in METRIC_NAMES + ("loss",):
            raise s._fail("best_metric", ", ".join(METRIC_NAMES + ("loss",)))
        if self.resume_epoch is not None and not 1 <= self.resume_epoch < self.epochs:
            raise s._fail("checkpoints", f"an epoch between 1 and {self.epochs - 1} to resume from")

    @property
    def run_name(self):
        return (f"unet_baseline_{self.dataset}_BS{self.batch_size}_Lr{python_float(self.learning_rate)}_"
                f"{self.optimizer}_{self.experiment_name}")

    @property
    def model_config(self):
        return model_config(self.num_downs, self.ngf, self.depth_norm)
