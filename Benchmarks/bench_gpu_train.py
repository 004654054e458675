"""GPU training-step throughput of the PyTorch trainer's step (`batvision_cache.train`:
U-Net forward under the chosen precision, Combined loss in float32, backward, clipping
to total norm 1, AdamW), on random inputs already on the GPU: the ceiling a data loader
has to feed. It leaves out what `train_epoch` adds around the same operations (reading each
loss back to the host, the DDP loss reductions, the skip of batches without valid depth),
so the trainer's own samples/s sit somewhat below. One JSON line per configuration and
precision.

    python Benchmarks/bench_gpu_train.py [--configs 8,64,256,64 ...] [--steps 20] [--warmup 5]

Precisions: fp32 (TF32 off: exact float32 convolutions), tf32 (PyTorch's default for
cuDNN convolutions) and bf16 (`--amp`, autocast bfloat16). Needs torch with CUDA and the
package (pip install ./python, or PYTHONPATH=python).
"""
import argparse
import json
import time

import torch

from batvision_cache.losses import DepthLoss
from batvision_cache.settings import default
from batvision_cache.unet import UNet


def step_time(num_downs, ngf, size, batch, precision, steps, warmup):
    torch.backends.cudnn.allow_tf32 = precision != "fp32"
    torch.backends.cuda.matmul.allow_tf32 = precision != "fp32"
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    model = UNet(2, 1, num_downs, ngf, True).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss = DepthLoss(depth_norm=True, max_depth=1.0)  # the settings' default criterion and weights
    g = torch.Generator(device=dev).manual_seed(0)
    x = torch.randn(batch, 2, size, size, device=dev, generator=g)
    y = torch.rand(batch, 1, size, size, device=dev, generator=g) * 0.9 + 0.05
    params = list(model.parameters())

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
            pred = model(x)
        value = loss(pred.float(), y)
        opt.zero_grad(set_to_none=False)
        value.backward()
        torch.nn.utils.clip_grad_norm_(params, float(default("clip_grad_norm")))
        opt.step()
        return value

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        v = step()
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / steps
    assert torch.isfinite(v).item()
    return dt, torch.cuda.max_memory_allocated() / 2**30


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--configs", nargs="+", default=["6,16,64,256", "7,64,128,128", "8,64,256,64"],
                   help="num_downs,ngf,size,batch")
    p.add_argument("--precisions", nargs="+", default=["fp32", "tf32", "bf16"])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    args = p.parse_args()
    name = torch.cuda.get_device_name(0)
    for c in args.configs:
        nd, ngf, size, batch = map(int, c.split(","))
        for prec in args.precisions:
            torch.cuda.reset_peak_memory_stats()
            dt, gib = step_time(nd, ngf, size, batch, prec, args.steps, args.warmup)
            print(json.dumps({"bench": "gpu_train", "device": name, "torch": torch.__version__, "num_downs": nd,
                              "ngf": ngf, "size": size, "batch": batch, "precision": prec,
                              "seconds_per_step": round(dt, 5), "samples_per_s": round(batch / dt, 1),
                              "peak_gib": round(gib, 2)}), flush=True)


if __name__ == "__main__":
    main()
