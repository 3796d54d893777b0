"""Property-based tests (hypothesis) of the front door: whatever comes in, valid input renders
objects Kubernetes accepts, and invalid input is refused with the library's own error before
anything is registered, through every entry point (the stack program, the offline renderer,
the FlinkCluster component).

Inputs are derived from the typed spec, not from a list of today's fields: the JSON Schema of
a stack file (``config_schema.stack_config_schema()``, what ``stacks/stack-config.schema.json``
is written from) drives the generators (tests/support/stack_strategies.py), so a field added
to ``spec.py`` is generated, mutated and type-confused from the next run on. What the schema
cannot say (a cluster name is a DNS label, a memory size fits Flink's memory model, a mode
needs its job) is a bias towards realistic values by field name, and values seen in the
shipped stack files are used as well.

Deterministic for CI (``derandomize``, no example database); ``PULUMI_FLINK_FUZZ_SCALE=10``
multiplies the examples of every property for a longer local run.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate.utils
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import config as runtime_config
from pydantic.alias_generators import to_snake
from referencing import Registry, Resource

from pulumi_flink.model.layout import USRLIB_DIR
from pulumi_flink.model.naming import RESERVED_LABEL_KEYS
from pulumi_flink.offline.cli import main as cli_main
from pulumi_flink.offline.manifests import RENDER_MARKER, dump_yaml, object_relative_path
from pulumi_flink.offline.renderer import Render, render_stack, run_program
from pulumi_flink.package.package_args import spec_from_args
from pulumi_flink.program import (
    PROJECT,
    current_secret_keys,
    current_stack_config,
    parse_stack_config,
)
from pulumi_flink.program import main as program_main
from pulumi_flink.render.flink_config import MANAGED_KEYS
from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.fuzz import fuzz_settings
from tests.support.kubernetes_schema import KUBERNETES_VERSION, validate_all
from tests.support.stack_schema import (
    CLUSTER_NODE,
    CLUSTERS,
    DEFS,
    alternatives,
    is_model,
    json_types,
    snake_args,
)
from tests.support.stack_strategies import CREDENTIALS, VALIDITY, enum_of, stack_configs

# --- the schema the generators walk (tests/support/stack_schema.py) --------------------------

Path_ = tuple[str | int, ...]


def model_fields(
    node: dict[str, Any] = CLUSTER_NODE, path: Path_ = ()
) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """Every field reachable through models (not through lists) from ``node``."""
    for alt in alternatives(node):
        if not is_model(alt):
            continue
        for key, sub in alt["properties"].items():
            yield (*path, key), sub
            yield from model_fields(sub, (*path, key))


# --- invalid input: mutations of valid configs ---------------------------------------------------


def typed_positions(
    value: Any, node: dict[str, Any], path: Path_ = ()
) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """Every position in a cluster whose type the spec fixes, with its schema node."""
    if not json_types(node):
        return
    yield path, node
    for alt in alternatives(node):
        if is_model(alt) and isinstance(value, dict):
            for key, item in value.items():
                if key in alt["properties"]:
                    yield from typed_positions(item, alt["properties"][key], (*path, key))
            return
        if alt.get("type") == "array" and isinstance(value, list):
            for index, item in enumerate(value):
                yield from typed_positions(item, alt["items"], (*path, index))
            return
        if (
            alt.get("type") == "object"
            and isinstance(alt.get("additionalProperties"), dict)
            and isinstance(value, dict)
        ):
            for key, item in value.items():
                yield from typed_positions(item, alt["additionalProperties"], (*path, key))
            return


def get_in(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def set_in(value: Any, path: Path_, new: Any) -> None:
    for step in path[:-1]:
        if isinstance(value, dict) and not isinstance(value.get(step), dict | list):
            value[step] = {}
        value = value[step]
    value[path[-1]] = new


JSON_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.one_of(st.text(max_size=8), st.sampled_from(["1", "true", "null", "1.20"])),
    "integer": st.integers(-5, 10**6),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    "boolean": st.booleans(),
    "null": st.none(),
    "object": st.dictionaries(st.sampled_from(["a", "name", "type"]), st.integers(0, 3), max_size=2),
    "array": st.lists(st.integers(0, 3), max_size=2),
}

# Values that no field of this name accepts, whichever model holds it.
BAD_VALUES: dict[str, list[Any]] = {
    "name": ["Orders", "1orders", "-a", "a_b", "a.b", "", "a" * 64],
    "namespace": ["Flink", "-flink", "flink.prod", "", "n" * 64],
    "flinkVersion": ["1.13", "3.0", "1.20.x", "latest", "1", "", " 2.3 x"],
    "cpu": ["0", "-1", "1.5x", "0.0001", "", "1 cpu", "1e3m"],
    "memory": ["0", "1G", "12.5Mi", "abc", "", "-2Gi", "1.5"],
    "storage": ["0", "1G", "abc", ""],
    "jar": [
        "job.jar",
        f"{USRLIB_DIR}/job.zip",
        "https://repo.example.com/jobs/",
        "ftp://x/y.jar",
        "/with space.jar",
    ],
    "jobId": ["xyz", "0" * 31, "A" * 32, "0" * 33],
    "entryClass": ["1abc", "a..b", "com.example.Job!", ""],
    "storageDir": ["bucket/x", "/data", "s3://b/with space", ""],
    "existingQuorum": ["zk", "zk:abc", ":2181", "zk-0:2181,"],
    "pathRoot": ["flink", "/with space", ""],
    "savepoint": ["", "s3://b/with space"],
    "jarFetchImage": ["", "curl image"],
    "image": ["", "flink image"],
    "clusterId": ["Orders", "-x", ""],
    "volumeClaim": ["Claim", ""],
    "credentialsSecret": ["S3 keys", ""],
    "serviceAccountName": ["Flink", ""],
    "imagePullSecrets": [["Registry"], [""]],
    "labels": [{"bad key!": "x"}, {"team": "bad value!"}, {"team": "v" * 64}, {"/x": "y"}],
    "annotations": [{"bad key!": "x"}, {"/x": "y"}],
    "flinkConfiguration": [{"": "x"}, {"with space": 1}, {"state.backend.type": "rocksdb\nx: 1"}],
    "env": [[{"value": "no name"}], [{"name": "A"}, {"name": "A"}]],
    "volumes": [[{"emptyDir": {}}], [{"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}}]],
    "volumeMounts": [[{"name": "a"}], [{"mountPath": "/a"}]],
}


def cross_field_violations() -> dict[str, Callable[[dict[str, Any]], None]]:
    """Rules across fields, each broken in a way nothing else in the cluster can make legal."""
    app_job = {"jar": f"{USRLIB_DIR}/job.jar"}

    def standby_without_ha(c: dict[str, Any]) -> None:
        c.setdefault("jobManager", {})["replicas"] = 2
        c["highAvailability"] = {}

    def per_job_without_jobs(c: dict[str, Any]) -> None:
        c.update(mode="per-job", jobs=[])
        c.pop("job", None)

    def native_per_job(c: dict[str, Any]) -> None:
        c.update(mode="per-job", native=True)

    def application_without_job(c: dict[str, Any]) -> None:
        c.update(mode="application")
        c.pop("job", None)

    def job_in_session_mode(c: dict[str, Any]) -> None:
        c.update(mode="session", job=app_job)

    def jobs_outside_per_job(c: dict[str, Any]) -> None:
        c.update(mode="session", jobs=[{"name": "a", **app_job}])

    def ha_without_storage(c: dict[str, Any]) -> None:
        c["highAvailability"] = {"type": "kubernetes"}

    def file_storage_without_claim(c: dict[str, Any]) -> None:
        c["highAvailability"] = {"type": "kubernetes", "storageDir": "file:///flink-ha"}

    def object_store_without_patch_version(c: dict[str, Any]) -> None:
        c["flinkVersion"] = "1.20"
        c["highAvailability"] = {"type": "kubernetes", "storageDir": "s3://bucket/flink"}

    def zetcd_on_flink_2(c: dict[str, Any]) -> None:
        c["flinkVersion"] = "2.0.0"
        c["highAvailability"] = {"type": "zetcd", "storageDir": "s3://bucket/flink"}

    def node_port_without_node_port_exposure(c: dict[str, Any]) -> None:
        c["rest"] = {"exposure": "LoadBalancer", "nodePort": 30080}

    def duplicate_ports(c: dict[str, Any]) -> None:
        c["ports"] = {"rpc": 7000, "blob": 7000}

    def managed_flink_key(c: dict[str, Any]) -> None:
        c.setdefault("flinkConfiguration", {})[sorted(MANAGED_KEYS)[len(c["name"]) % len(MANAGED_KEYS)]] = "1"

    def reserved_label(c: dict[str, Any]) -> None:
        c.setdefault("labels", {})[RESERVED_LABEL_KEYS[0]] = "x"

    def workload_outside_standalone_application(c: dict[str, Any]) -> None:
        c["mode"] = "session"
        c.setdefault("jobManager", {})["workload"] = "Deployment"

    def native_taskmanager_replicas(c: dict[str, Any]) -> None:
        c["native"] = True
        c.setdefault("taskManager", {})["replicas"] = 2

    def skip_state_without_savepoint(c: dict[str, Any]) -> None:
        c.update(mode="application", job={**app_job, "allowNonRestoredState": True})

    def credential_in_flink_configuration(c: dict[str, Any]) -> None:
        c.setdefault("flinkConfiguration", {})["s3.secret-key"] = "abc"

    def plain_credential_env(c: dict[str, Any]) -> None:
        c["pod"] = {"env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}

    def mount_without_volume(c: dict[str, Any]) -> None:
        c["pod"] = {"volumeMounts": [{"name": "nope", "mountPath": "/nope"}]}

    def mount_over_configuration(c: dict[str, Any]) -> None:
        c["pod"] = {
            "volumes": [{"name": "x", "emptyDir": {}}],
            "volumeMounts": [{"name": "x", "mountPath": "/opt/flink/conf"}],
        }

    def per_job_name_too_long(c: dict[str, Any]) -> None:
        c.update(name="a" * 30, mode="per-job", native=False, jobs=[{"name": "b" * 12, **app_job}])
        c.pop("job", None)

    def memory_below_flink_minimum(c: dict[str, Any]) -> None:
        c.setdefault("taskManager", {})["memory"] = "512Mi"

    return {f.__name__: f for f in locals().values() if callable(f)}


CROSS_FIELD = cross_field_violations()


def unknown_keys(properties: dict[str, Any]) -> st.SearchStrategy[str]:
    known = set(properties) | {to_snake(key) for key in properties}
    return st.from_regex(r"[a-zA-Z][a-zA-Z_]{0,12}", fullmatch=True).filter(lambda k: k not in known)


@st.composite
def invalid_clusters(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(what was broken, a cluster the library must refuse), from a valid cluster."""
    cluster = draw(stack_configs())[CLUSTERS][0]
    return break_cluster(draw, cluster), cluster


