"""Real Flink processes as the rendered securityContext runs them: uid 9999, no capabilities,
no_new_privs, and writable only where the pod has volumes.

The harness's hardened mode (``LoopbackCluster(..., hardened=True)``, see the docstring of
``harness``) starts each Flink pod with ``setpriv`` as the pod's runAsUser, runAsGroup and
fsGroup, and gives that user write access to the directories standing for the pod's volumes
only (the emptyDirs at /tmp and /opt/flink/log, a claim); the pod's FLINK_HOME view, its
read-only conf copy and the shared distribution belong to root. For Flink 1.20 and 2.3, a
rendered session cluster boots that way and runs a job with keyed state in RocksDB, local
recovery and checkpoints on a claim; afterwards every file the user 9999 owns anywhere on the
machine lies under those directories, and no process logged a refused write. The image
entrypoint's own write into the conf dir (``prepare_configuration``) is run as the pod's
user too: it fails and changes nothing, and nothing depends on it. Without the /tmp emptyDir
the TaskManager cannot start: the harness really withholds the root filesystem.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.render.flink_config import TASKMANAGER_POD_TEMPLATE_FILE
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.clusters import digest, small_cluster
from tests.support.loopback import LoopbackCluster, listening_sockets
from tests.support.native_factories import flink_native_specs
from tests.support.pods.errors import ClusterError
from tests.support.pods.file_server import FileServer
from tests.support.pods.process import CONTAINER_TMP, Pod, process_status, writable_directories
from tests.support.rendering import objects_by_kind_name, render_specs
from tests.support.toolchain import Java, JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
FLINK_UID = 9999
CHECKPOINT_CLAIM = "flink-checkpoints"
JAR_URL = "https://jars.example.com/job.jar"
KEYED_JOB_CLASS = "KeyedStateJob"
# A job with keyed state (a count per key in RocksDB), so the TaskManager opens RocksDB
# instances and keeps local copies of its snapshots; the same source for 1.20 and 2.3.
KEYED_JOB_SOURCE = """
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class KeyedStateJob {
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(0, Long.MAX_VALUE / 4).name("sequence")
            .map(new Throttle()).name("throttle")
            .keyBy(new Modulo())
            .map(new Count()).name("count")
            .sinkTo(new DiscardingSink<>()).name("discard");
        env.execute("pulumi-flink keyed state job");
    }

    static final class Throttle extends RichMapFunction<Long, Long> {
        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(2);
            return value;
        }
    }

    static final class Modulo implements KeySelector<Long, Long> {
        @Override
        public Long getKey(Long value) {
            return value % 64;
        }
    }

    static final class Count extends RichMapFunction<Long, Long> {
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext context) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Long.class));
        }

        @Override
        public Long map(Long value) throws Exception {
            Long seen = count.value();
            long next = seen == null ? 1 : seen + 1;
            count.update(next);
            return next;
        }
    }
}
"""
# What a process writing where it may not would log (Java, the scripts, RocksDB).
REFUSED_WRITE = re.compile(r"Permission denied|Read-only file system|AccessDeniedException|EACCES|EROFS")

Build = Callable[..., LoopbackCluster]


def hardened_spec(version: str, **overrides: Any) -> FlinkClusterSpec:
    """A session cluster a team would run with state: RocksDB, local recovery, checkpoints on a
    claim. Modest memory for a 2-core machine. Any failure fails the job (no restarts)."""
    probe = FlinkClusterSpec.parse({"name": "x", "flinkVersion": version})
    checkpoints_key = probe.version.checkpoint_dir_keys[0]
    data = small_cluster(
        version,
        flinkConfiguration={
            "execution.checkpointing.interval": "1 s",
            "state.backend.type": "rocksdb",
            "execution.checkpointing.local-backup.enabled": True,
            checkpoints_key: "file:///checkpoints",
            "restart-strategy.type": "none",
        },
        jvmOptions=["-XX:+ExitOnOutOfMemoryError"],
        pod={
            "volumes": [{"name": "checkpoints", "persistentVolumeClaim": {"claimName": CHECKPOINT_CLAIM}}],
            "volumeMounts": [{"name": "checkpoints", "mountPath": "/checkpoints"}],
        },
    )
    return FlinkClusterSpec.parse({**data, **overrides})


def render(spec: FlinkClusterSpec) -> list[dict[str, Any]]:
    return render_stack(StackConfig((spec,))).kubernetes_objects()


def keyed_job_jar(java: Java, build: JavaBuild, work: Path) -> Path:
    """KEYED_JOB_SOURCE compiled against the distribution, as a jar."""
    sources, classes = work / "src", work / "classes"
    sources.mkdir(parents=True)
    classes.mkdir()
    (sources / f"{KEYED_JOB_CLASS}.java").write_text(KEYED_JOB_SOURCE)
    result = subprocess.run(
        [str(java.javac), "-nowarn", "--release", "17", "-cp", str(build.flink_home / "lib" / "*"),
         "-d", str(classes), str(sources / f"{KEYED_JOB_CLASS}.java")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    jar = work / "keyed-state-job.jar"
    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = f"Manifest-Version: 1.0\r\nMain-Class: {KEYED_JOB_CLASS}\r\n\r\n"
        archive.writestr("META-INF/MANIFEST.MF", manifest)
        for cls in sorted(classes.glob("*.class")):
            archive.write(cls, cls.name)
    return jar


def files_owned_by(uid: int) -> set[Path]:
    """Every file and directory ``uid`` owns on this machine's writable filesystems."""
    command = ["find", "/", "/dev/shm", "/run", "-xdev", "-path", "/proc", "-prune", "-o", "-uid", str(uid)]
    result = subprocess.run([*command, "-print"], capture_output=True, text=True, check=False)
    return {Path(line) for line in result.stdout.splitlines() if line}


