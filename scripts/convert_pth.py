#!/usr/bin/env python3
"""Convert a PyTorch checkpoint of the Batvision U-Net baseline to safetensors for
`batvision eval --checkpoint OUT.safetensors`.

    python3 scripts/convert_pth.py model.pth OUT.safetensors

Accepts a bare state_dict or a dict holding one under `state_dict` (or `model`,
`model_state_dict`, `net`), with or without DataParallel's `module.` prefix. Needs torch
and safetensors (pip install torch safetensors); nothing else of this tool.
The U-Net's shape (levels, ngf) is read back from the tensors by `eval`; give it the
feature settings the model was trained with (--dataset, --audio_format, --images_size,
--max_depth, --depth_norm) so it finds the right cache.
"""
import sys


def extract_state_dict(obj):
    """The state_dict inside a loaded checkpoint, `module.` prefixes removed."""
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model", "net"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        raise SystemExit("error: no state_dict found in the checkpoint")
    out = {}
    for k, v in obj.items():
        if not hasattr(v, "contiguous"):
            continue  # optimizer scalars and the like
        name = k[len("module."):] if k.startswith("module.") else k
        out[name] = v.detach().cpu().contiguous()
    return out


def main(argv):
    if len(argv) != 3:
        raise SystemExit(__doc__)
    import torch
    from safetensors.torch import save_file
    obj = torch.load(argv[1], map_location="cpu", weights_only=False)
    sd = extract_state_dict(obj)
    sd = {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}
    save_file(sd, argv[2], metadata={"format": "pt", "source": argv[1]})
    print(f"wrote {argv[2]}: {len(sd)} tensors")


if __name__ == "__main__":
    main(sys.argv)
