"""The generated JSON Schema of stack files (``config_schema``): stacks/stack-config.schema.json is
what the generator writes from the spec, and a valid JSON Schema. What the schema accepts and
refuses, against the stack files and the library, is in tests/unit/test_stack_config.py."""

from __future__ import annotations

import jsonschema

from pulumi_flink.config_schema import SCHEMA_FILE, schema_text, stack_config_schema
from tests.support.paths import ROOT


def test_the_schema_file_is_generated_from_the_spec() -> None:
    assert (ROOT / SCHEMA_FILE).read_text() == schema_text(), "run: python -m pulumi_flink.config_schema"
    jsonschema.Draft202012Validator.check_schema(stack_config_schema())
