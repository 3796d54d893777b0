/*
 * Asks Flink's OWN native Kubernetes code what it would create for a configuration, without
 * a Kubernetes API server, and writes it as JSON.
 *
 *   java -cp <flink>/lib/*:<classes> NativeSpecs CONF_DIR OUT.json [TASKMANAGER_POD_TEMPLATE]
 *
 * CONF_DIR holds config.yaml or flink-conf.yaml (and log4j-console.properties and/or
 * logback-console.xml, which Flink ships in its ConfigMap when present). It is loaded with
 * GlobalConfiguration.loadConfiguration(CONF_DIR), as the CLI loads $FLINK_CONF_DIR.
 * TASKMANAGER_POD_TEMPLATE, if given, is set as kubernetes.pod-template-file.taskmanager
 * (what `-Dkubernetes.pod-template-file.taskmanager=FILE` on the command line does).
 *
 * Client side (what `kubernetes-session.sh` / `flink run-application --target
 * kubernetes-application` on 1.x, `flink run --target kubernetes-application` on 2.x do):
 * the configuration goes to Flink's real KubernetesClusterDescriptor (deploySessionCluster
 * or deployApplicationCluster, picked by execution.target), built with a FlinkKubeClientFactory
 * whose FlinkKubeClient records what would be sent instead of calling the API server. So the
 * configuration changes (ports, entrypoint class, execution mode, application keys), the
 * KubernetesJobManagerParameters, the ClusterSpecification and the call to
 * KubernetesJobManagerFactory.buildKubernetesJobManagerSpecification are all Flink's own. The
 * ClusterSpecification is KubernetesClusterClientFactory.getClusterSpecification(config), the
 * call the CLI makes (AbstractContainerizedClusterClientFactory: process sizes of both
 * memory models, taskmanager.numberOfTaskSlots). This is also how the Flink Kubernetes
 * operator drives the native client (a Configuration handed to the descriptor).
 *
 * Keys set here because the CLI sets them before the descriptor sees the configuration,
 * each only when CONF_DIR does not set it already:
 *   execution.target                 KubernetesSessionCli sets "kubernetes-session";
 *                                    run-application takes it from --target. Default here:
 *                                    kubernetes-session. deployApplicationCluster refuses any
 *                                    other value than kubernetes-application.
 *   $internal.deployment.config-dir  GenericCLI (inside KubernetesSessionCli and the CliFrontend)
 *                                    sets it to the CLI's conf dir; FlinkConfMountDecorator
 *                                    reads log4j-console.properties / logback-console.xml from
 *                                    it. Set to CONF_DIR.
 * For kubernetes-application, the application keys must be in CONF_DIR (as the operator
 * writes them): pipeline.jars (one local:// jar), $internal.application.main,
 * $internal.application.program-args (ApplicationConfiguration.APPLICATION_MAIN_CLASS /
 * APPLICATION_ARGS). ApplicationConfiguration.fromConfiguration reads them and
 * deployApplicationCluster writes them back (applyToConfiguration).
 *
 * JobManager side (what the JobManager's KubernetesResourceManagerDriver does when it asks
 * for the first TaskManager; mimicked step by step with the same Flink calls, since the driver
 * needs a running ResourceManager):
 *   1. the JobManager's conf dir is the flink-config-<cluster-id> ConfigMap mounted at
 *      /opt/flink/conf: its data is written to a temp directory;
 *   2. kubernetes-jobmanager.sh adds BashJavaUtils GET_JM_RESOURCE_PARAMS' dynamic configs
 *      (JobManagerProcessUtils.generateDynamicConfigsStr) to the entrypoint's arguments, which
 *      the entrypoint parses (DynamicParametersConfigurationParserFactory) and
 *      KubernetesEntrypointUtils.loadConfiguration loads with the conf dir (its hostNetwork
 *      and HA branches are replicated: the class is package-private);
 *   3. ClusterEntrypoint sets web.tmpdir to <web.tmpdir>/flink-web-<random UUID>
 *      (generateClusterConfiguration) and, once its RPC service and blob server are up,
 *      jobmanager.rpc.address / jobmanager.rpc.port / blob.server.port to their actual
 *      values: with fixed ports those are the configured ones;
 *   4. ActiveResourceManagerFactory removes taskmanager.memory.process.size and
 *      taskmanager.memory.flink.size from the ResourceManager's configuration; the default
 *      WorkerResourceSpec comes from KubernetesWorkerResourceSpecFactory on the configuration
 *      before that removal (1.x: after mapping the legacy taskmanager.heap.size, like
 *      getEffectiveConfigurationForResourceManagerAndRuntimeServices);
 *   5. KubernetesResourceManagerDriver: the TaskManager pod template is
 *      /opt/flink/pod-template/taskmanager-pod-template.yaml in the JobManager pod (the
 *      pod-template ConfigMap, written to a temp directory here), the first pod of a fresh
 *      cluster is <cluster-id>-taskmanager-1-1 (attempt 1, pod 1), its dynamic properties are
 *      BootstrapTools.getDynamicPropertiesAsString(conf dir config, RM config +
 *      taskmanager.resource-id), its JVM memory options ProcessMemoryUtils.
 *      generateJvmParametersStr; then KubernetesTaskManagerFactory.buildTaskManagerKubernetesPod.
 *   The only substitution: the TaskManager parameters' configuration gets
 *   $internal.deployment.config-dir = the local copy of the JobManager's conf dir, so that
 *   FlinkConfMountDecorator finds the log config files there instead of in /opt/flink/conf
 *   (it is set after the dynamic properties were derived, so it is not in them).
 *
 * OUT.json: {"target", "clusterSpecification" (what the CLI derives), "deployment",
 *   "accompanying": [...], "taskManagerPod",
 *   "effectiveConfig" (the client's Configuration after the descriptor ran, flat),
 *   "jobManagerConfig" (what the JobManager's entrypoint loads, step 2),
 *   "jobManagerDynamicParameters", "resourceManagerConfig" (step 4, before taskmanager.resource-id),
 *   "taskManagerDynamicProperties", "taskManagerJvmMemOpts", "apiCalls" (the calls the client
 *   made on the FlinkKubeClient)}. Kubernetes objects are serialized with the shaded fabric8
 *   Serialization, as Flink's client sends them.
 *
 * Version differences (compiled against 1.20.x and 2.x; the Kubernetes classes used here have
 * the same signatures in both):
 *   - the JobManager memory model: 1.x JobManagerProcessUtils.
 *     processSpecFromConfigWithNewOptionToInterpretLegacyHeap (processSpecFromConfig is
 *     package-private), 2.x processSpecFromConfig (the legacy method is gone): REFLECTION.
 *   - the legacy TaskManager heap mapping (TaskExecutorProcessUtils.
 *     getConfigurationMapLegacyTaskManagerHeapSizeToConfigOption) exists only in 1.x:
 *     REFLECTION (both in VersionCompat).
 *   Nothing else is looked up reflectively.
 */

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.flink.client.deployment.ClusterSpecification;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.client.program.ClusterClientProvider;
import org.apache.flink.configuration.BlobServerOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.DeploymentOptionsInternal;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.kubernetes.KubernetesClusterClientFactory;
import org.apache.flink.kubernetes.KubernetesClusterDescriptor;
import org.apache.flink.kubernetes.artifact.DefaultKubernetesArtifactUploader;
import org.apache.flink.kubernetes.configuration.KubernetesConfigOptions;
import org.apache.flink.kubernetes.configuration.KubernetesDeploymentTarget;
import org.apache.flink.kubernetes.configuration.KubernetesLeaderElectionConfiguration;
import org.apache.flink.kubernetes.entrypoint.KubernetesWorkerResourceSpecFactory;
import org.apache.flink.kubernetes.kubeclient.Endpoint;
import org.apache.flink.kubernetes.kubeclient.FlinkKubeClient;
import org.apache.flink.kubernetes.kubeclient.FlinkKubeClientFactory;
import org.apache.flink.kubernetes.kubeclient.FlinkPod;
import org.apache.flink.kubernetes.kubeclient.KubernetesConfigMapSharedWatcher;
import org.apache.flink.kubernetes.kubeclient.KubernetesJobManagerSpecification;
import org.apache.flink.kubernetes.kubeclient.factory.KubernetesTaskManagerFactory;
import org.apache.flink.kubernetes.kubeclient.parameters.KubernetesTaskManagerParameters;
import org.apache.flink.kubernetes.kubeclient.resources.KubernetesConfigMap;
import org.apache.flink.kubernetes.kubeclient.resources.KubernetesLeaderElector;
import org.apache.flink.kubernetes.kubeclient.resources.KubernetesPod;
import org.apache.flink.kubernetes.kubeclient.resources.KubernetesService;
import org.apache.flink.kubernetes.kubeclient.resources.KubernetesWatch;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.api.model.ConfigMap;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.api.model.HasMetadata;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.api.model.Pod;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.client.utils.Serialization;
import org.apache.flink.kubernetes.utils.Constants;
import org.apache.flink.kubernetes.utils.KubernetesUtils;
import org.apache.flink.runtime.clusterframework.BootstrapTools;
import org.apache.flink.runtime.clusterframework.ContaineredTaskManagerParameters;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.entrypoint.ClusterEntrypointUtils;
import org.apache.flink.runtime.entrypoint.DynamicParametersConfigurationParserFactory;
import org.apache.flink.runtime.externalresource.ExternalResourceUtils;
import org.apache.flink.runtime.jobmanager.HighAvailabilityMode;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.resourcemanager.WorkerResourceSpec;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

