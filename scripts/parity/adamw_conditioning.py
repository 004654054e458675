"""Evidence for docs/parity.md: PyTorch itself, rerun here on the goldens' own weights
and batch, misses `weights_after` at 1e-5 relative where |grad| is near AdamW's eps.

    REFERENCE=../shared/reference python3 scripts/parity/adamw_conditioning.py
(needs torch and safetensors; not run in CI)."""
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.environ.get("REFERENCE", "../shared/reference"))
import make_goldens as mg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLD = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "goldens")


def run(case, dtype, threads):
    torch.set_num_threads(threads)
    net = mg.UNet(2, 1, case["num_downs"], case["ngf"], case["depth_norm"])
    net.load_state_dict(load_file(os.path.join(GOLD, "model", case["name"] + ".weights_before.safetensors")))
    net = net.to(dtype)
    b = load_file(os.path.join(GOLD, "model", case["name"] + ".batch.safetensors"))
    x, y = b["input"].to(dtype), b["target"].to(dtype)
    opt = torch.optim.AdamW(net.parameters(), lr=case["lr"])
    net.train()
    loss = mg.loss_fn(net(x), y, case)
    opt.zero_grad()
    loss.backward()
    grads = {k: p.grad.detach().double().clone() for k, p in net.named_parameters()}
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()
    return {k: v.detach().double() for k, v in net.state_dict().items()}, grads


def main():
    text = open(os.path.join(GOLD, "index.json")).read()
    for bad in ("-Infinity", "Infinity", "NaN"):
        text = text.replace(bad, "0")
    for case in json.loads(text)["model"]:
        gold = {k: v.double() for k, v in
                load_file(os.path.join(GOLD, "model", case["name"] + ".weights_after.safetensors")).items()}
        for label, (dtype, threads) in {"float32, 1 thread": (torch.float32, 1),
                                        "float32, 2 threads": (torch.float32, 2),
                                        "float64": (torch.float64, 2)}.items():
            w, g = run(case, dtype, threads)
            worst, over, worst_conditioned = 0.0, 0, 0.0
            for k, v in gold.items():
                if v.dtype == torch.int64 or v.numel() == 0 or not v.is_floating_point():
                    continue
                scale = v.abs().max().item()
                err = ((w[k] - v).abs() / scale)
                worst = max(worst, err.max().item())
                over += int(err.max().item() > 1e-5)
                if k in g:
                    mask = g[k].abs() >= 1e-6
                    if mask.any():
                        worst_conditioned = max(worst_conditioned, err[mask].max().item())
                else:
                    worst_conditioned = max(worst_conditioned, err.max().item())
            print(f"{case['name']:22s} {label:19s} worst {worst:.2e}  tensors over 1e-5: {over:2d}  "
                  f"worst where |g| >= 1e-6: {worst_conditioned:.2e}")


if __name__ == "__main__":
    main()
