package io.cvpipe.common.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.cvpipe.common.Errors;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Typed, validated reads over the merged configuration: {@code --set} overrides, then {@code -D} system
 * properties, then the {@code --conf} file, then every module's {@code reference.conf}. Every failure names
 * the key. Stages turn this into their own settings record once, at start-up.
 */
public final class Settings {

  private final Config config;
  /** The layers merged before substitutions were resolved, so that more layers can go over them; null if unknown. */
  private final Config unresolved;

  private Settings(Config config, Config unresolved) {
    this.config = config;
    this.unresolved = unresolved;
  }

  public static Settings of(Config config) {
    return new Settings(config.resolve(), config);
  }

  /**
   * These settings with {@code overrides} laid over them (a pipeline stage's own block), every key checked as a
   * {@code --set} is, and substitutions resolved again, so that defaults that follow a key follow the overridden
   * one. {@code where} names the block in errors.
   */
  public Settings with(Config overrides, String where) {
    Config reference = reference();
    for (Map.Entry<String, ConfigValue> e : overrides.entrySet()) {
      checkKnown(e.getKey(), reference, where + ": " + e.getKey());
    }
    Config merged = overrides.withFallback(unresolved != null ? unresolved : config);
    try {
      return new Settings(merged.resolve(), merged);
    } catch (ConfigException e) {
      throw Errors.usage(where + ": " + e.getMessage());
    }
  }

  /** Every reference.conf on the classpath, without the system properties defaultReference() lays over them. */
  private static Config reference() {
    return ConfigFactory.parseResources(Settings.class.getClassLoader(), "reference.conf");
  }

  /**
   * A {@code --conf} file that is not here may have been shipped with {@code spark-submit --files} (in cluster
   * deploy mode the driver runs on another machine, and Spark fetches such files only once it has started): the
   * entry of {@code spark.files} with the same file name, read where it is, or copied here first from a Hadoop file
   * system ({@code s3a://}, {@code hdfs://}; the {@code spark.hadoop.*} properties configure it). Null if none.
   */
  static Path shipped(Path confFile) {
    String name = confFile.getFileName().toString();
    String listed = System.getProperty("spark.files", "") + "," + System.getProperty("spark.yarn.dist.files", "");
    for (String entry : listed.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      URI uri = URI.create(entry.trim());
      if (uri.getPath() == null || !Path.of(uri.getPath()).getFileName().toString().equals(name)) {
        continue;
      }
      if (uri.getScheme() == null || uri.getScheme().equals("file")) {
        Path local = Path.of(uri.getPath());
        if (Files.isRegularFile(local)) {
          return local;
        }
        continue;
      }
      org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
      System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
          .forEach(k -> hadoop.set(k.substring("spark.hadoop.".length()), System.getProperty(k)));
      try (InputStream in = new org.apache.hadoop.fs.Path(uri).getFileSystem(hadoop).open(new org.apache.hadoop.fs.Path(uri))) {
        Path copy = Files.createTempFile("cvpipe-", "-" + name);
        Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        return copy;
      } catch (IOException e) {
        throw Errors.usage("--conf " + confFile + ": shipped as " + entry + ", which cannot be read: " + e);
      }
    }
    return null;
  }

