"""The base of every spec part, and what several parts share.

``SpecModel`` makes each part strict, camelCase and closed to unknown keys, and turns
pydantic's errors into ``FlinkSpecError``; the limits and single-string checks here (DNS
names, label keys, image references, one-line values) are used by more than one part.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from pulumi_flink.model.fixes import FIX_SEPARATOR, fix_error
from pulumi_flink.model.kubernetes_types import is_dns_label, is_label_key
from pulumi_flink.model.text import check_no_control_characters, whole_string
from pulumi_flink.spec.errors import FlinkSpecError, Problem

# Long enough for real names, short enough that the longest derived object
# name ("<name>-taskmanager") stays a valid 63-character DNS label.
MAX_CLUSTER_NAME = 40
# Kubernetes counts (replicas) are int32 and durations int64; Flink's slots are a Java int.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# A TCP port.
MAX_PORT = 65535
# Flink's upper bound for any parallelism (KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM).
MAX_PARALLELISM = 2**15
# Probe budgets above a day are typos, not start-up times.
DAY_SECONDS = 86400

_DNS1035 = whole_string(r"[a-z]([-a-z0-9]*[a-z0-9])?")

ConfigValue = str | int | float | bool


def _check_dns1035(value: str, what: str, max_len: int = 63) -> str:
    if len(value) > max_len or not _DNS1035(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use at most {max_len} lowercase letters, digits "
            "and '-', starting with a letter and ending with a letter or digit "
            "(e.g. 'analytics')"
        )
    return value


def _check_dns1123(value: str, what: str) -> str:
    if not is_dns_label(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use at most 63 lowercase letters, digits and "
            "'-', starting and ending with a letter or digit"
        )
    return value


def _check_label_key(key: str) -> None:
    if not is_label_key(key):
        raise ValueError(
            f"{key!r} is not a valid label or annotation key: write 'name' or 'prefix/name', "
            "the name at most 63 letters, digits, '-', '_' or '.'"
        )


class SpecModel(BaseModel):
    """Base of every spec part: strict types, camelCase keys, unknown keys refused.

    Construction raises ``FlinkSpecError`` (never pydantic's own error), so
    Python callers and stack config get the same messages.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        # Field docstrings become descriptions: the stack-config and package schemas use them.
        use_attribute_docstrings=True,
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise spec_error_from_pydantic(exc) from None

    @classmethod
    def parse(cls, data: Any, path: str = "") -> Self:
        """Validate plain data (e.g. stack config); errors carry ``path`` as prefix."""
        if not isinstance(data, dict):
            raise FlinkSpecError(
                [
                    Problem(
                        path,
                        f"expected a mapping of keys to values, got {_kind(data)}",
                        "write the section as YAML keys and values",
                    )
                ]
            )
        odd_keys = _non_string_keys(data, ())
        if odd_keys:  # pydantic would fail on them with a TypeError, not with our error
            raise FlinkSpecError(odd_keys).prefixed(path)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise spec_error_from_pydantic(exc).prefixed(path) from None
        except FlinkSpecError as exc:
            raise exc.prefixed(path) from None


def _non_string_keys(data: Any, loc: tuple[int | str, ...]) -> list[Problem]:
    """A Problem for every mapping key that is not a string (YAML reads ``1:`` and ``true:`` so)."""
    problems: list[Problem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                problems += _non_string_keys(value, (*loc, key))
            else:
                where = format_loc((*loc, str(key)))
                message = f"the key {key!r} is not a string."
                problems.append(Problem(where, message, "quote it in YAML, or remove it"))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            problems += _non_string_keys(item, (*loc, index))
    return problems


def _kind(value: Any) -> str:
    return {
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


_TYPE_FIXES = {
    "int_type": "write a whole number without quotes",
    "float_type": "write a number without quotes",
    "string_type": "write a string (quote it in YAML if it looks like a number)",
    "bool_type": "write true or false without quotes",
    "dict_type": "write a mapping of keys to values",
    "model_type": "write a mapping of keys to values",
    "list_type": "write a list",
    "extra_forbidden": "remove it, or check its spelling against the documented keys",
    "literal_error": "use one of the values listed",
    "missing": "set it; it has no default",
    "greater_than_equal": "raise it",
    "greater_than": "raise it",
    "less_than_equal": "lower it",
    "less_than": "lower it",
}


def format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def spec_error_from_pydantic(exc: ValidationError) -> FlinkSpecError:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p not in ("function-after", "function-before"))
        nested = err.get("ctx", {}).get("error")
        if isinstance(nested, FlinkSpecError):
            # A spec part validated by its own constructor: keep its problems.
            problems += [p.prefixed(format_loc(loc)) for p in nested.problems]
            continue
        message = err["msg"]
        fix = _TYPE_FIXES.get(err["type"], "")
        if err["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            message, _, fix = message.partition(FIX_SEPARATOR)
        elif err["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(Problem(format_loc(loc), message, fix))
    return FlinkSpecError(problems)


def _fix(message: str, fix: str) -> ValueError:
    return fix_error(message, fix)


# An image reference as the container runtimes parse it (the grammar of distribution/reference):
# [registry[:port]/]path[:tag][@digest], the path lowercase, the repository name at most 255.
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_IMAGE_REFERENCE = whole_string(
    rf"(?P<name>(?:{_REGISTRY}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?"
)
_MAX_IMAGE_NAME = 255
_MAX_IMAGE_REFERENCE = 512  # name, tag (128) and a digest: checked before the pattern runs


def _check_image(value: str, example: str) -> str:
    """An image reference a container runtime can pull."""
    check_no_control_characters(value, "image reference")
    match = _IMAGE_REFERENCE(value) if len(value) <= _MAX_IMAGE_REFERENCE else None
    if not match or len(match["name"]) > _MAX_IMAGE_NAME:
        raise _fix(
            f"{value!r} is not an image reference.",
            f"write [registry/]repository[:tag][@digest], the repository in lowercase, e.g. {example!r}",
        )
    return value


def _check_lines(values: list[str], what: str) -> list[str]:
    """Each item on one line, refused at its own index (``jvmOptions[1]``)."""
    problems = []
    for index, value in enumerate(values):
        try:
            check_no_control_characters(value, what)
        except ValueError as exc:
            message, _, fix = str(exc).partition(FIX_SEPARATOR)
            problems.append(Problem(f"[{index}]", message, fix))
    if problems:
        raise FlinkSpecError(problems)
    return values
