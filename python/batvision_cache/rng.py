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


# ----------------------------------------------------------------------------- fast path
def _state_bits(s):
    bits = np.zeros(256, np.uint8)
    for w, v in enumerate(s):
        for b in range(64):
            bits[w * 64 + b] = (v >> b) & 1
    return bits


def _bits_state(bits):
    out = []
    for w in range(4):
        v = 0
        for b in range(64):
            if bits[w * 64 + b]:
                v |= 1 << b
        out.append(v)
    return out


def _transition_matrix():
    """The xoshiro256 state update as a 256x256 matrix over GF(2) (it is linear)."""
    m = np.zeros((256, 256), np.uint8)
    r = SeededRandom(0)
    for i in range(256):
        basis = [0, 0, 0, 0]
        basis[i // 64] = 1 << (i % 64)
        r.s0, r.s1, r.s2, r.s3 = basis
        r.next()
        m[:, i] = _state_bits((r.s0, r.s1, r.s2, r.s3))
    return m


def _gf2_matmul(a, b):
    return (a.astype(np.int64) @ b.astype(np.int64) % 2).astype(np.uint8)


def _gf2_power(m, k):
    result = np.eye(256, dtype=np.uint8)
    base = m
    while k:
        if k & 1:
            result = _gf2_matmul(result, base)
        base = _gf2_matmul(base, base)
        k >>= 1
    return result


def stream(seed, stream_id, count):
    """The first ``count`` outputs of ``SeededRandom(seed, stream_id).next()`` as uint64,
    computed in parallel lanes: the state update is linear over GF(2), so the state
    L steps ahead is a 256x256 bit-matrix times the state; each lane then runs L steps
    with numpy. Equal to calling next() ``count`` times."""
    count = int(count)
    if count <= 0:
        return np.zeros(0, np.uint64)
    lanes = max(1, min(8192, count // 512))
    length = -(-count // lanes)
    jump = _gf2_power(_transition_matrix(), length).astype(np.int64)
    r = SeededRandom(seed, stream_id)
    states = np.zeros((lanes, 4), np.uint64)
    bits = _state_bits((r.s0, r.s1, r.s2, r.s3)).astype(np.int64)
    for j in range(lanes):
        states[j] = _bits_state(bits)
        bits = jump @ bits % 2
    s0, s1, s2, s3 = (states[:, k].copy() for k in range(4))
    out = np.empty((lanes, length), np.uint64)
    u = np.uint64
    with np.errstate(over="ignore"):
        for t in range(length):
            m = s1 * u(5)
            out[:, t] = ((m << u(7)) | (m >> u(57))) * u(9)
            tt = s1 << u(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= tt
            s3 = (s3 << u(45)) | (s3 >> u(19))
    return out.reshape(-1)[:count]


def swift_init_values_fast(shapes, seed):
    """``swift_init_values`` with the generator in numpy lanes (``stream``) and log and
    cos as libm computes them (what Foundation calls), so the values are the same bits:
    about 15 s for unet_256 (54M parameters) instead of minutes."""
    import math
    drawn = [(n, s) for n, s in shapes if not n.endswith(".bias")]
    total = sum(int(np.prod(s)) if len(s) else 1 for _, s in drawn)
    raw = stream(seed, 0x1E17, 2 * total)
    scale = 2.0 ** -53
    u1 = np.maximum((raw[0::2] >> np.uint64(11)).astype(np.float64) * scale, 1e-300)
    u2 = (raw[1::2] >> np.uint64(11)).astype(np.float64) * scale
    log, cos, sqrt, two_pi = math.log, math.cos, math.sqrt, 2 * math.pi

    def exact(a, b):
        return np.fromiter((sqrt(-2 * log(x)) * cos(two_pi * y) for x, y in zip(a.tolist(), b.tolist())),
                           dtype=np.float64, count=len(a))

    # numpy's log and cos are libm's on common builds (then 50x faster); checked on a
    # sample, and libm element by element where they are not.
    z = np.sqrt(-2 * np.log(u1)) * np.cos(two_pi * u2)
    probe = np.linspace(0, total - 1, num=min(total, 20000)).astype(np.int64)
    if not np.array_equal(z[probe], exact(u1[probe], u2[probe])):
        z = exact(u1, u2)
    out, k = {}, 0
    for name, shape in shapes:
        if name.endswith(".bias"):
            out[name] = np.zeros(shape, np.float32)
            continue
        n = int(np.prod(shape)) if len(shape) else 1
        base = 1.0 if len(shape) == 1 else 0.0
        out[name] = (base + 0.02 * z[k:k + n]).astype(np.float32).reshape(shape)
        k += n
    return out