def break_cluster(draw: st.DrawFn, cluster: dict[str, Any]) -> str:
    """Make a valid cluster invalid, in place; returns what was broken."""
    positions = list(typed_positions(cluster, CLUSTER_NODE))
    kind = draw(
        st.sampled_from(["wrong type", "unknown key", "out of range", "bad value", "missing", "cross-field"])
    )
    if kind == "wrong type":
        path, node = draw(st.sampled_from([p for p in positions if p[0]]))
        wrong = sorted(set(JSON_VALUES) - json_types(node))
        set_in(cluster, path, draw(st.sampled_from(wrong).flatmap(JSON_VALUES.__getitem__)))
    elif kind == "unknown key":
        models_here = [
            (p, alt)
            for p, n in positions
            for alt in alternatives(n)
            if is_model(alt) and isinstance(get_in(cluster, p), dict)
        ]
        path, model = draw(st.sampled_from(models_here))
        get_in(cluster, path)[draw(unknown_keys(model["properties"]))] = draw(JSON_VALUES["integer"])
    elif kind == "out of range":
        bounded = [
            (p, alt)
            for p, n in model_fields()
            for alt in alternatives(n)
            if alt.get("type") == "integer" and ("minimum" in alt or "maximum" in alt)
        ]
        path, node = draw(st.sampled_from(bounded))
        low = st.integers(node["minimum"] - 1000, node["minimum"] - 1) if "minimum" in node else st.nothing()
        high = st.integers(node["maximum"] + 1, node["maximum"] + 1000) if "maximum" in node else st.nothing()
        set_in(cluster, path, draw(st.one_of(low, high)))
    elif kind == "bad value":
        fields = {p: n for p, n in model_fields() if p[-1] in BAD_VALUES or enum_of(n)}
        # Fields inside lists too (jobs[0].name); not keys of maps (a label called 'name').
        by_path = dict(positions)
        fields.update(
            {
                p: n
                for p, n in positions
                if p
                and (p[-1] in BAD_VALUES or enum_of(n))
                and any(is_model(a) and p[-1] in a["properties"] for a in alternatives(by_path[p[:-1]]))
            }
        )
        path = draw(st.sampled_from(sorted(fields, key=str)))
        if enum_of(fields[path]):
            allowed = enum_of(fields[path])
            bad = st.one_of(
                st.text(max_size=8), st.sampled_from([v.upper() for v in allowed] + [" " + allowed[0]])
            )
            set_in(cluster, path, draw(bad.filter(lambda v: v not in allowed)))
        else:
            set_in(cluster, path, draw(st.sampled_from(BAD_VALUES[str(path[-1])])))
    elif kind == "missing":
        required = [
            (p, key)
            for p, n in positions
            for alt in alternatives(n)
            if is_model(alt) and isinstance(get_in(cluster, p), dict)
            for key in alt.get("required", [])
        ]
        path, key = draw(st.sampled_from(required))
        del get_in(cluster, path)[key]
        kind = f"missing {key}"
    else:
        name = draw(st.sampled_from(sorted(CROSS_FIELD)))
        CROSS_FIELD[name](cluster)
        kind = name
    return kind


