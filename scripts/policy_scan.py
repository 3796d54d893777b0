#!/usr/bin/env python3
"""The Checkov policy gate: every stack's render, scanned with Checkov's Kubernetes checks.

    .venv/bin/python scripts/policy_scan.py                  # every stacks/Pulumi.*.yaml
    .venv/bin/python scripts/policy_scan.py prod dev         # some stacks
        [--all]            list passed checks too (default: failed and skipped ones)
        [--keep DIR]       keep the renders there (a new or empty folder)
        [--json FILE]      write every finding as JSON

1. Each stack file is rendered offline with the renderer the CLI runs (``pulumi-flink
   render``) into ``<tmp>/<stack>/``.
2. Checkov (pinned, in ``.cache/checkov-venv``: ``bash scripts/setup-test.sh`` installs it)
   scans all of them in one run, ``--framework kubernetes``, with ``.checkov.yaml``.
3. Skips come from ``policy/checkov-skips.yaml`` (check id -> name, written reason,
   optionally the stacks and objects it is limited to). They are applied here rather than
   passed as ``--skip-check``: Checkov drops a skipped check from its report, so a skip that
   no longer covers any failure (stale) could not be told apart from one still needed.

The gate passes when no check fails outside a skip, no file fails to parse, no inline
suppression is found and, when every stack was scanned, no skip is stale.

Checkov runs offline: no API key (a private HOME, so no ~/.bridgecrew/credentials; BC_*,
PRISMA_*, CKV_* and CHECKOV_* variables dropped), ``--skip-download`` (no guidelines or
policies from the platform), ``--skip-results-upload``, ``CKV_SKIP_PACKAGE_UPDATE_CHECK``
(no version look-up on PyPI), ``BC_SKIP_MAPPING``. On top of that it runs under a guard
that refuses every name look-up and every non-local socket connection and reports it; a
blocked attempt fails the scan.

Exit codes: 0 the gate passes; 1 it fails; 2 the scan could not run (Checkov missing,
a stack that does not render, Checkov crashed or tried the network).
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
STACKS_DIR = ROOT / "stacks"
CONFIG_FILE = ROOT / ".checkov.yaml"
SKIPS_FILE = ROOT / "policy" / "checkov-skips.yaml"
CHECKOV_VENV = ROOT / ".cache" / "checkov-venv"
SETUP_HINT = "run `bash scripts/setup-test.sh` (installs the pinned checkov into .cache/checkov-venv)"

PASSED, FAILED, SKIPPED = "PASSED", "FAILED", "SKIPPED"
CHECK_ID = re.compile(r"^CKV2?_K8S_[0-9]+$")
BLOCKED_MARK = "policy_scan: blocked network access:"
ENV_PREFIXES_DROPPED = ("BC_", "PRISMA_", "CKV_", "CHECKOV_")
OFFLINE_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
WORKLOAD_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"})
UNREADABLE = "<not YAML>"


class PolicyScanError(Exception):
    """The scan could not run; nothing was judged."""


# --- skips -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skip:
    check_id: str
    name: str
    reason: str
    stacks: tuple[str, ...] = ()
    """Globs of stack names the skip covers; empty: every stack."""
    objects: tuple[str, ...] = ()
    """Globs of the objects (``Kind namespace/name``) the skip covers; empty: every object."""

    def covers(self, stack: str, obj: str) -> bool:
        return _any_match(stack, self.stacks) and _any_match(obj, self.objects)


def _any_match(value: str, patterns: Sequence[str]) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def load_skips(path: Path = SKIPS_FILE) -> dict[str, Skip]:
    """``policy/checkov-skips.yaml``; refuses an entry without a name or a written reason."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyScanError(f"{path}: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyScanError(f"{path}: expected a mapping of check id to {{name, reason, ...}}")
    skips: dict[str, Skip] = {}
    problems: list[str] = []
    for check_id, entry in document.items():
        where = f"{path.name}: {check_id}"
        if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
            problems.append(f"{where}: not a Checkov Kubernetes check id (CKV_K8S_<n> or CKV2_K8S_<n>)")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with name and reason")
            continue
        unknown = sorted(set(entry) - {"name", "reason", "stacks", "objects"})
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        name, reason = entry.get("name"), entry.get("reason")
        scopes: dict[str, tuple[str, ...]] = {}
        for key in ("stacks", "objects"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                problems.append(f"{where}: {key} must be a list of names or globs")
                value = []
            scopes[key] = tuple(value)
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: no name (write Checkov's name of the check)")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: no reason (every skip needs its written justification)")
        skips[check_id] = Skip(check_id, str(name or "").strip(), " ".join(str(reason or "").split()),
                               scopes["stacks"], scopes["objects"])
    if problems:
        raise PolicyScanError("\n".join(problems))
    return skips


# --- rendering ---------------------------------------------------------------------------


def stack_files(stacks_dir: Path = STACKS_DIR, names: Sequence[str] = ()) -> dict[str, Path]:
    """Stack name -> ``Pulumi.<stack>.yaml``: every stack file, or the named ones."""
    found = {p.name.removeprefix("Pulumi.").removesuffix(".yaml"): p
             for p in sorted(stacks_dir.glob("Pulumi.*.yaml"))}
    missing = [n for n in names if n not in found]
    if missing:
        raise PolicyScanError(f"no stack file for {missing} in {stacks_dir} (have: {sorted(found)})")
    return {n: found[n] for n in names} if names else found


def render_stacks(stacks: Mapping[str, Path], out_dir: Path) -> None:
    """Render each stack into ``out_dir/<stack>/`` with ``pulumi-flink render`` (in process)."""
    from pulumi_flink.offline.cli import main as pulumi_flink

    for name, path in stacks.items():
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = pulumi_flink(["render", "--config", str(path), "--out", str(out_dir / name)])
        if status != 0:
            raise PolicyScanError(f"stack {name} does not render ({path}):\n{stderr.getvalue().strip()}")


# --- Checkov -----------------------------------------------------------------------------


def checkov_python() -> Path:
    python = CHECKOV_VENV / "bin" / "python"
    if not python.is_file():
        raise PolicyScanError(f"checkov is not installed in {CHECKOV_VENV}: {SETUP_HINT}")
    return python


def network_guard() -> str:
    """Python run first in Checkov's interpreter: name look-ups and connections beyond Unix
    sockets fail, and each attempt is written to stderr with BLOCKED_MARK."""
    return f"""
import socket, sys
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
def _deny(what):
    sys.stderr.write({BLOCKED_MARK!r} + " " + what + "\\n")
    sys.stderr.flush()
    return OSError("network access is blocked by scripts/policy_scan.py: " + what)
def _guarded_connect(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    raise _deny("connect " + repr(address))
def _guarded_connect_ex(self, address):
    if self.family == socket.AF_UNIX:
        return _connect_ex(self, address)
    raise _deny("connect " + repr(address))
def _guarded_getaddrinfo(host, port, *args, **kwargs):
    raise _deny("resolve " + repr(host))
socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo
"""


def checkov_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES_DROPPED)}
    env.update(OFFLINE_ENV, HOME=str(home))
    return env


