"""The Pulumi component package (package/): the schema other languages get, and FlinkCluster
built through the provider's construct path exactly as the Python library builds it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import runpy
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any, Literal

import pulumi
import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.runtime import rpc

import pulumi_flink
from pulumi_flink import FlinkCluster, FlinkClusterArgs, spec_args
from pulumi_flink.offline.renderer import REDACTED, Render, run_program
from pulumi_flink.package import args as generated_args
from pulumi_flink.resources.meta import TYPE_PREFIX
from pulumi_flink.spec import FlinkClusterSpec, SpecModel
from pulumi_flink.spec.errors import FlinkSpecError
from scripts.generators import args as args_generator
from tests.support.paths import ROOT

PACKAGE = ROOT / "package"
TOKEN = f"{TYPE_PREFIX}:FlinkCluster"
PACKAGE_NAME = TYPE_PREFIX.split(":")[0]
ANY = "pulumi.json#/Any"
STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module")
def provider() -> ComponentProvider:
    return ComponentProvider([FlinkCluster], PACKAGE_NAME, version=pulumi_flink.__version__)


@pytest.fixture(scope="module")
def schema(provider: ComponentProvider) -> dict[str, Any]:
    assert provider.schema is not None
    loaded: dict[str, Any] = json.loads(provider.schema)
    return loaded


def resource(schema: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = schema["resources"][TOKEN]
    return found


def type_of(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["types"][ref.removeprefix("#/types/")]
    return found


def model_token(model: type[SpecModel]) -> str:
    return f"{PACKAGE_NAME}:index:{args_generator.args_name(model)}"


MODELS = args_generator.reachable_models()


def model_properties(schema: dict[str, Any], model: type[SpecModel]) -> dict[str, Any]:
    """The schema properties of a spec model (the root's are the resource's inputs)."""
    if model is FlinkClusterSpec:
        found: dict[str, Any] = resource(schema)["inputProperties"]
    else:
        found = schema["types"][model_token(model)]["properties"]
    return found


def walk(prop: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A property and its items and map values, each with a path."""
    yield path, prop
    if "items" in prop:
        yield from walk(prop["items"], f"{path}[]")
    if "additionalProperties" in prop:
        yield from walk(prop["additionalProperties"], f"{path}{{}}")


def all_properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    res = resource(schema)
    for kind in ("inputProperties", "properties"):
        for name, prop in res[kind].items():
            yield from walk(prop, f"{kind}.{name}")
    for token, typ in schema["types"].items():
        for name, prop in typ.get("properties", {}).items():
            yield from walk(prop, f"{token}.{name}")


def literal_values(annotation: Any) -> tuple[str, ...] | None:
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is Literal:
            return typing.get_args(arg)
    return None


# --- the schema --------------------------------------------------------------------------------


