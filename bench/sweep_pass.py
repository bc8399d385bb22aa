"""One reminder pass, as the scheduler's sweep job runs it, in a process of its own so that its
time and its peak memory are its own: `python -m bench.sweep_pass URL NOW MAIL_URL`.

Prints JSON: the pass's report, its wall time, and the process's peak RSS (VmHWM)."""

import cProfile
import json
import os
import sys
import time
from datetime import datetime


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    url, now, mail_url = sys.argv[1:4]
    from bench.common import make_app
    from tracker.reminders import jobs

    app = make_app(url, mail_url=mail_url)
    instant = datetime.fromisoformat(now)
    with app.app_context():
        before = peak_rss_mb()
        profile = os.environ.get("BENCH_PROFILE")  # a file to write cProfile statistics to
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        report = jobs.run_pass(instant, worker=jobs.worker_name())
        seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "report": report.as_dict(),
                "rss_before_pass_mb": round(before, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
