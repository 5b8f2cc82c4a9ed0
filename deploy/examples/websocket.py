"""The WebSocket wire format (RFC 6455), as much as an echo upstream and a test client need:
the opening handshake's accept key, and reading and writing frames. Standard library only."""

import base64
import hashlib
import os
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def _read_exact(rfile, n):
    data = rfile.read(n)
    if len(data) != n:
        raise EOFError("the connection ended inside a frame")
    return data


def read_frame(rfile):
    """(opcode, payload) of the next frame; the payload unmasked. Fragments are not joined."""
    first, second = _read_exact(rfile, 2)
    opcode = first & 0x0F
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", _read_exact(rfile, 2))[0]
    elif length == 127:
        length = struct.unpack(">Q", _read_exact(rfile, 8))[0]
    mask = _read_exact(rfile, 4) if second & 0x80 else None
    payload = _read_exact(rfile, length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return opcode, payload


def frame(opcode, payload, masked):
    """One final frame; clients mask theirs, servers do not."""
    header = bytes([0x80 | opcode])
    mask_bit = 0x80 if masked else 0
    if len(payload) < 126:
        header += bytes([mask_bit | len(payload)])
    elif len(payload) < 1 << 16:
        header += bytes([mask_bit | 126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([mask_bit | 127]) + struct.pack(">Q", len(payload))
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
