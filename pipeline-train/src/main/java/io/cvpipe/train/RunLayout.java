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
    if (!spec.transformer().equals(ModelSpec.Transformer.DEFAULT)) { // runs from before transformers match as they were
      layout.put("train.patch-size", String.valueOf(spec.transformer().patch()));
      layout.put("train.depth", String.valueOf(spec.transformer().depth()));
      layout.put("train.dropout", String.valueOf(spec.transformer().dropout()));
      layout.put("train.drop-path", String.valueOf(spec.transformer().dropPath()));
      layout.put("train.token-pooling.after", String.valueOf(spec.transformer().pooling().after()));
      layout.put("train.token-pooling.keep", String.valueOf(spec.transformer().pooling().keep()));
    }
    layout.put("classes", String.valueOf(spec.classes()));
    return layout;
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
        String before = recorded.get(key);
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
