#!/usr/bin/env python3
"""Render-time and dependency-graph figures for pulumi-flink (offline, under Pulumi mocks).

    .venv/bin/python scripts/benchmark.py [--sizes 1,10,100] [--repeat 3] [--json]

1. Render time of N clusters, through the library (``render_stack``) and as a
   baseline through bare pulumi-kubernetes registering the very same Kubernetes
   objects (no components, no ``depends_on``) with ``run_program``. Every timed
   run is a fresh Python process; imports and input preparation happen before
   the clock starts, so the figures are the registration work only.
2. The longest chain of resource waits (``Render.wait_chain()``) of the dev
   stack and of one cluster, and what every custom resource of one cluster
   waits for.
3. Every stack file (dev, staging, prod, and one per mode and HA store): its
   render time in this process (median, after one warm-up render) and object
   count, and the time ``pulumi-flink diff`` takes to compare that render with
   one whose first cluster has one more TaskManager (native: one more slot).

It prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "flink-bench"
FLINK_VERSION = "1.20"
K8S_MODULES = ("pulumi_kubernetes.core.v1", "pulumi_kubernetes.apps.v1", "pulumi_kubernetes.rbac.v1")


# --------------------------------------------------------------------------- inputs


def cluster_names(n: int) -> list[str]:
    return [f"c{i:03d}" for i in range(1, n + 1)]


def bench_stack(n: int) -> Any:
    from pulumi_flink.program import StackConfig
    from pulumi_flink.spec import FlinkClusterSpec

    return StackConfig(
        tuple(
            FlinkClusterSpec(name=name, flink_version=FLINK_VERSION, namespace=NAMESPACE)
            for name in cluster_names(n)
        )
    )


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _k8s_class(api_version: str, kind: str) -> Any:
    """``apps/v1`` + ``Deployment`` -> ``pulumi_kubernetes.apps.v1.Deployment``."""
    import importlib

    group, _, version = api_version.rpartition("/")
    module = f"pulumi_kubernetes.{group.split('.')[0] if group else 'core'}.{version}"
    return getattr(importlib.import_module(module), kind)


def bare_registrations(objects: list[dict[str, Any]]) -> list[tuple[Any, str, dict[str, Any]]]:
    """(class, Pulumi name, keyword arguments) per manifest: ``ConfigMap(name, metadata=, data=)``."""
    registrations = []
    for obj in objects:
        cls = _k8s_class(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        name = f"{meta.get('namespace', '')}-{obj['kind'].lower()}-{meta['name']}"
        kwargs = {_snake(k): v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        registrations.append((cls, name, kwargs))
    return registrations


# --------------------------------------------------------------------------- worker (one timed run)


def worker(mode: str, n: int, manifests: Path | None, dump: Path | None) -> dict[str, Any]:
    """One timed render in this (fresh) process. Returns the figures as a dict."""
    started = time.perf_counter()
    import importlib

    # pulumi_kubernetes loads its API modules lazily, on first attribute access: load the
    # ones the library uses before the clock, in both modes, so neither run pays for it.
    for module in K8S_MODULES:
        importlib.import_module(module)
    from pulumi_flink.offline.renderer import render_stack, run_program

    if mode == "library":
        stack = bench_stack(n)
        setup_seconds = time.perf_counter() - started
        t0 = time.perf_counter()
        render = render_stack(stack, stack_name="bench")
        seconds = time.perf_counter() - t0
        objects = render.kubernetes_objects()
        if dump is not None:
            dump.write_text(json.dumps(objects))
        same = None
    else:
        assert manifests is not None
        expected = json.loads(manifests.read_text())
        registrations = bare_registrations(expected)
        setup_seconds = time.perf_counter() - started

        def program() -> None:
            for cls, name, kwargs in registrations:
                cls(name, **kwargs)

        t0 = time.perf_counter()
        render = run_program(program, stack="bench")
        seconds = time.perf_counter() - t0
        objects = render.kubernetes_objects()
        same = objects == expected
    return {
        "mode": mode,
        "clusters": n,
        "seconds": seconds,
        "setup_seconds": setup_seconds,
        "resources": len(render.resources),
        "components": sum(1 for r in render.resources if not r.custom),
        "objects": len(objects),
        "same_objects_as_library": same,
    }


def run_worker(mode: str, n: int, manifests: Path | None = None, dump: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--n", str(n)]
    if manifests is not None:
        command += ["--manifests", str(manifests)]
    if dump is not None:
        command += ["--dump", str(dump)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {mode} N={n} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- 1. render time


def render_times(sizes: list[int], repeat: int, log: Any) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="flink-bench-") as tmp:
        for n in sizes:
            manifests = Path(tmp) / f"objects-{n}.json"
            runs: dict[str, list[dict[str, Any]]] = {"library": [], "bare": []}
            for i in range(repeat):
                # Alternate library and bare so drift on the machine hits both alike.
                runs["library"].append(run_worker("library", n, dump=manifests if i == 0 else None))
                runs["bare"].append(run_worker("bare", n, manifests=manifests))
                log(
                    f"  N={n} run {i + 1}/{repeat}: library {runs['library'][-1]['seconds']:.3f}s, "
                    f"bare {runs['bare'][-1]['seconds']:.3f}s"
                )
            lib, bare = runs["library"], runs["bare"]
            lib_s = statistics.median(r["seconds"] for r in lib)
            bare_s = statistics.median(r["seconds"] for r in bare)
            objects = lib[0]["objects"]
            rows.append(
                {
                    "clusters": n,
                    "repeat": repeat,
                    "kubernetes_objects": objects,
                    "library_resources": lib[0]["resources"],
                    "library_components": lib[0]["components"],
                    "bare_resources": bare[0]["resources"],
                    "library_seconds": lib_s,
                    "bare_seconds": bare_s,
                    "library_ms_per_object": 1000 * lib_s / objects,
                    "bare_ms_per_object": 1000 * bare_s / objects,
                    "library_ms_per_resource": 1000 * lib_s / lib[0]["resources"],
                    "ratio_library_over_bare": lib_s / bare_s,
                    "same_objects": all(r["same_objects_as_library"] for r in bare),
                    "library_seconds_all": [r["seconds"] for r in lib],
                    "bare_seconds_all": [r["seconds"] for r in bare],
                    "setup_seconds_median": statistics.median(r["setup_seconds"] for r in lib + bare),
                }
            )
    return rows


def format_render_table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'N':>4} {'k8s obj':>7} {'registered lib/bare':>19} {'lib s':>7} {'bare s':>7} "
        f"{'lib ms/obj':>10} {'bare ms/obj':>11} {'lib ms/reg':>10} {'lib/bare':>8} "
        f"{'same objs':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        registered = f"{r['library_resources']}/{r['bare_resources']}"
        lines.append(
            f"{r['clusters']:>4} {r['kubernetes_objects']:>7} {registered:>19} "
            f"{r['library_seconds']:>7.3f} {r['bare_seconds']:>7.3f} "
            f"{r['library_ms_per_object']:>10.2f} {r['bare_ms_per_object']:>11.2f} "
            f"{r['library_ms_per_resource']:>10.2f} {r['ratio_library_over_bare']:>8.2f} "
            f"{'yes' if r['same_objects'] else 'NO':>9}"
        )
    lines.append("")
    lines.append("lib ms/reg = library seconds / resources it registered (objects + components).")
    lines.append("Every run, seconds (library | bare):")
    for r in rows:
        lib = " ".join(f"{s:.3f}" for s in r["library_seconds_all"])
        bare = " ".join(f"{s:.3f}" for s in r["bare_seconds_all"])
        lines.append(f"{r['clusters']:>4}: {lib} | {bare}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- 2. wait chains


def _label(resource: Any) -> str:
    """``Kind/object-name`` for a Kubernetes object, ``Type/urn-name`` otherwise."""
    kind = resource.type.rsplit(":", 1)[-1]
    metadata = resource.inputs.get("metadata") if isinstance(resource.inputs, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f"{kind}/{name or resource.name}"


def wait_figures(title: str, render: Any, with_dependencies: bool) -> dict[str, Any]:
    by_urn = render.by_urn
    chain = render.wait_chain()
    customs = [r for r in render.resources if r.custom]
    components = [r for r in render.resources if not r.custom]
    figures: dict[str, Any] = {
        "title": title,
        "resources": len(render.resources),
        "custom_resources": len(customs),
        "components": len(components),
        "wait_chain": [_label(by_urn[u]) for u in chain],
        "wait_chain_urn_names": [by_urn[u].name for u in chain],
        "wait_chain_length": len(chain),
        "custom_resources_waiting_on_nothing": sum(1 for r in customs if not render.waits_of(r)),
        "resources_waiting_on_nothing": sum(1 for r in render.resources if not r.dependencies),
    }
    if with_dependencies:
        figures["dependencies"] = {
            r.name: {"object": _label(r), "waits_on": sorted(d.name for d in render.waits_of(r))}
            for r in sorted(customs, key=lambda r: r.name)
        }
        deployments = {r.parent.rsplit("::", 1)[-1]: r for r in customs if r.type.endswith(":Deployment")}
        jm = next((r for p, r in deployments.items() if p.endswith("-jobmanager")), None)
        tm = next((r for p, r in deployments.items() if p.endswith("-taskmanager")), None)
        if jm is not None and tm is not None:
            figures["taskmanager_waits_on_jobmanager"] = jm.urn in tm.dependencies
    return figures


def format_waits(f: dict[str, Any]) -> str:
    lines = [
        f"{f['title']}: {f['resources']} resources ({f['custom_resources']} Kubernetes objects, "
        f"{f['components']} components)",
        f"  longest wait chain (length {f['wait_chain_length']}): " + " -> ".join(f["wait_chain"]),
        f"  Kubernetes objects that wait on nothing: {f['custom_resources_waiting_on_nothing']} "
        f"of {f['custom_resources']} (all resources incl. components: "
        f"{f['resources_waiting_on_nothing']} of {f['resources']})",
    ]
    if "dependencies" in f:
        lines.append("  what every custom resource waits for (URN names):")
        width = max(len(name) for name in f["dependencies"])
        for name, entry in f["dependencies"].items():
            waits = ", ".join(entry["waits_on"]) or "(nothing)"
            lines.append(f"    {name:<{width}}  [{entry['object']}]  waits on: {waits}")
        if "taskmanager_waits_on_jobmanager" in f:
            answer = "yes" if f["taskmanager_waits_on_jobmanager"] else "no"
            lines.append(f"  TaskManager Deployment waits for the JobManager Deployment: {answer}")
    return "\n".join(lines)


def dependency_figures() -> list[dict[str, Any]]:
    from pulumi_flink.offline.cli import load_stack_file, project_name
    from pulumi_flink.offline.renderer import render_stack
    from pulumi_flink.program import parse_stack_config

    path = ROOT / "stacks" / "Pulumi.dev.yaml"
    project = project_name(path.parent)
    dev = render_stack(parse_stack_config(load_stack_file(path), project), stack_name="dev", project=project)
    one = render_stack(bench_stack(1), stack_name="bench")
    return [
        wait_figures(f"dev stack ({path.relative_to(ROOT)})", dev, with_dependencies=False),
        wait_figures("one cluster (c001)", one, with_dependencies=True),
    ]


# --------------------------------------------------------------------------- main


def stack_figures(repeat: int) -> list[dict[str, Any]]:
    import copy

    from pulumi_flink.offline.cli import load_stack_file
    from pulumi_flink.offline.diff import diff_folders
    from pulumi_flink.offline.manifests import write_manifests
    from pulumi_flink.offline.renderer import render_stack
    from pulumi_flink.program import parse_stack_config

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for stack_file in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
            config = load_stack_file(stack_file)
            stack = parse_stack_config(config)
            render_stack(stack)  # warm-up: first use of each resource class
            seconds = []
            for _ in range(repeat):
                start = time.perf_counter()
                objects = render_stack(stack).kubernetes_objects()
                seconds.append(time.perf_counter() - start)
            head_config = copy.deepcopy(config)
            first = head_config["pulumi-flink:clusters"][0]
            task_manager = first.setdefault("taskManager", {})
            knob = "slots" if first.get("native") else "replicas"  # native starts TaskManagers itself
            task_manager[knob] = task_manager.get(knob, 1) + 1
            head = render_stack(parse_stack_config(head_config)).kubernetes_objects()
            name = stack_file.stem.removeprefix("Pulumi.")
            base_dir, head_dir = Path(work) / name / "base", Path(work) / name / "head"
            write_manifests(objects, base_dir)
            write_manifests(head, head_dir)
            start = time.perf_counter()
            changes, _ = diff_folders(base_dir, head_dir)
            diff_seconds = time.perf_counter() - start
            rows.append(
                {
                    "stack": name,
                    "clusters": len(stack.clusters),
                    "objects": len(objects),
                    "render_seconds_median": statistics.median(seconds),
                    "diff_seconds": diff_seconds,
                    "changed_objects": len(changes),
                }
            )
    return rows


def format_stack_table(rows: list[dict[str, Any]]) -> str:
    header = ("stack", "clusters", "objects", "render s", "ms/obj", "diff s", "changed")
    lines = [f"{header[0]:<24} " + " ".join(f"{h:>8}" for h in header[1:])]
    for r in rows:
        per_object = 1000 * r["render_seconds_median"] / r["objects"]
        lines.append(
            f"{r['stack']:<24} {r['clusters']:>8} {r['objects']:>8} {r['render_seconds_median']:>8.3f} "
            f"{per_object:>8.1f} {r['diff_seconds']:>8.3f} {r['changed_objects']:>8}"
        )
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected e.g. 1,10,100") from None
    if not sizes or any(n < 1 or n > 999 for n in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be 1..999")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[1, 10, 100],
        help="cluster counts to render, comma-separated (default: 1,10,100)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed runs per size and mode; the median is reported (default: 3)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON as well")
    parser.add_argument("--worker", choices=["library", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--manifests", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.manifests, args.dump)))
        return 0
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")

    started = time.perf_counter()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log(f"timing {args.sizes} cluster(s), {args.repeat} run(s) each, one process per run ...")
    rows = render_times(args.sizes, args.repeat, log)
    waits = dependency_figures()
    stacks = stack_figures(args.repeat)
    total = time.perf_counter() - started

    setup = statistics.median(r["setup_seconds_median"] for r in rows)
    print(f"1. Render time under Pulumi mocks: median of {args.repeat} run(s), each in a fresh process")
    print(f"   N clusters c001.. (Flink {FLINK_VERSION}, namespace {NAMESPACE}).")
    print("   library = render_stack; bare = the same manifests registered as plain")
    print("   pulumi_kubernetes resources with run_program (no components, no depends_on).")
    print("   'registered' = resources the program registered (library: objects + components);")
    print("   ms/obj = seconds / Kubernetes objects. Not timed: imports and input set-up")
    print(f"   (median {setup:.2f}s per process). Timed: the first render of the process, so small N")
    print("   includes one-time costs (first use of each resource class, type-hint caches).")
    print()
    print(format_render_table(rows))
    print()
    print("2. Resource waits (Render.wait_chain(); only waits between custom resources count)")
    print()
    for figures in waits:
        print(format_waits(figures))
        print()
    print(f"3. Every stack file: render in this process (median of {args.repeat}, after a warm-up),")
    print("   and pulumi-flink diff against the same stack with one more TaskManager (native: slot)")
    print("   in its first cluster")
    print()
    print(format_stack_table(stacks))
    print()
    print(f"total benchmark time: {total:.1f}s")
    if args.json:
        print(
            json.dumps(
                {
                    "sizes": args.sizes,
                    "repeat": args.repeat,
                    "render_times": rows,
                    "waits": waits,
                    "stacks": stacks,
                    "total_seconds": total,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
