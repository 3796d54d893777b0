"""Between ``FlinkClusterArgs`` (the package's inputs, ``args.py``) and ``FlinkClusterSpec``.

``spec_from_args`` is what ``FlinkCluster`` runs first on args: snake_case keys become the spec's
camelCase keys (so every problem names the path a user of any language wrote), enum members
become their values, whole numbers that arrive as floats (every number crosses the Pulumi
wire as a float) become ints where the spec wants an int, and a Pulumi Output anywhere is
refused: the spec must be known when the component is constructed. ``spec_args`` goes the
other way, for callers that want args for a spec they hold (``FlinkCluster`` itself takes a
``FlinkClusterSpec`` as it is).
"""

from collections.abc import Mapping
from copy import deepcopy
from enum import Enum
from inspect import isawaitable
from typing import Any, NotRequired, Required, cast, get_args, get_origin, is_typeddict

import pulumi

from pulumi_flink.package.args import FlinkClusterArgs
from pulumi_flink.spec import FlinkClusterSpec, SpecModel, format_loc
from pulumi_flink.spec.errors import FlinkSpecError, Problem

HA_CREDENTIALS = "ha_credentials"
HA_CREDENTIALS_KEY = "haCredentials"
_MARKERS: tuple[Any, ...] = (Required, NotRequired)


def spec_args(
    spec: FlinkClusterSpec, *, ha_credentials: Mapping[str, pulumi.Input[str]] | None = None
) -> FlinkClusterArgs:
    """The args that make ``FlinkCluster`` build ``spec``: the fields set on it (unset ones
    keep their defaults), Literal values as the package's enums.
    ``FlinkClusterSpec.parse(spec_args(spec)) == spec``."""
    args = _model_args(spec, FlinkClusterArgs)
    if ha_credentials is not None:
        args[HA_CREDENTIALS] = dict(ha_credentials)
    return cast(FlinkClusterArgs, args)


def _hints(typed_dict: type) -> dict[str, Any]:
    """A generated TypedDict's annotations without ``Required``/``NotRequired`` (not via
    ``get_type_hints``, which trips over the forward reference inside ``pulumi.Input``)."""
    hints: dict[str, Any] = {}
    for name, hint in typed_dict.__annotations__.items():
        while get_origin(hint) in _MARKERS:
            hint = get_args(hint)[0]
        hints[name] = hint
    return hints


def _model_args(model: SpecModel, typed_dict: type) -> dict[str, Any]:
    hints = _hints(typed_dict)
    args: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in model.model_fields_set and value is not None:
            args[name] = _value_args(value, hints[name])
    return args