def checkov_arguments(scan_dir: Path, report_dir: Path) -> list[str]:
    return [
        "--directory", str(scan_dir),
        "--config-file", str(CONFIG_FILE),
        "--framework", "kubernetes",
        "--skip-download",
        "--skip-results-upload",
        "--output", "json",
        "--output-file-path", str(report_dir),
        "--soft-fail",  # failed checks are judged here; a non-zero exit means Checkov broke
    ]


def run_checkov(scan_dir: Path) -> dict[str, Any]:
    """Checkov over ``scan_dir`` (one run, whatever it holds): its Kubernetes JSON report."""
    python = checkov_python()
    runner = network_guard() + (
        "import warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from checkov.main import Checkov\n"
        "sys.exit(Checkov().run())\n"
    )
    with tempfile.TemporaryDirectory(prefix="policy-scan-") as tmp:
        home, report_dir = Path(tmp) / "home", Path(tmp) / "report"
        home.mkdir()
        done = subprocess.run(
            [str(python), "-c", runner, *checkov_arguments(scan_dir, report_dir)],
            cwd=tmp, env=checkov_env(home), capture_output=True, text=True, timeout=600, check=False,
        )
        blocked = [line for line in done.stderr.splitlines() if line.startswith(BLOCKED_MARK)]
        if blocked:
            raise PolicyScanError("checkov tried to reach the network:\n" + "\n".join(blocked))
        report_file = report_dir / "results_json.json"
        if done.returncode != 0 or not report_file.is_file():
            output = f"{done.stderr.strip()[-4000:]}\n{done.stdout[-2000:]}"
            raise PolicyScanError(f"checkov failed (exit {done.returncode}):\n{output}")
        report = json.loads(report_file.read_text(encoding="utf-8"))
    reports = report if isinstance(report, list) else [report]
    for one in reports:
        if one.get("check_type") == "kubernetes":
            return dict(one)
    # Nothing to scan: Checkov writes a bare summary without a check type.
    return {"check_type": "kubernetes", "results": {}, "summary": reports[0] if reports else {}}


