package io.cvpipe.common.stage;

import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A kind of stage ({@code ingest}, {@code train}, ...) that a pipeline config can name: it makes the stage from
 * the settings, reading and checking them all (without Spark), so a pipeline fails before it starts. Kinds are
 * found with {@link ServiceLoader}: each module lists its own in
 * {@code META-INF/services/io.cvpipe.common.stage.StageKind}.
 */
public abstract class StageKind {

  private final String name;
  private final Function<Settings, Stage> factory;

  /**
   * A kind named {@code name} whose stages {@code factory} makes; a subclass has a public no-argument
   * constructor for {@link ServiceLoader}.
   */
  protected StageKind(String name, Function<Settings, Stage> factory) {
    this.name = name;
    this.factory = factory;
  }

  /** The name a pipeline config uses: {@code stage = NAME}. */
  public final String name() {
    return name;
  }

  /** The stage these settings describe; a bad setting is an error naming its key. */
  public final Stage create(Settings settings) {
    return factory.apply(settings);
  }

  /** Every kind on the class path, by name, in a fixed order for messages. */
  public static Map<String, StageKind> installed() {
    Map<String, StageKind> kinds = new TreeMap<>();
    for (StageKind kind : ServiceLoader.load(StageKind.class, StageKind.class.getClassLoader())) {
      StageKind other = kinds.put(kind.name(), kind);
      if (other != null) {
        throw new IllegalStateException("two stage kinds are named '" + kind.name() + "': "
            + other.getClass().getName() + " and " + kind.getClass().getName());
      }
    }
    return kinds;
  }

  /** The kind named {@code name}, or an error listing the installed ones. */
  public static StageKind named(String name, String where) {
    Map<String, StageKind> kinds = installed();
    StageKind kind = kinds.get(name);
    if (kind == null) {
      throw Errors.usage(where + ": unknown stage '" + name + "'. Expected one of: " + String.join(", ", kinds.keySet()));
    }
    return kind;
  }
}
