"""Where the package's bundled data lives: the recorded incidents (and the goroutine dumps
beside them). A module of its own so any layer can find them without importing the incidents."""
from __future__ import annotations

import os

INCIDENTS = os.path.join(os.path.dirname(__file__), "incidents")