@st.composite
def invalid_stack_configs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(what was broken, a stack config the library must refuse)."""
    config = draw(stack_configs())
    where = draw(st.sampled_from(["cluster", "cluster", "cluster", "stack"]))
    if where == "cluster":
        index = draw(st.integers(0, len(config[CLUSTERS]) - 1))
        return break_cluster(draw, config[CLUSTERS][index]), config
    kind = draw(
        st.sampled_from(
            [
                "unknown stack key",
                "duplicate cluster",
                "clusters not a list",
                "empty clusters",
                "cluster not a mapping",
                "credentials for no cluster",
                "plain-text credential",
                "credentials not a mapping",
                "secret inside clusters",
            ]
        )
    )
    first = config[CLUSTERS][0]
    if kind == "unknown stack key":
        config[f"{PROJECT}:{draw(unknown_keys({'clusters': 1, 'haCredentials': 1}))}"] = "x"
    elif kind == "duplicate cluster":
        config[CLUSTERS].append({**copy.deepcopy(first), "namespace": "elsewhere"})
    elif kind == "clusters not a list":
        config[CLUSTERS] = draw(st.sampled_from([first, "orders", 3, True]))
    elif kind == "empty clusters":
        config[CLUSTERS] = []
    elif kind == "cluster not a mapping":
        config[CLUSTERS].append(draw(st.sampled_from([[first], "orders", 1, None])))
    elif kind == "credentials for no cluster":
        config[CREDENTIALS] = {"nosuchcluster": {"AWS_ACCESS_KEY_ID": {"secure": "v1:x"}}}
    elif kind == "plain-text credential":
        config[CREDENTIALS] = {first["name"]: {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}}
    elif kind == "credentials not a mapping":
        config[CREDENTIALS] = draw(
            st.sampled_from([["x"], "x", 1, {first["name"]: "x"}, {first["name"]: {}}])
        )
    else:
        first.setdefault("pod", {})["serviceAccountName"] = {"secure": "v1:x"}
    return kind, config


# --- checks on what a render holds -----------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _schemas_loaded_once() -> Iterator[None]:
    """kubernetes-validate reads its JSON schemas from disk on every call (most of its time);
    read each once for this module. The validation itself is unchanged."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            kubernetes_validate.utils,
            "schema_contents",
            functools.cache(kubernetes_validate.utils.schema_contents),
        )
        yield


