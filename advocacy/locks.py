"""Cache guards of the beat ticks and their tasks, for every app: one tick per beat period, one holder of a lock.

``cache.add`` is atomic (SET NX in Redis), so exactly one caller gets a key that is not there yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

from django.core.cache import cache


def tick_once(key: str, seconds: int) -> bool:
    """Whether this beat message should run: False for a second one within ``seconds`` (a restarted beat, two beats
    by mistake). Never released: the work just enqueued has not yet moved what made it due."""
    return bool(cache.add(key, uuid4().hex, seconds))


@contextmanager
def cache_lock(key: str, timeout: int) -> Iterator[bool]:
    """Yield whether the lock was acquired; release it on exit. The token keeps a holder whose lock already expired
    from releasing the next holder's."""
    token = uuid4().hex
    acquired = bool(cache.add(key, token, timeout))
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)
