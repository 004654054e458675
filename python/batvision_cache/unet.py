"""The Batvision baseline U-Net (pix2pix generator), SPEC section 4.

Module attribute names reproduce the reference state_dict exactly (the goldens'
``state_dict_keys``), so checkpoints move between PyTorch, ``batvision train`` and
``batvision eval``.
"""
import functools

import torch
import torch.nn as nn

from .settings import GENERATORS, model_config  # noqa: F401 (re-exported)


class UnetBlock(nn.Module):
    """One U-Net level (the reference's Block / pix2pix UnetSkipConnectionBlock)."""

    def __init__(self, outer, inner, input_nc=None, sub=None, outermost=False, innermost=False,
                 depth_norm=True):
        super().__init__()
        self.outermost = outermost
        norm = functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
        input_nc = input_nc or outer
        down = nn.Conv2d(input_nc, inner, 4, 2, 1, bias=False)
        if outermost:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1)
            head = nn.Sigmoid() if depth_norm else nn.ReLU()
            layers = [down, sub, nn.ReLU(True), up, head]
        elif innermost:
            up = nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False)
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), up, norm(outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False)
            layers = [nn.LeakyReLU(0.2, True), down, norm(inner), sub, nn.ReLU(True), up, norm(outer)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        y = self.model(x)
        return y if self.outermost else torch.cat([x, y], 1)


class UNet(nn.Module):
    """``UNet(input_nc, output_nc, num_downs, ngf, depth_norm)``; unet_256 = 8 levels,
    unet_128 = 7. Input sides must be multiples of 2**num_downs."""

    def __init__(self, input_nc=2, output_nc=1, num_downs=8, ngf=64, depth_norm=True):
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs {num_downs}: the U-Net needs at least 5 levels")
        self.config = model_config(num_downs, ngf, depth_norm, input_nc, output_nc)
        b = UnetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            b = UnetBlock(ngf * 8, ngf * 8, sub=b)
        b = UnetBlock(ngf * 4, ngf * 8, sub=b)
        b = UnetBlock(ngf * 2, ngf * 4, sub=b)
        b = UnetBlock(ngf, ngf * 2, sub=b)
        self.model = UnetBlock(output_nc, ngf, input_nc=input_nc, sub=b, outermost=True, depth_norm=depth_norm)

    def forward(self, x):
        return self.model(x)

    @classmethod
    def from_config(cls, cfg):
        return cls(cfg["inputChannels"], cfg["outputChannels"], cfg["numDowns"], cfg["ngf"], cfg["depthNorm"])




def init_swift(net, seed):
    """The initial weights ``batvision train --seed S`` starts from (UNet.initialize),
    bit for bit; BatchNorm running statistics reset."""
    from .rng import swift_init_values_fast
    params = list(net.named_parameters())
    values = swift_init_values_fast([(n, tuple(p.shape)) for n, p in params], seed)
    with torch.no_grad():
        for n, p in params:
            p.copy_(torch.from_numpy(values[n]))
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.reset_running_stats()


def init_torch(net, seed):
    """The reference's init with torch's generator (same law as init_swift, other values)."""
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.normal_(0.0, 0.02, generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.normal_(1.0, 0.02, generator=gen)
                m.bias.zero_()
                m.reset_running_stats()
