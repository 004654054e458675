"""PyTorch / DDP trainer over a batvision feature cache: ``python -m batvision_cache.train``.

The same flags, conf files, run name, output layout, losses, optimisers, clipping,
validation metrics and checkpoint format as ``batvision train`` (SPEC sections 4 and 5),
so that ``batvision eval`` evaluates a run trained here and ``batvision train
--checkpoints N`` continues it, and the other way round. It reads only the cache.

    python -m batvision_cache.train --dataset batvisionv2 --cache out/cache/batvisionv2/KEY/features.h5 \\
        --images_size 64 --num_downs 6 --ngf 16 --batch_size 32 --epochs 10
    torchrun --nproc_per_node 4 -m batvision_cache.train --device cuda [--amp] ...

Under torchrun (WORLD_SIZE > 1) the process group is NCCL on CUDA and gloo on CPU;
``--batch_size`` is the global batch, split across ranks (see sampler.py); BatchNorm uses
the global batch's statistics (distributed.py) and the loss is that of the global batch
(losses.py), so the per-epoch losses equal a 1-process run's. Only rank 0 writes.

Extra flags of this trainer: --cache, --batvision, --device, --amp, --data_on_device,
--workers, --init, --overwrite, --threads. They are not part of the run's settings.

Each epoch reports the seconds spent waiting for the next batch (``data_seconds`` in
metrics.jsonl, the data-wait share on the console and in TensorBoard, W&B through
``batvision wandb-sync``): a GPU that waits needs more ``--workers`` or ``--data_on_device``.
Each validated epoch's prediction sheet is drawn into results/<run>/ by ``batvision
sheet`` (the Swift tool's pictures; skipped, with a note, when no batvision binary is found)
and shown in TensorBoard, as ``batvision train`` does.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import checkpoint as ckpt
from . import settings as settings_mod
from .cache import BatvisionCache, CacheError
from .metrics import NAMES as METRIC_NAMES
from .metrics import batch_errors, higher_is_better, log10_nonfinite, mean_metrics
from .sampler import DistributedBatchSampler

EXIT_ERROR, EXIT_USAGE = 2, 64


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_USAGE)


# `batvision train`'s settings this trainer takes as flags: all but --threads, which here
# means torch's threads per rank (the setting keeps its conf or built-in value).
SETTING_FLAGS = tuple(k for k in settings_mod.SETTING_FLAGS if k != "threads")


def build_parser():
    p = _Parser(prog="python -m batvision_cache.train", description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=settings_mod.DATASETS)
    p.add_argument("--conf_dir", default=None,
                   help="folder of the YAML defaults (default: the project's conf/, found as batvision finds it)")
    for k in SETTING_FLAGS:
        p.add_argument(f"--{k}", default=None, help=settings_mod.SPECS[k]["help"])
    for k in settings_mod.TRAIN_SWITCHES:
        p.add_argument(f"--{k}", action="store_true", help=settings_mod.SPECS[k]["help"])
    g = p.add_argument_group("this trainer")
    g.add_argument("--cache", help="the cache file (features.h5, merged or single); default: resolved with "
                                   "`batvision featurize ... --print_cache_dir`")
    g.add_argument("--batvision", default=os.environ.get("BATVISION_BIN", "batvision"),
                   help="the batvision binary used to resolve the cache (default: $BATVISION_BIN or batvision)")
    g.add_argument("--device", choices=["cuda", "cpu"], default=None, help="default: cuda when available")
    g.add_argument("--amp", nargs="?", const="bf16", choices=sorted(AMP_DTYPES), default=None,
                   help="mixed precision: autocast the forward pass to bf16 (--amp alone) or fp16 (with a gradient "
                        "scaler); weights, optimiser and checkpoints stay float32")
    g.add_argument("--data_on_device", action="store_true",
                   help="load each split once into the device's memory and gather batches there, in the sampler's "
                        "order (refused, with the figures, when it does not fit)")
    g.add_argument("--workers", type=int, default=None,
                   help="DataLoader workers per rank (default: the num_threads setting, the baseline's DataLoader workers)")
    g.add_argument("--init", choices=["swift", "torch"], default="swift",
                   help="initial weights: swift = exactly batvision train's for --seed (default), torch = torch's generator")
    g.add_argument("--overwrite", action="store_true", help="start over even if the run already has checkpoints")
    g.add_argument("--threads", type=int, default=0, help="torch CPU threads per rank (0: torch's default)")
    return p


# --amp's values: torch's dtype names.
AMP_DTYPES = {"bf16": "bfloat16", "fp16": "float16"}


# ----------------------------------------------------------------------------- cache
def featurize_command(s, batvision="batvision", extra=()):
    """`batvision featurize` with this run's manifest, cache folder and every feature setting."""
    parts = [batvision, "featurize", "--dataset", s["dataset"]]
    for k in ("manifest", "cache_dir") + tuple(k for k in settings_mod.FEATURE_NAMES if k != "dataset"):
        if s[k]:
            parts += [f"--{k}", s[k]]
    return parts + list(extra)


