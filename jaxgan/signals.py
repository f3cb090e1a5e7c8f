"""A graceful stop on SIGTERM and SIGINT: the signal is recorded, not raised, and the training
loop saves a checkpoint and stops at its next step.

`jaxgan train` records them from its first line (`StopFlag` entered before anything is imported):
a KeyboardInterrupt raised during startup can land in a destructor or a library callback, where
Python prints "Exception ignored" and goes on, and the run would then train to its end.
"""

import signal

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopFlag:
    """Context manager recording SIGTERM / SIGINT in `signum` (the first one received) instead of
    raising or dying; the previous handlers come back on exit. Outside the main thread it
    records nothing and changes nothing."""

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        for sig in SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