def test_the_package_has_exactly_the_flink_cluster_resource(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE_NAME == "flink"
    assert schema["version"] == pulumi_flink.__version__
    assert list(schema["resources"]) == [TOKEN] == ["flink:index:FlinkCluster"]
    assert resource(schema)["isComponent"] is True
    assert resource(schema)["description"].startswith("A Flink cluster on Kubernetes")


def test_every_ref_resolves_and_every_type_is_the_packages(schema: dict[str, Any]) -> None:
    refs = [(path, prop["$ref"]) for path, prop in all_properties(schema) if "$ref" in prop]
    assert refs
    for path, ref in refs:
        # Built-in: pulumi.json#/Any for Kubernetes objects (pod.env, ...) and Flink config values.
        known = ref.startswith("#/types/") and ref.removeprefix("#/types/") in schema["types"]
        assert ref == ANY or known, (path, ref)
    assert all(token.startswith("flink:index:") for token in schema["types"])
    used = {ref.removeprefix("#/types/") for _, ref in refs if ref != ANY}
    assert used == set(schema["types"]), "every type is used"


def test_every_property_has_a_description_and_a_type(schema: dict[str, Any]) -> None:
    for path, prop in all_properties(schema):
        assert prop.get("description", "").strip(), path
        assert "type" in prop or "$ref" in prop, path
        # The analyzer copies docstrings verbatim: an indented line would be preformatted text
        # in the generated SDKs' docs (Go).
        assert not any(line.startswith((" ", "\t")) for line in prop["description"].splitlines()), path
    for token, typ in schema["types"].items():
        assert typ.get("description", "").strip(), token


def test_input_names_are_the_spec_aliases_at_every_level(schema: dict[str, Any]) -> None:
    objects = {token for token, typ in schema["types"].items() if "enum" not in typ}
    assert objects == {model_token(m) for m in MODELS if m is not FlinkClusterSpec}
    for model in MODELS:
        aliases = {info.alias for info in model.model_fields.values()}
        extra = {"haCredentials"} if model is FlinkClusterSpec else set()
        assert set(model_properties(schema, model)) == aliases | extra, model.__name__
        # The analyzer camel-cases the generated snake_case keys to exactly the spec's aliases.
        for name, info in model.model_fields.items():
            assert camel_case(name) == info.alias, (model.__name__, name)


def test_required_inputs_are_the_fields_without_defaults(schema: dict[str, Any]) -> None:
    for model in MODELS:
        required = sorted(info.alias or n for n, info in model.model_fields.items() if info.is_required())
        if model is FlinkClusterSpec:
            assert resource(schema)["requiredInputs"] == required == ["flinkVersion", "name"]
        else:
            assert schema["types"][model_token(model)].get("required", []) == required, model.__name__


def test_descriptions_are_the_spec_field_descriptions(schema: dict[str, Any]) -> None:
    for model in MODELS:
        properties = model_properties(schema, model)
        for name, info in model.model_fields.items():
            alias = info.alias or name
            assert properties[alias]["description"] == info.description, (model.__name__, alias)


def test_enums_carry_exactly_the_spec_literal_values(schema: dict[str, Any]) -> None:
    seen = set()
    for model in MODELS:
        properties = model_properties(schema, model)
        for name, info in model.model_fields.items():
            values = literal_values(info.annotation)
            prop = properties[info.alias or name]
            if values is None:
                assert "$ref" not in prop or not type_of(schema, prop["$ref"]).get("enum"), name
                continue
            enum = type_of(schema, prop["$ref"])
            assert enum["type"] == "string"
            assert tuple(member["value"] for member in enum["enum"]) == values, name
            seen.add(prop["$ref"].rsplit(":", 1)[1])
    assert seen == {
        "Mode",
        "ImagePullPolicy",
        "ConfigFile",
        "RestExposure",
        "HighAvailabilityType",
        "JobManagerWorkload",
        "SpreadTopology",
    }
    mode = schema["types"]["flink:index:Mode"]["enum"]
    assert [(m["name"], m["value"]) for m in mode] == [
        ("Session", "session"),
        ("Application", "application"),
        ("PerJob", "per-job"),
    ]


def test_spec_inputs_are_plain_and_only_credential_values_may_be_outputs(schema: dict[str, Any]) -> None:
    for model in MODELS:
        for name, prop in model_properties(schema, model).items():
            assert prop.get("plain") is True, (model.__name__, name)
    credentials = resource(schema)["inputProperties"]["haCredentials"]
    assert credentials["type"] == "object" and credentials["additionalProperties"]["type"] == "string"
    assert "plain" not in credentials["additionalProperties"]


OUTPUTS = {
    "namespace",
    "clusterName",
    "jobmanagerServiceName",
    "restServiceName",
    "restEndpoint",
    "restEndpoints",
    "haClusterIds",
    "haCleanup",
}


def test_outputs_are_described_and_only_outputs(schema: dict[str, Any]) -> None:
    outputs = resource(schema)["properties"]
    assert set(outputs) == OUTPUTS
    assert resource(schema)["required"] == sorted(
        ["namespace", "clusterName", "restEndpoints", "haClusterIds", "haCleanup"]
    )
    for name, prop in outputs.items():
        assert prop["description"].strip() and "plain" not in prop, name
    # The class-level annotations are the outputs; everything else lives on the instance.
    for name, annotation in inspect.get_annotations(FlinkCluster).items():
        inner = typing.get_args(annotation)[0] if type(None) in typing.get_args(annotation) else annotation
        assert typing.get_origin(inner) is pulumi.Output, name


# --- the generated input types -----------------------------------------------------------------


def _component_classes() -> set[str]:
    """The name of every ComponentResource subclass any module of ``pulumi_flink`` defines."""
    found: set[str] = set()
    for info in pkgutil.walk_packages(pulumi_flink.__path__, "pulumi_flink."):
        for value in vars(importlib.import_module(info.name)).values():
            if (
                inspect.isclass(value)
                and issubclass(value, pulumi.ComponentResource)
                and value.__module__.startswith("pulumi_flink.")
            ):
                found.add(value.__name__)
    return found


def test_no_input_type_is_named_like_a_component(schema: dict[str, Any]) -> None:
    """A TypedDict ``TaskManager`` next to the component ``TaskManager`` would be two things of
    one name in Python, and in a schema serving both, a type and a resource of one token."""
    components = _component_classes()
    assert {"FlinkCluster", "JobManager", "TaskManager", "Zetcd"} <= components
    generated = {
        name
        for name, value in vars(generated_args).items()
        if inspect.isclass(value) and value.__module__ == generated_args.__name__
    }
    assert generated & components == set()
    assert {args_generator.args_name(model) for model in MODELS} <= generated
    type_names = {token.rsplit(":", 1)[1]: found["type"] for token, found in schema["types"].items()}
    assert set(type_names) & components == set()
    assert [name for name, kind in type_names.items() if kind == "object" and not name.endswith("Args")] == []


# --- construct: the path every other language takes ---------------------------------------------


def stack_clusters() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, cluster item, its haCredentials names) of every stack file."""
    items = []
    for path in STACK_FILES:
        config = yaml.safe_load(path.read_text())["config"]
        credentials = config.get("pulumi-flink:haCredentials") or {}
        for index, item in enumerate(config["pulumi-flink:clusters"]):
            items.append((f"{path.stem}[{index}]", item, dict(credentials.get(item["name"], {}))))
    return items


STACK_CLUSTERS = stack_clusters()


def wire(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as the provider receives it from the engine: through a protobuf Struct (so
    every number is a float) and the SDK's own deserialisation."""
    struct = struct_pb2.Struct()
    struct.update(value)
    plain: dict[str, Any] = rpc.deserialize_properties(struct, keep_unknowns=True)
    return plain


