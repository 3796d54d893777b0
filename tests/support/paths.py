"""Where the tests find the checkout and keep what they build."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_CACHE = ROOT / ".cache" / "flink-tests"
"""What the tests compile (Java classes, jars, the pod-network library), kept between runs."""
