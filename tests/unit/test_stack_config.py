"""The typed stack config: its keys in Pulumi.yaml, its JSON Schema, its secrets, the env stacks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.program import KNOWN_KEYS, PROJECT, SecretValue, parse_stack_config
from pulumi_flink.spec.errors import FlinkSpecError
from scripts.generators import config_schema
from scripts.generators.config_schema import stack_config_schema
from tests.support.paths import ROOT

STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
ENVIRONMENTS = ("dev", "staging", "prod")
CLUSTERS = f"{PROJECT}:clusters"
CREDENTIALS = f"{PROJECT}:haCredentials"
CIPHERTEXT = {"secure": "v1:abc:def"}


def stack_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
    return document


def s3_cluster(name: str = "orders", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "flinkVersion": "1.20.3",
        "namespace": "flink",
        "highAvailability": {"type": "kubernetes", "storageDir": f"s3://bucket/{name}"},
        **extra,
    }


# --- Pulumi.yaml's config block, by the rules the Pulumi CLI applies when it loads a project ---

PULUMI_CONFIG_TYPES = {"string", "integer", "boolean", "array", "object"}


def _matches(type_name: str, items: dict[str, Any] | None, value: Any) -> bool:
    """A stack value against a declared project config type (the CLI's ValidateConfigValue rules)."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    return (
        isinstance(value, list)
        and items is not None
        and all(_matches(items["type"], items.get("items"), v) for v in value)
    )


def project_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    return config


def test_pulumi_yaml_declares_exactly_the_keys_the_program_knows() -> None:
    declared = project_config()
    assert set(declared) == {f"{PROJECT}:{key}" for key in KNOWN_KEYS}
    for key, description in KNOWN_KEYS.items():
        assert declared[f"{PROJECT}:{key}"]["description"] == description


def test_pulumi_yaml_config_block_follows_the_cli_rules() -> None:
    for key, declaration in project_config().items():
        assert declaration["type"] in PULUMI_CONFIG_TYPES, key
        if declaration["type"] == "array":
            # The CLI refuses an array without 'items' when it loads Pulumi.yaml.
            assert declaration["items"]["type"] in PULUMI_CONFIG_TYPES, key
        if "default" in declaration:
            assert _matches(declaration["type"], declaration.get("items"), declaration["default"]), key
        # A secret flag would make the CLI refuse the default when a stack leaves the key unset.
        assert not declaration.get("secret"), key
    # Only clusters is required: every other key has a default, or stacks without it fail to load.
    required = [k for k, d in project_config().items() if "default" not in d]
    assert required == [CLUSTERS]


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_value_has_its_declared_type(stack_file: Path) -> None:
    values = load_stack_file(stack_file)
    for key, declaration in project_config().items():
        if key in values:
            assert _matches(declaration["type"], declaration.get("items"), values[key]), key


# --- the JSON Schema of stack files ---


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_names_and_passes_the_schema(stack_file: Path) -> None:
    text = stack_file.read_text()
    assert text.startswith("# yaml-language-server: $schema=./stack-config.schema.json\n")
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / config_schema.TARGET).read_text()))
    assert [e.message for e in validator.iter_errors(yaml.safe_load(text))] == []


@pytest.mark.parametrize(
    ("mutate", "library_path"),
    [
        (lambda c: c[CLUSTERS][0]["taskManager"].update(replica=3), "clusters[0].taskManager.replica"),
        (lambda c: c[CLUSTERS][0].update(mode="streaming"), "clusters[0].mode"),
        (lambda c: c[CLUSTERS][0]["taskManager"].update(replicas="2"), "clusters[0].taskManager.replicas"),
        (lambda c: c[CLUSTERS][0].pop("flinkVersion"), "clusters[0].flinkVersion"),
        (lambda c: c.update({f"{PROJECT}:cluster": []}), f"{PROJECT}:cluster"),
    ],
)
def test_schema_and_library_refuse_the_same_mistakes(mutate: Any, library_path: str) -> None:
    document = stack_document("dev")
    mutate(document["config"])
    validator = jsonschema.Draft202012Validator(stack_config_schema())
    assert list(validator.iter_errors(document)), "the schema let it through"
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config(document["config"])
    assert library_path in info.value.paths


