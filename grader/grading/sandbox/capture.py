"""The child's captured stdout+stderr, bounded."""
from collections import deque


class Capture:
    """Keeps only the first and last `limit // 2` bytes of what the child printed."""

    def __init__(self, limit):
        self.half, self.head, self.tail, self.size = limit // 2, bytearray(), deque(), 0
        self.tail_size = 0

    def add(self, chunk):
        self.size += len(chunk)
        room = self.half - len(self.head)
        self.head += chunk[:room]
        chunk = chunk[room:] if room > 0 else chunk
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size - len(self.tail[0]) >= self.half:
                self.tail_size -= len(self.tail.popleft())

    def text(self):
        tail = b"".join(self.tail)[-self.half:] if self.half else b""
        cut = self.size - len(self.head) - len(tail)
        middle = f"\n[... {cut} bytes cut ...]\n".encode() if cut else b""
        return (bytes(self.head) + middle + tail).decode("utf-8", errors="replace")
