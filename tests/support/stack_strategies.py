"""Stack configs the library accepts, drawn with hypothesis from the stack file's JSON Schema
(``tests/support/stack_schema.py``): every field of the spec is generated, biased towards
realistic values by field name and towards the values of the shipped stack files, then a
cluster is made to hang together the way users write one (a mode with its job or jobs, high
availability with durable storage), and what the library still refuses is dropped
(``repaired``). ``stack_configs()`` is the strategy; ``VALIDITY`` counts how many drawn configs
were valid as drawn and after repair.

The property tests of the front door draw from here (tests/unit/test_properties.py), and so do
the control-plane tests that dry-run the renders (tests/kubernetes/test_dry_run_properties.py).
"""

from __future__ import annotations

import copy
import functools
import re
import string
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from pulumi_flink.model.layout import USRLIB_DIR
from pulumi_flink.model.versions import SUPPORTED_MINORS
from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.program import HA_CREDENTIALS_KEY, PROJECT, parse_stack_config
from pulumi_flink.spec import OBJECT_STORE_SCHEMES
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.paths import ROOT
from tests.support.stack_schema import (
    CLUSTER_NODE,
    CLUSTERS,
    alternatives,
    is_free,
    is_model,
    nullable,
    resolve,
)

CREDENTIALS = f"{PROJECT}:{HA_CREDENTIALS_KEY}"
"""The stack config key of the HA credentials (secrets, by cluster name)."""


def enum_of(node: dict[str, Any]) -> list[str]:
    return [v for alt in alternatives(node) for v in alt.get("enum", [])]


# --- realistic values, by field name ----------------------------------------------------------


@functools.cache
def chance(percent: int) -> st.SearchStrategy[bool]:
    """True with about ``percent`` % probability; shrinks to False."""
    return st.integers(0, 99).map(lambda x: x >= 100 - percent)


WORDS = ["orders", "analytics", "payments", "etl", "fraud", "clicks", "ledger", "search", "ml", "events"]


@functools.cache
def dns_label(max_len: int = 20) -> st.SearchStrategy[str]:
    words = st.builds(
        lambda parts, n: "-".join(parts) + (f"-{n}" if n else ""),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=2),
        st.integers(0, 12),
    )
    edge = st.from_regex(rf"[a-z]([-a-z0-9]{{0,{max_len - 2}}}[a-z0-9])?", fullmatch=True)
    return st.one_of(words.map(lambda s: s[:max_len].rstrip("-")), edge)


@functools.cache
def versions() -> st.SearchStrategy[str]:
    return st.builds(
        lambda minor, patch: f"{minor[0]}.{minor[1]}" + ("" if patch is None else f".{patch}"),
        st.sampled_from(SUPPORTED_MINORS),
        st.one_of(st.none(), st.integers(0, 4)),
    )


@functools.cache
def cpus() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 8).map(str),
        st.integers(1, 40).map(lambda n: f"{n * 100}m"),
        st.sampled_from(["0.5", "1.5", "250m", "2500m", "1"]),
    )


@functools.cache
def memories(low_mib: int = 768, high_mib: int = 16384) -> st.SearchStrategy[str]:
    """Whole MiB in the ways people write them; the low end reaches below Flink's minimum."""

    def spell(mib: int, style: int) -> str:
        if style == 1 and mib % 1024 == 0:
            return f"{mib // 1024}Gi"
        if style == 2 and mib % 512 == 0:
            return f"{mib / 1024:g}Gi"
        if style == 3:
            return str(mib * 1024 * 1024)
        if style == 4:
            return f"{mib * 1024}Ki"
        return f"{mib}Mi"

    sizes = st.one_of(st.sampled_from([1024, 1600, 1728, 2048, 4096, 8192]), st.integers(low_mib, high_mib))
    return st.builds(spell, sizes, st.integers(0, 4))


@functools.cache
def images() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda v: f"flink:{v}-java17", versions()),
        st.builds(
            lambda repo, tag: f"registry.example.com/data/{repo}:{tag}",
            dns_label(12),
            st.from_regex(r"[0-9]\.[0-9]{1,2}\.[0-9]", fullmatch=True),
        ),
    )


@functools.cache
def storage_dirs() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            lambda s, b, p: f"{s}{b}/{p}", st.sampled_from(OBJECT_STORE_SCHEMES), dns_label(12), dns_label(8)
        ),
        st.sampled_from(["file:///flink-ha", "file:///flink-ha/", "file:///flink-ha/state"]),
    )


