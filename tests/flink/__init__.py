"""Proof by real Flink: the rendered configuration read by Flink's own classes, and a
real session cluster started from the rendered Kubernetes objects (``-m flink``)."""
