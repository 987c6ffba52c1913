"""`make bench`: every benchmark, one after the other (they share the machine), then RESULTS.md."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCRIPTS = ("bench_events.py", "bench_courses.py", "bench_learner_day.py", "bench_reports.py", "bench_items.py",
           "bench_privacy.py", "bench_replset.py")


def main() -> None:
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)
    print(f"results: {HERE / 'RESULTS.md'}")


if __name__ == "__main__":  # importing the module (a lint or import check) must not start the benchmarks
    main()