_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
# Kinds whose name becomes a pod's hostname or a label value: a DNS label, not only a subdomain.
_LABEL_NAMED_KINDS = {
    "Service": _DNS1035_LABEL,
    "StatefulSet": _DNS1123_LABEL,
    "Job": _DNS1123_LABEL,
    "Deployment": _DNS1123_LABEL,
}


def _label_key_ok(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    return (not slash or bool(_DNS1123_SUBDOMAIN.match(prefix))) and bool(
        re.match(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$", name)
    )


def assert_names_and_labels(obj: dict[str, Any]) -> None:
    meta = obj["metadata"]
    pattern = _LABEL_NAMED_KINDS.get(obj["kind"], _DNS1123_SUBDOMAIN)
    assert pattern.match(meta["name"]), f"{obj['kind']} name {meta['name']!r} is not a valid DNS name"
    assert _DNS1123_LABEL.match(meta.get("namespace", "default")), meta
    template = obj.get("spec", {}).get("template", {}).get("metadata", {})
    for labels in (meta.get("labels", {}), template.get("labels", {})):
        for key, value in labels.items():
            assert _label_key_ok(key) and _LABEL_VALUE.match(value), (
                f"label {key}={value!r} of {meta['name']}"
            )


def _int_formats() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    for name, bits in (("int32", 32), ("int64", 64)):
        checker.checks(name)(
            lambda value, bits=bits: (
                not isinstance(value, int) or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
            )
        )
    return checker


@functools.cache
def _kubernetes_definitions() -> tuple[Registry, dict[tuple[str, str], str]]:
    definitions = kubernetes_validate.utils.schema_contents(
        f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict/_definitions.json", KUBERNETES_VERSION
    )
    by_kind = {}
    for key, definition in definitions["$defs"].items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            by_kind[(api, gvk["kind"])] = f"{definitions['$id']}#/$defs/{key}"
    return Resource.from_contents(definitions) @ Registry(), by_kind


def is_builtin(obj: dict[str, Any]) -> bool:
    """A kind of Kubernetes itself (kubernetes-validate has no schema for custom resources)."""
    return (obj["apiVersion"], obj["kind"]) in _kubernetes_definitions()[1]


def assert_numbers_fit(obj: dict[str, Any]) -> None:
    """kubernetes-validate checks types, not the int32/int64 ranges the API server enforces."""
    registry, by_kind = _kubernetes_definitions()
    validator = jsonschema.Draft202012Validator(
        {"$ref": by_kind[(obj["apiVersion"], obj["kind"])]}, registry=registry, format_checker=_int_formats()
    )
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    assert not errors, f"{obj['kind']} {obj['metadata']['name']}: {errors}"


def rendered_files(objects: list[dict[str, Any]]) -> dict[Path, str]:
    return {object_relative_path(o): dump_yaml(o) for o in objects}


# --- 1. valid input renders objects Kubernetes accepts ----------------------------------------------


def test_valid_stack_configs_render_valid_deterministic_manifests() -> None:
    """Valid input renders objects Kubernetes takes (schema, number ranges, names, labels), and
    rendering it again, with the offline renderer from a stack file, writes exactly those
    objects, byte for byte (property 3's valid half: exit 0, one file per object)."""
    VALIDITY.clear()

    @fuzz_settings(12)
    @given(config=stack_configs())
    def render_is_valid(config: dict[str, Any]) -> None:
        objects = render_stack(parse_stack_config(config), stack_name="fuzz").kubernetes_objects()
        builtin = [o for o in objects if is_builtin(o)]
        validate_all(builtin)
        for obj in objects:
            if obj in builtin:
                assert_numbers_fit(obj)
            assert_names_and_labels(obj)
        files = rendered_files(objects)
        assert len(files) == len(objects), "two objects would share a file"

        code, stdout, stderr, _, written = run_cli(yaml.safe_dump({"config": config}), None)
        assert code == 0, stderr
        assert written == {str(path): text for path, text in files.items()}
        assert f"Wrote {len(objects)} objects" in stdout

    render_is_valid()
    # The generators keep up with the spec: most drawn configs are valid without help.
    share = VALIDITY["valid after repair"] / VALIDITY["drawn"]
    assert share >= 0.6, f"only {share:.0%} of generated stack configs are valid: {dict(VALIDITY)}"


# --- 2. invalid input: the library's own error, nothing registered -------------------------------------


@contextlib.contextmanager
def runtime_stack_config(config: dict[str, Any]) -> Iterator[None]:
    """Config as the language host hands it to the program under `pulumi up`: JSON text."""
    values = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    token = runtime_config.CONFIG.set(values)
    try:
        yield
    finally:
        runtime_config.CONFIG.reset(token)


def assert_clean_refusal(error: BaseException, render: Render, paths_required: bool = True) -> None:
    assert isinstance(error, FlinkSpecError), f"{type(error).__name__}: {error}"
    assert error.problems
    if paths_required:
        assert all(p.path for p in error.problems), error.problems
    assert all(p.message for p in error.problems), error.problems
    text = str(error)
    assert "pydantic" not in text and "validation error for" not in text and "Traceback" not in text, text
    assert render.resources == [], [r.name for r in render.resources]


def run_stack_program(
    config: dict[str, Any], build_valid: bool = True
) -> tuple[Render, BaseException | None]:
    """``program.main`` under mocks with ``config`` as runtime config: what it registered, and
    what it raised. ``build_valid=False``: config main would accept is only parsed (as main
    does first), not built, which saves a render."""
    render = Render()
    with runtime_stack_config(config):
        try:
            if not build_valid:
                try:
                    run_program(
                        lambda: parse_stack_config(current_stack_config(), PROJECT, current_secret_keys())
                    )
                except FlinkSpecError:
                    pass  # refused: main must refuse it as well, and register nothing
                else:
                    return render, None
            run_program(program_main, into=render)
        except Exception as exc:  # every kind: the property is that only one kind comes out
            return render, exc
    return render, None


@fuzz_settings(80)
@given(case=invalid_stack_configs())
def test_invalid_stack_configs_are_refused_before_anything_is_registered(
    case: tuple[str, dict[str, Any]],
) -> None:
    kind, config = case
    render, error = run_stack_program(config)
    assert error is not None, f"accepted after {kind}"
    assert_clean_refusal(error, render)


def arbitrary_json(keys: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
    keys = keys if keys is not None else st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
        max_leaves=20,
    )


ALL_KEYS = sorted({key for definition in DEFS.values() for key in definition.get("properties", {})})
# Arbitrary JSON that speaks the spec's vocabulary, so it gets past the first type check.
SPEC_SHAPED_JSON = arbitrary_json(st.one_of(st.sampled_from(ALL_KEYS), st.text(max_size=6)))


@fuzz_settings(100)
@given(
    clusters_value=st.one_of(
        arbitrary_json(), SPEC_SHAPED_JSON, st.lists(SPEC_SHAPED_JSON, min_size=1, max_size=2)
    ),
    credentials=st.one_of(
        st.just(None),
        arbitrary_json(),
        st.dictionaries(st.sampled_from(["analytics", "x"]), arbitrary_json(), max_size=2),
    ),
)
def test_arbitrary_json_values_are_refused_cleanly(clusters_value: Any, credentials: Any) -> None:
    config: dict[str, Any] = {CLUSTERS: clusters_value}
    if credentials is not None:
        config[CREDENTIALS] = credentials
    render, error = run_stack_program(config, build_valid=False)
    if error is not None:
        assert_clean_refusal(error, render)


@st.composite
def stacks_with_arbitrary_credentials(draw: st.DrawFn) -> dict[str, Any]:
    config = draw(stack_configs())
    names = st.sampled_from([c["name"] for c in config[CLUSTERS]])
    variables = st.one_of(
        st.sampled_from(["AWS_ACCESS_KEY_ID", "GOOGLE_APPLICATION_CREDENTIALS"]), st.text(max_size=6)
    )
    secrets = st.one_of(st.builds(lambda v: {"secure": v}, st.text(max_size=4)), arbitrary_json())
    credentials = st.one_of(
        arbitrary_json(),
        st.dictionaries(st.one_of(names, st.text(max_size=4)), arbitrary_json(), max_size=2),
        st.dictionaries(names, st.dictionaries(variables, secrets, max_size=3), max_size=2),
    )
    return {**config, CREDENTIALS: draw(credentials)}


@fuzz_settings(30)
@given(config=stacks_with_arbitrary_credentials())
def test_arbitrary_ha_credentials_next_to_valid_clusters(config: dict[str, Any]) -> None:
    render, error = run_stack_program(config, build_valid=False)
    if error is not None:
        assert_clean_refusal(error, render)


# --- 3. the offline renderer: exit 2, a message, nothing written -----------------------------------


def run_cli(
    config_text: str, previous: dict[str, str] | None
) -> tuple[int, str, str, Path, dict[str, str] | None]:
    with tempfile.TemporaryDirectory() as tmp:
        stack_file = Path(tmp) / "Pulumi.fuzz.yaml"
        stack_file.write_text(config_text)
        out = Path(tmp) / "out"
        if previous is not None:
            for relative, text in previous.items():
                (out / relative).parent.mkdir(parents=True, exist_ok=True)
                (out / relative).write_text(text)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli_main(["render", "--config", str(stack_file), "--out", str(out)])
        written = (
            {
                str(p.relative_to(out)): p.read_text()
                for p in out.rglob("*")
                if p.is_file() and p.name != RENDER_MARKER
            }
            if out.exists()
            else None
        )
        leftovers = sorted(p.name for p in Path(tmp).iterdir() if p.name.startswith(".out-"))
        assert not leftovers, f"staging folders left behind: {leftovers}"
        return code, stdout.getvalue(), stderr.getvalue(), stack_file, written


PREVIOUS_RENDER = {
    "flink/configmap-old-config.yaml": "kind: ConfigMap\n",
    "flink/service-old-rest.yaml": "kind: x\n",
}

YAML_KEYS = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none())
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(YAML_KEYS, children, max_size=3),
    max_leaves=12,
)