public final class NativeSpecs {

    /** KubernetesResourceManagerDriver.TASK_MANAGER_POD_FORMAT (private): cluster, attempt, pod. */
    static final String TASK_MANAGER_POD_FORMAT = "%s-taskmanager-%d-%d";

    /** KubernetesConfigOptions.EXTERNAL_RESOURCE_KUBERNETES_CONFIG_KEY_SUFFIX, as the driver passes it. */
    static final String EXTERNAL_RESOURCE_SUFFIX = KubernetesConfigOptions.EXTERNAL_RESOURCE_KUBERNETES_CONFIG_KEY_SUFFIX;

    public static void main(String[] args) throws Throwable {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: NativeSpecs CONF_DIR OUT.json [TASKMANAGER_POD_TEMPLATE]");
            System.exit(2);
        }
        String confDir = new File(args[0]).getAbsolutePath();
        Path out = Paths.get(args[1]);
        Path work = Files.createTempDirectory("native-specs-");
        try {
            Map<String, Object> result = probe(confDir, args.length == 3 ? args[2] : null, work);
            Files.write(out, (Serialization.asJson(result) + "\n").getBytes(StandardCharsets.UTF_8));
        } finally {
            deleteRecursively(work.toFile());
        }
    }

    static Map<String, Object> probe(String confDir, String tmPodTemplate, Path work) throws Throwable {
        // ---- client side -------------------------------------------------------------
        Configuration config = GlobalConfiguration.loadConfiguration(confDir);
        if (tmPodTemplate != null) {
            config.set(KubernetesConfigOptions.TASK_MANAGER_POD_TEMPLATE, new File(tmPodTemplate).getAbsolutePath());
        }
        if (!config.contains(DeploymentOptions.TARGET)) {
            config.set(DeploymentOptions.TARGET, KubernetesDeploymentTarget.SESSION.getName());
        }
        if (!config.contains(DeploymentOptionsInternal.CONF_DIR)) {
            config.set(DeploymentOptionsInternal.CONF_DIR, confDir);
        }
        KubernetesDeploymentTarget target = KubernetesDeploymentTarget.fromConfig(config);
        ClusterSpecification clusterSpecification = new KubernetesClusterClientFactory().getClusterSpecification(config);

        RecordingClientFactory clients = new RecordingClientFactory();
        KubernetesClusterDescriptor descriptor =
                new KubernetesClusterDescriptor(config, clients, new DefaultKubernetesArtifactUploader());
        ClusterClientProvider<String> provider;
        if (target == KubernetesDeploymentTarget.APPLICATION) {
            provider = descriptor.deployApplicationCluster(
                    clusterSpecification, ApplicationConfiguration.fromConfiguration(config));
        } else {
            provider = descriptor.deploySessionCluster(clusterSpecification);
        }
        descriptor.close();
        KubernetesJobManagerSpecification spec = clients.client.jobManagerSpec;
        if (spec == null || provider == null) {
            throw new IllegalStateException("the descriptor created no JobManager");
        }
        Configuration clientConfig = clients.firstConfig; // the descriptor's own Configuration object
        String clusterId = clientConfig.get(KubernetesConfigOptions.CLUSTER_ID);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("target", target.getName());
        result.put("clusterSpecification", clusterSpecification(clusterSpecification));
        result.put("deployment", spec.getDeployment());
        result.put("accompanying", spec.getAccompanyingResources());

        // ---- JobManager side: the first TaskManager pod --------------------------------
        // 1. the JobManager's conf dir (/opt/flink/conf) and pod-template dir (/opt/flink/pod-template)
        Path jmConfDir = Files.createDirectories(work.resolve("opt/flink/conf"));
        Path podTemplateDir = Files.createDirectories(work.resolve("opt/flink/pod-template"));
        ConfigMap flinkConfigMap = null;
        for (HasMetadata resource : spec.getAccompanyingResources()) {
            if (resource instanceof ConfigMap) {
                ConfigMap configMap = (ConfigMap) resource;
                String name = configMap.getMetadata().getName();
                if (name.equals("flink-config-" + clusterId)) {
                    flinkConfigMap = configMap;
                    writeData(configMap, jmConfDir);
                } else if (name.equals("pod-template-" + clusterId)) {
                    writeData(configMap, podTemplateDir);
                }
            }
        }
        if (flinkConfigMap == null) {
            throw new IllegalStateException("no flink-config-" + clusterId + " ConfigMap among " + names(spec));
        }

        // 2. kubernetes-jobmanager.sh's dynamic parameters, then the entrypoint's configuration
        Configuration confDirOnly = GlobalConfiguration.loadConfiguration(jmConfDir.toString());
        String jmDynamic = JobManagerProcessUtils.generateDynamicConfigsStr(
                VersionCompat.jobManagerProcessSpec(confDirOnly));
        String[] jmArgs = jmDynamic.trim().isEmpty() ? new String[0] : jmDynamic.trim().split("\\s+");
        Configuration dynamicParameters = ClusterEntrypointUtils.parseParametersOrExit(
                jmArgs, new DynamicParametersConfigurationParserFactory(), NativeSpecs.class);
        Configuration jmConfig = GlobalConfiguration.loadConfiguration(jmConfDir.toString(), dynamicParameters);
        if (KubernetesUtils.isHostNetwork(jmConfig)) { // KubernetesEntrypointUtils.loadConfiguration
            jmConfig.set(RestOptions.BIND_PORT, "0");
            jmConfig.set(JobManagerOptions.PORT, 0);
            jmConfig.set(BlobServerOptions.PORT, "0");
            jmConfig.set(HighAvailabilityOptions.HA_JOB_MANAGER_PORT_RANGE, "0");
            jmConfig.set(TaskManagerOptions.RPC_PORT, "0");
        }
        if (HighAvailabilityMode.isHighAvailabilityModeActivated(jmConfig)) {
            // The pod's IP from the downward-API env var _POD_IP_ADDRESS: a placeholder here.
            jmConfig.set(JobManagerOptions.ADDRESS, "${" + Constants.ENV_FLINK_POD_IP_ADDRESS + "}");
            jmConfig.set(RestOptions.ADDRESS, "${" + Constants.ENV_FLINK_POD_IP_ADDRESS + "}");
        }
        result.put("jobManagerDynamicParameters", jmDynamic);
        result.put("jobManagerConfig", new TreeMap<>(jmConfig.toMap()));
        if (target == KubernetesDeploymentTarget.APPLICATION) {
            // The application as the JobManager's entrypoint reads it from the shipped ConfigMap
            // (typed: the program arguments as the list main() receives).
            ApplicationConfiguration application = ApplicationConfiguration.fromConfiguration(jmConfig);
            Map<String, Object> applicationOut = new LinkedHashMap<>();
            applicationOut.put("mainClass", application.getApplicationClassName());
            applicationOut.put("programArguments", Arrays.asList(application.getProgramArguments()));
            applicationOut.put("jars", jmConfig.get(PipelineOptions.JARS));
            result.put("application", applicationOut);
        }

        // 3. ClusterEntrypoint's runtime additions
        Configuration running = new Configuration(jmConfig);
        running.set(WebOptions.TMP_DIR,
                new File(jmConfig.get(WebOptions.TMP_DIR), "flink-web-" + UUID.randomUUID()).getAbsolutePath());
        running.set(JobManagerOptions.ADDRESS, jmConfig.get(JobManagerOptions.ADDRESS));
        running.set(JobManagerOptions.PORT, jmConfig.get(JobManagerOptions.PORT));
        running.set(BlobServerOptions.PORT, jmConfig.get(BlobServerOptions.PORT));

        // 4. the ResourceManager's configuration and the default worker
        Configuration runtimeServices =
                VersionCompat.mapLegacyTaskManagerHeap(running, TaskManagerOptions.TOTAL_PROCESS_MEMORY);
        WorkerResourceSpec worker = KubernetesWorkerResourceSpecFactory.INSTANCE.createDefaultWorkerResourceSpec(runtimeServices);
        Configuration rmConfig = new Configuration(runtimeServices);
        rmConfig.removeConfig(TaskManagerOptions.TOTAL_PROCESS_MEMORY);
        rmConfig.removeConfig(TaskManagerOptions.TOTAL_FLINK_MEMORY);
        result.put("resourceManagerConfig", new TreeMap<>(rmConfig.toMap()));

        // 5. KubernetesResourceManagerDriver.requestResource -> createKubernetesTaskManagerParameters
        RecordingClient jmClient = new RecordingClient();
        File podTemplateInPod = KubernetesUtils.getTaskManagerPodTemplateFileInPod();
        File podTemplateLocal = podTemplateDir.resolve(podTemplateInPod.getName()).toFile();
        FlinkPod tmTemplate = podTemplateLocal.exists()
                ? KubernetesUtils.loadPodFromTemplateFile(jmClient, podTemplateLocal, Constants.MAIN_CONTAINER_NAME)
                : new FlinkPod.Builder().build();
        TaskExecutorProcessSpec processSpec = TaskExecutorProcessUtils.processSpecFromWorkerResourceSpec(rmConfig, worker);
        String podName = String.format(TASK_MANAGER_POD_FORMAT, clusterId, 1L, 1L);
        ContaineredTaskManagerParameters containered = ContaineredTaskManagerParameters.create(rmConfig, processSpec);
        Configuration taskManagerConfig = new Configuration(rmConfig);
        taskManagerConfig.set(TaskManagerOptions.TASK_MANAGER_RESOURCE_ID, podName);
        Configuration flinkClientConfig = GlobalConfiguration.loadConfiguration(jmConfDir.toString());
        String dynamicProperties = BootstrapTools.getDynamicPropertiesAsString(flinkClientConfig, taskManagerConfig);
        String jvmMemOpts = ProcessMemoryUtils.generateJvmParametersStr(processSpec);
        Configuration parametersConfig = new Configuration(rmConfig);
        parametersConfig.set(DeploymentOptionsInternal.CONF_DIR, jmConfDir.toString()); // see header
        KubernetesTaskManagerParameters parameters = new KubernetesTaskManagerParameters(
                parametersConfig, podName, dynamicProperties, jvmMemOpts, containered,
                ExternalResourceUtils.getExternalResourceConfigurationKeys(rmConfig, EXTERNAL_RESOURCE_SUFFIX),
                Collections.emptySet());
        KubernetesPod tmPod = KubernetesTaskManagerFactory.buildTaskManagerKubernetesPod(tmTemplate, parameters);
        result.put("taskManagerPod", tmPod.getInternalResource());
        result.put("taskManagerDynamicProperties", dynamicProperties);
        result.put("taskManagerJvmMemOpts", jvmMemOpts);

        result.put("effectiveConfig", new TreeMap<>(clientConfig.toMap()));
        result.put("apiCalls", clients.client.calls);
        return result;
    }

    // ---- the recording FlinkKubeClient -------------------------------------------------

    /** Hands the descriptor a RecordingClient; remembers the descriptor's Configuration. */
    static final class RecordingClientFactory extends FlinkKubeClientFactory {
        final RecordingClient client = new RecordingClient();
        Configuration firstConfig;

        @Override
        public FlinkKubeClient fromConfiguration(Configuration configuration, String useCase) {
            if (firstConfig == null) {
                firstConfig = configuration;
            }
            client.calls.add("fromConfiguration(" + useCase + ")");
            return client;
        }
    }

    /** Records what would go to the API server; answers the reads a fresh cluster gets. */
    static final class RecordingClient implements FlinkKubeClient {
        final List<String> calls = new ArrayList<>();
        KubernetesJobManagerSpecification jobManagerSpec;

        @Override
        public void createJobManagerComponent(KubernetesJobManagerSpecification spec) {
            calls.add("createJobManagerComponent");
            jobManagerSpec = spec;
        }

        @Override
        public Optional<KubernetesService> getService(String name) {
            calls.add("getService(" + name + ")"); // a fresh cluster: nothing exists yet
            return Optional.empty();
        }

        @Override
        public Optional<Endpoint> getRestEndpoint(String clusterId) {
            calls.add("getRestEndpoint(" + clusterId + ")");
            // For the RestClusterClient the descriptor builds afterwards (never used): loopback,
            // so no name is resolved.
            return Optional.of(new Endpoint("127.0.0.1", 8081));
        }

        @Override
        public KubernetesPod loadPodFromTemplateFile(File file) {
            calls.add("loadPodFromTemplateFile");
            // Fabric8FlinkKubeClient: pods().load(file).item(), i.e. fabric8's unmarshalling.
            if (!file.exists()) {
                throw new IllegalArgumentException("Pod template file " + file + " does not exist.");
            }
            try (InputStream in = new FileInputStream(file)) {
                return new KubernetesPod(Serialization.unmarshal(in, Pod.class));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {}

        private static <T> T unexpected(String what) {
            throw new UnsupportedOperationException("NativeSpecs does not expect the client to call " + what);
        }

        @Override
        public CompletableFuture<Void> createTaskManagerPod(KubernetesPod pod) {
            return unexpected("createTaskManagerPod");
        }

        @Override
        public CompletableFuture<Void> stopPod(String podName) {
            return unexpected("stopPod");
        }

        @Override
        public void stopAndCleanupCluster(String clusterId) {
            calls.add("stopAndCleanupCluster(" + clusterId + ")");
        }

        @Override
        public List<KubernetesPod> getPodsWithLabels(Map<String, String> labels) {
            return unexpected("getPodsWithLabels");
        }

        @Override
        public CompletableFuture<KubernetesWatch> watchPodsAndDoCallback(
                Map<String, String> labels, WatchCallbackHandler<KubernetesPod> podCallbackHandler) {
            return unexpected("watchPodsAndDoCallback");
        }

        @Override
        public KubernetesLeaderElector createLeaderElector(
                KubernetesLeaderElectionConfiguration configuration,
                KubernetesLeaderElector.LeaderCallbackHandler callbackHandler) {
            return unexpected("createLeaderElector");
        }

        @Override
        public CompletableFuture<Void> createConfigMap(KubernetesConfigMap configMap) {
            return unexpected("createConfigMap");
        }

        @Override
        public Optional<KubernetesConfigMap> getConfigMap(String name) {
            return unexpected("getConfigMap");
        }

        @Override
        public CompletableFuture<Boolean> checkAndUpdateConfigMap(
                String configMapName, Function<KubernetesConfigMap, Optional<KubernetesConfigMap>> updateFunction) {
            return unexpected("checkAndUpdateConfigMap");
        }

        @Override
        public CompletableFuture<Void> deleteConfigMap(String configMapName) {
            return unexpected("deleteConfigMap");
        }

        @Override
        public KubernetesConfigMapSharedWatcher createConfigMapSharedWatcher(String name) {
            return unexpected("createConfigMapSharedWatcher");
        }

        @Override
        public CompletableFuture<Void> updateServiceTargetPort(String serviceName, String portName, int targetPort) {
            return unexpected("updateServiceTargetPort");
        }
    }




    // ---- helpers -----------------------------------------------------------------------

    static Map<String, Object> clusterSpecification(ClusterSpecification spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("masterMemoryMB", spec.getMasterMemoryMB());
        out.put("taskManagerMemoryMB", spec.getTaskManagerMemoryMB());
        out.put("slotsPerTaskManager", spec.getSlotsPerTaskManager());
        return out;
    }

    static void writeData(ConfigMap configMap, Path dir) throws java.io.IOException {
        if (configMap.getData() == null) {
            return;
        }
        for (Map.Entry<String, String> entry : configMap.getData().entrySet()) {
            Files.write(dir.resolve(entry.getKey()), entry.getValue().getBytes(StandardCharsets.UTF_8));
        }
    }

    static List<String> names(KubernetesJobManagerSpecification spec) {
        List<String> names = new ArrayList<>();
        for (HasMetadata resource : spec.getAccompanyingResources()) {
            names.add(resource.getKind() + "/" + resource.getMetadata().getName());
        }
        return names;
    }

    static void deleteRecursively(File file) {
        File[] children = file.listFiles();
        if (children != null) {
            for (File child : children) {
                deleteRecursively(child);
            }
        }
        file.delete();
    }

    private NativeSpecs() {}
}
