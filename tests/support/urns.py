"""The URNs the Pulumi engine would see in a render, and which earlier URN each resource
takes over through its aliases (its own and those inherited from its parents)."""

from __future__ import annotations

from pulumi_flink.offline.renderer import RecordedResource, Render


def engine_urns(render: Render) -> dict[str, RecordedResource]:
    return {render.engine_urn(r): r for r in render.resources}


def claimed(render: Render) -> dict[str, str]:
    """Earlier engine URN -> the URN of the resource of this render that takes it over."""
    result: dict[str, str] = {}
    for resource in render.resources:
        for urn in {render.engine_urn(resource), *render.alias_urns(resource)}:
            assert urn not in result, f"two resources claim {urn}"
            result[urn] = render.engine_urn(resource)
    return result
