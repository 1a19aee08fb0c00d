"""Process-wide defaults that must be set before torch is imported. Entry points import this first.

`OMP_WAIT_POLICY=PASSIVE`: torch's OpenMP worker threads sleep between parallel regions instead
of spinning. On a busy or shared CPU, spinning threads steal the cores that do the work (see
bench/startup.py). A value already in the environment wins.

This module must stay tiny: importing it may import nothing heavy (no torch, no numpy).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