# --- findings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    stack: str
    check_id: str
    check_name: str
    object: str
    """``Kind namespace/name`` of the rendered object (cluster-scoped: ``Kind name``)."""
    file: str
    """The object's file, relative to the scanned folder: ``<stack>/<namespace>/<kind>-<name>.yaml``."""
    result: str
    """PASSED, FAILED, or SKIPPED (failed, but covered by a skip)."""
    reason: str = ""


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    stacks: tuple[str, ...]
    skips: Mapping[str, Skip]
    checkov_version: str
    parsing_errors: tuple[str, ...] = ()
    inline_suppressions: tuple[Finding, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Every YAML file of the scanned stacks, relative to the scanned folder -> its object's kind."""

    def for_stacks(self, stacks: Iterable[str]) -> Report:
        keep = set(stacks)

        def ours(path: str) -> bool:
            return path.split("/", 1)[0] in keep

        return Report(
            tuple(f for f in self.findings if f.stack in keep),
            tuple(s for s in self.stacks if s in keep),
            self.skips,
            self.checkov_version,
            tuple(e for e in self.parsing_errors if ours(e)),
            tuple(f for f in self.inline_suppressions if f.stack in keep),
            {path: kind for path, kind in self.files.items() if ours(path)},
        )

    def with_result(self, result: str, stack: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.result == result and stack in (None, f.stack)]

    def failed(self, stack: str | None = None) -> list[Finding]:
        return self.with_result(FAILED, stack)

    def skipped(self, stack: str | None = None) -> list[Finding]:
        return self.with_result(SKIPPED, stack)

    def unscanned_workloads(self) -> list[str]:
        """Workload files (Deployments, Jobs, ...) with no finding at all, and files that are not
        YAML: Checkov did not look at them (it passes over a file it cannot parse in silence)."""
        seen = {f.file for f in self.findings}
        return [path for path, kind in sorted(self.files.items())
                if (kind in WORKLOAD_KINDS or kind == UNREADABLE) and path not in seen]

    def skip_problems(self) -> list[str]:
        """Stale skips (covering no failure of these stacks), stale stack globs, wrong names."""
        problems: list[str] = []
        names = {f.check_id: f.check_name for f in self.findings}
        for check_id, skip in sorted(self.skips.items()):
            where = f"{SKIPS_FILE.relative_to(ROOT)}: {check_id}"
            if check_id in names and names[check_id] != skip.name:
                problems.append(f"{where}: named {skip.name!r}, but Checkov calls it {names[check_id]!r}")
            covered = [f for f in self.skipped() if f.check_id == check_id]
            if not covered:
                state = "passes on every stack" if check_id in names else "is not run by Checkov"
                problems.append(f"{where} is stale: the check {state} (remove the skip)")
                continue
            for key, patterns, values in (("stacks", skip.stacks, {f.stack for f in covered}),
                                          ("objects", skip.objects, {f.object for f in covered})):
                for pattern in patterns:
                    if not any(fnmatch.fnmatchcase(value, pattern) for value in values):
                        problems.append(f"{where}: {key} entry {pattern!r} covers no failure (remove it)")
        return problems

    def gate_problems(self, *, check_skips: bool = True) -> list[str]:
        problems = [f"{f.stack}: {f.check_id} {f.check_name}: {f.object} ({f.file})" for f in self.failed()]
        problems += [f"does not parse: {e}" for e in self.parsing_errors]
        problems += [f"not scanned by Checkov: {path}" for path in self.unscanned_workloads()]
        problems += [
            f"{f.stack}: {f.check_id} is suppressed inline on {f.object}; record it in "
            f"{SKIPS_FILE.relative_to(ROOT)} with its reason instead"
            for f in self.inline_suppressions
        ]
        if check_skips:
            problems += self.skip_problems()
        return problems


@cache
def _object_of(path: Path) -> tuple[str, str]:
    """(kind, ``Kind namespace/name``) of a rendered file, which holds one object."""
    try:
        obj = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return UNREADABLE, path.name
    kind = str(obj.get("kind", "?"))
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", "?"))
    if meta.get("namespace"):
        name = f"{meta['namespace']}/{name}"
    return kind, f"{kind} {name}"


def _relative(raw: Mapping[str, Any], root: Path) -> str:
    absolute = raw.get("file_abs_path") or str(root) + str(raw.get("file_path", ""))
    try:
        return Path(absolute).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(raw.get("file_path", "")).lstrip("/")


def parse_report(report: Mapping[str, Any], scan_dir: Path, skips: Mapping[str, Skip]) -> Report:
    """Checkov's JSON report as findings per stack (the first folder under ``scan_dir``)."""
    root = scan_dir.resolve()
    results = report.get("results") or {}
    found: dict[tuple[str, str, str], Finding] = {}
    for key, result in (("passed_checks", PASSED), ("failed_checks", FAILED)):
        for raw in results.get(key, []):
            file = _relative(raw, root)
            stack = file.split("/", 1)[0]
            check_id, name = str(raw["check_id"]), str(raw.get("check_name", ""))
            skip, obj = skips.get(check_id), _object_of(root / file)[1]
            outcome, reason = result, ""
            if result == FAILED and skip is not None and skip.covers(stack, obj):
                outcome, reason = SKIPPED, skip.reason
            finding = Finding(stack, check_id, name, obj, file, outcome, reason)
            previous = found.get((check_id, file, stack))
            # A check may report an object more than once (e.g. per container): the worst wins.
            if previous is None or previous.result == PASSED:
                found[(check_id, file, stack)] = finding
    inline: list[Finding] = []
    for raw in results.get("skipped_checks", []):
        file = _relative(raw, root)
        comment = str((raw.get("check_result") or {}).get("suppress_comment", ""))
        inline.append(Finding(file.split("/", 1)[0], str(raw["check_id"]), str(raw.get("check_name", "")),
                              _object_of(root / file)[1], file, SKIPPED, comment))
    errors = tuple(sorted(_relative({"file_abs_path": str(p), "file_path": str(p)}, root)
                          for p in results.get("parsing_errors", [])))
    files = {p.relative_to(root).as_posix(): _object_of(p)[0] for p in sorted(root.rglob("*.yaml"))}
    stacks = tuple(sorted({f.split("/", 1)[0] for f in files if "/" in f}))
    findings = tuple(sorted(found.values(), key=lambda f: (f.stack, _check_order(f.check_id), f.file)))
    version = str((report.get("summary") or {}).get("checkov_version", "?"))
    return Report(findings, stacks, dict(skips), version, errors, tuple(inline), files)


def _check_order(check_id: str) -> tuple[int, int]:
    prefix, _, number = check_id.rpartition("_")
    return (1 if prefix.startswith("CKV2") else 0, int(number) if number.isdigit() else 0)


def scan(stacks: Mapping[str, Path], skips: Mapping[str, Skip], keep: Path | None = None) -> Report:
    """Render the stacks and scan them with one Checkov run."""
    if keep is not None:
        if keep.exists() and any(keep.iterdir()):
            raise PolicyScanError(f"{keep} is not empty")
        keep.mkdir(parents=True, exist_ok=True)
        render_stacks(stacks, keep)
        return parse_report(run_checkov(keep), keep, skips)
    with tempfile.TemporaryDirectory(prefix="policy-render-") as tmp:
        render_stacks(stacks, Path(tmp))
        return parse_report(run_checkov(Path(tmp)), Path(tmp), skips)


# --- output ------------------------------------------------------------------------------


def table(findings: Sequence[Finding]) -> str:
    header = ("STACK", "CHECK", "NAME", "OBJECT", "RESULT")
    rows = [header] + [(f.stack, f.check_id, f.check_name, f.object, f.result) for f in findings]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )


