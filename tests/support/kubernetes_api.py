"""A small client of the test control plane's API server: discovery, server-side apply, reads.

What the tests need and no more, over ``requests`` with the admin's client certificate; the
API server itself decides every outcome. Each answer keeps the ``Warning`` headers the server
sends (PodSecurity's ``warn`` mode speaks through them)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import requests

from tests.support.certificates import KeyPair

FIELD_MANAGER = "pulumi-flink-tests"
TIMEOUT_SECONDS = 30
# What YAML 1.1 cannot carry raw: controls, line breaks (NEL, U+2028, U+2029), the BOM, non-characters.
_NOT_RAW_YAML = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def apply_body(obj: Mapping[str, Any]) -> bytes:
    """``obj`` as JSON for an apply patch, which the server reads as YAML: a character beyond
    the BMP goes as UTF-8 (YAML refuses JSON's surrogate-pair escapes), what YAML cannot carry
    raw as a ``\\u`` escape (JSON already escapes quotes, backslashes and C0 controls)."""
    text = json.dumps(obj, ensure_ascii=False)
    return _NOT_RAW_YAML.sub(lambda m: f"\\u{ord(m[0]):04x}", text).encode()


@dataclass(frozen=True)
class Resource:
    """Where the API serves a kind: its path and whether objects live in a namespace."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None, name: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        return str(self.body.get("message", self.body))


class KubernetesApi:
    def __init__(self, url: str, ca: Path, client: KeyPair) -> None:
        self.url = url
        self.session = requests.Session()
        # Not the environment's CA bundle (it would replace ours) nor its proxies: only this server.
        self.session.trust_env = False
        self.session.verify = str(ca)
        self.session.cert = (str(client.certificate), str(client.key))

    def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        response = self.session.request(method, self.url + path, timeout=TIMEOUT_SECONDS, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text}
        # One header per warning; urllib3 keeps them apart (requests would join them with commas).
        warnings = tuple(response.raw.headers.getlist("Warning"))
        return Answer(response.status_code, body if isinstance(body, dict) else {"items": body}, warnings)

    def ready(self) -> bool:
        return self.request("GET", "/readyz").status == 200

    @cached_property
    def _resources(self) -> dict[tuple[str, str], Resource]:
        found: dict[tuple[str, str], Resource] = {}
        versions = ["v1"]
        groups = self.request("GET", "/apis").body.get("groups", [])
        versions += [v["groupVersion"] for group in groups for v in group["versions"]]
        for version in versions:
            path = "/api/v1" if version == "v1" else f"/apis/{version}"
            for entry in self.request("GET", path).body.get("resources", []):
                if "/" in entry["name"]:
                    continue  # a subresource (status, scale, eviction)
                kind = entry["kind"]
                found[(version, kind)] = Resource(version, kind, entry["name"], entry["namespaced"])
        return found

    def rediscover(self) -> None:
        """Forget the kinds discovered: installing or removing a CRD changes them."""
        vars(self).pop("_resources", None)

    def resource(self, api_version: str, kind: str) -> Resource:
        try:
            return self._resources[(api_version, kind)]
        except KeyError:
            raise KeyError(f"the API server serves no {kind} in {api_version}") from None

    def apply(self, obj: Mapping[str, Any], dry_run: bool = False) -> Answer:
        """Server-side apply of ``obj``, forced (the test owns every field)."""
        resource = self.resource(obj["apiVersion"], obj["kind"])
        metadata = obj["metadata"]
        params = {"fieldManager": FIELD_MANAGER, "force": "true"}
        if dry_run:
            params["dryRun"] = "All"
        return self.request(
            "PATCH",
            resource.path(metadata.get("namespace"), metadata["name"]),
            params=params,
            data=apply_body(obj),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Answer:
        return self.request("GET", self.resource(api_version, kind).path(namespace, name))

    def delete(
        self, api_version: str, kind: str, name: str, namespace: str | None = None, **options: Any
    ) -> Answer:
        """Delete one object; ``options`` are DeleteOptions (``gracePeriodSeconds``, ...)."""
        path = self.resource(api_version, kind).path(namespace, name)
        return self.request("DELETE", path, json=options or None)

    def exists(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        return self.get(api_version, kind, name, namespace).status == 200

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        answer = self.request("GET", self.resource(api_version, kind).path(namespace))
        assert answer.ok, answer.message
        items: list[dict[str, Any]] = answer.body.get("items", [])
        return items
