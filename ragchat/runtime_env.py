"""Process-wide defaults that must be set before torch is imported. Entry points import this first.

`OMP_WAIT_POLICY=PASSIVE`: torch's OpenMP worker threads sleep between parallel regions instead
of spinning. On a busy or shared CPU, spinning threads steal the cores that do the work (see
bench/startup.py). A value already in the environment wins.

This module must stay tiny: importing it may import nothing heavy (no torch, no numpy).
"""

from __future__ import annotations

import contextlib
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def release_freed_memory() -> None:
    """Collect garbage, then hand the freed heap back to the OS (glibc's malloc_trim; a no-op
    elsewhere). Between one model and the next (the base model's answers, training, the
    adapter's answers in one `ragchat-finetune run`) the freed pages otherwise stay in the
    process and the next model's peak adds to them."""
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