def construct(
    provider: ComponentProvider, name: str, inputs: dict[str, Any], into: Render | None = None
) -> Render:
    return run_program(
        lambda: provider.construct(name, TOKEN, inputs, pulumi.ResourceOptions()) and None, into=into
    )


def secrets(names: dict[str, Any]) -> dict[str, pulumi.Output[str]]:
    return {key: pulumi.Output.secret(f"value-of-{key}") for key in sorted(names)}


def tree(render: Render) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Every resource with its parent and dependencies (registration order is the engine's)."""
    return sorted((r.type, r.name, r.parent, r.dependencies) for r in render.resources)


def test_wire_numbers_are_floats() -> None:
    assert wire({"parallelism": 2}) == {"parallelism": 2.0}
    assert isinstance(wire({"parallelism": 2})["parallelism"], float)


@pytest.mark.parametrize(
    ("item", "credentials"), [c[1:] for c in STACK_CLUSTERS], ids=[c[0] for c in STACK_CLUSTERS]
)
def test_construct_builds_what_the_python_library_builds(
    provider: ComponentProvider, item: dict[str, Any], credentials: dict[str, Any]
) -> None:
    spec = FlinkClusterSpec.parse(item)
    inputs = wire(item)

    def through_construct() -> None:
        given = {**inputs, "haCredentials": secrets(credentials)} if credentials else inputs
        provider.construct(spec.name, TOKEN, given, pulumi.ResourceOptions())

    def in_python() -> None:
        FlinkCluster(spec.name, spec_args(spec, ha_credentials=secrets(credentials) if credentials else None))

    constructed, direct = run_program(through_construct), run_program(in_python)
    assert constructed.kubernetes_objects() == direct.kubernetes_objects()
    assert tree(constructed) == tree(direct)
    assert len(constructed.kubernetes_objects()) >= 5
    if credentials:
        (secret,) = [o for o in constructed.kubernetes_objects() if o["kind"] == "Secret"]
        assert secret["stringData"] == dict.fromkeys(sorted(credentials), REDACTED)


def test_construct_returns_the_outputs_by_their_schema_names(provider: ComponentProvider) -> None:
    (item,) = [c[1] for c in STACK_CLUSTERS if c[0] == "Pulumi.dev[0]"]
    seen: dict[str, Any] = {}

    def program() -> Any:
        result = provider.construct("analytics", TOKEN, wire(item), pulumi.ResourceOptions())
        seen["keys"] = set(result.state)
        return pulumi.Output.all(**result.state).apply(seen.update)

    run_program(program)
    assert seen["keys"] == OUTPUTS
    assert seen["restEndpoint"] == "http://analytics-rest.flink-dev.svc:8081"
    assert seen["restEndpoints"] == {"analytics": seen["restEndpoint"]} and seen["haClusterIds"] == {}
    assert seen["clusterName"] == "analytics"


BASE = {"name": "analytics", "flinkVersion": "1.20", "namespace": "flink"}


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({**BASE, "taskManager": {"replicas": 0}}, "taskManager.replicas"),
        ({**BASE, "jobManager": {"memory": "1600MB"}}, "jobManager.memory"),
        ({**BASE, "mode": "per-job", "jobs": [{"name": "Bad", "jar": "/opt/flink/usrlib/a.jar"}]}, "jobs[0]"),
        ({**BASE, "flinkConfiguration": {"taskmanager.numberOfTaskSlots": 4}}, "flinkConfiguration."),
        ({**BASE, "highAvailability": {"type": "zookeeper"}}, "highAvailability.storageDir"),
        ({**BASE, "mode": "batch"}, "mode"),
        ({"name": "analytics"}, "flinkVersion"),
        ({**BASE, "pod": {"serviceAccountName": "Not_Valid"}}, "pod.serviceAccountName"),
    ],
)
def test_bad_input_through_construct_names_the_camel_case_path_and_registers_nothing(
    provider: ComponentProvider, inputs: dict[str, Any], words: str
) -> None:
    render = Render()
    with pytest.raises(Exception) as info:
        construct(provider, "analytics", wire(inputs), into=render)
    assert words in str(info.value)
    assert render.resources == []