def summary(report: Report) -> str:
    lines = [f"Checkov {report.checkov_version}, --framework kubernetes, {len(report.stacks)} stack(s)"]
    for stack in report.stacks:
        counts = {r: len(report.with_result(r, stack)) for r in (FAILED, SKIPPED, PASSED)}
        lines.append(f"  {stack}: {counts[FAILED]} failed, {counts[SKIPPED]} skipped, "
                     f"{counts[PASSED]} passed")
    return "\n".join(lines)


def skips_text(report: Report) -> str:
    used = sorted({f.check_id for f in report.skipped()}, key=_check_order)
    return "\n".join(
        textwrap.fill(f"{check_id} {report.skips[check_id].name}: {report.skips[check_id].reason}",
                      width=100, initial_indent="  ", subsequent_indent="      ")
        for check_id in used
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", help="stack names (default: every stacks/Pulumi.*.yaml)")
    parser.add_argument("--all", action="store_true", help="list passed checks too")
    parser.add_argument("--keep", type=Path, help="render into this new or empty folder and keep it")
    parser.add_argument("--json", type=Path, help="write every finding as JSON to FILE")
    args = parser.parse_args(argv)
    try:
        skips = load_skips()
        stacks = stack_files(names=args.stacks)
        report = scan(stacks, skips, keep=args.keep)
    except PolicyScanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = [f for f in report.findings if args.all or f.result != PASSED]
    print(table(shown) if shown else "no failed or skipped checks")
    print()
    print(summary(report))
    if report.skipped():
        print("\nSkipped (policy/checkov-skips.yaml):")
        print(skips_text(report))
    if args.json:
        findings = [asdict(f) for f in report.findings]
        args.json.write_text(json.dumps(findings, indent=1) + "\n", encoding="utf-8")
    # Staleness needs every stack: a skip may be needed only by a stack not scanned now.
    problems = report.gate_problems(check_skips=not args.stacks)
    if problems:
        print(f"\nGate: FAILED ({len(problems)} problem(s))")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nGate: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
