"""Scalars and PNG images as TensorBoard event files, as the Swift tool writes them (TensorBoardWriter.swift):
TFRecord framing with masked CRC-32C around hand-encoded Event protobufs. No TensorFlow
or tensorboard package needed to write them."""
import os
import socket
import struct
import time

_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def _crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _masked(data):
    c = _crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


class _Proto:
    def __init__(self):
        self.data = bytearray()

    def _raw(self, v):
        while v >= 0x80:
            self.data.append((v & 0x7F) | 0x80)
            v >>= 7
        self.data.append(v)

    def key(self, field, wire):
        self._raw(field << 3 | wire)

    def varint(self, field, v):
        self.key(field, 0)
        self._raw(v)

    def double(self, field, v):
        self.key(field, 1)
        self.data += struct.pack("<d", v)

    def float(self, field, v):
        self.key(field, 5)
        self.data += struct.pack("<f", v)

    def bytes(self, field, v):
        self.key(field, 2)
        self._raw(len(v))
        self.data += v


class TensorBoardWriter:
    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        host = socket.gethostname().split(".")[0] or "localhost"
        self.path = os.path.join(directory, f"events.out.tfevents.{int(time.time())}.{host}")
        self._f = open(self.path, "wb")
        e = _Proto()
        e.double(1, time.time())
        e.bytes(3, b"brain.Event:2")
        self._append(bytes(e.data))

    def _append(self, payload):
        length = struct.pack("<Q", len(payload))
        self._f.write(length + struct.pack("<I", _masked(length)) + payload + struct.pack("<I", _masked(payload)))
        self._f.flush()

    def _summary(self, values, step):
        """One Event at ``step`` holding the Summary.Value messages ``values``."""
        summary = _Proto()
        for v in values:
            summary.bytes(1, bytes(v.data))
        e = _Proto()
        e.double(1, time.time())
        e.varint(2, max(int(step), 0))
        e.bytes(5, bytes(summary.data))
        self._append(bytes(e.data))

    def scalars(self, values, step):
        out = []
        for tag, value in values:
            v = _Proto()
            v.bytes(1, tag.encode())
            v.float(2, float(value))
            out.append(v)
        self._summary(out, step)

    def png_image(self, tag, png, step):
        """A PNG (bytes) for the images tab; its size from the IHDR chunk."""
        if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
            raise ValueError(f"{tag}: not a PNG")
        width, height = struct.unpack(">II", png[16:24])
        image = _Proto()
        image.varint(1, height)
        image.varint(2, width)
        image.varint(3, 3)  # RGB
        image.bytes(4, png)
        v = _Proto()
        v.bytes(1, tag.encode())
        v.bytes(4, bytes(image.data))
        self._summary([v], step)

    def close(self):
        self._f.close()