@st.composite
def invalid_stack_files(draw: st.DrawFn) -> tuple[str, str]:
    """(what is wrong, the text of a stack file the renderer must refuse)."""
    kind = draw(st.sampled_from(["config", "config", "config", "yaml keys", "document", "not yaml"]))
    if kind == "config":
        kind, config = draw(invalid_stack_configs())
        return kind, yaml.safe_dump({"config": config})
    if kind == "yaml keys":
        # YAML, unlike JSON, has keys that are not strings: anywhere in the config.
        config = draw(stack_configs())
        path, _ = draw(st.sampled_from(list(typed_positions(config[CLUSTERS][0], CLUSTER_NODE))))
        target = get_in(config[CLUSTERS][0], path) if path else config[CLUSTERS][0]
        where = draw(st.sampled_from(["config", "credentials", "inside"]))
        key = draw(st.one_of(st.integers(), st.booleans(), st.none()))
        if where == "config" or (not isinstance(target, dict) and where == "inside"):
            config[key] = "x"
        elif where == "credentials":
            config[CREDENTIALS] = {config[CLUSTERS][0]["name"]: {key: {"secure": "v1:x"}}}
        else:
            target[key] = "x"
        return "non-string key", yaml.safe_dump({"config": config})
    if kind == "document":
        document = draw(
            st.one_of(
                yaml_values,
                st.dictionaries(st.just("config"), yaml_values, min_size=1),
                st.builds(lambda v: {"config": {CLUSTERS: v}}, yaml_values),
            )
        )
        return "document", yaml.safe_dump(document)
    return "not yaml", draw(st.sampled_from(["config: [", "config:\n  a: b\n c: d", "\t- x", "{{"]))


