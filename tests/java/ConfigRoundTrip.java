/*
 * Reads Flink configuration directories with Flink's own parser and reports, as JSON, every
 * key and the value Flink hands to the code that reads it: the round-trip proof of the
 * rendered config files (tests/flink/test_config_round_trip.py).
 *
 *   java -cp <flink>/lib/*:<classes> ConfigRoundTrip OUT.json LIST_KEYS_FILE CONF_DIR [CONF_DIR ...]
 *
 * LIST_KEYS_FILE names, one a line, the keys to read as Flink LIST options (stringType().asList(),
 * as Flink reads pipeline.jars or $internal.application.program-args). For each directory
 * OUT.json holds an object with:
 *   confDir, readFile   the directory, and the file name Flink says it read
 *   strings             every key, read as a string option (what getString returns)
 *   lists               each LIST key present: the items, or {"error": why Flink refuses it}
 *   loadError           if the directory could not be loaded at all
 * The keys and values are those of GlobalConfiguration.loadConfiguration: flink-conf.yaml with
 * the legacy line parser (1.x), config.yaml with standard YAML (1.19 and later).
 */

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

public final class ConfigRoundTrip {

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: ConfigRoundTrip OUT.json LIST_KEYS_FILE CONF_DIR [CONF_DIR ...]");
            System.exit(2);
        }
        List<String> listKeys = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
        List<Object> results = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            results.add(read(args[i], listKeys));
        }
        Files.write(Paths.get(args[0]), (ConfigCheck.json(results) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, Object> read(String dir, List<String> listKeys) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("confDir", dir);
        Configuration config;
        try {
            config = GlobalConfiguration.loadConfiguration(dir);
        } catch (Throwable t) {
            result.put("loadError", ConfigCheck.describe(t));
            return result;
        }
        result.put("readFile", GlobalConfiguration.getFlinkConfFilename());
        Map<String, Object> strings = new TreeMap<>();
        for (String key : config.keySet()) {
            try {
                strings.put(key, config.get(ConfigOptions.key(key).stringType().noDefaultValue()));
            } catch (Throwable t) {
                strings.put(key, Map.of("error", ConfigCheck.describe(t)));
            }
        }
        result.put("strings", strings);
        Map<String, Object> lists = new TreeMap<>();
        for (String key : listKeys) {
            if (key.isEmpty() || !config.containsKey(key)) {
                continue;
            }
            try {
                lists.put(key, config.get(ConfigOptions.key(key).stringType().asList().noDefaultValue()));
            } catch (Throwable t) {
                lists.put(key, Map.of("error", ConfigCheck.describe(t)));
            }
        }
        result.put("lists", lists);
        return result;
    }

    private ConfigRoundTrip() {}
}
