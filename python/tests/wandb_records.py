"""Reads a W&B run file (`run-<id>.wandb`) back with the client's own record schema.

The file is W&B's transaction log: a 7-byte header (":W&B", magic 0xBEE1, version 0)
then LevelDB log-format blocks of 32 KiB, each chunk a 7-byte header (CRC32C, 2-byte
length, type FULL=1 / FIRST=2 / MIDDLE=3 / LAST=4) and its bytes; a record is one
`wandb_internal_pb2.Record` protobuf. Newer clients no longer ship the Python reader
(its scanner moved into wandb-core), so the tests read the framing here and leave the
records to the client's protobuf classes.
"""
import json
import struct

from wandb.proto import wandb_internal_pb2

BLOCK = 32768
HEADER = 7


def records(path):
    data = open(path, "rb").read()
    assert data[:4] == b":W&B", f"{path}: not a W&B run file"
    pos, pending = HEADER, b""
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # block trailer padding
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + HEADER])
        chunk = data[pos + HEADER:pos + HEADER + length]
        pos += HEADER + length
        if kind == 0 and length == 0:
            continue
        if kind == 1:
            pending = chunk
        elif kind == 2:
            pending = chunk
            continue
        elif kind == 3:
            pending += chunk
            continue
        elif kind == 4:
            pending += chunk
        record = wandb_internal_pb2.Record()
        record.ParseFromString(pending)
        pending = b""
        yield record


def _key(item):
    return item.key or "/".join(item.nested_key)


def history(path):
    """Every logged row: {key: value} with `_step`."""
    rows = []
    for r in records(path):
        if r.WhichOneof("record_type") == "history":
            rows.append({_key(i): json.loads(i.value_json) for i in r.history.item})
    return rows


def summary(path):
    """The run's summary as the client last wrote it."""
    out = {}
    for r in records(path):
        if r.WhichOneof("record_type") == "summary":
            for i in r.summary.update:
                out[_key(i)] = json.loads(i.value_json)
    return out


def config(path):
    out = {}
    for r in records(path):
        kind = r.WhichOneof("record_type")
        items = r.run.config.update if kind == "run" else (r.config.update if kind == "config" else [])
        for i in items:
            out[_key(i)] = json.loads(i.value_json)
    return out
