"""The report channel: the child writes one length-prefixed torch.save of plain data; the
grader reads it with torch.load(weights_only=True), so no code travels back."""
import io
import os
import struct

import torch

REPORT_FD = 3  # the child's end of the report pipe; every other inherited descriptor is closed
MAX_REPORT = 256 * 1024 ** 2  # a longer announced report is a corrupted channel
KEYS = {"cell_errors", "tasks", "guard_calls", "protections"}


def plain(value, depth=0):
    """Copy a result into types that torch.load(weights_only=True) accepts; the rest as text."""
    if depth > 8:
        return "<nested too deep>"
    if isinstance(value, torch.Tensor):
        out = torch.empty(tuple(value.shape), dtype=value.dtype)
        out.copy_(value.detach())
        return out
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    return repr(value)[:200]


def write(report):
    """Child side: send the report on REPORT_FD."""
    buf = io.BytesIO()
    torch.save(report, buf)
    data = buf.getvalue()
    os.write(REPORT_FD, struct.pack("<Q", len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(REPORT_FD, view):]


def complete(data):
    """Grader side: True once `data` holds the whole announced report (or an absurd size)."""
    if len(data) < 8:
        return False
    (size,) = struct.unpack("<Q", data[:8])
    return len(data) >= 8 + size or size > MAX_REPORT


def decode(data):
    """Grader side: the report dict, or ValueError saying why the channel is unusable."""
    if len(data) < 8:
        raise ValueError("the submission ended the grading process before its checks finished")
    (size,) = struct.unpack("<Q", data[:8])
    if size != len(data) - 8:
        raise ValueError("the grading channel was corrupted by the submission")
    try:
        report = torch.load(io.BytesIO(data[8:]), weights_only=True)
    except Exception:
        raise ValueError("the grading channel was corrupted by the submission") from None
    if not isinstance(report, dict) or set(report) != KEYS:
        raise ValueError("the grading channel was corrupted by the submission")
    return report