def resolve_cache(args, s):
    """--cache, else `batvision featurize <same flags> --print_cache_dir` -> KEY_DIR/features.h5."""
    if args.cache:
        return args.cache
    cmd = featurize_command(s, args.batvision, (["--conf_dir", args.conf_dir] if args.conf_dir else []) + ["--print_cache_dir"])
    hint = " ".join(featurize_command(s)) + "  (then pass --cache <cache_dir>/<dataset>/<key>/features.h5)"
    if shutil.which(args.batvision) is None and not os.path.exists(args.batvision):
        raise UsageError(f"no --cache given and no batvision binary ({args.batvision}) to resolve it: build the "
                         f"cache with\n  {hint}")
    r = subprocess.run(cmd, capture_output=True, text=True)
    key_dir = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    if not key_dir:
        raise UsageError(f"could not resolve the cache with `{' '.join(cmd)}` (exit {r.returncode}): "
                         f"{r.stderr.strip()[:300]}\nBuild it with\n  {hint}")
    path = os.path.join(key_dir, "features.h5")
    if not os.path.exists(path):
        raise UsageError(f"{path} does not exist yet: build it with\n  {hint}\n(or, sharded: `batvision featurize "
                         f"... --shard K/N` for every K, then `batvision merge --cache {key_dir}`)")
    return path


def settings_from_cache(s, cache):
    """The feature settings of the run, from the cache (as `batvision train` records
    them); a flag that contradicts the cache is an error."""
    want = cache.feature_settings
    if s["dataset"] != want["dataset"]:
        raise UsageError(f"the cache is a {want['dataset']} cache, not {s['dataset']}")
    for k, v in want.items():
        cur = s[k]
        if s.origins.get(k) == "command line" and cur is not None and not _same(k, cur, v):
            raise UsageError(f"--{k} {cur} contradicts the cache ({k} {v})")
        if cur is None or not _same(k, cur, v):
            s.set(k, v, origin="cache")


def _same(k, a, b):
    """Whether two texts of setting `k` are the same value (by the setting's kind)."""
    kind = settings_mod.SPECS[k]["kind"]
    na, nb = settings_mod.Settings.is_null(a), settings_mod.Settings.is_null(b)
    if na or nb:
        return na == nb
    if kind == "float":
        return float(a) == float(b)
    if kind == "int":
        return int(a) == int(b)
    if kind == "bool":
        return (a.lower() in ("true", "1", "yes", "on")) == (b.lower() in ("true", "1", "yes", "on"))
    return a == b


