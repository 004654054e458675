"""The baseline's masked depth losses (SPEC section 4), as sums that add up across ranks.

Only pixels with gt > 0 count; with depth_norm, prediction and gt are multiplied by
max_depth first (loss in metres). L1 = mean |p - g|; SIlog = sqrt(mean d^2 -
lambda mean(d)^2), d = log(max(p, 1e-6)) - log(g); Combined = l1_weight L1 +
silog_weight SIlog.

The loss of a batch is a function of four sums over its valid pixels (count, sum |p-g|,
sum d, sum d^2). Under DDP each rank computes its own sums, the ranks add them, and every
rank evaluates the loss of the whole global batch: exactly the 1-process loss, not a mean
of per-rank means.
"""
import torch

from .settings import SPECS, default

EPS = 1e-6


class DepthLoss:
    """The criterion and weights default to the tool's settings (settings.json)."""

    def __init__(self, criterion=default("criterion"), l1_weight=float(default("l1_weight")),
                 silog_weight=float(default("silog_weight")), silog_lambda=float(default("silog_lambda")),
                 depth_norm=True, max_depth=1.0):
        if criterion not in SPECS["criterion"]["choices"]:
            raise ValueError(f"criterion {criterion!r}: expected {', '.join(SPECS['criterion']['choices'])}")
        self.criterion = criterion
        self.l1_weight, self.silog_weight, self.silog_lambda = float(l1_weight), float(silog_weight), float(silog_lambda)
        self.depth_norm, self.max_depth = bool(depth_norm), float(max_depth)

    def sums(self, pred, gt):
        """[count, sum|p-g|, sum d, sum d^2] over the valid pixels, float32 (differentiable)."""
        pred = pred.float()
        valid = gt > 0
        p, g = pred[valid], gt[valid].float()
        if self.depth_norm:
            p, g = p * self.max_depth, g * self.max_depth
        n = valid.sum().to(pred.dtype)
        abs_sum = (p - g).abs().sum()
        if self.criterion == "L1":
            zero = abs_sum * 0
            return torch.stack([n, abs_sum, zero, zero])
        d = torch.log(torch.clamp(p, min=EPS)) - torch.log(g)
        return torch.stack([n, abs_sum, d.sum(), (d * d).sum()])

    def from_sums(self, s):
        """The loss from (possibly globally reduced) sums; NaN when no pixel is valid."""
        n = s[0]
        l1 = s[1] / n
        if self.criterion == "L1":
            return l1
        mean_d = s[2] / n
        silog = torch.sqrt(s[3] / n - self.silog_lambda * mean_d * mean_d)
        if self.criterion == "SIlog":
            return silog
        return self.l1_weight * l1 + self.silog_weight * silog

    def __call__(self, pred, gt):
        return self.from_sums(self.sums(pred, gt))
