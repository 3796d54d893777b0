/*
 * Loads Flink configuration directories with Flink's own code and reports, as JSON,
 * what Flink read and how it sizes the JobManager and TaskManager processes.
 *
 *   java -cp <flink>/lib/*:<classes> ConfigCheck OUT.json CONF_DIR [CONF_DIR ...]
 *
 * Many directories in one JVM, so a sweep over sizes costs one start-up. For each
 * directory OUT.json holds an object with:
 *   confDir, readFile       the directory, and the file name Flink says it read
 *   config                  every key and value as Flink holds them (Configuration.toMap())
 *   taskmanager | taskmanagerError, jobmanager | jobmanagerError
 *                           the memory components in bytes, or why Flink refuses the model
 *   loadError               if the directory could not be loaded at all
 *
 * The memory model is resolved with the calls the start scripts make (BashJavaUtils's
 * GET_TM_RESOURCE_PARAMS and GET_JM_RESOURCE_PARAMS) in the version on the classpath:
 * 1.x first maps the legacy heap keys (taskmanager.heap.size, jobmanager.heap.size)
 * onto the new options; 2.x dropped those keys and the mapping methods. The
 * version-specific methods are looked up reflectively so one source serves both.
 * Compiled against each version's lib/*.jar by the test session.
 */

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.util.config.memory.taskmanager.TaskExecutorFlinkMemory;

public final class ConfigCheck {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ConfigCheck OUT.json CONF_DIR [CONF_DIR ...]");
            System.exit(2);
        }
        List<Object> results = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            results.add(check(args[i]));
        }
        Files.write(Paths.get(args[0]), (json(results) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, Object> check(String dir) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("confDir", dir);
        Configuration config;
        try {
            config = GlobalConfiguration.loadConfiguration(dir);
        } catch (Throwable t) {
            result.put("loadError", describe(t));
            return result;
        }
        // Set by the load we just did: config.yaml (standard YAML) or flink-conf.yaml (legacy).
        result.put("readFile", GlobalConfiguration.getFlinkConfFilename());
        result.put("config", new TreeMap<>(config.toMap()));
        try {
            result.put("taskmanager", taskManagerMemory(config));
        } catch (Throwable t) {
            result.put("taskmanagerError", describe(t));
        }
        try {
            result.put("jobmanager", jobManagerMemory(config));
        } catch (Throwable t) {
            result.put("jobmanagerError", describe(t));
        }
        return result;
    }

    static Map<String, Object> taskManagerMemory(Configuration config) throws Throwable {
        // What BashJavaUtils does for the standalone TaskManager.
        Configuration effective = VersionCompat.mapLegacyTaskManagerHeap(config, TaskManagerOptions.TOTAL_FLINK_MEMORY);
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(effective);
        TaskExecutorFlinkMemory flink = spec.getFlinkMemory();
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("process", bytes(spec.getTotalProcessMemorySize()));
        memory.put("flink", bytes(spec.getTotalFlinkMemorySize()));
        memory.put("jvmOverhead", bytes(spec.getJvmOverheadSize()));
        memory.put("metaspace", bytes(spec.getJvmMetaspaceSize()));
        memory.put("frameworkHeap", bytes(flink.getFrameworkHeap()));
        memory.put("frameworkOffHeap", bytes(flink.getFrameworkOffHeap()));
        memory.put("taskHeap", bytes(flink.getTaskHeap()));
        memory.put("taskOffHeap", bytes(flink.getTaskOffHeap()));
        memory.put("network", bytes(flink.getNetwork()));
        memory.put("managed", bytes(flink.getManaged()));
        memory.put("jvmHeap", bytes(spec.getJvmHeapMemorySize()));
        memory.put("jvmDirect", bytes(spec.getJvmDirectMemorySize()));
        return memory;
    }

    static Map<String, Object> jobManagerMemory(Configuration config) throws Throwable {
        JobManagerProcessSpec spec = VersionCompat.jobManagerProcessSpec(config);
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("process", bytes(spec.getTotalProcessMemorySize()));
        memory.put("flink", bytes(spec.getTotalFlinkMemorySize()));
        memory.put("jvmOverhead", bytes(spec.getJvmOverheadSize()));
        memory.put("metaspace", bytes(spec.getJvmMetaspaceSize()));
        memory.put("heap", bytes(spec.getJvmHeapMemorySize()));
        memory.put("offHeap", bytes(spec.getJvmDirectMemorySize()));
        return memory;
    }



    static long bytes(MemorySize size) {
        return size.getBytes();
    }

    /** The exception chain as "Type: message <- Type: message". */
    static String describe(Throwable t) {
        StringBuilder text = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (text.length() > 0) {
                text.append(" <- ");
            }
            text.append(c.getClass().getName()).append(": ").append(c.getMessage());
        }
        return text.toString();
    }

    static String json(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString(out, String.valueOf(e.getKey()));
                out.append(':');
                write(out, e.getValue());
            }
            out.append('}');
        } else if (value instanceof List) {
            out.append('[');
            boolean first = true;
            for (Object item : (List<?>) value) {
                if (!first) {
                    out.append(",\n");
                }
                first = false;
                write(out, item);
            }
            out.append(']');
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else {
            writeString(out, value.toString());
        }
    }

    static void writeString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private ConfigCheck() {}
}