@fuzz_settings(40)
@given(case=invalid_stack_files(), keep_previous=st.booleans())
def test_renderer_refuses_invalid_stack_files_and_writes_nothing(
    case: tuple[str, str], keep_previous: bool
) -> None:
    kind, text = case
    previous = PREVIOUS_RENDER if keep_previous else None
    code, stdout, stderr, _, written = run_cli(text, previous)
    if kind == "document" and code == 0:
        return  # arbitrary YAML that happens to be a valid stack
    assert code == 2, f"{kind}: exit {code}; stderr: {stderr}"
    assert stdout == "", stdout
    assert stderr.startswith("error: ") and len(stderr) > len("error: ") + 10, stderr
    assert "Traceback" not in stderr
    assert written == previous, f"{kind}: the output folder changed"


# --- 4. the component: FlinkCluster(name, args) with snake_case args ---------------------------------


def construct(name: str, args: Any) -> tuple[Render, BaseException | None, dict[str, Any]]:
    render, seen = Render(), {}
    try:
        run_program(lambda: seen.update(cluster=FlinkCluster(name, args)), into=render)
    except Exception as exc:
        return render, exc, seen
    return render, None, seen


@fuzz_settings(60)
@given(case=invalid_clusters(), shape=st.sampled_from(["snake", "snake", "camel", "not a mapping"]))
def test_flink_cluster_refuses_invalid_args_before_registering(
    case: tuple[str, dict[str, Any]], shape: str
) -> None:
    kind, cluster = case
    args: Any = {"snake": snake_args, "camel": lambda c: c}.get(shape, lambda c: [c])(cluster)
    render, error, _ = construct("fuzzed", args)
    assert error is not None, f"accepted after {kind}: {args}"
    assert_clean_refusal(error, render, paths_required=shape != "not a mapping")


