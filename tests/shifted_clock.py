"""``python -m tests.shifted_clock SECONDS <celery arguments>``: celery with its wall clock SECONDS ahead, ticking.

Only the wall clock moves (time-machine): what the process stores or compares as "now" is ahead, while its timers
and sleeps keep their real pace, so a worker still answers its broker on time."""

import sys
from datetime import UTC, datetime, timedelta

import time_machine
from celery.__main__ import main

if __name__ == "__main__":
    ahead = timedelta(seconds=float(sys.argv.pop(1)))
    time_machine.travel(datetime.now(UTC) + ahead, tick=True).start()
    sys.argv[0] = "celery"
    sys.exit(main())
