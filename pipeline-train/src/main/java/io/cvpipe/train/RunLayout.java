package io.cvpipe.train;

import io.cvpipe.common.Errors;
import io.cvpipe.engine.ModelSpec;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The network a run's checkpoints belong to, {@code <models-dir>/<run>/layout.properties}: written when the
 * run starts, compared when it resumes. The stem's stride, its max-pool and the output stride change no
 * variable's shape, so without this a resumed run would restore its weights into a different network and
 * train on without a word.
 */
final class RunLayout {

  static final String FILE = "layout.properties";

  private RunLayout() {}

  /** The settings that fix the network, keyed by the settings' own names. */
  static Map<String, String> of(ModelSpec spec) {
    Map<String, String> layout = new LinkedHashMap<>();
    layout.put("train.model", spec.architecture());
    layout.put("train.width", String.valueOf(spec.width()));
    layout.put("train.channels", String.valueOf(spec.channels()));
    layout.put("train.stem-stride", String.valueOf(spec.stemStride()));
    layout.put("train.stem-pool", String.valueOf(spec.stemPool()));
    layout.put("train.output-stride", String.valueOf(spec.outputStride()));
    layout.putAll(transformerKeys(spec.transformer()));
    layout.put("classes", String.valueOf(spec.classes()));
    return layout;
  }

  /**
   * A transformer's layout keys (dropout and stochastic depth are recipe, not layout); a file from before they were
   * recorded holds the defaults.
   */
  private static final Map<String, String> TRANSFORMER_DEFAULTS = transformerKeys(ModelSpec.Transformer.DEFAULT);

  private static Map<String, String> transformerKeys(ModelSpec.Transformer t) {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("train.patch-size", String.valueOf(t.patch()));
    keys.put("train.depth", String.valueOf(t.depth()));
    keys.put("train.token-pooling.after", String.valueOf(t.pooling().after()));
    keys.put("train.token-pooling.keep", String.valueOf(t.pooling().keep()));
    return keys;
  }

  /**
   * Records {@code spec} for a run that starts, or for a resumed run checks that it is the network its
   * checkpoints were trained as; a resumed run from before this file existed records it now.
   */
  static void recordOrCheck(Path runDir, ModelSpec spec, String run, boolean resuming) {
    Path file = runDir.resolve(FILE);
    Map<String, String> wanted = of(spec);
    if (resuming && Files.isRegularFile(file)) {
      Map<String, String> recorded = read(file);
      List<String> differences = new ArrayList<>();
      wanted.forEach((key, value) -> {
        String before = recorded.containsKey(key) ? recorded.get(key) : TRANSFORMER_DEFAULTS.get(key);
        if (before != null && !before.equals(value)) {
          differences.add(key + " = " + before + " there, " + value + " now");
        }
      });
      if (!differences.isEmpty()) {
        throw Errors.state("train.run '" + run + "' cannot resume: its checkpoints are a different network ("
            + String.join("; ", differences) + ", from " + file + "). Resume with the run's own settings, or pick a "
            + "new train.run");
      }
      return;
    }
    write(file, wanted);
  }

  private static Map<String, String> read(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  private static void write(Path file, Map<String, String> layout) {
    Properties p = new Properties();
    p.putAll(layout);
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(FILE + ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp)) {
        p.store(w, "cvpipe: the network this run's checkpoints belong to; resume checks it");
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