@fuzz_settings(30)
@given(config=stack_configs(), credentials=st.one_of(st.none(), arbitrary_json()))
def test_flink_cluster_takes_valid_args_and_refuses_bad_credentials(
    config: dict[str, Any], credentials: Any
) -> None:
    cluster = config[CLUSTERS][0]
    args = snake_args(cluster)
    if credentials is None:
        assert spec_from_args(args)[0] == FlinkClusterSpec.parse(cluster)
        return
    args["ha_credentials"] = credentials
    render, error, _ = construct(cluster["name"], args)
    if error is not None:
        assert_clean_refusal(error, render)
    else:  # credentials taken: they become a Secret that Kubernetes must accept
        validate_all([o for o in render.kubernetes_objects() if is_builtin(o)])


# --- regressions: what the properties found ----------------------------------------------------------
# Each input below is what a property above reduced a failure to; each failed with a Python
# exception (not FlinkSpecError) or hung before the fix next to it.

BASE = {"name": "orders", "flinkVersion": "1.20.3"}
S3_HA = {"type": "kubernetes", "storageDir": "s3://bucket/flink"}


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (1e39, "taskmanager.memory.managed.fraction"),  # OverflowError: float too large to pack with f format
        ("inf", "taskmanager.memory.managed.fraction"),  # OverflowError: cannot convert Infinity to integer
        (float("inf"), "jobmanager.memory.jvm-overhead.fraction"),  # YAML's .inf
    ],
)
def test_memory_fractions_beyond_a_float_are_refused(value: Any, key: str) -> None:
    """validation.memory.check_memory: Flink's float fractions overflow; refused at their key."""
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({CLUSTERS: [{**BASE, "flinkConfiguration": {key: value}}]})
    assert info.value.paths == [f"clusters[0].flinkConfiguration.{key}"]


