"""The one timer every ratio script uses: the best of ``repeat`` runs after a warm-up."""
from __future__ import annotations

import time


def best_time(fn, repeat: int = 7) -> float:
    fn()  # warm-up (JIT, caches, page faults)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
