"""Errors of the pod runner: what a test waited for did not happen."""

from __future__ import annotations


class ClusterError(AssertionError):
    """The cluster did not do what the test waited for; carries the processes' log tails."""


class RestError(ClusterError):
    """The REST API answered with an error status (the fixture prints the processes' logs)."""