  /** Loads the configuration for a command line: {@code confFile} may be null, {@code sets} are "key=value". */
  public static Settings load(Path confFile, List<String> sets) {
    Config reference = reference();
    Config file = ConfigFactory.empty();
    if (confFile != null) {
      if (!Files.isRegularFile(confFile)) {
        Path shipped = shipped(confFile);
        if (shipped == null) {
          throw Errors.usage("--conf " + confFile + ": no such file. The shipped ones are in conf/ (local.conf, "
              + "demo.conf, cluster.conf); under spark-submit --deploy-mode cluster, ship yours with --files");
        }
        confFile = shipped;
      }
      try {
        file = ConfigFactory.parseFile(confFile.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw Errors.usage("--conf " + confFile + ": " + e.getMessage());
      }
      for (Map.Entry<String, ConfigValue> e : file.entrySet()) {
        checkKnown(e.getKey(), reference, "--conf " + confFile + ": " + e.getKey());
      }
    }
    // -Dkey=value reaches cvpipe's settings too: a misspelt one under cvpipe's own top-level keys is refused
    // the same way (other system properties are the JVM's and the libraries')
    Config system = ConfigFactory.systemProperties().withoutPath("spark");
    for (Map.Entry<String, ConfigValue> e : system.entrySet()) {
      String root = ConfigUtil.splitPath(e.getKey()).get(0);
      if (reference.root().containsKey(root)) {
        checkKnown(e.getKey(), reference, "-D" + e.getKey());
      }
    }
    Config overrides = ConfigFactory.empty();
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw Errors.usage("--set " + set + ": expected key=value, e.g. --set dataset=imagenet");
      }
      String key = set.substring(0, eq).trim();
      String value = set.substring(eq + 1).trim();
      checkKnown(key, reference, "--set " + key);
      overrides = parseOverride(key, value).withFallback(overrides);
    }
    // spark-submit turns every --conf spark.x into a system property: those are Spark's (SparkSession reads
    // them), and would clash with cvpipe's own spark.* block (spark.ui.enabled against spark.ui)
    Config merged = overrides
        .withFallback(system)
        .withFallback(file)
        .withFallback(reference);
    try {
      return new Settings(merged.resolve(), merged);
    } catch (ConfigException e) {
      throw Errors.usage("configuration: " + e.getMessage());
    }
  }

  private static Config parseOverride(String key, String value) {
    if (value.startsWith("[") || value.startsWith("{")) {
      try {
        return ConfigFactory.parseString(ConfigUtil.joinPath(ConfigUtil.splitPath(key)) + " = " + value);
      } catch (ConfigException e) {
        throw Errors.setting(key, "cannot parse '" + value + "' as a list or object: " + e.getMessage());
      }
    }
    // plain values stay strings (paths like s3a://b/p are not HOCON); typed getters convert them
    return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value, "--set " + key));
  }

  /**
   * A typo in --set, a --conf file or a -D is a mistake the user should hear about before anything runs;
   * {@code where} names it in the message.
   */
  private static void checkKnown(String key, Config reference, String where) {
    if (key.startsWith("spark.conf.") || key.startsWith("spark.conf\"")) {
      return; // free-form Spark settings
    }
    List<String> path;
    try {
      path = ConfigUtil.splitPath(key);
    } catch (ConfigException e) {
      throw Errors.usage(where + ": not a valid key: " + e.getMessage());
    }
    if (reference.hasPathOrNull(key)) {
      return;
    }
    String parent = path.size() > 1 ? ConfigUtil.joinPath(path.subList(0, path.size() - 1)) : null;
    TreeSet<String> siblings = new TreeSet<>();
    Config scope = parent == null ? reference : (reference.hasPath(parent) ? reference.getConfig(parent) : null);
    if (scope != null) {
      for (Map.Entry<String, ConfigValue> e : scope.root().entrySet()) {
        siblings.add(parent == null ? e.getKey() : parent + "." + e.getKey());
      }
    }
    String hint = scope == null || siblings.isEmpty()
        ? "See README.md, 'Configuration', for every key."
        : "Known keys here: " + String.join(", ", siblings);
    throw Errors.usage(where + ": unknown setting. " + hint);
  }

  public Config config() {
    return config;
  }

  public boolean has(String key) {
    return config.hasPath(key) && !string0(key).isEmpty();
  }

  /** A required, non-empty string. */
  public String string(String key, String example) {
    if (!config.hasPath(key) || string0(key).isEmpty()) {
      throw Errors.missingSetting(key, example);
    }
    return string0(key);
  }

  public String stringOr(String key, String fallback) {
    return has(key) ? string0(key) : fallback;
  }

  public Optional<String> optionalString(String key) {
    return has(key) ? Optional.of(string0(key)) : Optional.empty();
  }

  private String string0(String key) {
    try {
      return config.hasPathOrNull(key) && !config.getIsNull(key) ? config.getString(key).trim() : "";
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a string: " + e.getMessage(), e);
    }
  }

  public int intIn(String key, int min, int max) {
    int value;
    try {
      value = config.getInt(key);
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a whole number between " + min + " and " + max + ", got '" + raw(key) + "'", e);
    }
    if (value < min || value > max) {
      throw Errors.setting(key, value + " is out of range. Allowed: " + min + " to " + max);
    }
    return value;
  }

  /** A number above 0 and at most 1, e.g. an area or crop fraction. */
  public double fraction(String key) {
    double value;
    try {
      value = config.getDouble(key);
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a number above 0 and at most 1, got '" + raw(key) + "'", e);
    }
    if (!(value > 0 && value <= 1)) {
      throw Errors.setting(key, value + " is out of range. Allowed: above 0, at most 1");
    }
    return value;
  }

  public long longAtLeast(String key, long min) {
    long value;
    try {
      value = config.getLong(key);
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a whole number of at least " + min + ", got '" + raw(key) + "'", e);
    }
    if (value < min) {
      throw Errors.setting(key, value + " is too small. It must be at least " + min);
    }
    return value;
  }

  /** A size such as 256MB or 1g. */
  public long bytes(String key) {
    try {
      long value = config.getBytes(key);
      if (value <= 0) {
        throw Errors.setting(key, "must be a positive size such as 256MB, got '" + raw(key) + "'");
      }
      return value;
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a size such as 256MB, got '" + raw(key) + "'", e);
    }
  }

  public Duration duration(String key) {
    try {
      return config.getDuration(key);
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a duration such as 5s or 2m, got '" + raw(key) + "'", e);
    }
  }

  public boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected true or false, got '" + raw(key) + "'", e);
    }
  }

  /** One of a fixed set of values, matched by each value's configuration name. */
  public <E extends Enum<E>> E choice(String key, Class<E> type, Function<E, String> nameOf) {
    String value = stringOr(key, "");
    for (E e : type.getEnumConstants()) {
      if (nameOf.apply(e).equals(value)) {
        return e;
      }
    }
    throw Errors.unknownValue(key, value, Arrays.stream(type.getEnumConstants()).map(nameOf).toList());
  }

  /** A list of strings: a HOCON list ({@code [a, b]}) or one comma-separated string; empty entries dropped. */
  public List<String> strings(String key) {
    if (!config.hasPathOrNull(key) || config.getIsNull(key)) {
      return List.of();
    }
    try {
      if (config.getValue(key).valueType() == com.typesafe.config.ConfigValueType.LIST) {
        return config.getStringList(key).stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
      }
      return Arrays.stream(config.getString(key).split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
    } catch (ConfigException e) {
      throw Errors.setting(key, "expected a list such as [a, b] or a,b: " + e.getMessage(), e);
    }
  }

  /** Free-form string map under {@code key}, flattened to dotted keys (for pass-through settings). */
  public Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!config.hasPath(key)) {
      return out;
    }
    for (Map.Entry<String, ConfigValue> e : config.getConfig(key).entrySet()) {
      String flat = String.join(".", ConfigUtil.splitPath(e.getKey()));
      out.put(flat, String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  private String raw(String key) {
    try {
      return config.hasPathOrNull(key) && !config.getIsNull(key) ? String.valueOf(config.getValue(key).unwrapped()) : "";
    } catch (ConfigException e) {
      return "?";
    }
  }
}
