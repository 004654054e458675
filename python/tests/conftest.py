"""Shared fixtures: the batvision binary and small datasets, caches and runs it makes.

The binary: $BATVISION_BIN, else <repo>/.build/release/batvision, else .build/debug.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The goldens as the repository carries them (Tests/Fixtures, copied from ../shared), so a
# clean clone tests without ../shared.
GOLDENS = os.environ.get("BATVISION_GOLDENS", os.path.join(REPO, "Tests", "Fixtures", "goldens"))
CONF = os.path.join(REPO, "conf")


def batvision_bin():
    env = os.environ.get("BATVISION_BIN")
    if env:
        return env
    for kind in ("release", "debug"):
        p = os.path.join(REPO, ".build", kind, "batvision")
        if os.path.exists(p):
            return p
    pytest.fail("no batvision binary: build it (swift build -c release) or set BATVISION_BIN")


def run(cmd, cwd=None, check=True, env=None):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r


def find_cache(cache_dir, dataset):
    root = os.path.join(cache_dir, dataset)
    found = [os.path.join(root, k, "features.h5") for k in sorted(os.listdir(root))
             if os.path.exists(os.path.join(root, k, "features.h5"))]
    assert len(found) == 1, found
    return found[0]


class Synthetic:
    """A small synthetic dataset (48 samples; V2: train 29, val 9, test 10), its manifest
    and a 32x32 cache with the dataset's default features (V2: mel_spectrogram, depth in
    metres; V1: spectrogram, depth / 12 m), all made by the binary."""

    def __init__(self, root, dataset="batvisionv2"):
        self.root = root
        self.dataset = dataset
        self.bin = batvision_bin()
        self.data = os.path.join(root, "data")
        self.manifest = os.path.join(root, "manifest.json")
        self.cache_dir = os.path.join(root, "cache")
        run([self.bin, "synth", "--dataset", dataset, "--out", self.data, "--samples", "48", "--seed", "0",
             "--depth_height", "72", "--depth_width", "128"])
        run([self.bin, "ingest", "--dataset", dataset, "--dataset_dir", self.data, "--manifest", self.manifest])
        self.feature_flags = ["--images_size", "32"]
        run([self.bin, "featurize", "--dataset", dataset, "--manifest", self.manifest, "--cache_dir",
             self.cache_dir, "--conf_dir", CONF, "--quiet"] + self.feature_flags)
        self.cache = find_cache(self.cache_dir, dataset)

    def common(self):
        """Flags shared by batvision train/eval and the Python trainer for this dataset."""
        return ["--dataset", self.dataset, "--manifest", self.manifest, "--cache_dir", self.cache_dir,
                "--conf_dir", CONF] + self.feature_flags

    def swift_train(self, out, *flags, check=True):
        return run([self.bin, "train"] + self.common() + ["--output_dir", out] + list(flags), cwd=self.root,
                   check=check)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    return Synthetic(str(tmp_path_factory.mktemp("synthetic")))


@pytest.fixture(scope="session")
def synthetic_v1(tmp_path_factory):
    return Synthetic(str(tmp_path_factory.mktemp("synthetic_v1")), "batvisionv1")


def read_records(path):
    from batvision_cache.checkpoint import _unfinite
    with open(path) as f:
        return [_unfinite(json.loads(line)) for line in f if line.strip()]


def python_exe():
    return sys.executable


def shell_ok():
    return shutil.which("bash") is not None


def torch_env():
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"  # 2 shared cores: oversubscribed torch threads crawl
    # The trainer subprocesses import this checkout's package, not whatever copy the
    # interpreter has installed (a venv made from another clone trains stale code).
    package = os.path.join(REPO, "python")
    env["PYTHONPATH"] = os.pathsep.join([package] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def python_train(syn, out, *flags, nproc=1, check=True, workers=0, device="cpu", env=None):
    """Runs the PyTorch trainer (torchrun's launcher when nproc > 1) on a Synthetic's cache;
    ``env``: extra environment variables."""
    base = ["-m", "batvision_cache.train"] + syn.common() + [
        "--cache", syn.cache, "--output_dir", out, "--device", device, "--threads", "1", "--workers", str(workers)]
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"] + base[1:]
        # torch.distributed.run wants the module after -m as its own flag
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", "-m",
               "batvision_cache.train"] + base[2:]
    else:
        cmd = [sys.executable] + base
    return run(cmd + list(flags), cwd=syn.root, check=check, env={**torch_env(), **(env or {})})


def run_dir(out, kind, run_name):
    return os.path.join(out, kind, run_name)
