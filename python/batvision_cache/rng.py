"""The Swift tool's random generator, bit for bit (Sources/Ingest/Synthetic/SeededRandom.swift).

xoshiro256** seeded through SplitMix64, plus the two Swift standard-library algorithms the
tool draws through it: ``Array.shuffle(using:)`` (Fisher-Yates from the front) and
``RandomNumberGenerator.next(upperBound:)`` (Lemire's nearly divisionless method). With
them, ``epoch_order`` gives exactly ``BatchStream.epochOrder`` and ``swift_init_values``
exactly the U-Net's initial weights of ``batvision train --seed S``.
"""
import math

import numpy as np

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class SeededRandom:
    """``SeededRandom(seed:stream:)`` of the Swift tool."""

    __slots__ = ("s0", "s1", "s2", "s3")

    def __init__(self, seed, stream=0):
        x = (seed + ((_GOLDEN * ((stream + 1) & _M64)) & _M64)) & _M64
        out = []
        for _ in range(4):
            x = (x + _GOLDEN) & _M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
            out.append(z ^ (z >> 31))
        self.s0, self.s1, self.s2, self.s3 = out

    def next(self):
        s0, s1, s2, s3 = self.s0, self.s1, self.s2, self.s3
        m = (s1 * 5) & _M64
        result = ((((m << 7) | (m >> 57)) & _M64) * 9) & _M64
        t = (s1 << 17) & _M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & _M64
        self.s0, self.s1, self.s2, self.s3 = s0, s1, s2, s3
        return result

    def next_below(self, upper):
        """Swift's ``next(upperBound:)``: Lemire's method on the full-width product."""
        r = self.next()
        m = r * upper
        low = m & _M64
        if low < upper:
            t = ((1 << 64) - upper) % upper
            while low < t:
                r = self.next()
                m = r * upper
                low = m & _M64
        return m >> 64

    def normal(self):
        """Box-Muller, as ``SeededRandom.normal()`` (libm log and cos, like Foundation's)."""
        u1 = max((self.next() >> 11) * 2.0 ** -53, 1e-300)
        u2 = (self.next() >> 11) * 2.0 ** -53
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def swift_shuffle(items, rng):
    """``MutableCollection.shuffle(using:)`` of the Swift standard library, in place."""
    amount = len(items)
    i = 0
    while amount > 1:
        j = rng.next_below(amount)
        amount -= 1
        items[i], items[i + j] = items[i + j], items[i]
        i += 1
    return items


def epoch_order(count, shuffle, seed, epoch):
    """The training order of one epoch, as ``BatchStream.epochOrder`` (one split): the
    indices 0..<count, shuffled by ``SeededRandom(seed, stream: epoch + 0x5EED)``."""
    order = list(range(count))
    if shuffle:
        swift_shuffle(order, SeededRandom(seed, (epoch + 0x5EED) & _M64))
    return np.asarray(order, dtype=np.int64)


def swift_init_values(shapes, seed):
    """``UNet.initialize(seed:)``: for (name, shape) in ``named_parameters`` order, biases
    0, 1-D (BatchNorm) weights Float(1 + 0.02 N(0,1)), others Float(0.02 N(0,1)), drawn
    from ``SeededRandom(seed, stream: 0x1E17)``. Returns float32 arrays by name.
    Pure Python: about 1.5 s per million parameters."""
    rng = SeededRandom(seed, 0x1E17)
    out = {}
    for name, shape in shapes:
        n = int(np.prod(shape)) if len(shape) else 1
        if name.endswith(".bias"):
            out[name] = np.zeros(shape, np.float32)
            continue
        base = 1.0 if len(shape) == 1 else 0.0
        draw = rng.normal
        vals = np.fromiter((base + 0.02 * draw() for _ in range(n)), dtype=np.float64, count=n)
        out[name] = vals.astype(np.float32).reshape(shape)
    return out
