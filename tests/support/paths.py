"""Where the tests find the checkout and keep what they build."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_CACHE = ROOT / ".cache" / "flink-tests"
"""What the tests compile (Java classes, jars, the pod-network library), kept between runs."""

# A child interpreter imports the same pulumi_flink as this one (a checkout's, not an installed one).
IMPORT_PATH = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