def test_other_namespaces_keys_are_left_to_their_owners() -> None:
    document = stack_document("dev")
    document["config"]["kubernetes:context"] = "prod-eu"
    assert list(jsonschema.Draft202012Validator(stack_config_schema()).iter_errors(document)) == []
    assert parse_stack_config(document["config"]).clusters


# --- secrets ---


def test_ciphertext_in_the_stack_file_is_a_secret_offline() -> None:
    stack = parse_stack_config(
        {CLUSTERS: [s3_cluster()], CREDENTIALS: {"orders": {"AWS_SECRET_ACCESS_KEY": CIPHERTEXT}}}
    )
    assert stack.ha_credentials == {"orders": {"AWS_SECRET_ACCESS_KEY": SecretValue(None)}}


def test_decrypted_values_are_secrets_when_pulumi_says_so() -> None:
    # Under `pulumi up` the value arrives decrypted, as JSON text, and its key is listed secret.
    config = {CLUSTERS: json.dumps([s3_cluster()]), CREDENTIALS: json.dumps({"orders": {"KEY": "s3cr3t"}})}
    stack = parse_stack_config(config, secret_keys={CREDENTIALS})
    assert stack.ha_credentials["orders"]["KEY"].value == "s3cr3t"
    assert "s3cr3t" not in repr(stack)


@pytest.mark.parametrize("secret_keys", [set(), {f"{PROJECT}:other"}])
def test_plain_text_credentials_are_refused_with_the_command_that_fixes_them(secret_keys: set[str]) -> None:
    config = {CLUSTERS: [s3_cluster()], CREDENTIALS: {"orders": {"AWS_SECRET_ACCESS_KEY": "plain"}}}
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config(config, secret_keys=secret_keys)
    (problem,) = info.value.problems
    assert problem.path == f"{CREDENTIALS}.orders.AWS_SECRET_ACCESS_KEY"
    assert "pulumi config set --secret --path 'haCredentials.orders.AWS_SECRET_ACCESS_KEY'" in problem.fix


