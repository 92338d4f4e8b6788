"""Where replay's time goes: one long complaint (the handle/track loop taken LOOPS times, as in
bench/audit.py) replayed under cProfile, then timed without it.

    python -m bench.profile_replay [LOOPS] [TOP]     (defaults 60 and 30)

Prints the entries per second without the profiler (median of five runs), then the TOP
functions by cumulative and by own time.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

from bench.audit import _bundles, _complaint, _fixed
from bench.common import cheap_organisation, median, temporary_zhidu


def main(loops: int = 60, top: int = 30) -> None:
    from engine.audit.replay import replay
    from engine.definitions.bundles import ProcessBundle

    with temporary_zhidu(_bundles(), cheap_organisation()) as zhidu:
        engine = _fixed(zhidu)
        instance_id = _complaint(engine, "looped", loops)
        entries = engine.history(instance_id)
        with engine.uow_factory() as uow:
            version = uow.versions.by_hash(uow.instances.get(instance_id).version_hash)
        compiled = engine.cache.get(ProcessBundle(version.entry, version.files))
    replay(compiled, entries)  # warm the caches
    times = []
    for _ in range(5):
        began = time.perf_counter()
        replay(compiled, entries)
        times.append(time.perf_counter() - began)
    print(f"{len(entries)} entries: median {len(entries) / median(times):,.0f} entries/s "
          f"({median(times) * 1000:.1f} ms; load average {os.getloadavg()[0]:.2f})")
    profile = cProfile.Profile()
    profile.runcall(replay, compiled, entries)
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
