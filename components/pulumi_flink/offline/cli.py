"""``pulumi-flink``: render a stack offline, with no Pulumi CLI and no cluster; review a change.

    pulumi-flink render --stack dev            # stacks/Pulumi.dev.yaml -> rendered/dev/
    pulumi-flink render --config FILE --out DIR
    pulumi-flink diff BASE_DIR HEAD_DIR [--out FILE] [--title TEXT] [--exit-code]

render exit codes: 0 rendered; 2 bad input, or an --out folder the renderer did not write itself
(nothing written).
diff exit codes: 0 compared; 1 changes found with --exit-code; 2 bad input (nothing written).
diff --out writes a new file, or replaces one an earlier diff --out wrote (its first line is the
review marker); never through a link, into a render folder, or over a file of someone else's.
Either exits 2 with a one-line "internal error" for a bug; PULUMI_FLINK_DEBUG=1 shows its traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from pulumi_flink.offline.diff import (
    DEFAULT_TITLE,
    DiffOptions,
    RenderDirError,
    ReviewFileError,
    diff_folders,
    write_review,
)
from pulumi_flink.offline.manifests import PROJECT_FILE, OutputDirError, write_manifests
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.offline.strict_yaml import YamlFileError, load_document
from pulumi_flink.offline.summary import summarize
from pulumi_flink.program import PROJECT, StackConfig, parse_stack_config
from pulumi_flink.spec.errors import FlinkSpecError

DEBUG_ENV = "PULUMI_FLINK_DEBUG"
"""Set to 1 and an unexpected error shows its traceback instead of a one-line report."""
BUG_REPORT_HINT = (
    f"this is a bug in pulumi-flink: please report it with the input that caused it "
    f"({DEBUG_ENV}=1 shows the traceback)"
)
# Pulumi's rule for stack names: alphanumerics, hyphens, underscores and periods, at most 100.
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}\Z")


class InputError(Exception):
    pass


def load_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` block of a Pulumi stack file (``Pulumi.<stack>.yaml``)."""
    if not path.exists():
        raise InputError(f"{path}: no such stack config file")
    try:
        document = load_document(path) or {}
    except YamlFileError as exc:
        raise InputError(str(exc)) from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise InputError(f"{path}: expected a mapping with a 'config:' block")
    config: dict[str, Any] = document.get("config") or {}
    return config


def project_name(start: Path) -> str:
    """The ``name`` of the nearest ``Pulumi.yaml`` at or above ``start`` (the project's)."""
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            try:
                document = load_document(candidate)
            except YamlFileError as exc:
                raise InputError(f"{exc} (the Pulumi project file above the stack file)") from None
            if document is None:
                return PROJECT
            name = document.get("name", PROJECT) if isinstance(document, dict) else None
            if not isinstance(name, str) or not name:
                raise InputError(f"{candidate}: expected a mapping with a string 'name:' (the project name)")
            return name
    return PROJECT


def stack_name_argument(text: str) -> str:
    """argparse type of ``--stack``: a Pulumi stack name, which is also a file and folder name."""
    if not _STACK_NAME.match(text) or text in {".", ".."}:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stack name (letters, digits, '-', '_' and '.', at most 100, not '.' or '..')"
        )
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulumi-flink", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="render a stack's Kubernetes objects offline")
    source = render.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--stack", type=stack_name_argument, help="stack name: reads STACKS_DIR/Pulumi.<stack>.yaml"
    )
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
    diff.add_argument(
        "--out",
        type=Path,
        help="write the Markdown to FILE instead of stdout, after the review marker line "
        "(a new file, or one an earlier --out wrote)",
    )
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


def _stack_name_of(path: Path) -> str:
    name = path.stem.removeprefix("Pulumi.")
    try:
        return stack_name_argument(name)
    except argparse.ArgumentTypeError as exc:
        raise InputError(f"{path}: the stack name is the <stack> of Pulumi.<stack>.yaml: {exc}") from None


def render_command(args: argparse.Namespace) -> int:
    path = args.config or args.stacks_dir / f"Pulumi.{args.stack}.yaml"
    try:
        stack_name = args.stack or _stack_name_of(path)
        project = project_name(path.parent)
        stack: StackConfig = parse_stack_config(load_stack_file(path), project)
        render = render_stack(stack, stack_name=stack_name, project=project)
    except (InputError, FlinkSpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was rendered", file=sys.stderr)
        return 2
    out_dir = args.out or Path("rendered") / stack_name
    objects = render.kubernetes_objects()
    try:
        write_manifests(objects, out_dir, protected=[path])
    except OutputDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 2
    print(summarize(stack, objects, stack_name), end="")
    print(f"\nWrote {len(objects)} objects to {out_dir}/")
    return 0


def diff_command(args: argparse.Namespace) -> int:
    options = DiffOptions(args.enable_configmap_mutable, args.enable_secret_mutable)
    try:
        changes, markdown = diff_folders(args.base, args.head, args.title, options)
        if args.out:
            write_review(args.out, markdown, (args.base, args.head))
    except (RenderDirError, ReviewFileError, OSError, ValueError) as exc:  # ValueError: a NUL in a path
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
    command = {"render": render_command, "diff": diff_command}[args.command]
    try:
        return command(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Bad input has its own messages above; what reaches here is a bug. One line, not a
        # traceback, but naming the exception's type so that tests and reports still see it.
        if os.environ.get(DEBUG_ENV):
            raise
        detail = (str(exc).splitlines() or [""])[0][:300]
        print(f"error: internal error: {type(exc).__name__}: {detail}", file=sys.stderr)
        print(BUG_REPORT_HINT, file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