def test_an_output_in_the_spec_is_refused_with_its_path(provider: ComponentProvider) -> None:
    render = Render()

    def program() -> None:
        namespace = pulumi.Output.from_input("flink")
        inputs = {**BASE, "namespace": namespace, "taskManager": {"cpu": pulumi.Output.secret("1")}}
        provider.construct("analytics", TOKEN, inputs, pulumi.ResourceOptions())

    with pytest.raises(Exception) as info:
        run_program(program, into=render)
    problems = info.value.inner if hasattr(info.value, "inner") else info.value
    assert isinstance(problems, FlinkSpecError)
    assert problems.paths == ["namespace", "taskManager.cpu"] and "haCredentials" in str(problems)
    assert render.resources == []


def test_credentials_must_be_a_map_with_known_keys(provider: ComponentProvider) -> None:
    render = Render()
    inputs = {**BASE, "flinkVersion": "1.20.3", "highAvailability": {"type": "kubernetes", "storageDir": "s3://b"}}

    def program() -> None:
        whole = pulumi.Output.secret({"AWS_ACCESS_KEY_ID": "x"})
        provider.construct("analytics", TOKEN, {**inputs, "haCredentials": whole}, pulumi.ResourceOptions())

    with pytest.raises(Exception, match="haCredentials") as info:
        run_program(program, into=render)
    error = getattr(info.value, "inner", info.value)
    assert isinstance(error, FlinkSpecError) and error.paths == ["haCredentials"]
    assert render.resources == []


def test_python_callers_get_camel_case_paths_and_whole_floats_as_ints() -> None:
    render = Render()
    with pytest.raises(FlinkSpecError) as info:
        bad: Any = {**BASE, "task_manager": {"slots": 0}}
        run_program(lambda: FlinkCluster("analytics", bad), into=render)
    assert info.value.paths == ["taskManager.slots"] and render.resources == []

    seen: dict[str, Any] = {}
    args: Any = {"name": "analytics", "flink_version": "1.20", "parallelism": 2.0}
    args["mode"] = pulumi_flink.Mode.Session
    args["flink_configuration"] = {"x.ratio": 0.5, "x.count": 3.0}
    run_program(lambda: seen.update(spec=FlinkCluster("analytics", args).spec))
    spec = seen["spec"]
    assert spec.parallelism == 2 and isinstance(spec.parallelism, int) and spec.mode == "session"
    assert spec.flink_configuration == {"x.ratio": 0.5, "x.count": 3}
    assert isinstance(spec.flink_configuration["x.count"], int)


