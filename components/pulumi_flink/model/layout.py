"""Where things are in the library's pods: every volume name, mount path, container name,
port name and environment variable the library itself uses.

The pod builders (``pods``, ``flink_config``, ``stores``) and the checks on the user's pod hooks
(``validation``) both import these, so what the library mounts and what it keeps the user
from mounting over cannot disagree. The ``*_PURPOSES`` tables say, in the words of an error
message, what each one is for.
"""

from __future__ import annotations

# --- directories of the official Flink image ------------------------------------------------

CONF_DIR = "/opt/flink/conf"
# Where a Flink container writes: its root filesystem is read-only (pod.readOnlyRootFilesystem),
# so the library mounts an emptyDir at each (pods.writable_dirs). Flink's defaults already
# land there, on every version, so the configuration names none of them:
# - TMP_DIR is the JVM's java.io.tmpdir, the default of io.tmp.dirs, and through it of
#   web.tmpdir (uploaded jars), blob.storage.directory, process.working-dir (the JobManager's
#   and the TaskManager's working directories: the TaskManager's holds local state
#   (taskmanager.state.local.root-dirs), RocksDB's and ForSt's instance directories and
#   spilled data), env.pid.dir (flink-console.sh's pid file), the JVM's hsperfdata, and
#   native libraries unpacked at run time (RocksDB, Netty).
# - LOG_DIR is env.log.dir's default: log files, if a log4j configuration writes any (the
#   library's logs to stdout only), and the .out/.err files with STD_REDIRECT_TO_FILE.
TMP_DIR = "/tmp"
LOG_DIR = "/opt/flink/log"
USRLIB_DIR = "/opt/flink/usrlib"
"""Where a standalone application cluster loads its job from, and a fetched jar lands."""
PLUGINS_DIR = "/opt/flink/plugins"
# Native mode: where Flink's JobManager reads the TaskManager pod template (a fixed path;
# it ignores kubernetes.pod-template-file.taskmanager at runtime).
POD_TEMPLATE_DIR = "/opt/flink/pod-template"
NATIVE_ARTIFACTS_DIR = "/opt/flink/artifacts"
"""Native mode, Flink 1.19+: where Flink's client puts the user's artifacts."""
NATIVE_ENTRYPOINT = "/docker-entrypoint.sh"
HA_STORAGE_MOUNT = "/flink-ha"
"""Where ``highAvailability.volumeClaim`` is mounted in every Flink pod."""

# --- volumes of the Flink pods ------------------------------------------------------------------

CONFIG_VOLUME = "flink-config"
# Native mode uses the names Flink's own client gives (see tests/flink/test_native_factories.py).
NATIVE_CONFIG_VOLUME = "flink-config-volume"
NATIVE_POD_TEMPLATE_VOLUME = "pod-template-volume"
NATIVE_ARTIFACTS_VOLUME = "user-artifacts-volume"
HA_STORAGE_VOLUME = "ha-storage"
USRLIB_VOLUME = "usrlib"
TMP_VOLUME = "flink-tmp"
LOG_VOLUME = "flink-log"
PLUGIN_VOLUME_PREFIX = "flink-plugin-"
"""One emptyDir per plugin the image's entrypoint enables: flink-plugin-0, flink-plugin-1, ..."""

# --- containers and ports -------------------------------------------------------------------------

NATIVE_MAIN_CONTAINER = "flink-main-container"
FETCH_JAR_CONTAINER = "fetch-jar"
REST_PORT_NAME = "rest"
# Standalone pods' ports (the internal Service's target ports): the JobManager's rpc and blob,
# the TaskManager's rpc and data.
RPC_PORT_NAME = "rpc"
BLOB_PORT_NAME = "blob"
DATA_PORT_NAME = "data"
# Native mode: the JobManager's port names Flink's own client gives.
NATIVE_RPC_PORT_NAME = "jobmanager-rpc"
NATIVE_BLOB_PORT_NAME = "blobserver"
METRICS_PORT_NAME = "metrics"
"""The container port of Flink's Prometheus reporter; PodMonitors and Services name it."""

# --- environment variables the library sets in Flink containers ------------------------------

STANDALONE_POD_IP_ENV = "POD_IP"
"""A standalone JobManager under HA: its args pass $(POD_IP) as the host to advertise."""
NATIVE_POD_IP_ENV = "_POD_IP_ADDRESS"
"""Flink's native JobManager advertises this address when high availability is on."""
PLUGINS_ENV = "ENABLE_BUILT_IN_PLUGINS"
"""The official image's entrypoint links these jars from opt/ into plugins/."""
LOG_POD_NAME_ENV = "FLINK_POD_NAME"
"""logging.volumeClaim: the pod's name, the directory its log files go to on the claim."""

# --- what each is for, as an error message says it -----------------------------------------------

MOUNT_PURPOSES = {
    CONF_DIR: "holds the rendered Flink configuration",
    POD_TEMPLATE_DIR: "holds the native TaskManager pod template",
    TMP_DIR: "is the library's emptyDir for Flink's temporary files and working directories",
    LOG_DIR: "is the library's emptyDir for Flink's log files",
    USRLIB_DIR: "holds the job's jar, fetched by the fetch-jar init container",
    NATIVE_ARTIFACTS_DIR: "is the emptyDir native Flink keeps the user's artifacts in",
    HA_STORAGE_MOUNT: "is where highAvailability.volumeClaim is mounted",
    PLUGINS_DIR: "holds an emptyDir per plugin that ENABLE_BUILT_IN_PLUGINS enables",
}
"""Library mount paths; a path under ``PLUGINS_DIR`` is one plugin's directory."""

ENV_PURPOSES = {
    STANDALONE_POD_IP_ENV: "carries the pod IP a standalone JobManager advertises under high availability",
    NATIVE_POD_IP_ENV: "carries the pod IP a native JobManager advertises under high availability",
    PLUGINS_ENV: "enables the filesystem plugin the highAvailability.storageDir needs",
    LOG_POD_NAME_ENV: "names each pod's log directory on logging.volumeClaim",
}

# --- the HA stores' pods (ZooKeeper, etcd, zetcd): not open to pod hooks --------------------------

STORE_DATA_VOLUME = "data"
ZOOKEEPER_CONFIG_VOLUME = "config"
ZOOKEEPER_CONF_DIR = "/conf"
ZOOKEEPER_DATA_DIR = "/data"
ETCD_DATA_DIR = "/var/run/etcd"
# The ZooKeeper JVM's temporary files (hsperfdata, java.io.tmpdir): its only write beside
# the data volume, as the root filesystem is read-only. zkServer.sh start-foreground logs to
# the console (the ConfigMap's logback.xml); the image's /logs stays unused.
STORE_TMP_VOLUME = "tmp"
STORE_TMP_DIR = "/tmp"

# Ports of the stores' pods; the quorum strings the spec derives use the client port.
ZOOKEEPER_CLIENT_PORT = 2181
ZOOKEEPER_PEER_PORT = 2888
ZOOKEEPER_ELECTION_PORT = 3888
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
STORE_CLIENT_PORT_NAME = "client"
STORE_PEER_PORT_NAME = "peer"
ZOOKEEPER_ELECTION_PORT_NAME = "election"
