"""What a workload's ServiceAccount did, as the API server's audit log tells it
(ControlPlane.audit_events), judged against the Role the library rendered for it: whether each
request is one of the Role's rules, and which were refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DENIED = (401, 403)


def allowed(role: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether one of the Role's rules covers the audited request."""
    target = event["objectRef"]
    resource = target["resource"] + (f"/{target['subresource']}" if target.get("subresource") else "")
    for rule in role["rules"]:
        if (target.get("apiGroup", "") in rule["apiGroups"] and resource in rule["resources"]
                and event["verb"] in rule["verbs"]
                and ("resourceNames" not in rule or target.get("name") in rule["resourceNames"])):
            return True
    return False


def account_events(
    events: Sequence[Mapping[str, Any]], namespace: str, account: str
) -> list[Mapping[str, Any]]:
    user = f"system:serviceaccount:{namespace}:{account}"
    return [e for e in events if e["user"]["username"] == user]


def outside(role: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """(verb, object) of every request the Role does not allow."""
    return [(e["verb"], e["objectRef"]) for e in events if not allowed(role, e)]


def denied(events: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """(verb, object) of every request the API server refused for want of a permission."""
    return [(e["verb"], e["objectRef"]) for e in events if e["responseStatus"]["code"] in DENIED]


def used(events: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(resource, verb) of every request."""
    return {(e["objectRef"]["resource"], e["verb"]) for e in events}