def test_whole_floats_in_pod_hooks_are_ints_again() -> None:
    """Kubernetes' checks want ints (an affinity weight, tolerationSeconds, a file mode), and
    every number crosses the Pulumi wire as a float; a fraction stays what it is, and is refused."""
    seen: dict[str, Any] = {}
    pod = {
        "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60.0}],
        "volumes": [{"name": "tls", "secret": {"secretName": "tls", "defaultMode": 420.0}}],
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100.0, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}]}},
    }
    args: Any = {**BASE, "pod": pod}
    run_program(lambda: seen.update(spec=FlinkCluster("analytics", args).spec))
    spec = seen["spec"]
    assert spec.pod.tolerations[0]["tolerationSeconds"] == 60
    assert isinstance(spec.pod.tolerations[0]["tolerationSeconds"], int)
    assert isinstance(spec.pod.volumes[0]["secret"]["defaultMode"], int)
    weighted = spec.pod.affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert isinstance(weighted["weight"], int)
    render = Render()
    fraction: Any = {**BASE, "pod": {"tolerations": [{**pod["tolerations"][0], "tolerationSeconds": 1.5}]}}
    with pytest.raises(FlinkSpecError) as info:
        run_program(lambda: FlinkCluster("analytics", fraction), into=render)
    assert info.value.paths == ["pod.tolerations[0].tolerationSeconds"] and render.resources == []


@pytest.mark.parametrize(
    ("item", "credentials"), [c[1:] for c in STACK_CLUSTERS], ids=[c[0] for c in STACK_CLUSTERS]
)
def test_a_spec_builds_what_its_args_build(item: dict[str, Any], credentials: dict[str, Any]) -> None:
    """``FlinkCluster`` takes a ``FlinkClusterSpec`` as args too (the stack program's way: no
    trip through args and back), its ``haCredentials`` beside it."""
    spec = FlinkClusterSpec.parse(item)

    def from_spec() -> None:
        FlinkCluster(spec.name, spec, ha_credentials=secrets(credentials) if credentials else None)

    def from_args() -> None:
        FlinkCluster(spec.name, spec_args(spec, ha_credentials=secrets(credentials) if credentials else None))

    given_spec, given_args = run_program(from_spec), run_program(from_args)
    assert given_spec.kubernetes_objects() == given_args.kubernetes_objects()
    assert tree(given_spec) == tree(given_args) and len(tree(given_spec)) >= 5


def test_the_schema_still_reads_args_as_flink_cluster_args(schema: dict[str, Any]) -> None:
    """``args`` may be a spec in Python; the schema the other languages get knows only args."""
    assert inspect.get_annotations(FlinkCluster.__init__)["args"] is FlinkClusterArgs
    assert "haCredentials" in resource(schema)["inputProperties"]
    assert "haCredentials" not in resource(schema)["requiredInputs"]


@pytest.mark.parametrize("item", [c[1] for c in STACK_CLUSTERS], ids=[c[0] for c in STACK_CLUSTERS])
def test_spec_args_round_trips_every_stack_cluster(item: dict[str, Any]) -> None:
    spec = FlinkClusterSpec.parse(item)
    args = spec_args(spec)
    assert FlinkClusterSpec.parse(args) == spec
    if "mode" in args:
        assert isinstance(args["mode"], Enum) and args["mode"].value == spec.mode


# --- the YAML example --------------------------------------------------------------------------

