"""The generated JSON Schema of stack files (``scripts.generators.config_schema``):
stacks/stack-config.schema.json is what the generator writes from the spec, and a valid JSON Schema.
What the schema accepts and refuses, against the stack files and the library, is in
tests/unit/test_stack_config.py."""

from __future__ import annotations

import jsonschema

from scripts.generators import config_schema
from scripts.generators.config_schema import schema_text, stack_config_schema
from tests.support.paths import ROOT


def test_the_schema_file_is_generated_from_the_spec() -> None:
    assert (ROOT / config_schema.TARGET).read_text() == schema_text(), f"run: {config_schema.COMMAND}"
    assert config_schema.main(["--check", "--root", str(ROOT)]) == 0
    jsonschema.Draft202012Validator.check_schema(stack_config_schema())
