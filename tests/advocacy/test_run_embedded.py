"""bin/run-embedded keeps the site up when its worker or beat dies: it starts them again, and one signal stops all.

The script is run for real; the Python it starts (``PYTHON``) is a stand-in that logs each start, serves "web" until
stopped, and lets "worker" and "beat" die at once, as a crashing Celery would.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

STAND_IN = """#!/usr/bin/env bash
case "$*" in
  *worker*) echo worker >> "$STARTS"; exit 1 ;;
  *beat*) echo beat >> "$STARTS"; exit 70 ;;
  *runserver*)
    echo web >> "$STARTS"
    trap 'echo web-stopped >> "$STARTS"; exit 0' TERM
    while true; do sleep 0.1; done ;;
esac
"""


def _starts(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_a_dying_worker_and_beat_are_restarted_while_the_site_keeps_running(tmp_path):
    python = tmp_path / "python"
    python.write_text(STAND_IN)
    python.chmod(0o755)
    starts = tmp_path / "starts"
    env = {**os.environ, "PYTHON": str(python), "STARTS": str(starts), "RELAIS_RESTART_DELAY": "0.2"}
    script = subprocess.Popen([str(REPO / "bin" / "run-embedded")], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = _starts(starts)
            if seen.count("worker") >= 3 and seen.count("beat") >= 3:
                break
            time.sleep(0.2)
        seen = _starts(starts)
        assert seen.count("worker") >= 3 and seen.count("beat") >= 3, seen
        assert seen.count("web") == 1
        assert script.poll() is None, "the site stopped with its worker"
    finally:
        script.send_signal(signal.SIGTERM)
        script.wait(timeout=30)
    assert "web-stopped" in _starts(starts)
    count = len(_starts(starts))
    time.sleep(1)
    assert len(_starts(starts)) == count, "a supervisor kept restarting after the stop"