@functools.cache
def jars() -> st.SearchStrategy[str]:
    name = dns_label(12)
    return st.one_of(
        st.builds(lambda n: f"{USRLIB_DIR}/{n}.jar", name),
        st.builds(lambda n: f"local://{USRLIB_DIR}/{n}.jar", name),
        st.builds(lambda n: f"/opt/flink/examples/streaming/{n}.jar", name),
        st.builds(
            lambda s, n: f"{s}://repo.example.com/jobs/{n}-1.0.jar", st.sampled_from(["http", "https"]), name
        ),
    )


@functools.cache
def free_text() -> st.SearchStrategy[str]:
    """Text as users paste it: mostly plain, sometimes anything YAML and JSON can carry."""
    plain = st.text(string.ascii_letters + string.digits + " -_=./:;,'\"", max_size=20)
    anything = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
    return st.one_of(plain, anything)


@functools.cache
def label_keys() -> st.SearchStrategy[str]:
    name = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?", fullmatch=True)
    prefix = st.sampled_from(["", "example.com/", "team.example.org/"])
    return st.builds(lambda p, n: p + n, prefix, name)


@functools.cache
def label_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""), st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?", fullmatch=True)
    )


FLINK_KEYS: dict[str, st.SearchStrategy[Any]] = {
    "execution.checkpointing.interval": st.sampled_from(["30 s", "1 min", "10s", 60000]),
    "state.backend.type": st.sampled_from(["rocksdb", "hashmap"]),
    "state.backend.incremental": st.sampled_from([True, False, "true"]),
    "restart-strategy.fixed-delay.attempts": st.integers(0, 10),
    "taskmanager.memory.managed.fraction": st.one_of(
        st.floats(0, 0.9), st.sampled_from(["0.2", 1e39, "inf"])
    ),
    "taskmanager.memory.network.fraction": st.floats(0, 0.5).map(lambda f: round(f, 2)),
    "taskmanager.memory.jvm-metaspace.size": st.sampled_from(["128m", "256m", "512m", "1 gb"]),
    "jobmanager.memory.off-heap.size": st.sampled_from(["64m", "128m", "256m", "1g"]),
    "io.tmp.dirs": st.sampled_from(["/tmp/flink", "/tmp", "/data/tmp", "relative/dir"]),
    "security.ssl.rest.enabled": st.sampled_from([True, "false"]),
    "web.submit.enable": st.booleans(),
    "pekko.ask.timeout": st.just("30 s"),
}


@functools.cache
def config_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        free_text(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    )


@functools.cache
def flink_configurations() -> st.SearchStrategy[dict[str, Any]]:
    known = st.sampled_from(sorted(FLINK_KEYS)).flatmap(lambda k: st.tuples(st.just(k), FLINK_KEYS[k]))
    other = st.tuples(st.from_regex(r"[a-z]{2,8}(\.[a-z][a-z-]{0,8}){1,3}", fullmatch=True), config_values())
    return st.lists(st.one_of(known, other), max_size=4).map(dict)


VOLUME_NAMES = ["data", "cache", "scratch", "certs"]


@functools.cache
def kubernetes_entries(field: str) -> st.SearchStrategy[Any] | None:
    """Plain Kubernetes YAML the spec passes through (the schema leaves it untyped): one entry
    of a list field, or the object of an object field. None: a field this file does not know."""
    names = st.sampled_from(VOLUME_NAMES)
    if field == "env":
        env_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True)
        value = st.builds(lambda n, v: {"name": n, "value": v}, env_names, free_text())
        ref = st.builds(
            lambda n, s: {"name": n, "valueFrom": {"secretKeyRef": {"name": s, "key": "value"}}},
            env_names,
            dns_label(12),
        )
        return st.one_of(value, ref)
    if field == "volumes":
        kinds = st.sampled_from(
            [
                {"emptyDir": {}},
                {"configMap": {"name": "extra-config"}},
                {"secret": {"secretName": "tls"}},
                {"persistentVolumeClaim": {"claimName": "shared"}},
            ]
        )
        return st.builds(lambda n, k: {"name": n, **k}, names, kinds)
    if field == "volumeMounts":
        path = st.sampled_from(["/data", "/mnt/cache", "/tmp/extra", "/opt/flink/conf/x", "/etc/certs"])
        read_only = st.sampled_from([{}, {"readOnly": True}, {"readOnly": False}])
        return st.builds(lambda n, p, ro: {"name": n, "mountPath": p, **ro}, names, path, read_only)
    if field == "tolerations":
        return st.builds(
            lambda k, effect: {"key": k, "operator": "Exists", "effect": effect},
            st.sampled_from(["dedicated", "example.com/flink"]),
            st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
        )
    if field == "affinity":
        node = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["flink"]}]}
                    ]
                }
            }
        }
        pods = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}
                ]
            }
        }
        return st.sampled_from([node, pods, {}])
    return None