def under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def check_layout(cluster: LoopbackCluster, flink_home: Path) -> None:
    """What uid 9999 may write in each pod's view: exactly its volumes' directories (and what
    it creates in them); nothing in the shared distribution."""
    for pod in cluster.pods:
        security = pod.plan.security
        assert (security.run_as_user, security.run_as_group, security.fs_group) == (FLINK_UID,) * 3
        for directory in pod.writable:
            assert (directory.stat().st_uid, directory.stat().st_gid) == (FLINK_UID, FLINK_UID)
        volumes = {pod.local_path(path) for path in pod.plan.mounts} | set(pod.volume_dirs.values())
        assert set(pod.writable) == volumes
        assert pod.tmp_dir in pod.writable and pod.log_dir in pod.writable
        assert pod.conf_dir not in pod.writable and pod.home not in pod.writable
    # Everything the harness made for the cluster (pods' directories, claims), and the
    # distribution the pods' FLINK_HOME views link into.
    writable = writable_directories(cluster.root, FLINK_UID, {FLINK_UID})
    assert set(writable) == {directory for pod in cluster.pods for directory in pod.writable}
    assert writable_directories(flink_home, FLINK_UID, {FLINK_UID}) == []


def run_entrypoint_configuration_step(pod: Pod) -> subprocess.CompletedProcess[str]:
    """The official image's ``prepare_configuration`` for this pod, as its user: what
    docker-entrypoint.sh runs before every command (``config-parser-utils.sh`` with the image's
    own -D values, which writes the result into the conf dir's config file)."""
    home = pod.home
    command = [
        "bash", str(home / "bin" / "config-parser-utils.sh"), str(pod.conf_dir), str(home / "bin"),
        str(home / "lib"), f"-Djobmanager.rpc.address={pod.name}", "-Dblob.server.port=6124",
        "-Dquery.server.port=6125",
    ]
    return subprocess.run(
        [*pod.launcher, *command], cwd=pod.working_dir, env=pod.environment,
        capture_output=True, text=True, check=False, timeout=120,
    )


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_hardened_session_cluster_runs_a_stateful_job_writing_only_to_its_volumes(
    version: str, java: Java, java_build: Callable[[str], JavaBuild], hardened_cluster: Build, tmp_path: Path,
) -> None:
    build = java_build(version)
    job_jar = keyed_job_jar(java, build, tmp_path / "job")
    spec = hardened_spec(version)
    cluster = hardened_cluster(render(spec), build.flink_home)
    before = files_owned_by(FLINK_UID)
    cluster.prepare()
    check_layout(cluster, build.flink_home)
    conf_digests = {pod.name: digest(pod.conf_dir) for pod in cluster.pods}
    claim = cluster.claim_dir(CHECKPOINT_CLAIM)

    # The image's entrypoint writes into the conf dir first: as the pod's user that write
    # fails (on Kubernetes the ConfigMap mount refuses it the same way), the entrypoint goes
    # on, and the configuration stays the rendered one.
    for pod in cluster.pods:
        step = run_entrypoint_configuration_step(pod)
        assert step.returncode != 0 and "Permission denied" in step.stderr, (step.stdout, step.stderr)
        assert digest(pod.conf_dir) == conf_digests[pod.name]

    cluster.start()
    jm = cluster.jobmanager
    (tm,) = cluster.pods_of("taskmanager")
    cluster.wait_for(
        "TaskManager with 2 slots",
        lambda: (o := cluster.rest("GET", "/overview"))["taskmanagers"] == 1 and o["slots-total"] == 2,
        timeout=120,
    )
    # The processes run as the pod's user and groups, without capabilities or a way to gain any.
    for pod in (jm, tm):
        assert pod.process is not None
        port = pod.plan.ports["rest" if pod is jm else "rpc"]
        assert (pod.ip, port) in listening_sockets(pod.process.pid)  # this pod answered, no other
        status = process_status(pod.process.pid)
        assert status["Uid"].split() == [str(FLINK_UID)] * 4, status["Uid"]
        assert status["Gid"].split() == [str(FLINK_UID)] * 4, status["Gid"]
        assert status["Groups"].split() == [str(FLINK_UID)]
        assert int(status["CapEff"], 16) == int(status["CapPrm"], 16) == int(status["CapBnd"], 16) == 0
        assert status["NoNewPrivs"] == "1"
        assert Path(f"/proc/{pod.process.pid}/exe").resolve().name == "java"

    with job_jar.open("rb") as jar:
        upload = cluster.rest(
            "POST", "/jars/upload", files={"jarfile": (job_jar.name, jar, "application/x-java-archive")}
        )
    run = {"entryClass": KEYED_JOB_CLASS, "parallelism": spec.parallelism}
    job_id = cluster.rest("POST", f"/jars/{Path(upload['filename']).name}/run", json=run)["jobid"]

    def checkpointed() -> bool:
        job = cluster.rest("GET", f"/jobs/{job_id}")
        if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
            raise ClusterError(f"job {job_id} is {job['state']}\n{cluster.diagnostics()}")
        return bool(cluster.rest("GET", f"/jobs/{job_id}/checkpoints")["counts"]["completed"] >= 3)

    cluster.wait_for("3 completed checkpoints", checkpointed, timeout=120)
    checkpoints = cluster.rest("GET", f"/jobs/{job_id}/checkpoints")
    failures = [c.get("failure_message") for c in checkpoints["history"] if c["status"] == "FAILED"]
    assert not failures, failures
    latest = checkpoints["latest"]["completed"]
    assert latest["status"] == "COMPLETED"
    assert latest["external_path"].startswith("file:") and CHECKPOINT_CLAIM in latest["external_path"]

    # Where the state went: RocksDB's instances and the local recovery copies in the
    # TaskManager's /tmp (its working directory there), the checkpoints on the claim.
    tm_tmp = list(tm.tmp_dir.rglob("*"))
    assert any(p.name.startswith("OPTIONS-") for p in tm_tmp), "no RocksDB instance in the TaskManager's /tmp"
    assert any("localState" in p.parts and p.is_file() for p in tm_tmp), "no local state copy in /tmp"
    assert any(p.name == "_metadata" for p in claim.rglob("*")), "no checkpoint on the claim"
    assert all(p.stat().st_uid == FLINK_UID for p in claim.rglob("*"))
    running = files_owned_by(FLINK_UID) - before  # while the job runs (Flink cleans up at exit)

    cluster.rest("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})
    cluster.wait_for(
        "cancelled job", lambda: cluster.rest("GET", f"/jobs/{job_id}")["state"] == "CANCELED", timeout=60
    )
    cluster.stop()

    # Every file the processes created (uid 9999 owns it) lies in a pod's volumes, and so
    # does every file they could have changed (only those directories are theirs).
    created = running | (files_owned_by(FLINK_UID) - before)
    volumes = [directory for pod in cluster.pods for directory in pod.writable]
    outside = sorted(p for p in created if not under(p, volumes))
    assert not outside, f"written outside the pods' volumes: {outside[:20]}"
    assert any(under(p, [tm.tmp_dir]) for p in created) and any(under(p, [jm.tmp_dir]) for p in created)
    for pod in cluster.pods:
        assert digest(pod.conf_dir) == conf_digests[pod.name]
        output = pod.output.read_text(errors="replace")
        assert not REFUSED_WRITE.search(output), REFUSED_WRITE.findall(output)
    print(f"Flink {version}: {len(created)} files written, all on the pods' volumes")


def test_without_the_tmp_emptydir_the_taskmanager_cannot_start(
    java_build: Callable[[str], JavaBuild], hardened_cluster: Build,
) -> None:
    """The negative control: the same render with the TaskManager's /tmp emptyDir removed by
    hand. Its root filesystem is read-only, so the process has nowhere to put its working
    directory, and exits."""
    build = java_build(V23)
    objects = render(hardened_spec(V23))
    (deployment,) = [
        o for o in objects if (o["kind"], o["metadata"]["name"]) == ("Deployment", "analytics-taskmanager")
    ]
    pod_spec = deployment["spec"]["template"]["spec"]
    (container,) = pod_spec["containers"]
    (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == CONTAINER_TMP]
    container["volumeMounts"].remove(tmp)
    pod_spec["volumes"] = [v for v in pod_spec["volumes"] if v["name"] != tmp["name"]]
    cluster = hardened_cluster(objects, build.flink_home)
    cluster.prepare()
    (tm,) = cluster.pods_of("taskmanager")
    assert tm.tmp_dir not in tm.writable and tm.tmp_dir.stat().st_uid == 0
    cluster.start()
    code = cluster.wait_for_exit(tm, timeout=120)
    output = tm.output.read_text(errors="replace")
    assert code != 0, output[-5000:]
    # The JVM's first temporary file (its JAAS configuration, in java.io.tmpdir) is refused.
    assert f"AccessDeniedException: {tm.tmp_dir}/" in output, output[-5000:]


@pytest.mark.parametrize(
    "overrides",
    [
        {"mode": "application", "job": {"jar": JAR_URL, "entryClass": "CheckpointedJob"}},
        # (The harness passes no config rewrites to a client, so no checkpoint claim here.)
        {"mode": "per-job", "jobs": [{"name": "a", "jar": JAR_URL}], "pod": {}, "flinkConfiguration": {}},
        {"highAvailability": {"type": "kubernetes", "storageDir": "file:///flink-ha", "volumeClaim": "ha"}},
    ],
    ids=["application-fetched-jar", "per-job", "ha-claim"],
)
def test_every_mode_is_writable_only_on_its_volumes(
    overrides: dict[str, Any], java_build: Callable[[str], JavaBuild], hardened_cluster: Build,
    file_server: Callable[[Mapping[str, Path]], FileServer], tmp_path: Path,
) -> None:
    """Prepared, not started: the JobManager, TaskManagers, clients and init containers of
    each mode get their user, and write access to their volumes only."""
    build = java_build(V23)
    jar = tmp_path / "job.jar"
    jar.write_bytes(build.job_jar.read_bytes())
    server = file_server({JAR_URL: jar})
    cluster = hardened_cluster(render(hardened_spec(V23, **overrides)), build.flink_home, servers=[server])
    cluster.prepare()
    check_layout(cluster, build.flink_home)
    for pod in cluster.pods:
        assert pod.launcher[0].endswith("setpriv") and f"--reuid={FLINK_UID}" in pod.launcher
        for run in pod.init:
            assert run.launcher == pod.launcher
            (output_arg,) = [a for a in run.command if a.endswith("/job.jar") and not a.startswith("https")]
            assert under(Path(output_arg), pod.writable)
    components = {pod.plan.component for pod in cluster.pods}
    assert {"jobmanager", "taskmanager"} <= components


def test_hardened_mode_needs_a_read_only_root_filesystem(
    java_build: Callable[[str], JavaBuild], hardened_cluster: Build,
) -> None:
    build = java_build(V23)
    spec = hardened_spec(V23, pod={"readOnlyRootFilesystem": False})
    cluster = hardened_cluster(render(spec), build.flink_home)
    with pytest.raises(NotImplementedError, match="read-only root filesystem"):
        cluster.prepare()


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_flinks_native_taskmanager_pods_keep_our_security_context_and_volumes(
    version: str, java: Java, java_build: Callable[[str], JavaBuild], tmp_path: Path,
) -> None:
    """Native mode: Flink's JobManager builds each TaskManager pod from our pod template. The
    pod it builds (by Flink's own factory, tests/java/NativeSpecs.java) keeps the template's
    securityContext, its main container's, and the writable emptyDirs with their mounts."""
    spec = FlinkClusterSpec.parse({"name": "analytics", "flinkVersion": version, "native": True})
    ours = objects_by_kind_name(render_specs(spec))
    template_text = ours[("ConfigMap", "pod-template-analytics")]["data"][TASKMANAGER_POD_TEMPLATE_FILE]
    template = yaml.safe_load(template_text)
    conf_files = ours[("ConfigMap", "flink-config-analytics")]["data"]
    flink = flink_native_specs(java, java_build(version), version, conf_files, template, tmp_path)
    flink_spec = flink["taskManagerPod"]["spec"]
    assert flink_spec["securityContext"] == template["spec"]["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": FLINK_UID, "runAsGroup": FLINK_UID, "fsGroup": FLINK_UID,
        "fsGroupChangePolicy": "OnRootMismatch", "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = flink_spec["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True, "runAsNonRoot": True,
    }
    assert not flink_spec.get("initContainers")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in flink_spec["volumes"]}
    for path, name in ((CONTAINER_TMP, "flink-tmp"), ("/opt/flink/log", "flink-log")):
        assert mounts[path] == name and "emptyDir" in volumes[name], (mounts, volumes)
    # What else the TaskManager can write: nothing (its configuration is a ConfigMap).
    kinds = {"emptyDir", "persistentVolumeClaim"}
    writable = {path for path, name in mounts.items() if kinds & set(volumes[name])}
    assert writable == {CONTAINER_TMP, "/opt/flink/log"}
