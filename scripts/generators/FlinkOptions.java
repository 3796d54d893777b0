/*
 * Flink's own description of its configuration options, for scripts/generators/flink_options.py.
 *
 *     java -cp <the release's jars>:<classes> FlinkOptions OUT.json CLASS...
 *
 * For each class (a fully qualified name; one the release lacks is listed under "missing"),
 * every public static ConfigOption field: its key, its fallback keys in the order Flink reads
 * them (each marked deprecated or not) and its default as Flink writes it in a config file.
 * Reflection only on APIs that every supported release has (1.14 to 2.x).
 */

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;

public final class FlinkOptions {

    private FlinkOptions() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        List<String> options = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            Class<?> owner;
            try {
                owner = Class.forName(args[i]);
            } catch (ClassNotFoundException absent) {
                missing.add(quote(args[i]));
                continue;
            }
            for (Field field : owner.getFields()) {
                int modifiers = field.getModifiers();
                if (!Modifier.isStatic(modifiers) || !ConfigOption.class.isAssignableFrom(field.getType())) {
                    continue;
                }
                options.add(describe(owner, field, (ConfigOption<?>) field.get(null)));
            }
        }
        String json = "{\"options\": [\n" + String.join(",\n", options) + "\n], \"missing\": ["
                + String.join(", ", missing) + "]}\n";
        Files.writeString(out, json, StandardCharsets.UTF_8);
    }

    private static String describe(Class<?> owner, Field field, ConfigOption<?> option) throws Exception {
        List<String> fallbacks = new ArrayList<>();
        for (FallbackKey fallback : option.fallbackKeys()) {
            fallbacks.add("{\"key\": " + quote(fallback.getKey()) + ", \"deprecated\": " + fallback.isDeprecated() + "}");
        }
        String defaultValue = option.hasDefaultValue() ? quote(asConfigString(option.defaultValue())) : "null";
        boolean deprecated = field.isAnnotationPresent(Deprecated.class) || owner.isAnnotationPresent(Deprecated.class);
        return "{\"class\": " + quote(owner.getName()) + ", \"field\": " + quote(field.getName())
                + ", \"deprecated\": " + deprecated + ", \"key\": " + quote(option.key()) + ", \"fallbackKeys\": [" + String.join(", ", fallbacks)
                + "], \"default\": " + defaultValue + "}";
    }

    /**
     * The value as Flink writes it into a configuration: ConfigurationUtils.convertToString,
     * whose signature differs between releases (1.x: (Object); 2.x: (Object, boolean standardYaml)).
     */
    private static String asConfigString(Object value) throws Exception {
        Class<?> utils = Class.forName("org.apache.flink.configuration.ConfigurationUtils");
        for (Method method : utils.getDeclaredMethods()) {
            if (!method.getName().equals("convertToString") || !Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            Class<?>[] parameters = method.getParameterTypes();
            method.setAccessible(true);
            try {
                if (parameters.length == 1 && parameters[0] == Object.class) {
                    return (String) method.invoke(null, value);
                }
                if (parameters.length == 2 && parameters[0] == Object.class && parameters[1] == boolean.class) {
                    return (String) method.invoke(null, value, true);
                }
            } catch (InvocationTargetException e) {
                throw new IOException("cannot write the default " + value, e.getCause());
            }
        }
        return String.valueOf(value);
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
