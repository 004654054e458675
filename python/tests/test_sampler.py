"""The epoch order: Swift's BatchStream order bit for bit, and its DDP partition."""
import numpy as np
import pytest

from batvision_cache import DistributedBatchSampler, EpochShuffleSampler, SeededRandom, epoch_order
from batvision_cache.rng import swift_init_values

# Printed by a Swift program using Sources/Ingest/Synthetic/SeededRandom.swift and the
# standard library's Array.shuffle(using:) / Int.random(in:using:) (Swift 6.3.1).
SWIFT_ORDERS = {
    (10, 0, 1): [1, 0, 3, 5, 8, 4, 9, 6, 2, 7],
    (10, 0, 2): [8, 9, 3, 1, 2, 7, 5, 6, 4, 0],
    (37, 7, 3): [20, 34, 13, 16, 25, 28, 18, 31, 17, 19, 14, 1, 2, 6, 5, 21, 22, 15, 30, 10, 24, 29, 36, 33, 7,
                 12, 11, 8, 4, 3, 23, 26, 9, 27, 35, 32, 0],
}


def test_epoch_order_is_swifts():
    for (n, seed, epoch), want in SWIFT_ORDERS.items():
        assert epoch_order(n, True, seed, epoch).tolist() == want
    big = epoch_order(1000, True, 123, 80)
    assert sum((i * 31 + 7) * int(e) for i, e in enumerate(big)) == 7843634642
    assert epoch_order(5, False, 3, 9).tolist() == [0, 1, 2, 3, 4]


def test_generator_is_swifts():
    r = SeededRandom(5, 0)
    assert [r.next_below((1 << 62) + 12345) for _ in range(6)] == [
        2137604923013747987, 3445317746078473201, 1394220941487924430, 3662025069035965451,
        1144338674865370831, 3689845900452235308]
    # UNet.initialize(seed: 0)'s first values: Float(0.02 * normal()) from stream 0x1E17.
    v = swift_init_values([("model.model.0.weight", (5, 1, 1, 1))], 0)["model.model.0.weight"].ravel()
    want = np.array([-0.027340304, 0.015040361, -0.024664594, 0.026903143, -0.04530868], np.float32)
    assert np.array_equal(v, want)


@pytest.mark.parametrize("n,batch,world", [(29, 8, 2), (29, 7, 2), (30, 10, 3), (5, 8, 4), (101, 16, 4), (9, 9, 1)])
def test_ranks_partition_every_global_batch(n, batch, world):
    for epoch in (1, 2):
        parts = []
        for rank in range(world):
            s = DistributedBatchSampler(n, batch, seed=11, rank=rank, world_size=world)
            s.set_epoch(epoch)
            parts.append(list(s))
            assert len(s) == len(parts[-1]) == -(-n // batch)
        globals_ = DistributedBatchSampler(n, batch, seed=11, rank=0, world_size=1, epoch=epoch).global_batches()
        order = epoch_order(n, True, 11, epoch).tolist()
        for b, g in enumerate(globals_):
            union = [i for rank in range(world) for i in parts[rank][b]]
            assert union == g.tolist() == order[b * batch:(b + 1) * batch]
            sizes = [len(parts[rank][b]) for rank in range(world)]
            assert max(sizes) - min(sizes) <= 1
        seen = sorted(i for p in parts for batch_ in p for i in batch_)
        assert seen == list(range(n))  # every sample exactly once per epoch


def test_epochs_differ_and_repeat():
    a = DistributedBatchSampler(50, 10, seed=1, rank=0, world_size=1)
    a.set_epoch(1)
    e1 = list(a)
    a.set_epoch(2)
    e2 = list(a)
    a.set_epoch(1)
    assert list(a) == e1 and e1 != e2


def test_index_sampler_matches_batches_and_length():
    for world in (1, 2, 3):
        for rank in range(world):
            s = EpochShuffleSampler(29, batch_size=8, seed=4, rank=rank, world_size=world, epoch=3)
            b = DistributedBatchSampler(29, 8, seed=4, rank=rank, world_size=world, epoch=3)
            flat = [i for part in b for i in part]
            assert list(s) == flat and len(s) == len(flat)
    with pytest.raises(ValueError):
        DistributedBatchSampler(10, 2, rank=2, world_size=2)


def test_fast_generator_and_init_equal_the_sequential_ones():
    from batvision_cache.rng import stream, swift_init_values_fast
    r = SeededRandom(9, 0x1E17)
    assert stream(9, 0x1E17, 3001).tolist() == [r.next() for _ in range(3001)]
    shapes = [("a.0.weight", (16, 2, 4, 4)), ("a.1.weight", (16,)), ("a.1.bias", (16,)), ("a.2.weight", (32, 16, 4, 4)),
              ("a.3.bias", (1,))]
    slow, fast = swift_init_values(shapes, 4), swift_init_values_fast(shapes, 4)
    assert all(np.array_equal(slow[k], fast[k]) and slow[k].shape == s for k, s in shapes)
    assert abs(float(fast["a.1.weight"].mean()) - 1) < 0.02 and not fast["a.3.bias"].any()