@pytest.mark.parametrize(
    ("config", "path"),
    [
        # program.parse_stack_config: TypeError '<' not supported between 'int' and 'str'
        ({CLUSTERS: [BASE], 0: "x"}, "0"),
        ({CLUSTERS: [BASE], None: "x"}, "None"),
        # spec.SpecModel.parse: TypeError: keywords must be strings (pydantic calls __init__(**data))
        ({CLUSTERS: [{**BASE, 0: "x"}]}, "clusters[0].0"),
        ({CLUSTERS: [{**BASE, "taskManager": {True: 2}}]}, "clusters[0].taskManager.True"),
        (
            {
                CLUSTERS: [
                    {**BASE, "mode": "per-job", "jobs": [{"name": "a", "jar": f"{USRLIB_DIR}/a.jar", 3: 1}]}
                ]
            },
            "clusters[0].jobs[0].3",
        ),
        # validation.secrets.check_ha_credentials: TypeError: expected string or bytes-like object, got 'int'
        (
            {
                CLUSTERS: [{**BASE, "highAvailability": S3_HA}],
                CREDENTIALS: {"orders": {1: {"secure": "v1:x"}}},
            },
            f"{CREDENTIALS}.orders",
        ),
    ],
)
def test_yaml_keys_that_are_not_strings_are_refused(config: dict[Any, Any], path: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config(config)
    assert path in info.value.paths
    code, _, stderr, _, written = run_cli(yaml.safe_dump({"config": config}), None)
    assert (code, written) == (2, None) and stderr.startswith("error: "), stderr


def test_a_huge_store_is_refused_before_its_quorum_is_built() -> None:
    """spec.StoreSpec.replicas: 2**31 - 1 ZooKeeper servers made the per-job quorum string (one
    entry per server) take minutes and gigabytes before anything was checked."""
    ha = {**S3_HA, "type": "zookeeper", "zookeeper": {"replicas": 2**31 - 1}}
    cluster = {
        **BASE,
        "mode": "per-job",
        "jobs": [{"name": "a", "jar": f"{USRLIB_DIR}/a.jar"}],
        "highAvailability": ha,
    }
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({CLUSTERS: [cluster]})
    assert info.value.paths == ["clusters[0].highAvailability.zookeeper.replicas"]


@pytest.mark.parametrize(
    "cluster",
    [
        # spec._check_label_key: an empty prefix before '/' passed; Kubernetes refuses the key
        {**BASE, "labels": {"/team": "data"}},
        {**BASE, "annotations": {"/owner": "x"}},
        {**BASE, "rest": {"annotations": {"/lb": "internal"}}},
        # spec.StoreSpec and ZetcdSpec: empty images and images with spaces passed (Flink's refused)
        {**BASE, "highAvailability": {"zookeeper": {"image": ""}}},
        {**BASE, "highAvailability": {"etcd": {"image": "etcd v3"}}},
        {**BASE, "highAvailability": {"zetcd": {"image": ""}}},
    ],
)
def test_values_kubernetes_would_refuse_are_refused(cluster: dict[str, Any]) -> None:
    render = Render()
    with pytest.raises(FlinkSpecError) as info:
        run_program(lambda: FlinkCluster("orders", snake_args(cluster)), into=render)
    assert len(info.value.problems) == 1 and render.resources == []
