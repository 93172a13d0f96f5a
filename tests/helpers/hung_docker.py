"""A Docker socket that accepts connections and never answers: a hung dockerd, for tests."""
from __future__ import annotations

import os
import socket
import threading


class HungDocker:
    def __init__(self, path: str, answer_ping: bool = False):
        self.path = path
        self.answer_ping = answer_ping
        self.conns: list[socket.socket] = []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(64)
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def _accept(self) -> None:
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.answer_ping:
                threading.Thread(target=self._maybe_ping, args=(c,), daemon=True).start()

    def _maybe_ping(self, c: socket.socket) -> None:
        req = c.recv(4096)
        if b"/_ping" in req:
            c.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK")
        elif b"/containers/json" in req:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
        # anything else: never answered

    def close(self) -> None:
        self.stop = True
        self.sock.close()
        for c in self.conns:
            c.close()
        os.unlink(self.path)