def _corpus() -> dict[str, list[Any]]:
    """Scalar values of the shipped stack files, by field name: realistic values for every
    field a stack shows, including fields added after this file was written."""
    values: dict[str, set[str]] = {}

    def walk(value: Any, node: dict[str, Any]) -> None:
        for alt in alternatives(node):
            if is_model(alt) and isinstance(value, dict):
                for key, sub in alt["properties"].items():
                    if key in value and isinstance(value[key], str) and "enum" not in resolve(sub):
                        values.setdefault(key, set()).add(value[key])
                    elif key in value:
                        walk(value[key], sub)
            elif alt.get("type") == "array" and isinstance(value, list):
                for item in value:
                    walk(item, alt["items"])

    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        for cluster in load_stack_file(path).get(CLUSTERS, []):
            walk(cluster, CLUSTER_NODE)
    return {key: sorted(found) for key, found in values.items()}


CORPUS = _corpus()

STRINGS: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "flinkVersion": versions,
    "namespace": lambda: st.one_of(st.sampled_from(["flink", "flink-prod", "default"]), dns_label(30)),
    "cpu": cpus,
    "memory": memories,
    "storage": lambda: st.integers(1, 200).map(lambda n: f"{n}Gi"),
    "image": images,
    "jarFetchImage": lambda: st.sampled_from(["curlimages/curl:8.11.1", "registry.example.com/curl:8"]),
    "storageDir": storage_dirs,
    "jar": jars,
    "entryClass": lambda: st.from_regex(r"(com|org)\.example\.[A-Z][a-zA-Z]{0,10}", fullmatch=True),
    "savepoint": lambda: st.builds(lambda b: f"s3://{b}/savepoints/savepoint-1", dns_label(12)),
    "jobId": lambda: st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
    "existingQuorum": lambda: st.sampled_from(["zk-0.zk:2181", "zk-0.zk:2181,zk-1.zk:2181,zk-2.zk:2181"]),
    "pathRoot": lambda: st.sampled_from(["/flink", "/flink/prod", "/a"]),
}


def string_values(key: str, node: dict[str, Any]) -> st.SearchStrategy[str]:
    options = []
    if key in STRINGS:
        options.append(STRINGS[key]())
    else:
        if "default" in node and isinstance(node["default"], str):
            options.append(st.just(node["default"]))
        options.append(dns_label())
    if CORPUS.get(key):
        options.append(st.sampled_from(CORPUS[key]))
    return st.one_of(options)


def integer_values(node: dict[str, Any]) -> st.SearchStrategy[int]:
    low = node.get("minimum", 0)
    # The spec bounds every count (int32 for replicas and slots, Flink's parallelism limit);
    # a field without a maximum would stay within int32, what Kubernetes and Flink take.
    high = node.get("maximum", 2**31 - 1)
    options = [st.integers(low, min(high, low + 4)), st.integers(low, high)]
    if isinstance(node.get("default"), int):
        options.insert(0, st.just(node["default"]))
    return st.one_of(options)


_STRATEGIES: dict[tuple[str, int, int], st.SearchStrategy[Any]] = {}


def values_for(key: str, node: dict[str, Any], name_len: int = 20) -> st.SearchStrategy[Any]:
    """A valid-looking value for the field ``key`` at schema ``node`` (built once: hypothesis
    spends more time checking a new strategy than drawing from it)."""
    memo = (key, id(node), name_len)
    if memo not in _STRATEGIES:
        _STRATEGIES[memo] = _values_for(key, node, name_len)
    return _STRATEGIES[memo]


