"""Where snapshots come from: the live host or a recording. The app and the CLI take either."""
from __future__ import annotations

from .model import HostSnapshot
from .record.fileformat import Recording


class ReplaySource:
    """A recording with a cursor. snapshot() returns the frame under the cursor."""
    live = False

    def __init__(self, recording: Recording, pos: int = -1):
        """POS: the frame to start on; -1 (default) is the last, where the evidence is."""
        self.recording = recording
        self.pos = len(recording) - 1 if pos < 0 else min(pos, len(recording) - 1)

    def __len__(self) -> int:
        return len(self.recording)

    def snapshot(self) -> HostSnapshot:
        return self.recording.frame(self.pos)

    def seek(self, i: int) -> int:
        self.pos = max(0, min(len(self.recording) - 1, i))
        return self.pos

    def step(self, delta: int) -> int:
        return self.seek(self.pos + delta)

    @property
    def clock(self) -> float:
        return self.recording.times[self.pos]

    def close(self) -> None:
        pass
