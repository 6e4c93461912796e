"""Keep a command running: restart it whenever it exits on its own (`make run`'s Celery).

    python -m liaison.supervise COMMAND [ARGUMENT ...]

honcho (`make run`) stops every process as soon as one of them exits, so a Celery
worker that died would take the web server down with it. Under this supervisor it is
started again instead, after a pause that doubles while it keeps dying (1, 2, 4 ...
30 seconds; back to 1 after a minute of running). SIGTERM and SIGINT are passed on to
the command; the supervisor then waits for it and exits with its status.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
# A command that ran this long before it exited was not failing at start-up.
STEADY_SECONDS = 60.0


def _say(text: str) -> None:
    print(f"supervise: {text}", file=sys.stderr, flush=True)


def _status(returncode: int) -> int:
    """A shell's exit status for a child's return code (killed by signal N: 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


def supervise(command: list[str]) -> int:
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = FIRST_PAUSE
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)
        returncode = child.wait()
        if stopping:
            return _status(returncode)
        if time.monotonic() - started >= STEADY_SECONDS:
            pause = FIRST_PAUSE
        _say(f"{command[0]} exited with status {_status(returncode)}; restarting in {pause:g} s")
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return _status(returncode)
        pause = min(pause * 2, LONGEST_PAUSE)


def main(argv: list[str]) -> int:
    if not argv:
        _say("usage: python -m liaison.supervise COMMAND [ARGUMENT ...]")
        return 2
    return supervise(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
