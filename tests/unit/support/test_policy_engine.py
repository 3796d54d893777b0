"""The policy engine's choices, without running it: the diversion's order, its identity's
rules, which queues are bound, and the verdicts read from its log."""

from __future__ import annotations

from tests.support.policy_engine import (
    CHAIN,
    ENGINE,
    RULES,
    Verdict,
    bound_queues,
    diversion,
    identity_objects,
    undo_diversion,
    verdicts,
)

LOG = '''I1202 07:29:50.178093    9361 controller.go:477] "Processing sync for packet" id=1
I1 c.go:567] "Evaluating packet" srcPod="flink-dev/stranger" dstPod="flink-dev/jm" packet=<
	[7] 10.201.1.1:38954 10.201.1.2:6123 TCP
 >
I1202 07:29:50.178262    9361 controller.go:597] "Egress NetworkPolicies" id=7 npolicies=0 allowed=true
I1202 07:29:50.178620 9361 c.go:493] "Finished syncing packet" id=7 duration="546.064µs" verdict="drop"
I1202 07:29:50.178228 9361 c.go:567] "Evaluating packet" srcPod="none" dstPod="none" packet=<
	[8] 10.201.1.3:1000 10.201.1.2:7000 TCP
 >
'''


def test_the_diversion_passes_established_and_node_traffic_before_queueing_the_rest() -> None:
    rules = diversion("10.200.0.1", queue=7)
    assert rules[0] == ["-N", CHAIN]
    assert rules[1][-4:] == ["--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"]
    assert rules[2] == ["-A", CHAIN, "-s", "10.200.0.1/32", "-j", "RETURN"]
    assert rules[3] == ["-A", CHAIN, "-j", "NFQUEUE", "--queue-num", "7"]  # no bypass: fail closed
    assert rules[-1] == ["-I", "FORWARD", "1", "-j", CHAIN]
    assert undo_diversion()[0] == ["-D", "FORWARD", "-j", CHAIN]


def test_the_engine_s_identity_reads_pods_namespaces_and_policies_only() -> None:
    account, role, binding = identity_objects()
    assert role["rules"] == RULES
    assert {verb for rule in RULES for verb in rule["verbs"]} == {"list", "watch"}
    assert binding["roleRef"]["name"] == role["metadata"]["name"] == ENGINE
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": ENGINE,
                                    "namespace": account["metadata"]["namespace"]}]


def test_bound_queues_are_the_first_column() -> None:
    assert bound_queues("  100  12345     0 2   128     0     0        7  1\n") == {100}
    assert bound_queues("") == set()


def test_a_verdict_joins_the_evaluated_packet_and_its_outcome() -> None:
    assert verdicts(LOG) == [Verdict("10.201.1.1:38954", "10.201.1.2:6123", "TCP", "drop",
                                     "flink-dev/stranger", "flink-dev/jm")]