def _values_for(key: str, node: dict[str, Any], name_len: int) -> st.SearchStrategy[Any]:
    if key == "name":
        return dns_label(name_len)
    if key == "flinkConfiguration":
        return flink_configurations()
    if key in ("labels", "nodeSelector"):
        return st.dictionaries(label_keys(), label_values(), max_size=3)
    if key == "annotations":
        return st.dictionaries(label_keys(), free_text(), max_size=3)
    if key == "args":
        return st.lists(free_text(), max_size=4)
    if key == "jvmOptions":
        jvm = st.sampled_from(["-XX:+UseG1GC", "-Dfile.encoding=UTF-8", "-Duser.timezone=UTC", "-Xss2m"])
        return st.lists(st.one_of(jvm, free_text()), max_size=3)
    options: list[st.SearchStrategy[Any]] = []
    for alt in alternatives(node):
        if is_free(alt):
            entries = kubernetes_entries(key)
            options.append(entries if entries is not None else st.builds(dict))
        elif is_model(alt):
            options.append(models(alt, name_len=name_len))
        elif "enum" in alt:
            options.append(st.sampled_from(alt["enum"]))
        elif alt.get("type") == "string":
            options.append(string_values(key, node))
        elif alt.get("type") == "integer":
            options.append(integer_values(alt))
        elif alt.get("type") == "boolean":
            options.append(st.booleans())
        elif alt.get("type") == "array":
            options.append(lists_of(key, alt["items"]))
        elif alt.get("type") == "object":
            options.append(
                st.dictionaries(dns_label(), values_for(key, alt["additionalProperties"]), max_size=3)
            )
        else:  # pragma: no cover - a JSON type the spec does not use yet
            raise AssertionError(f"no generator for {key}: {alt}")
    strategy = st.one_of(options)
    return st.one_of(strategy, st.none()) if nullable(node) else strategy


def lists_of(key: str, items: dict[str, Any], min_size: int = 0) -> st.SearchStrategy[list[Any]]:
    """A short list; entries of a list of named spec parts (per-job jobs) get their own names."""
    if is_free(resolve(items)):
        entries = kubernetes_entries(key)
        return st.just([]) if entries is None else st.lists(entries, min_size=min_size, max_size=3)
    if "name" in resolve(items).get("required", []):
        return st.lists(
            values_for(key, items, name_len=10),
            min_size=min_size,
            max_size=2,
            unique_by=lambda item: item["name"],
        )
    return st.lists(values_for(key, items), min_size=min_size, max_size=3)


def models(node: dict[str, Any], name_len: int = 20) -> st.SearchStrategy[dict[str, Any]]:
    """A spec part: its required fields, and each optional field now and then."""
    node = resolve(node)
    memo = ("", id(node), name_len)
    if memo not in _STRATEGIES:
        _STRATEGIES[memo] = _models(node, name_len)
    return _STRATEGIES[memo]


@st.composite
def _models(draw: st.DrawFn, node: dict[str, Any], name_len: int) -> dict[str, Any]:
    required = node.get("required", [])
    # Now and then every field, switches on: the fields that count only when a switch is on.
    dense = draw(chance(15))
    out: dict[str, Any] = {}
    for key, sub in node["properties"].items():
        if dense and resolve(sub).get("type") == "boolean":
            out[key] = True
        elif key in required or dense or draw(chance(25)):
            out[key] = draw(values_for(key, sub, name_len))
    return out


# --- whole stack configs ------------------------------------------------------------------------


@st.composite
def clusters(draw: st.DrawFn) -> dict[str, Any]:
    """A cluster from the schema, then made to hang together the way users write one:
    a mode with its job or jobs, high availability with durable storage."""
    cluster = draw(models(CLUSTER_NODE, name_len=draw(st.sampled_from([20, 40]))))
    properties = resolve(CLUSTER_NODE)["properties"]
    # Every mode and store as often as the default ones (drawn sparsely, they would be rare).
    cluster["mode"] = mode = draw(st.sampled_from(enum_of(properties["mode"])))
    cluster["native"] = draw(chance(30))
    for key, default in (("mode", "session"), ("native", False)):
        if cluster[key] == default and draw(chance(50)):
            del cluster[key]  # and as often unset
    if draw(chance(50)):
        stores = [
            t for t in enum_of(resolve(properties["highAvailability"])["properties"]["type"]) if t != "none"
        ]
        ha = cluster.get("highAvailability") or {}
        cluster["highAvailability"] = {**ha, "type": draw(st.sampled_from(stores))}
    if mode != "application":
        cluster.pop("job", None)
    if mode != "per-job":
        cluster.pop("jobs", None)
    if mode == "application" and not cluster.get("job"):
        cluster["job"] = draw(next(models(a) for a in alternatives(properties["job"]) if is_model(a)))
    if mode == "per-job":
        cluster["native"] = False
        cluster["name"] = cluster["name"][:20].rstrip("-")
        if not cluster.get("jobs"):
            cluster["jobs"] = draw(lists_of("jobs", properties["jobs"]["items"], min_size=1))
    pod = cluster.get("pod") or {}
    if pod.get("volumeMounts"):  # a mount names a volume of the pod
        volumes = pod.setdefault("volumes", [])
        names = {v["name"] for v in volumes}
        volumes += [
            {"name": n, "emptyDir": {}}
            for n in dict.fromkeys(m["name"] for m in pod["volumeMounts"])
            if n not in names
        ]
    ha = cluster.get("highAvailability")
    if isinstance(ha, dict) and ha.get("type", "none") != "none":
        if not ha.get("storageDir"):
            ha["storageDir"] = draw(storage_dirs())
        if ha["storageDir"].startswith("file://"):
            ha["volumeClaim"] = ha.get("volumeClaim") or draw(dns_label(12))
        elif ".".join(cluster["flinkVersion"].split(".")[:2]) == cluster["flinkVersion"]:
            cluster["flinkVersion"] += f".{draw(st.integers(0, 4))}"
        if ha["type"] == "zetcd" and draw(chance(70)):
            cluster["flinkVersion"] = f"1.14.{draw(st.integers(0, 6))}"
    return cluster


