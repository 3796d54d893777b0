/*
 * Flink APIs that differ between 1.x and 2.x, in one place for the test classes
 * (ConfigCheck, NativeSpecs). Reflection only where a method exists in one line only.
 */

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;

final class VersionCompat {

    private VersionCompat() {
    }

    /**
     * The JobManager memory model as BashJavaUtils resolves it: 1.x interprets the legacy
     * heap keys as jobmanager.memory.heap.size; 2.x has no legacy keys and made
     * processSpecFromConfig public.
     */
    static JobManagerProcessSpec jobManagerProcessSpec(Configuration config) throws Throwable {
        Method legacy = findMethod(JobManagerProcessUtils.class,
                "processSpecFromConfigWithNewOptionToInterpretLegacyHeap", Configuration.class, ConfigOption.class);
        if (legacy != null) {
            return (JobManagerProcessSpec) invoke(legacy, config, JobManagerOptions.JVM_HEAP_MEMORY);
        }
        Method direct = findMethod(JobManagerProcessUtils.class, "processSpecFromConfig", Configuration.class);
        if (direct == null) {
            throw new IllegalStateException("no JobManagerProcessUtils method to derive the memory model");
        }
        return (JobManagerProcessSpec) invoke(direct, config);
    }

    /**
     * 1.x maps the legacy taskmanager.heap.size onto {@code target} (standalone: the total Flink
     * memory; native: the total process memory); 2.x has no such key. Returns a copy.
     */
    static Configuration mapLegacyTaskManagerHeap(Configuration config, ConfigOption<?> target) throws Throwable {
        Method legacy = findMethod(TaskExecutorProcessUtils.class,
                "getConfigurationMapLegacyTaskManagerHeapSizeToConfigOption", Configuration.class, ConfigOption.class);
        if (legacy == null) {
            return new Configuration(config);
        }
        return new Configuration((Configuration) invoke(legacy, config, target));
    }

    private static Method findMethod(Class<?> owner, String name, Class<?>... parameters) {
        try {
            return owner.getMethod(name, parameters);
        } catch (NoSuchMethodException absent) {
            return null;
        }
    }

    private static Object invoke(Method method, Object... args) throws Throwable {
        try {
            return method.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
