"""``pulumi-flink``: render a stack offline, with no Pulumi CLI and no cluster.

    pulumi-flink render --stack dev            # stacks/Pulumi.dev.yaml -> rendered/dev/
    pulumi-flink render --config FILE --out DIR

Exit codes: 0 rendered; 2 bad input (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from .errors import FlinkSpecError
from .manifests import OutputDirError, write_manifests
from .program import PROJECT, StackConfig, parse_stack_config
from .renderer import render_stack
from .summary import summarize


class InputError(Exception):
    pass


def load_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` block of a Pulumi stack file (``Pulumi.<stack>.yaml``)."""
    if not path.is_file():
        raise InputError(f"{path}: no such stack config file")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise InputError(f"{path}: expected a mapping with a 'config:' block")
    config: dict[str, Any] = document.get("config") or {}
    return config


def project_name(start: Path) -> str:
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / "Pulumi.yaml"
        if candidate.is_file():
            document = yaml.safe_load(candidate.read_text()) or {}
            return str(document.get("name", PROJECT))
    return PROJECT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulumi-flink", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="render a stack's Kubernetes objects offline")
    source = render.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: reads STACKS_DIR/Pulumi.<stack>.yaml")
    source.add_argument("--config", type=Path, help="any stack config file")
    render.add_argument(
        "--stacks-dir",
        type=Path,
        default=Path("stacks"),
        help="folder of the stack config files (default: stacks)",
    )
    render.add_argument("--out", type=Path, help="output folder (default: rendered/<stack>)")
    return parser


def render_command(args: argparse.Namespace) -> int:
    path = args.config or args.stacks_dir / f"Pulumi.{args.stack}.yaml"
    stack_name = args.stack or path.stem.removeprefix("Pulumi.")
    out_dir = args.out or Path("rendered") / stack_name
    project = project_name(path.parent)
    try:
        stack: StackConfig = parse_stack_config(load_stack_file(path), project)
    except (InputError, FlinkSpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was rendered", file=sys.stderr)
        return 2
    render = render_stack(stack, stack_name=stack_name, project=project)
    objects = render.kubernetes_objects()
    try:
        write_manifests(objects, out_dir)
    except OutputDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summarize(stack, objects, stack_name), end="")
    print(f"\nWrote {len(objects)} objects to {out_dir}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "render":
        return render_command(args)
    return 2  # pragma: no cover - argparse refuses other commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