@st.composite
def raw_stack_configs(draw: st.DrawFn) -> dict[str, Any]:
    """``config:`` of a stack file: one or two clusters, sometimes HA credentials as secrets."""
    items = draw(st.lists(clusters(), min_size=1, max_size=2, unique_by=lambda c: c["name"]))
    config: dict[str, Any] = {CLUSTERS: items, "kubernetes:context": "elsewhere"}
    credentials = {}
    for cluster in items:
        ha = cluster.get("highAvailability") or {}
        object_store = str(ha.get("storageDir", "")).startswith(OBJECT_STORE_SCHEMES)
        if object_store and not ha.get("credentialsSecret") and draw(chance(50)):
            secret = {"secure": "v1:placeholder"}
            credentials[cluster["name"]] = {"AWS_ACCESS_KEY_ID": secret, "AWS_SECRET_ACCESS_KEY": secret}
    if credentials:
        config[CREDENTIALS] = credentials
    return config


def _locate(config: dict[str, Any], path: str) -> tuple[list[tuple[Any, Any]], bool]:
    """The (container, key) steps of a problem path in ``config``, as far as they resolve.
    Keys may hold dots (Flink keys, label keys): the longest key that fits wins."""
    if path.startswith("clusters"):
        steps: list[tuple[Any, Any]] = [(config, CLUSTERS)]
        rest = path[len("clusters") :]
    else:
        keys = [k for k in config if path == k or path.startswith(f"{k}.")]
        if not keys:
            return [], False
        key = max(keys, key=len)
        steps, rest = [(config, key)], path[len(key) :]
    node = config[steps[0][1]]
    while rest:
        index = re.match(r"\[(\d+)\]", rest)
        if index and isinstance(node, list) and int(index[1]) < len(node):
            steps.append((node, int(index[1])))
            node, rest = node[int(index[1])], rest[index.end() :]
            continue
        rest = rest.removeprefix(".")
        keys = [
            k
            for k in (node if isinstance(node, dict) else ())
            if isinstance(k, str) and (rest == k or rest.startswith((f"{k}.", f"{k}[")))
        ]
        if not keys:
            return steps, False
        key = max(keys, key=len)
        steps.append((node, key))
        node, rest = node[key], rest[len(key) :]
    return steps, True


def repaired(config: dict[str, Any], rounds: int = 8) -> tuple[dict[str, Any] | None, int]:
    """Drop what the library refuses until it accepts the config: the field a problem names,
    or, when that field is missing, the cluster. Returns (config or None, rounds used)."""
    config = copy.deepcopy(config)
    for used in range(rounds):
        try:
            parse_stack_config(config)
            return config, used
        except FlinkSpecError as exc:
            problems = exc.problems
        targets: dict[tuple[int, Any], tuple[Any, Any]] = {}
        for problem in problems:
            steps, complete = _locate(config, problem.path)
            if not complete and len(steps) >= 2 and steps[1][0] is config[CLUSTERS]:
                steps = steps[:2]  # a field that is missing, not wrong: drop the cluster
            elif not complete or len(steps) < 2:
                return None, used  # the stack as a whole is wrong
            container, key = steps[-1]
            targets[(id(container), key)] = (container, key)
        # List items last to first, so that the indexes still hold.
        for container, key in sorted(targets.values(), key=lambda t: -t[1] if isinstance(t[1], int) else 0):
            del container[key]
        if not config.get(CLUSTERS):
            return None, used
    return None, rounds


VALIDITY: Counter[str] = Counter()


@st.composite
def stack_configs(draw: st.DrawFn) -> dict[str, Any]:
    """Stack configs the library accepts (counted in VALIDITY: drawn, valid as drawn, repaired)."""
    raw = draw(raw_stack_configs())
    config, rounds = repaired(raw)
    VALIDITY["drawn"] += 1
    VALIDITY["valid as drawn"] += config is not None and rounds == 0
    VALIDITY["valid after repair"] += config is not None
    assume(config is not None)
    assert config is not None
    return config
