"""A lab log endpoint for Docker's fluentd driver: it accepts connections and, with --deaf,
never reads them (a log collector that stopped reading); without it, it reads and discards
(a collector that works). Run by `hangconsole lab inject log-driver-blocked`, and by the tests
to bring the endpoint back."""
from __future__ import annotations

import argparse
import socket
import threading


def serve(port: int, deaf: bool) -> None:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    held = []                       # a deaf endpoint keeps its connections open, unread
    while True:
        c, _ = s.accept()
        if deaf:
            held.append(c)
        else:
            threading.Thread(target=_discard, args=(c,), daemon=True).start()


def _discard(c: socket.socket) -> None:
    with c:
        while c.recv(1 << 16):
            pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--deaf", action="store_true", help="accept, never read")
    a = ap.parse_args()
    serve(a.port, a.deaf)


if __name__ == "__main__":
    main()