# ----------------------------------------------------------------------------- model input
class ModelInput:
    """ModelInput.swift: spectrograms pass through; a waveform [2, L] is framed into an
    S x S image per ear (row r = the S samples from r * hop, hop = max(1, (L - S) // (S - 1)),
    zero past the end)."""

    def __init__(self, audio_shape, size):
        import torch
        self.audio_shape, self.size = tuple(audio_shape), int(size)
        self.index = None
        if len(self.audio_shape) == 3:
            if self.audio_shape != (2, size, size):
                raise UsageError(f"cached audio {list(audio_shape)}: expected [2, {size}, {size}]")
        elif len(self.audio_shape) == 2 and self.audio_shape[0] == 2:
            length = self.audio_shape[1]
            hop = max(1, (length - size) // max(size - 1, 1))
            r = torch.arange(size).view(size, 1) * hop
            c = torch.arange(size).view(1, size)
            idx = (r + c).clamp(max=length)  # index `length` is the zero appended below
            self.index = idx.reshape(-1)
        else:
            raise UsageError(f"cached audio {list(audio_shape)}: expected [2, S, S] or [2, L]")

    def __call__(self, audio):
        import torch
        if self.index is None:
            return audio
        b = audio.shape[0]
        padded = torch.cat([audio, audio.new_zeros(b, 2, 1)], dim=2)
        out = padded.index_select(2, self.index.to(audio.device))
        return out.view(b, 2, self.size, self.size)


# ----------------------------------------------------------------------------- trainer
class Trainer:
    def __init__(self, args, s, config, cache_path):
        import torch

        from . import distributed as D
        from .unet import UNet, init_swift, init_torch
        self.torch, self.D = torch, D
        self.args, self.s, self.config = args, s, config
        self.workers = args.workers if args.workers is not None else s.int("num_threads")
        self.device_type = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.rank, self.local_rank, self.world = D.setup(self.device_type)
        self.device = torch.device(f"cuda:{self.local_rank}" if self.device_type == "cuda" else "cpu")
        if args.threads:
            torch.set_num_threads(args.threads)
        if s.bool("deterministic"):
            # PyTorch's own repeatable kernels: the same run twice on one machine gives the same
            # bits (CUDA also needs CUBLAS_WORKSPACE_CONFIG=:4096:8). batvision's --deterministic
            # goes further (the same bits on any x86 host); --gemm is batvision's alone.
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False
        self.cache_path = cache_path
        self.train_ds = BatvisionCache(cache_path, "train")
        self.val_ds = BatvisionCache(cache_path, "val")
        self.feature = self.train_ds.feature_config
        if self.feature["depthNorm"] != config.depth_norm:
            raise UsageError(f"the cache's depth_norm ({self.feature['depthNorm']}) differs from the run's")
        ds = self.train_ds.depth_shape
        if len(ds) != 3 or ds[0] != 1 or ds[1] != ds[2]:
            raise UsageError(f"cached depth {list(ds)}: expected [1, S, S]")
        if self.train_ds.n == 0:
            raise UsageError(f"{cache_path} has no training samples")
        self.size = ds[1]
        f = 1 << config.num_downs
        if self.size % f:
            raise UsageError(f"a {config.num_downs}-level U-Net needs images whose sides are multiples of {f}; got "
                             f"{self.size}x{self.size} (set --images_size or --num_downs)")
        self.input = ModelInput(self.train_ds.audio_shape, self.size)
        self.scale = self.train_ds.metres_per_unit
        from .losses import DepthLoss
        self.loss = DepthLoss(config.criterion, config.l1_weight, config.silog_weight, config.silog_lambda,
                              config.depth_norm, config.max_depth if config.max_depth is not None else 1.0)
        self.dirs = RunDirectories(config.output_dir, config.run_name)

        model = UNet(2, 1, config.num_downs, config.ngf, config.depth_norm)
        if config.resume_epoch is None and (self.rank == 0 or self.world == 1):
            (init_swift if args.init == "swift" else init_torch)(model, config.seed)
        self.raw = model.to(self.device)
        self.named_params = list(self.raw.named_parameters())
        opt_cls = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW, "SGD": torch.optim.SGD}[config.optimizer]
        self.weight_decay = 0.01 if config.optimizer == "AdamW" else 0.0
        kw = {"lr": config.learning_rate, "weight_decay": self.weight_decay}
        if config.optimizer != "SGD":
            kw.update(betas=(0.9, 0.999), eps=1e-8)
        if self.device_type == "cpu":
            kw["foreach"] = False  # PyTorch's single-tensor loop: what the Swift optimiser matches bit for bit
        self.optimizer = opt_cls(self.raw.parameters(), **kw)
        self.model = self.raw
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP
            self.raw = D.global_batchnorm(self.raw, self.device_type).to(self.device)
            self.model = DDP(self.raw, device_ids=[self.local_rank] if self.device_type == "cuda" else None)
        self.amp_dtype = getattr(torch, AMP_DTYPES[args.amp]) if args.amp else None
        self.scaler = None
        if self.amp_dtype == torch.float16:
            # fp16's narrow range underflows small gradients: scale the loss (bf16 needs none).
            self.scaler = torch.amp.GradScaler(self.device_type)
        self.train_data = self.val_data = None

    # -- logging
    def log(self, msg):
        if self.rank == 0:
            print(msg, flush=True)

    def info(self, record):
        metrics = record.get("metrics")
        if record.get("val_loss") is not None:
            metrics = dict(metrics or {})
            metrics.setdefault("loss", record["val_loss"])
        return ckpt.make_info(record["epoch"], self.config.run_name, self.config.model_config, self.feature,
                              self.train_ds.manifest_digest, self.s.values, metrics, record["train_loss"])

    # -- data
    def loader(self, ds, sampler, persistent=False):
        """Batches of ``sampler`` (lists of indices) read by ``--workers`` processes, each
        with its own HDF5 handle; the training loader's workers live across epochs (the
        sampler runs in this process, so set_epoch still applies)."""
        torch = self.torch
        ds.close()  # the workers open their own handles
        workers = self.workers
        return torch.utils.data.DataLoader(ds, batch_size=None, sampler=sampler, num_workers=workers,
                                           pin_memory=self.device_type == "cuda",
                                           persistent_workers=persistent and workers > 0)

    def to_device(self, audio, depth):
        nb = self.device_type == "cuda"
        x = self.input(audio.to(self.device, non_blocking=nb))
        return x, depth.to(self.device, non_blocking=nb)

    def autocast(self):
        import contextlib
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return self.torch.autocast(device_type=self.device_type, dtype=self.amp_dtype)

    def validation_batches(self):
        """This rank's validation batches: whole batches of --batch_size, round-robin over the ranks."""
        n, b = self.val_ds.n, self.config.batch_size
        return [list(range(i, min(i + b, n))) for k, i in enumerate(range(0, n, b)) if k % self.world == self.rank]

    def load_on_device(self, sampler):
        """--data_on_device: the training split (all of it when shuffled, else this rank's
        rows) and this rank's validation rows, into the device's memory."""
        from .device_data import DeviceResidentSplit, rows_of
        start = time.perf_counter()
        rows = None if self.config.shuffle or self.world == 1 else rows_of(list(sampler))
        self.train_data = DeviceResidentSplit(self.train_ds, self.device, rows=rows)
        held = self.train_data.bytes
        if self.val_ds.n:
            self.val_data = DeviceResidentSplit(self.val_ds, self.device, rows=rows_of(self.validation_batches()))
            held += self.val_data.bytes
        self.log(f"data on {self.device}: {held / 1e9:.2f} GB read in {time.perf_counter() - start:.1f} s")

    # -- the loop
    def run(self):
        torch, config, dirs = self.torch, self.config, self.dirs
        records = []
        first = 1
        if config.resume_epoch is not None:
            path = dirs.checkpoint(config.resume_epoch)
            tensors, info = ckpt.read_checkpoint(path)
            if info is None or info["model"] != config.model_config or info["feature"] != self.feature:
                raise UsageError(f"{path}: was not written by this run's model and feature settings")
            self.load_state(tensors, path)
            opt_path = ckpt.optimizer_path(path)
            ckpt.load_optimizer_state(self.optimizer, self.named_params, config.optimizer, opt_path)
            records = [r for r in dirs.read_records() if r["epoch"] <= config.resume_epoch]
            first = config.resume_epoch + 1
            self.log(f"resuming {config.run_name} after epoch {config.resume_epoch}")
        elif not self.args.overwrite and os.path.isdir(dirs.checkpoints) and \
                any(n.endswith(".safetensors") for n in os.listdir(dirs.checkpoints)):
            raise UsageError(f"{dirs.checkpoints} already holds checkpoints of this run: resume with --checkpoints N, "
                             f"choose another --experiment_name, or pass --overwrite to start over")
        elif self.args.overwrite and self.rank == 0 and os.path.exists(dirs.metrics_log):
            os.remove(dirs.metrics_log)
        board = None
        if self.rank == 0:
            for d in (dirs.checkpoints, dirs.results, dirs.logs):
                os.makedirs(d, exist_ok=True)
            self.write_resolved_config()
            from .tensorboard import TensorBoardWriter
            board = TensorBoardWriter(dirs.logs)
        best = self.best_so_far()
        n_params = sum(p.numel() for _, p in self.named_params)
        self.log(f"training {config.run_name}: {self.train_ds.n} samples, {self.val_ds.n} validation; U-Net "
                 f"{config.num_downs} levels, ngf {config.ngf}, {n_params} parameters; {config.optimizer} lr "
                 f"{settings_mod.python_float(config.learning_rate)}, batch {config.batch_size}, {config.criterion}; "
                 f"PyTorch {torch.__version__} on {self.device_type}, {self.world} process(es)"
                 + (f", amp {self.args.amp}" if self.args.amp else "")
                 + (", data on the device" if self.args.data_on_device else f", {self.workers} DataLoader worker(s)"))
        sampler = DistributedBatchSampler(self.train_ds.n, config.batch_size, config.seed, config.shuffle,
                                          self.rank, self.world)
        if self.args.data_on_device:
            from .device_data import DeviceLoader
            self.load_on_device(sampler)
            loader = DeviceLoader(self.train_data, sampler)
        else:
            loader = self.loader(self.train_ds, sampler, persistent=True)
        self.pictures = Pictures(self, board) if self.rank == 0 else None
        for epoch in range(first, config.epochs + 1):
            record = self.train_epoch(epoch, sampler, loader)
            validate = config.validation and self.val_ds.n > 0 and (
                epoch % config.validation_iter == 0 or epoch == config.epochs)
            panels = None
            if validate:
                vl, metrics, nonfinite, panels = self.validate()
                if vl is not None:
                    record["val_loss"] = vl
                record["metrics"] = metrics
                record["log10_nonfinite_pixels"] = nonfinite
            records.append(record)
            if self.rank == 0:
                dirs.write_records(records)
                scalars = [("train/loss", record["train_loss"])]
                if record.get("val_loss") is not None:
                    scalars.append(("val/loss", record["val_loss"]))
                for k in sorted(record.get("metrics") or {}):
                    scalars.append((f"val/{k}", record["metrics"][k]))
                if "log10_nonfinite_pixels" in record:
                    scalars.append(("val/log10_nonfinite_pixels", float(record["log10_nonfinite_pixels"])))
                scalars += [("time/epoch_seconds", record["seconds"]), ("train/learning_rate", config.learning_rate),
                             ("time/data_wait_seconds", record["data_seconds"]),
                             ("time/data_wait_fraction", data_wait_fraction(record))]
                if board is not None:  # a non-finite figure is left out; describe() says why
                    board.scalars([(t, v) for t, v in scalars if math.isfinite(v)], epoch)
                    steps = len(sampler)
                    for k, v in enumerate(self.iteration_losses):
                        if math.isfinite(v):
                            board.scalars([("train/loss_iter", v)], (epoch - 1) * steps + k + 1)
                if panels:
                    self.pictures.validation(epoch, panels)
                self.log(self.describe(record))
                if epoch % config.saving_checkpoints == 0 or epoch == config.epochs:
                    ckpt.save_checkpoint(dirs.checkpoint(epoch), self.raw.state_dict(), self.info(record),
                                         self.optimizer_state())
                if config.save_best_model:
                    fig = record.get("val_loss") if config.best_metric == "loss" else \
                        (record.get("metrics") or {}).get(config.best_metric)
                    if fig is not None:
                        better = best is None or (fig > best if higher_is_better(config.best_metric) else fig < best)
                        if better:
                            best = fig
                            ckpt.save_checkpoint(dirs.best, self.raw.state_dict(), self.info(record))
                            self.log(f"  best {config.best_metric} so far: {fig:.4f} -> {os.path.basename(dirs.best)}")
            self.D.barrier()
        if board is not None:
            board.close()
        return records

    def load_state(self, tensors, path):
        torch = self.torch
        sd = {(k[7:] if k.startswith("module.") else k): torch.from_numpy(np.array(v)) for k, v in tensors.items()}
        own = self.raw.state_dict()
        missing = [k for k in own if k not in sd and not k.endswith("num_batches_tracked")]
        extra = [k for k in sd if k not in own]
        if missing or extra:
            raise UsageError(f"{path}: missing tensors {missing[:5]} / unexpected {extra[:5]} for a "
                             f"{self.config.num_downs}-level U-Net with ngf {self.config.ngf}")
        for k, v in sd.items():
            if tuple(v.shape) != tuple(own[k].shape):
                raise UsageError(f"{path}: tensor {k} has shape {list(v.shape)}, the model expects {list(own[k].shape)}")
        self.raw.load_state_dict(sd, strict=False)

    def optimizer_state(self):
        return ckpt.optimizer_state(self.optimizer, self.named_params, self.config.optimizer,
                                    self.config.learning_rate, self.weight_decay)

    def train_epoch(self, epoch, sampler, loader):
        torch, config = self.torch, self.config
        self.model.train()
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        loss_sum, batches, skipped, seen, waited = 0.0, 0, 0, 0, 0.0
        self.iteration_losses = []
        params = [p for _, p in self.named_params]
        batches_iter = iter(loader)
        while True:
            # The time blocked here is the time the reader did not keep up (each step ends
            # in a host sync, loss.item(), so the device is idle while it lasts).
            t = time.perf_counter()
            try:
                audio, depth, _ = next(batches_iter)
            except StopIteration:
                break
            x, y = self.to_device(audio, depth)
            waited += time.perf_counter() - t
            with self.autocast():
                pred = self.model(x)
            sums = self.loss.sums(pred.float(), y)
            if self.world > 1:
                g = sums.detach().clone()
                self.D.all_reduce_sum(g)
                total = sums + (g - sums.detach())
                rows = torch.tensor([float(x.shape[0])], device=self.device)
                self.D.all_reduce_sum(rows)
                rows = int(rows.item())
            else:
                total, rows = sums, x.shape[0]
            if float(total[0].item()) == 0:
                skipped += 1  # no valid depth pixel in the (global) batch
                continue
            value = self.loss.from_sums(total)
            v = float(value.item())
            if not math.isfinite(v):
                raise FloatingPointError(f"epoch {epoch}: the loss became {v} (learning rate "
                                         f"{settings_mod.python_float(config.learning_rate)} too high?)")
            self.optimizer.zero_grad(set_to_none=False)
            # Each rank back-propagates world x the global loss through its own slice: DDP's
            # gradient averaging then gives exactly the 1-process gradient.
            objective = value * self.world
            if self.scaler is not None:
                self.scaler.scale(objective).backward()
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(params, config.clip_grad_norm)
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                objective.backward()
                torch.nn.utils.clip_grad_norm_(params, config.clip_grad_norm)
                self.optimizer.step()
            self.optimizer._batvision_steps = getattr(self.optimizer, "_batvision_steps", 0) + 1
            self.iteration_losses.append(v)
            loss_sum += v
            batches += 1
            seen += rows
        seconds = time.perf_counter() - start
        return {"epoch": epoch, "train_loss": loss_sum / batches if batches else float("nan"), "seconds": seconds,
                "samples_per_s": seen / max(seconds, 1e-9), "skipped_batches": skipped, "data_seconds": waited}

    def validate(self):
        """Eval-mode pass over the validation split in order, batches of --batch_size:
        the mean batch loss, the mean per-sample metrics, the non-finite log10 pixels and
        the first prediction_samples samples' maps in metres (for the picture). Under DDP
        the ranks take whole batches round-robin and rank 0 gathers."""
        torch = self.torch
        self.raw.eval()
        mine = self.validation_batches()
        results = []  # (batch number, loss or None, per-sample metrics, non-finite log10 pixels)
        panels = []   # (index, gt, pred) in metres, of the first prediction_samples samples
        want = max(self.s.int("prediction_samples"), 0)
        loader = self.val_data.batches(mine) if self.val_data is not None else self.loader(self.val_ds, mine)
        with torch.no_grad():
            for k, (audio, depth, index) in enumerate(loader):
                x, y = self.to_device(audio, depth)
                with self.autocast():
                    pred = self.raw(x)
                pred = pred.float()
                s = self.loss.sums(pred, y)
                lv = float(self.loss.from_sums(s).item()) if float(s[0].item()) > 0 else None
                # Metres once (float32, as the Swift tool scales), for the metrics and the panels.
                gt = y.cpu().numpy().astype(np.float32, copy=False) * np.float32(self.scale)
                pr = pred.cpu().numpy().astype(np.float32, copy=False) * np.float32(self.scale)
                results.append((k * self.world + self.rank, lv, batch_errors(gt, pr), log10_nonfinite(gt, pr)))
                for r, i in enumerate(np.asarray(index).tolist()):
                    if i < want:
                        panels.append((i, gt[r], pr[r]))
        self.raw.train()
        if self.world > 1:
            gathered = [None] * self.world
            torch.distributed.all_gather_object(gathered, (results, panels))
            results = sorted((r for part, _ in gathered for r in part), key=lambda r: r[0])
            panels = [p for _, part in gathered for p in part]
        losses = [lv for _, lv, _, _ in results if lv is not None]
        rows = [row for _, _, rs, _ in results for row in rs]
        return ((sum(losses) / len(losses) if losses else None), mean_metrics(rows), sum(n for *_, n in results),
                sorted(panels, key=lambda p: p[0]))

    def best_so_far(self):
        if self.config.resume_epoch is None or not os.path.exists(self.dirs.best):
            return None
        try:
            _, info = ckpt.read_checkpoint(self.dirs.best)
        except (OSError, ValueError):
            return None
        if info is None or info["epoch"] > self.config.resume_epoch:
            return None
        return (info.get("metrics") or {}).get(self.config.best_metric)

    def describe(self, r):
        c = self.config
        s = (f"epoch {r['epoch']:3d}/{c.epochs}  train_loss {r['train_loss']:.4f}  {r['seconds']:.1f} s "
             f"({r['samples_per_s']:.0f} samples/s, data wait {100 * data_wait_fraction(r):.0f} %)")
        if r.get("val_loss") is not None:
            s += f"  val_loss {r['val_loss']:.4f}"
        if r.get("metrics"):
            s += "  " + " ".join(f"{k} {r['metrics'].get(k, float('nan')):.4f}" for k in METRIC_NAMES)
        if r.get("log10_nonfinite_pixels"):
            s += f"  (log10 is the reference's: infinite where {r['log10_nonfinite_pixels']} valid pixel(s) were predicted 0)"
        if r["skipped_batches"]:
            s += f"  ({r['skipped_batches']} batches without valid depth skipped)"
        return s

    def write_resolved_config(self):
        s = self.s
        lines = [f"# Resolved settings of {self.config.run_name}: value  # origin"]
        for k in sorted(s.values):
            lines.append(f"{k}: {s.values[k]}  # {s.origins.get(k, '?')}")
        lines.append(f"# trained by batvision_cache.train: PyTorch {self.torch.__version__}, {self.device_type}, "
                     f"world size {self.world}, cache {self.cache_path}")
        with open(os.path.join(self.dirs.logs, "config.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")


def data_wait_fraction(record):
    """The share of the epoch spent waiting for data (EpochRecord.dataWaitFraction)."""
    seconds = record.get("seconds") or 0.0
    return min(1.0, record.get("data_seconds", 0.0) / seconds) if seconds > 0 else 0.0


class Pictures:
    """The validation prediction sheet of each validated epoch, drawn as ``batvision train``
    draws it: the panels go into a prediction file (PredictionArchive's layout), ``batvision
    sheet --png_only`` draws results/<run>/epoch_NNNN_prediction.png, and TensorBoard shows it
    every validation_display epochs. Without a batvision binary: one note, no pictures."""

    def __init__(self, trainer, board):
        self.trainer, self.board = trainer, board
        self.binary = trainer.args.batvision
        self.available = shutil.which(self.binary) is not None or os.path.exists(self.binary)
        self.noted = False

    def validation(self, epoch, panels):
        t = self.trainer
        if not self.available:
            if not self.noted:
                t.log(f"note: no batvision binary ({self.binary}): no prediction pictures (set --batvision or BATVISION_BIN)")
                self.noted = True
            return
        png = os.path.join(t.dirs.results, f"epoch_{epoch:04d}_prediction.png")
        with tempfile.TemporaryDirectory(dir=t.dirs.results) as tmp:
            archive = os.path.join(tmp, "predictions.h5")
            write_prediction_archive(archive, panels, t.val_ds, epoch)
            r = subprocess.run([self.binary, "sheet", "--predictions", archive, "--out", png[:-4], "--png_only",
                                "--rows", str(len(panels)), "--title", f"validation, epoch {epoch}"],
                               capture_output=True, text=True)
        if r.returncode != 0:
            t.log(f"note: the epoch {epoch} picture failed ({self.binary} sheet, exit {r.returncode}): "
                  f"{r.stderr.strip()[:300]}")
            return
        display = t.s.int("validation_display")
        if self.board is not None and display > 0 and epoch % display == 0:
            with open(png, "rb") as f:
                self.board.png_image("val/prediction", f.read(), epoch)


def write_prediction_archive(path, panels, ds, epoch):
    """Samples' maps in metres as ``eval --save_predictions`` lays them out (PredictionArchive.swift):
    /gt, /pred [N, 1, S, S] float32, /sample and /split ids, the features' config, complete = 1."""
    import h5py
    ids = ds.sample_ids
    names = [ids[i] if i < len(ids) else f"{ds.split}/{i}" for i, _, _ in panels]
    width = max(1, max(len(n.encode()) for n in names))
    with h5py.File(path, "w") as f:
        f.create_dataset("gt", data=np.stack([g for _, g, _ in panels]).astype(np.float32))
        f.create_dataset("pred", data=np.stack([p for _, _, p in panels]).astype(np.float32))
        f.create_dataset("sample", data=np.array([n.encode() for n in names], dtype=f"S{width}"))
        f.create_dataset("split", data=np.array([ds.split.encode()] * len(names), dtype="S5"))
        # Fixed-length strings, as the Swift tool writes and reads its attributes.
        if "feature_config" in ds.attrs:
            f.attrs["feature_config"] = np.bytes_(str(ds.attrs["feature_config"]).encode())
        f.attrs["epoch"] = np.int64(epoch)
        f.attrs["units"] = np.bytes_(b"metres")
        f.attrs["complete"] = np.int64(1)


class RunDirectories:
    """checkpoints/<run>/, results/<run>/, logs/<run>/ under --output_dir (RunDirectories.swift)."""

    best_name = "best_model.safetensors"

    def __init__(self, output_dir, run):
        self.checkpoints = os.path.join(output_dir, "checkpoints", run)
        self.results = os.path.join(output_dir, "results", run)
        self.logs = os.path.join(output_dir, "logs", run)
        self.best = os.path.join(self.checkpoints, self.best_name)
        self.metrics_log = os.path.join(self.logs, "metrics.jsonl")

    def checkpoint(self, epoch):
        return os.path.join(self.checkpoints, f"checkpoint_{epoch}.safetensors")

    def read_records(self):
        """metrics.jsonl's records (unreadable lines skipped, as Swift does)."""
        out = []
        if not os.path.exists(self.metrics_log):
            return out
        with open(self.metrics_log) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                r = ckpt._unfinite(r)
                out.append(r)
        return out

    def write_records(self, records):
        """Rewrites metrics.jsonl: one sorted-key JSON object per epoch, keys epoch,
        train_loss, seconds, samples_per_s, skipped_batches and, when validated,
        val_loss and metrics (EpochRecord.swift)."""
        keys = ("epoch", "train_loss", "seconds", "samples_per_s", "skipped_batches", "val_loss", "metrics",
                "log10_nonfinite_pixels", "data_seconds")
        text = "".join(ckpt.dumps({k: r[k] for k in keys if r.get(k) is not None}) + "\n" for r in records)
        tmp = self.metrics_log + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.metrics_log)


