"""``pulumi-flink``: render a stack offline, with no Pulumi CLI and no cluster; review a change.

    pulumi-flink render --stack dev            # stacks/Pulumi.dev.yaml -> rendered/dev/
    pulumi-flink render --config FILE --out DIR
    pulumi-flink diff BASE_DIR HEAD_DIR [--out FILE] [--title TEXT] [--exit-code]

render exit codes: 0 rendered; 2 bad input (nothing written).
diff exit codes: 0 compared; 1 changes found with --exit-code; 2 bad input (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from .diff import DEFAULT_TITLE, DiffOptions, RenderDirError, diff_folders
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
    diff = commands.add_parser(
        "diff", help="compare two render folders object by object and print Markdown for a pull request"
    )
    diff.add_argument("base", type=Path, help="render folder before the change")
    diff.add_argument("head", type=Path, help="render folder after the change")
    diff.add_argument("--out", type=Path, help="write the Markdown to FILE instead of stdout")
    diff.add_argument("--title", default=DEFAULT_TITLE, help=f"heading (default: {DEFAULT_TITLE})")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when there are changes")
    diff.add_argument(
        "--enable-configmap-mutable",
        action="store_true",
        help="the Kubernetes provider sets enableConfigMapMutable: ConfigMap data updates in place",
    )
    diff.add_argument(
        "--enable-secret-mutable",
        action="store_true",
        help="the Kubernetes provider sets enableSecretMutable: Secret data updates in place",
    )
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


def diff_command(args: argparse.Namespace) -> int:
    options = DiffOptions(args.enable_configmap_mutable, args.enable_secret_mutable)
    try:
        changes, markdown = diff_folders(args.base, args.head, args.title, options)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(markdown, encoding="utf-8")
    except (RenderDirError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.out:
        _write_utf8(markdown)
    return 1 if args.exit_code and changes else 0


def _write_utf8(text: str) -> None:
    """Markdown is UTF-8 whatever the locale says (the comment shows arrows)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "render":
        return render_command(args)
    if args.command == "diff":
        return diff_command(args)
    return 2  # pragma: no cover - argparse refuses other commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