SCALARS = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def schema_problems(schema: dict[str, Any], value: Any, prop: dict[str, Any], path: str) -> list[str]:
    """What is wrong with ``value`` for schema property ``prop``: unknown keys, missing
    required keys, values outside an enum, wrong types."""
    ref = prop.get("$ref")
    if ref == ANY:
        return []
    if ref is not None:
        typ = type_of(schema, ref)
        if "enum" in typ:
            allowed = [member["value"] for member in typ["enum"]]
            return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed}"]
        return object_problems(schema, value, typ.get("properties", {}), typ.get("required", []), path)
    kind = prop["type"]
    if kind in SCALARS:
        ok = isinstance(value, SCALARS[kind]) and (kind == "boolean" or not isinstance(value, bool))
        return [] if ok else [f"{path}: expected {kind}, got {value!r}"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        items = prop["items"]
        return [p for i, v in enumerate(value) for p in schema_problems(schema, v, items, f"{path}[{i}]")]
    if not isinstance(value, dict):
        return [f"{path}: expected a map"]
    values = prop.get("additionalProperties", {"$ref": ANY})
    return [p for k, v in value.items() for p in schema_problems(schema, v, values, f"{path}.{k}")]


def object_problems(
    schema: dict[str, Any], value: Any, properties: dict[str, Any], required: list[str], path: str
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected a map of properties"]
    def at(key: str) -> str:
        return f"{path}.{key}" if path else key

    problems = [f"{at(key)}: unknown property" for key in value if key not in properties]
    problems += [f"{at(key)}: required" for key in required if key not in value]
    for key, item in value.items():
        if key in properties:
            problems += schema_problems(schema, item, properties[key], at(key))
    return problems


def yaml_example_clusters() -> dict[str, dict[str, Any]]:
    program = yaml.safe_load((ROOT / "examples" / "yaml" / "Pulumi.yaml").read_text())
    return {
        name: res["properties"] for name, res in program["resources"].items() if res["type"] == TOKEN
    }


def test_the_yaml_example_validates_against_the_schema(schema: dict[str, Any]) -> None:
    clusters = yaml_example_clusters()
    assert list(clusters) == ["analytics"]
    res = resource(schema)
    for properties in clusters.values():
        assert object_problems(schema, properties, res["inputProperties"], res["requiredInputs"], "") == []
        assert properties["taskManager"]["replicas"] == 2 and properties["flinkConfiguration"]
    program = yaml.safe_load((ROOT / "examples" / "yaml" / "Pulumi.yaml").read_text())
    for expression in program["outputs"].values():
        assert expression.removeprefix("${analytics.").removesuffix("}") in res["properties"]


def test_the_checker_catches_what_it_should(schema: dict[str, Any]) -> None:
    res = resource(schema)
    bad = {
        "name": "a",
        "taskManager": {"replica": 2, "slots": "2"},
        "mode": "batch",
        "jobs": [{"name": "j"}],
        "native": "yes",
    }
    assert object_problems(schema, bad, res["inputProperties"], res["requiredInputs"], "") == [
        "flinkVersion: required",
        "taskManager.replica: unknown property",
        "taskManager.slots: expected integer, got '2'",
        "mode: 'batch' is not one of ['session', 'application', 'per-job']",
        "jobs[0].jar: required",
        "native: expected boolean, got 'yes'",
    ]


def test_the_yaml_example_builds_its_cluster(provider: ComponentProvider) -> None:
    (properties,) = yaml_example_clusters().values()
    objects = construct(provider, "analytics", wire(properties)).kubernetes_objects()
    taskmanager = next(o for o in objects if o["metadata"]["name"] == "analytics-taskmanager")
    assert taskmanager["spec"]["replicas"] == 2
    config = next(o for o in objects if o["kind"] == "ConfigMap")
    assert "execution.checkpointing.interval: 30 s" in config["data"]["flink-conf.yaml"]


# --- the plugin folder -------------------------------------------------------------------------


def test_the_plugin_manifest_runs_python_like_the_project() -> None:
    plugin = yaml.safe_load((PACKAGE / "PulumiPlugin.yaml").read_text())
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    assert plugin["runtime"]["options"] == project["runtime"]["options"]
    requirements = [
        line.strip() for line in (PACKAGE / "requirements.txt").read_text().splitlines() if line.strip()
    ]
    requirements = [line for line in requirements if not line.startswith("#")]
    assert "-e .." in requirements
    assert 'name = "pulumi-flink"' in (PACKAGE / ".." / "pyproject.toml").read_text()


def test_the_plugin_hosts_exactly_flink_cluster_and_starts_nothing_on_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[Any, ...]] = []

    def host(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    import pulumi.provider.experimental as experimental

    monkeypatch.setattr(experimental, "component_provider_host", host)
    module = runpy.run_path(str(PACKAGE / "__main__.py"), run_name="flink_package")
    assert calls == []
    assert module["COMPONENTS"] == [FlinkCluster]
    assert (module["PACKAGE_NAME"], module["MODULE"]) == ("flink", "index")
    runpy.run_path(str(PACKAGE / "__main__.py"), run_name="__main__")
    assert calls == [(([FlinkCluster],), {"name": "flink", "version": pulumi_flink.__version__})]
    assert component_provider_host is not host