def main(argv=None):
    args = build_parser().parse_args(argv)
    flags = {k: getattr(args, k) for k in SETTING_FLAGS
             if getattr(args, k) is not None}
    switches = [k for k in settings_mod.TRAIN_SWITCHES if getattr(args, k)]
    try:
        s = settings_mod.load(args.dataset, args.conf_dir, flags, switches)
        path = resolve_cache(args, s)
        settings_from_cache(s, BatvisionCache(path, "train"))
        config = settings_mod.TrainingConfig(s)
        if s.bool("use_wandb") and s["wandb_mode"] != "disabled":
            print(f"note: this trainer does not log to W&B itself; metrics go to logs/{config.run_name}/metrics.jsonl "
                  f"and TensorBoard event files, and `batvision wandb-sync logs/{config.run_name}` uploads them", file=sys.stderr)
        trainer = Trainer(args, s, config, path)
        records = trainer.run()
    except (UsageError, ValueError, CacheError, FileNotFoundError, FloatingPointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    if trainer.rank == 0:
        last = next((r for r in reversed(records) if r.get("metrics")), None)
        if last:
            print(f"validation after epoch {last['epoch']}: " +
                  "  ".join(f"{k} {last['metrics'][k]:.4f}" for k in METRIC_NAMES))
        print(f"checkpoints: {trainer.dirs.checkpoints}")
    if trainer.world > 1:
        trainer.torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
