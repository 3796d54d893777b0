"""The JSON Schema of a stack file (``Pulumi.<stack>.yaml``), made from the typed spec.

Editors that speak JSON Schema (VS Code's YAML extension, JetBrains) complete and check
stack files with it; the stack files name it in their first line. The schema is generated,
never written by hand:

    python -m scripts.generators.config_schema            # rewrite stacks/stack-config.schema.json
    python -m scripts.generators.config_schema --check    # exit 1 when the file is stale

The library's own validation (``program.parse_stack_config``) stays the authority: the
schema cannot express rules that span fields (Flink's memory model, mode rules).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from pulumi_flink.program import CLUSTERS_KEY, HA_CREDENTIALS_KEY, KNOWN_KEYS, PROJECT
from pulumi_flink.spec import FlinkClusterSpec
from scripts.generators.output import parser, target_path, write_or_check

TARGET = Path("stacks/stack-config.schema.json")
"""The file this writes, relative to the repository root."""
COMMAND = "python -m scripts.generators.config_schema"

_CIPHERTEXT = {
    "type": "object",
    "description": "A Pulumi secret: written by `pulumi config set --secret`, never by hand.",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
}


def stack_config_schema(project: str = PROJECT) -> dict[str, Any]:
    """The schema of a whole stack file: the library's keys typed, other keys (providers') free."""
    clusters = TypeAdapter(list[FlinkClusterSpec]).json_schema(by_alias=True, ref_template="#/$defs/{model}")
    definitions = clusters.pop("$defs")
    variables = {
        "type": "object",
        "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "additionalProperties": _CIPHERTEXT,
        "minProperties": 1,
    }
    keys = {
        f"{project}:{CLUSTERS_KEY}": {**clusters, "minItems": 1, "description": KNOWN_KEYS[CLUSTERS_KEY]},
        f"{project}:{HA_CREDENTIALS_KEY}": {
            "type": "object",
            "description": KNOWN_KEYS[HA_CREDENTIALS_KEY],
            "additionalProperties": variables,
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{project} stack file",
        "description": "Pulumi.<stack>.yaml of a pulumi-flink project. Generated from the typed spec.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": keys,
                "required": [f"{project}:{CLUSTERS_KEY}"],
                # Unknown keys of this project are refused; other namespaces (kubernetes:...) are free.
                "propertyNames": {"anyOf": [{"enum": list(keys)}, {"not": {"pattern": f"^{project}:"}}]},
                "additionalProperties": True,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": dict(sorted(definitions.items())),
    }


def schema_text(project: str = PROJECT) -> str:
    return json.dumps(stack_config_schema(project), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    options = parser(COMMAND, __doc__).parse_args(argv)
    path = target_path(options.root, TARGET)
    return write_or_check(path, schema_text(), COMMAND, options.check)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
