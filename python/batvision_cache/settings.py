"""Resolved settings, as ``batvision train`` resolves them: the built-in defaults per
dataset, then ``conf/dataset/<dataset>.yaml``, ``conf/mode/train.yaml``,
``conf/model/unet_baseline.yaml`` (each overriding the previous), then the command-line
flags. Values are kept as text, as Swift prints them (YAML ``true`` -> "true", ``12.0`` ->
"12.0", ``null`` -> "null", lists joined by commas); they go into the checkpoints'
``settings`` unchanged.

Nothing here restates a setting: keys, kinds, defaults, switches, the conf files of each
command and the feature config's names come from ``settings.json``, which ``batvision
settings --json`` writes from the Swift tool's one table of settings
(Sources/BatvisionCLI/Settings/SettingTable.swift); tests keep the two equal.
"""
import json
import os

with open(os.path.join(os.path.dirname(__file__), "settings.json")) as _f:
    TABLE = json.load(_f)

SPECS = {row["key"]: row for row in TABLE["settings"]}
DATASETS = tuple(SPECS["dataset"]["choices"])


def keys_of(command):
    """The settings a command takes, in the table's order."""
    return tuple(k for k, row in SPECS.items() if command in row["commands"])


def default(key, dataset="batvisionv2"):
    """The built-in default of a setting, as text."""
    return SPECS[key]["defaults"][dataset]


# What `batvision train` resolves, and so records in config.yaml and checkpoints.
TRAIN_KEYS = keys_of("train")
# The flags of this trainer that are settings: every one of train's but --dataset (a
# required flag of its own) and the switches (store_true flags).
TRAIN_SWITCHES = tuple(k for k in TRAIN_KEYS if SPECS[k]["switch"])
SETTING_FLAGS = tuple(k for k in TRAIN_KEYS if k != "dataset" and k not in TRAIN_SWITCHES)
# A flag's value is recorded as Swift prints the parsed value (``1e-3`` -> ``0.001``).
FLOAT_KEYS = tuple(k for k, row in SPECS.items() if row["kind"] == "float")
INT_KEYS = tuple(k for k, row in SPECS.items() if row["kind"] == "int")
# The settings that make up the feature config: setting key -> its name in the config's JSON.
FEATURE_NAMES = {k: row["feature"] for k, row in SPECS.items() if row.get("feature")}
GENERATORS = {"unet_256": 8, "unet_128": 7}


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

    def choice(self, k):
        v = self.string(k)
        if v not in SPECS[k]["choices"]:
            raise self._fail(k, ", ".join(SPECS[k]["choices"]))
        return v

    def bool(self, k):
        v = self.string(k).lower()
        if v in ("true", "1", "yes", "on"):
            return True
        if v in ("false", "0", "no", "off"):
            return False
        raise self._fail(k, "true or false")


# The path settings of train: a conf file's or built-in value is under the project's home.
PATH_KEYS = ("manifest", "cache_dir", "output_dir")


def find_home(environ=os.environ, start=None):
    """The project's folder, as ProjectHome.swift finds it: BATVISION_HOME, else the nearest
    folder at or above the working directory that holds conf/dataset/ (None: there is none)."""
    given = environ.get("BATVISION_HOME")
    if given:
        if not os.path.isdir(given):
            raise ValueError(f"BATVISION_HOME = '{given}' (from the environment): expected a folder (the project's, holding conf/)")
        return os.path.abspath(given)
    folder = os.path.abspath(start or os.getcwd())
    while True:
        if os.path.isdir(os.path.join(folder, "conf", "dataset")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load(dataset, conf_dir=None, flags=None, switches=()):
    """Settings of a training run; ``flags``: key -> text given on the command line.
    ``conf_dir`` None: the project's conf/ (find_home), as `batvision train` does."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset {dataset!r}: expected {' or '.join(DATASETS)}")
    home = find_home()
    if conf_dir is None and home is not None:
        conf_dir = os.path.join(home, "conf")
    s = Settings()
    s.merge({k: default(k, dataset) for k in TRAIN_KEYS}, "built-in")
    for rel in TABLE["conf_files"]["train"]:
        p = os.path.join(conf_dir, rel.replace("<dataset>", dataset)) if conf_dir else None
        if p and os.path.exists(p):
            # Keys of other commands (ingest's dataset_dir, ...) are not train's to record.
            s.merge({k: v for k, v in parse_yaml(p).items() if k in TRAIN_KEYS}, p)
    for k in PATH_KEYS:  # relative paths of conf files and defaults are under the home
        v = s.values.get(k)
        if v and not os.path.isabs(v):
            s.values[k] = os.path.normpath(os.path.join(home or os.getcwd(), v))
    s.set("dataset", dataset)
    for k, v in (flags or {}).items():
        s.set(k, flag_text(k, v))
    for k in switches:
        s.set(k, "true")
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
        self.optimizer = s.choice("optimizer")
        self.criterion = s.choice("criterion")
        self.l1_weight, self.silog_weight = s.double("l1_weight"), s.double("silog_weight")
        self.silog_lambda = s.double("silog_lambda")
        self.max_depth = s.optional_double("max_depth")
        self.depth_norm = s.bool("depth_norm")
        self.validation = s.bool("validation")
        self.validation_iter = s.int("validation_iter")
        self.saving_checkpoints = s.int("saving_checkpoints")
        self.resume_epoch = s.optional_int("checkpoints")
        self.save_best_model = s.bool("save_best_model")
        self.best_metric = s.choice("best_metric")
        self.shuffle = s.bool("shuffle")
        try:
            self.seed = int(s.string("seed"))
            assert self.seed >= 0
        except (ValueError, AssertionError):
            raise s._fail("seed", "a whole number >= 0") from None
        downs = s.optional_int("num_downs")
        if downs is None:
            downs = GENERATORS[s.choice("generator")]
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
        if self.resume_epoch is not None and not 1 <= self.resume_epoch < self.epochs:
            raise s._fail("checkpoints", f"an epoch between 1 and {self.epochs - 1} to resume from")

    @property
    def run_name(self):
        # A seed other than 0 ends the name (RunName.swift), so seeds do not share folders.
        return (f"{self.settings.string('name')}_{self.dataset}_BS{self.batch_size}_Lr{python_float(self.learning_rate)}_"
                f"{self.optimizer}_{self.experiment_name}" + (f"_seed{self.seed}" if self.seed else ""))

    @property
    def model_config(self):
        return model_config(self.num_downs, self.ngf, self.depth_norm)
