"""The GPU path checked in one go on the first GPU lent (scripts/device/lent_host_checks.sh),
and the same checks on CPU in CI (``make test-torch``):

    python -m batvision_cache.gpu_check --device cuda --batvision .build/release/batvision --work /tmp/gpucheck
    python -m batvision_cache.gpu_check --device cpu --small ...      # the CPU form (tests)

1. parity: one AdamW step of the U-Net on a cached batch, on the device and on the CPU
   from the same weights (float32, TF32 off): the loss and every updated tensor agree to
   1e-3 of the tensor's largest magnitude (the rule the CUDA tests hold).
2. ddp: a ``torchrun`` smoke run (NCCL on CUDA with min(2, GPUs) processes; gloo with 2
   on CPU) trains an epoch and writes a finite loss.
3. amp: an ``--amp bf16`` run trains two epochs to finite losses and a float32 checkpoint.
4. throughput: the trainer's samples/s and data-wait share over the last of a few epochs
   of unet_256 (ngf 64, batch 128, 256x256; ``--small``: 5 levels, ngf 8, batch 8, 32x32)
   with 4 and 8 DataLoader workers and with ``--data_on_device``.

The data is made on the spot by the batvision binary (synth, ingest, featurize into
--work), so nothing large travels. Prints one table; exits 1 when any check fails, 2
when it cannot start.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

from .train import data_wait_fraction


class Check:
    def __init__(self, name):
        self.name, self.ok, self.figure, self.note = name, False, "", ""

    def row(self):
        return f"{self.name:<36}{'ok' if self.ok else 'FAILED':<8}{self.figure:<36}{self.note}"


def sh(cmd, env=None, cwd=None):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ... exited {r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}")
    return r


def make_cache(bv, work, samples, size):
    """A synthetic V2 dataset, its manifest and its cache at ``size``; returns the cache path."""
    data, manifest, cache_dir = os.path.join(work, "data"), os.path.join(work, "manifest.json"), os.path.join(work, "cache")
    if not os.path.exists(os.path.join(data, "synth_hall", "train.csv")):
        sh([bv, "synth", "--dataset", "batvisionv2", "--out", data, "--samples", samples, "--seed", "0",
            "--depth_height", "120", "--depth_width", "160", "--overwrite"])
    sh([bv, "ingest", "--dataset", "batvisionv2", "--dataset_dir", data, "--manifest", manifest, "--quiet"])
    feature = ["--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", cache_dir, "--images_size", size]
    sh([bv, "featurize", "--quiet"] + feature)
    key_dir = sh([bv, "featurize", "--print_cache_dir"] + feature).stdout.strip().splitlines()[-1]
    return os.path.join(key_dir, "features.h5")


def trainer_env(repo_python):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([repo_python] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def train(args, cache, out, name, flags, nproc=1):
    """Runs the PyTorch trainer; its metrics.jsonl records and stdout."""
    base = ["-m", "batvision_cache.train", "--dataset", "batvisionv2", "--cache", cache, "--device", args.device,
            "--output_dir", out, "--experiment_name", name, "--overwrite", "--batvision", args.batvision]
    if args.conf_dir:
        base += ["--conf_dir", args.conf_dir]
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"] + base
    else:
        cmd = [sys.executable] + base
    r = sh(cmd + flags, env=trainer_env(args.python_dir))
    logs = os.path.join(out, "logs")
    runs = [d for d in os.listdir(logs) if d.endswith("_" + name)]
    with open(os.path.join(logs, runs[0], "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return records, r.stdout, os.path.join(out, "checkpoints", runs[0])


def check_parity(args, cache, model_flags):
    """One AdamW step on the device and on the CPU from the same weights."""
    import torch
    from .cache import BatvisionCache
    from .losses import DepthLoss
    from .unet import UNet, init_swift
    c = Check("parity: one step vs CPU")
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    ds = BatvisionCache(cache, "train")
    audio, depth, _ = ds[list(range(min(8, len(ds))))]
    downs, ngf = model_flags
    results = []
    for device in ("cpu", args.device):
        net = UNet(2, 1, downs, ngf, depth_norm=False)
        init_swift(net, 0)
        net = net.to(device).train()
        opt = torch.optim.AdamW(net.parameters(), lr=0.002, weight_decay=0.01, foreach=False)
        loss_fn = DepthLoss(max_depth=1.0, depth_norm=False)
        pred = net(torch.from_numpy(audio).to(device))
        loss = loss_fn.from_sums(loss_fn.sums(pred, torch.from_numpy(depth).to(device)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        results.append((float(loss.item()), {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}))
    (la, wa), (lb, wb) = results
    worst = max(float(np.abs(wa[k].astype(np.float64) - wb[k]).max() / max(np.abs(wa[k]).max(), 1e-12))
                for k in wa if wa[k].dtype != np.int64)
    loss_rel = abs(la - lb) / max(abs(la), 1e-12)
    c.ok = loss_rel <= 1e-3 and worst <= 1e-3
    c.figure = f"loss {loss_rel:.1e}, weights {worst:.1e}"
    c.note = "relative; the rule: 1e-3"
    return c


def check_ddp(args, cache, model, work):
    import torch
    c = Check("ddp: torchrun smoke run")
    n = min(2, torch.cuda.device_count()) if args.device == "cuda" else 2
    records, stdout, _ = train(args, cache, os.path.join(work, "ddp"), "ddp", model + ["--epochs", "1", "--validation_iter", "1"], nproc=n)
    c.ok = f"{n} process(es)" in stdout and len(records) == 1 and math.isfinite(records[0]["train_loss"])
    c.figure = f"{n} process(es), loss {records[0]['train_loss']:.4f}"
    c.note = "NCCL" if args.device == "cuda" else "gloo"
    return c


def check_amp(args, cache, model, work):
    from .checkpoint import read_checkpoint
    c = Check("amp: --amp bf16 run")
    records, _, ckpts = train(args, cache, os.path.join(work, "amp"), "amp",
                              model + ["--epochs", "2", "--validation_iter", "1", "--amp", "bf16"])
    tensors, _ = read_checkpoint(os.path.join(ckpts, "checkpoint_2.safetensors"))
    finite = all(math.isfinite(r["train_loss"]) and math.isfinite(r.get("val_loss", float("nan"))) for r in records)
    c.ok = finite and len(records) == 2 and all(v.dtype in (np.float32, np.int64) for v in tensors.values())
    c.figure = f"val_loss {records[-1].get('val_loss', float('nan')):.4f}"
    c.note = "finite; float32 checkpoint"
    return c


def check_throughput(args, cache, model, work, source):
    c = Check(f"throughput: {source}")
    flags = model + ["--epochs", str(args.epochs), "--validation", "false",
                     "--saving_checkpoints", "100000"]
    flags += ["--data_on_device"] if source == "device-resident" else ["--workers", source.split()[0]]
    records, _, _ = train(args, cache, os.path.join(work, "tp"), "tp", flags)
    last = records[-1]
    wait = data_wait_fraction(last)
    c.ok = last["samples_per_s"] > 0
    c.figure = f"{last['samples_per_s']:.0f} samples/s, data wait {100 * wait:.0f} %"
    c.note = f"epoch {last['epoch']} of {len(records)}"
    return c


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m batvision_cache.gpu_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--batvision", default=os.environ.get("BATVISION_BIN", "batvision"))
    p.add_argument("--work", required=True, help="a folder for the synthetic data, cache and runs")
    p.add_argument("--small", action="store_true", help="a 5-level ngf-8 U-Net at 32x32, batch 8 (CI on CPU)")
    p.add_argument("--samples", type=int, default=None, help="synthetic samples (default 600; --small 48)")
    p.add_argument("--epochs", type=int, default=3, help="epochs per throughput run (the last is reported)")
    p.add_argument("--conf_dir", default=None)
    args = p.parse_args(argv)
    args.python_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(args.work, exist_ok=True)
    size, samples = ("32", args.samples or 48) if args.small else ("256", args.samples or 600)
    downs, ngf, batch = (5, 8, 8) if args.small else (8, 64, 128)
    model = ["--images_size", size, "--num_downs", str(downs), "--ngf", str(ngf), "--batch_size", str(batch)]
    start = time.perf_counter()
    try:
        import torch
        if args.device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("no CUDA device")
        cache = make_cache(args.batvision, args.work, samples, size)
    except Exception as e:  # noqa: BLE001 - any failure to start is reported, not a trace
        print(f"gpu_check: cannot start: {e}", file=sys.stderr)
        return 2
    checks = []
    steps = [("parity: one step vs CPU", lambda: check_parity(args, cache, (downs, ngf))),
             ("ddp: torchrun smoke run", lambda: check_ddp(args, cache, model, args.work)),
             ("amp: --amp bf16 run", lambda: check_amp(args, cache, model, args.work))]
    for source in ("4 DataLoader workers", "8 DataLoader workers", "device-resident"):
        steps.append((f"throughput: {source}", lambda s=source: check_throughput(args, cache, model, args.work, s)))
    for name, step in steps:
        try:
            checks.append(step())
        except Exception as e:  # noqa: BLE001 - a failed check is a row of the table
            c = Check(name)
            c.note = str(e).replace("\n", " ")[:160]
            checks.append(c)
    dev = torch.cuda.get_device_name(0) if args.device == "cuda" else "CPU"
    print(f"GPU path checks on {dev}, PyTorch {torch.__version__}; model {downs} levels ngf {ngf}, batch {batch}, "
          f"{size}x{size}, {samples} synthetic samples; {time.perf_counter() - start:.0f} s")
    print(f"{'check':<36}{'result':<8}{'figure':<36}note")
    for c in checks:
        print(c.row())
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
