#!/usr/bin/env python3
"""JobManager failover time under ZooKeeper high availability, with real processes.

    .venv/bin/python scripts/failover_benchmark.py [--kills 3] [--version 2.3.0] [--json]

For each setting, a session cluster is rendered with ``highAvailability.type: zookeeper``
(3 ZooKeeper servers, 2 JobManagers, 1 TaskManager) and started on loopback with the test
harness (``tests/support/loopback.py``, the same emulation as ``tests/flink/test_ha_zookeeper.py``;
needs ``bash scripts/setup-test.sh`` and Debian's ``zookeeper`` package). A checkpointing job
(CheckpointedJob, parallelism 2, a checkpoint a second) is submitted over REST; then the
leader JobManager is SIGKILLed ``--kills`` times, its container restarted at once as the
kubelet does. Each failover is timed from the kill to

- the new leader: another leader session published in ZooKeeper, and
- the job RUNNING again (every task running), restored from a checkpoint,

and the median of the kills is printed for:

- ``fastFailover: true``, the library's HA default (its session timeout and heartbeats), and
- ``fastFailover: false``, Flink's own defaults (session timeout 60 s, which ZooKeeper caps at
  its maxSessionTimeout: 20 ticks of the rendered tickTime),

side by side, with the session timeout each negotiated. A standby cannot lead before the dead
leader's ZooKeeper session expires, so that timeout bounds the failover from below.

How long it takes: with 3 kills about 1.5 minutes for the fast setting and 2.5 for Flink's
defaults, 4 minutes in all on a 2-core machine (measured: 4m00s). It prints figures; it
asserts only that each failover restored the job from a checkpoint.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.ha_cluster import (  # noqa: E402
    Failover,
    HaCluster,
    ha_spec,
    kill_leader_and_recover,
    render_ha,
    running,
    submit,
    wait_for_checkpoint_after,
)
from tests.support.loopback import LoopbackCluster  # noqa: E402
from tests.support.toolchain import compile_sources, find_java, flink_versions  # noqa: E402

SESSION_TIMEOUT_KEY = "high-availability.zookeeper.client.session-timeout"
SETTINGS = {"library default (fastFailover: true)": True, "Flink defaults (fastFailover: false)": False}


def measure(version: str, fast_failover: bool, kills: int, work: Path) -> dict[str, Any]:
    java = find_java()
    build = compile_sources(java, version)
    objects = render_ha(ha_spec(version, fast_failover=fast_failover))
    root = work / ("fast" if fast_failover else "default")
    cluster = LoopbackCluster(objects, build.flink_home, java.home, root)
    ha = HaCluster(cluster, objects)
    failovers: list[Failover] = []
    try:
        cluster.prepare()
        started = time.monotonic()
        cluster.start()
        ha.wait_until_ready()
        boot = time.monotonic() - started
        job_id = submit(ha, build, parallelism=2)
        cluster.wait_for("the job running", lambda: running(ha, job_id), 60)
        wait_for_checkpoint_after(ha, job_id, 1)
        for kill in range(kills):
            failover = kill_leader_and_recover(ha, job_id, timeout=240)
            assert failover.completed_before <= failover.restored <= failover.on_storage, failover
            failovers.append(failover)
            print(f"  kill {kill + 1}: leader after {failover.leader_elected_s:5.1f}s, job RUNNING after "
                  f"{failover.running_s:5.1f}s (checkpoint {failover.restored})", flush=True)
            wait_for_checkpoint_after(ha, job_id, failover.restored)
    except BaseException:
        print(cluster.diagnostics(40), file=sys.stderr)
        raise
    finally:
        cluster.stop()
        cluster.remove()
        shutil.rmtree(build.root, ignore_errors=True)
    config = ha.config
    heartbeat = f"{config.get('heartbeat.interval', 'default')}/{config.get('heartbeat.timeout', 'default')}"
    return {
        "session_timeout_ms": ha.session_timeout_ms,
        "requested_session_timeout": config.get(SESSION_TIMEOUT_KEY, "60000: Flink's default"),
        "heartbeat_interval_timeout": heartbeat,
        "boot_s": boot,
        "leader_s": [f.leader_elected_s for f in failovers],
        "running_s": [f.running_s for f in failovers],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--version", default=flink_versions()[1])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="failover-") as work:
        for label, fast in SETTINGS.items():
            print(f"{label}, Flink {args.version}:", flush=True)
            results[label] = measure(args.version, fast, args.kills, Path(work))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    labels = list(results)
    width = max(len(label) for label in labels)
    print(f"\nSIGKILL of the leader JobManager -> job RUNNING again from a checkpoint "
          f"(Flink {args.version}, median of {args.kills} kills, 2 JobManagers, 3 ZooKeeper servers)")
    header = f"{'ZooKeeper session':>34}  {'new leader':>10}  {'job RUNNING':>11}  each kill"
    print(f"{'':{width}}  {header}")
    for label in labels:
        r = results[label]
        session = f"{r['session_timeout_ms'] / 1000:.0f} s (asked {r['requested_session_timeout']})"
        leader, back = statistics.median(r["leader_s"]), statistics.median(r["running_s"])
        each = ", ".join(f"{t:.1f}" for t in r["running_s"])
        print(f"{label:{width}}  {session:>34}  {leader:>8.1f} s  {back:>9.1f} s  {each} s")


if __name__ == "__main__":
    main()
