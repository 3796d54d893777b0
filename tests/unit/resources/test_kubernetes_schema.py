"""Every rendered manifest validates against the Kubernetes schema of a recent release."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import parse_stack_config
from tests.support.kubernetes_schema import KUBERNETES_VERSION, STACK_DIR, VARIANTS, validate_all
from tests.support.rendering import make_spec, render_specs


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_objects_validate(variant: str) -> None:
    validate_all(render_specs(make_spec(**VARIANTS[variant])).kubernetes_objects())


@pytest.mark.parametrize("stack_file", sorted(STACK_DIR.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_example_stack_validates(stack_file: Any) -> None:
    stack = parse_stack_config(load_stack_file(stack_file))
    validate_all(render_stack(stack).kubernetes_objects())


def test_native_taskmanager_pod_template_validates_as_a_pod() -> None:
    import yaml

    objects = render_specs(make_spec(**VARIANTS["native-session-pod-hooks"])).kubernetes_objects()
    (template,) = [o for o in objects if o["metadata"]["name"] == "pod-template-analytics"]
    pod = yaml.safe_load(template["data"]["taskmanager-pod-template.yaml"])
    # Flink fills in the image and the rest; the template must still be a well-formed Pod.
    pod["spec"]["containers"][0]["image"] = "flink:2.3-java17"
    kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)


def test_the_validator_catches_a_broken_object() -> None:
    (deployment,) = [
        o
        for o in render_specs(make_spec()).kubernetes_objects()
        if o["metadata"]["name"] == "analytics-jobmanager" and o["kind"] == "Deployment"
    ]
    deployment["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