def _value_args(value: Any, hint: Any) -> Any:
    if isinstance(value, SpecModel):
        return _model_args(value, hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if isinstance(value, list) and get_args(hint) and is_typeddict(get_args(hint)[0]):
        return [_model_args(item, get_args(hint)[0]) for item in value]
    return deepcopy(value)


def spec_from_args(
    args: Mapping[str, Any],
) -> tuple[FlinkClusterSpec, Mapping[str, pulumi.Input[str]] | None]:
    """Validate ``args`` into a spec (raising ``FlinkSpecError`` with camelCase paths), and
    take out ``ha_credentials``."""
    if not isinstance(args, Mapping):
        fix = "pass spec_args(spec)" if isinstance(args, FlinkClusterSpec) else "pass a FlinkClusterArgs dict"
        raise FlinkSpecError([Problem("", f"expected FlinkClusterArgs, got {type(args).__name__}.", fix)])
    rest = dict(args)
    credentials = rest.pop(HA_CREDENTIALS, None)
    problems = _outputs_in(rest, FlinkClusterSpec, ())
    problem = credentials_problem(credentials)
    if problem is not None:
        problems.append(problem)
    if problems:
        raise FlinkSpecError(problems)
    spec = FlinkClusterSpec.parse(_spec_data(rest, FlinkClusterSpec))
    return spec, credentials


def credentials_problem(credentials: Any) -> Problem | None:
    """Why ``haCredentials`` cannot be used as given (not a map whose keys are known now), or None."""
    if credentials is None or (
        isinstance(credentials, Mapping) and all(isinstance(key, str) for key in credentials)
    ):
        return None
    return Problem(
        HA_CREDENTIALS_KEY,
        "is not a map whose keys are known when the cluster is constructed.",
        "pass a map of environment variable names to values; the values may be secrets or outputs, "
        "the map itself must not be one",
    )


def _is_output(value: Any) -> bool:
    return isinstance(value, pulumi.Output) or isawaitable(value)


def _outputs_in(value: Any, model: type[SpecModel] | None, loc: tuple[int | str, ...]) -> list[Problem]:
    """A Problem for every Pulumi Output (or other awaitable) in the spec part of the args."""
    if _is_output(value):
        return [
            Problem(
                format_loc(loc),
                "is a Pulumi Output, whose value is not known when the cluster is constructed.",
                "pass a plain value: every field but haCredentials must be known in advance",
            )
        ]
    problems: list[Problem] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            info = model.model_fields.get(key) if model is not None else None
            name = info.alias if info is not None and info.alias else key
            nested = _model_in(info.annotation) if info is not None else None
            problems += _outputs_in(item, nested, (*loc, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += _outputs_in(item, model, (*loc, index))
    return problems


def _model_in(annotation: Any) -> type[SpecModel] | None:
    """The spec model a field holds (directly, optionally or as list items), if any."""
    if isinstance(annotation, type) and issubclass(annotation, SpecModel):
        return annotation
    for arg in get_args(annotation):
        model = _model_in(arg)
        if model is not None:
            return model
    return None


def _spec_data(args: Mapping[str, Any], model: type[SpecModel]) -> dict[str, Any]:
    """Args -> plain spec data with camelCase keys; unknown keys pass on for the spec to refuse."""
    data: dict[str, Any] = {}
    for key, value in args.items():
        info = model.model_fields.get(key)
        if info is None:
            data[key] = value
            continue
        data[info.alias or key] = _field_data(value, info.annotation)
    return data


def _field_data(value: Any, annotation: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    nested = _model_in(annotation)
    if nested is not None and isinstance(value, Mapping):
        return _spec_data(value, nested)
    if nested is not None and isinstance(value, list):
        return [_spec_data(item, nested) if isinstance(item, Mapping) else item for item in value]
    if isinstance(value, float) and value.is_integer() and _wants_int(annotation):
        return int(value)
    if isinstance(value, Mapping) and get_origin(annotation) is dict and _is_config_value(annotation):
        return {key: _config_value(item) for key, item in value.items()}
    if _holds_any(annotation):
        return _kubernetes_numbers(value)
    return value


def _holds_any(annotation: Any) -> bool:
    """A field of plain Kubernetes YAML (``dict[str, Any]``, lists of them): the pod hooks."""
    return annotation is Any or any(_holds_any(arg) for arg in get_args(annotation))


def _kubernetes_numbers(value: Any) -> Any:
    """Whole numbers in Kubernetes YAML are ints again (a toleration's seconds, an affinity
    weight, a file mode): Kubernetes' types hold no floats, and its checks want ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _kubernetes_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_kubernetes_numbers(item) for item in value]
    return value


def _wants_int(annotation: Any) -> bool:
    """``int`` or ``int | None``: not a union that takes floats as well."""
    options = get_args(annotation) if get_args(annotation) else (annotation,)
    return int in options and float not in options


def _is_config_value(annotation: Any) -> bool:
    """A map of Flink configuration values (``dict[str, ConfigValue]``)."""
    return {int, float} <= set(get_args(get_args(annotation)[1]))


def _config_value(value: Any) -> Any:
    """A Flink configuration value: a whole number sent as a float is an int again (Flink
    reads ``4.0`` as no integer option)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
