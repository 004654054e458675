"""The few DDP pieces the trainer needs: process-group set-up from torchrun's variables,
reductions, and BatchNorm with global batch statistics.

BatchNorm under DDP: each rank sees a slice of the global batch, so plain BatchNorm
would normalise with per-slice statistics and the training would differ from a
1-process run with the same global batch. The trainer converts every BatchNorm to one
whose training statistics are those of the global batch: torch's ``SyncBatchNorm`` on
CUDA (NCCL), and ``GlobalBatchNorm2d`` below elsewhere (gloo on CPU; it also accepts
a rank whose slice is empty, when a short last batch has fewer rows than ranks). Both
keep the state_dict names and shapes of ``nn.BatchNorm2d``.
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn


def env_world():
    """(rank, local_rank, world_size) from torchrun's environment (0, 0, 1 without it)."""
    return (int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")),
            int(os.environ.get("WORLD_SIZE", "1")))


def setup(device_type):
    rank, local_rank, world = env_world()
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        if device_type == "cuda":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    return rank, local_rank, world


def world_size():
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def all_reduce_sum(t):
    if world_size() > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def barrier():
    if world_size() > 1:
        dist.barrier()


class _AllReduceSum(torch.autograd.Function):
    """Differentiable all-reduce (sum): the backward pass sums the gradients of every rank
    (each rank's loss depends on the reduced value through its own slice only)."""

    @staticmethod
    def forward(ctx, t):
        out = t.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad):
        g = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(g, op=dist.ReduceOp.SUM)
        return g


def _ar(t):
    return _AllReduceSum.apply(t)


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are over the whole global batch (all ranks):
    mean, then the biased variance around it (two reductions, as PyTorch's CPU kernel
    computes them), running statistics moved with the unbiased variance."""

    def forward(self, x):
        if not (self.training and world_size() > 1):
            return super().forward(x)
        c = x.shape[1]
        xf = x.float()
        n_local = torch.tensor([float(xf.numel() // c)], dtype=torch.float64, device=x.device)
        s1 = _ar(torch.cat([xf.sum(dim=(0, 2, 3)).double(), n_local]))
        n = s1[c]
        mean = s1[:c] / n
        centred = xf - mean.float().view(1, c, 1, 1)
        var = _ar((centred.double() ** 2).sum(dim=(0, 2, 3))) / n
        if self.track_running_stats:
            with torch.no_grad():
                m = self.momentum
                unbiased = var * (n / (n - 1)) if float(n) > 1 else var
                self.running_mean.copy_((m * mean + (1 - m) * self.running_mean.double()).to(self.running_mean.dtype))
                self.running_var.copy_((m * unbiased + (1 - m) * self.running_var.double()).to(self.running_var.dtype))
                self.num_batches_tracked.add_(1)
        inv = torch.rsqrt(var + self.eps).float().view(1, c, 1, 1)
        y = centred * inv
        if self.affine:
            y = y * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)
        return y.to(x.dtype)


def convert_global_batchnorm(module):
    """Every BatchNorm2d of ``module`` as a GlobalBatchNorm2d (same parameters and buffers)."""
    out = module
    if isinstance(module, nn.BatchNorm2d) and not isinstance(module, GlobalBatchNorm2d):
        out = GlobalBatchNorm2d(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats)
        with torch.no_grad():
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
        out.train(module.training)
    for name, child in module.named_children():
        out.add_module(name, convert_global_batchnorm(child))
    return out


def global_batchnorm(model, device_type):
    if world_size() <= 1:
        return model
    if device_type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return convert_global_batchnorm(model)
