"""Resuming a generator by the SimPy events it waits for, without a SimPy process (issue 27).

The engine's accounts (:mod:`simlib.model.engine`) and the phone team's replica
(:mod:`simlib.model.hybrid_calls`) wait on SimPy events this way.
"""
from __future__ import annotations


class Resumer:
    """Resumes an account's generator when the SimPy event it waits for is processed, as a SimPy
    process would (``Process._resume``: the event's value sent in; an event already processed
    goes on at once), without being one: a process costs two more events (its initialisation and
    its end, which nothing waits for) and a generator frame around the account's. The events the
    account waits for, and their order, are the same (the two dropped events only shift the
    sequence numbers of those after them, never their order): the same run. A failed event (none
    of the account's: timeouts and requests) stops the run with its error, as an unhandled
    failure in a process does."""

    __slots__ = ("gen", "resume")

    def __init__(self, gen):
        self.gen, self.resume = gen, self._resume

    def wait(self, event) -> None:
        if event.callbacks is not None:
            event.callbacks.append(self.resume)
        else:
            self._resume(event)

    def _resume(self, event) -> None:
        gen = self.gen
        while True:
            if not event._ok:
                event._defused = True
                raise event._value
            try:
                event = gen.send(event._value)
            except StopIteration:
                return
            if event.callbacks is not None:
                event.callbacks.append(self.resume)
                return