@pytest.mark.parametrize(
    ("credentials", "path", "words"),
    [
        ({"billing": {"KEY": CIPHERTEXT}}, f"{CREDENTIALS}.billing", "names no cluster"),
        ({"orders": {}}, f"{CREDENTIALS}.orders", "expected a mapping"),
        ({"orders": {"not-a-name": CIPHERTEXT}}, f"{CREDENTIALS}.orders", "environment variable"),
        (["orders"], CREDENTIALS, "expected a mapping"),
    ],
)
def test_bad_credentials_name_the_key(credentials: Any, path: str, words: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({CLUSTERS: [s3_cluster()], CREDENTIALS: credentials})
    assert [p.path for p in info.value.problems] == [path]
    assert words in str(info.value)


@pytest.mark.parametrize(
    "cluster",
    [
        s3_cluster(highAvailability={}),
        s3_cluster(
            highAvailability={"type": "kubernetes", "storageDir": "file:///flink-ha/o", "volumeClaim": "c"}
        ),
        s3_cluster(
            highAvailability={"type": "kubernetes", "storageDir": "s3://b/o", "credentialsSecret": "mine"}
        ),
    ],
    ids=["no-ha", "file-storage", "secret-named-too"],
)
def test_credentials_need_object_store_ha_without_a_named_secret(cluster: dict[str, Any]) -> None:
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({CLUSTERS: [cluster], CREDENTIALS: {"orders": {"KEY": CIPHERTEXT}}})
    assert info.value.paths == [f"{CREDENTIALS}.orders"]


def test_a_secret_inside_the_clusters_list_is_refused() -> None:
    cluster = s3_cluster(flinkConfiguration={"s3.secret-key": CIPHERTEXT})
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({CLUSTERS: [cluster]})
    assert info.value.paths == [f"{CLUSTERS}[0].flinkConfiguration.s3.secret-key"]
    assert "haCredentials" in info.value.problems[0].fix
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({CLUSTERS: json.dumps([s3_cluster()])}, secret_keys={CLUSTERS})
    assert info.value.paths == [CLUSTERS]


def test_no_credentials_is_the_default() -> None:
    assert parse_stack_config({CLUSTERS: [s3_cluster()], CREDENTIALS: {}}).ha_credentials == {}
    assert parse_stack_config({CLUSTERS: [s3_cluster()], CREDENTIALS: "{}"}).ha_credentials == {}


# --- the environment stacks ---


def env_stack(name: str) -> Any:
    return parse_stack_config(load_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml"))


def test_environments_progress_from_dev_to_prod() -> None:
    dev, staging, prod = (env_stack(name) for name in ENVIRONMENTS)
    assert [(c.mode, c.high_availability.type) for c in dev.clusters] == [("session", "none")]
    assert {c.high_availability.type for c in staging.clusters} == {"zookeeper"}
    assert any(c.mode == "application" for c in staging.clusters)
    for cluster in prod.clusters:
        assert (cluster.mode, cluster.high_availability.type) == ("application", "kubernetes")
        assert cluster.job_manager.replicas >= 2, "prod keeps a standby JobManager"
        assert cluster.pod.affinity, "prod spreads each cluster's pods over nodes"
    assert len(staging.clusters) > 1 and len(prod.clusters) > 1, "a stack runs several clusters"
    stacks = (dev, staging, prod)
    slots = [sum(c.task_manager.replicas * c.task_manager.slots for c in s.clusters) for s in stacks]
    assert slots == sorted(slots), "each environment runs at least the slots of the one before"


@pytest.mark.parametrize("name", ["staging", "prod"])
def test_env_stacks_keep_credentials_as_secrets(name: str) -> None:
    document = stack_document(name)["config"]
    stack = parse_stack_config(document)
    assert stack.ha_credentials, f"{name} shows how object-store keys are kept"
    for variables in document[CREDENTIALS].values():
        assert all(set(value) == {"secure"} for value in variables.values())
    leaked = copy.deepcopy(document)
    next(iter(leaked[CREDENTIALS].values()))["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE"
    with pytest.raises(FlinkSpecError):
        parse_stack_config(leaked)


# --- where the secrets end up ---

SECRET_SIGNATURE = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def occurrences(value: Any, needle: str, path: str = "") -> list[str]:
    """Paths at which ``needle`` occurs in a recorded input (wire form)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in occurrences(v, needle, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in occurrences(v, needle, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and needle in value else []


def test_under_pulumi_up_credentials_reach_only_the_secret_and_stay_secret() -> None:
    from pulumi.runtime import config as runtime_config

    from pulumi_flink.offline.renderer import run_program
    from pulumi_flink.program import main

    plain = "wJalrXUtnFEMI-example-secret"
    config = {
        CLUSTERS: json.dumps([s3_cluster(), s3_cluster("billing")]),
        CREDENTIALS: json.dumps({"orders": {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": plain}}),
    }
    token = runtime_config.CONFIG.set({})
    runtime_config.set_all_config(config, [CREDENTIALS])
    try:
        render = run_program(main)
    finally:
        runtime_config.set_all_config({}, [])
        runtime_config.CONFIG.reset(token)
    found = {(r.type, r.name): occurrences(r.inputs, plain) for r in render.resources}
    assert {key: paths for key, paths in found.items() if paths} == {
        ("kubernetes:core/v1:Secret", "orders-ha-credentials"): [".stringData.value.AWS_SECRET_ACCESS_KEY"]
    }
    (secret,) = [r for r in render.resources if r.name == "orders-ha-credentials"]
    # On the wire the whole stringData is one secret value: encrypted in the state, hidden in previews.
    assert SECRET_SIGNATURE.items() <= secret.inputs["stringData"].items()
    # The Flink pods of that cluster, and only of that cluster, read the Secret by reference.
    readers = {
        o["metadata"]["name"]
        for o in render.kubernetes_objects()
        if "orders-ha-credentials" in json.dumps(o.get("spec", {}))
    }
    assert readers == {"orders-jobmanager", "orders-taskmanager"}


def test_offline_renders_show_the_secret_redacted_and_never_the_ciphertext() -> None:
    from pulumi_flink.offline.renderer import REDACTED, render_stack

    document = stack_document("prod")["config"]
    objects = render_stack(parse_stack_config(document)).kubernetes_objects()
    (secret,) = [o for o in objects if o["kind"] == "Secret"]
    assert secret["stringData"] == {"AWS_ACCESS_KEY_ID": REDACTED, "AWS_SECRET_ACCESS_KEY": REDACTED}
    assert not occurrences(objects, "v1:placeholder")
