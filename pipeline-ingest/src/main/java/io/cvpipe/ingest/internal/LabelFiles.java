package io.cvpipe.ingest.internal;

import io.cvpipe.common.Errors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Readers for ImageNet's side files: validation labels and synset names. */
public final class LabelFiles {

  private LabelFiles() {}

  /**
   * Labels of a flat split, by file name without extension. Reads ILSVRC's {@code LOC_val_solution.csv}
   * ({@code ImageId,PredictionString} where the label is the first word of the prediction string) or plain
   * lines {@code "<file> <label>"} / {@code "<file>,<label>"}.
   */
  public static Map<String, String> labels(Path path, Configuration conf) {
    Map<String, String> labels = new HashMap<>();
    forEachLine(path, conf, (lineNo, line) -> {
      if (lineNo == 1 && line.startsWith("ImageId")) {
        return; // LOC_val_solution.csv header
      }
      String[] parts = line.split("[,\\s]+", 3);
      if (parts.length < 2 || parts[0].isEmpty()) {
        throw Errors.input("labels file " + path + ", line " + lineNo + ": expected '<file>,<label>' or "
            + "'<file> <label>', got '" + abbreviate(line) + "'. Fix the line or point ingest.labels-file elsewhere");
      }
      labels.put(stem(parts[0]), parts[1]);
    });
    return labels;
  }

  /** Class names by label, from lines {@code "<label> <name words>"} ({@code LOC_synset_mapping.txt}). */
  public static Map<String, String> names(Path path, Configuration conf) {
    Map<String, String> names = new HashMap<>();
    forEachLine(path, conf, (lineNo, line) -> {
      int space = line.indexOf(' ');
      if (space <= 0) {
        throw Errors.input("names file " + path + ", line " + lineNo + ": expected '<label> <name>', got '"
            + abbreviate(line) + "'. Fix the line or point ingest.names-file elsewhere");
      }
      names.put(line.substring(0, space), line.substring(space + 1).trim());
    });
    return names;
  }

  /** "dir/ILSVRC2012_val_00000001.JPEG" to "ILSVRC2012_val_00000001". */
  public static String stem(String name) {
    int slash = name.lastIndexOf('/');
    String base = slash >= 0 ? name.substring(slash + 1) : name;
    int dot = base.lastIndexOf('.');
    return dot > 0 ? base.substring(0, dot) : base;
  }

  private interface LineConsumer {
    void accept(int lineNo, String line);
  }

  private static void forEachLine(Path path, Configuration conf, LineConsumer consumer) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(fs.open(path), StandardCharsets.UTF_8))) {
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
          lineNo++;
          line = line.strip();
          if (!line.isEmpty() && !line.startsWith("#")) {
            consumer.accept(lineNo, line);
          }
        }
      }
    } catch (IOException e) {
      throw Errors.input("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static String abbreviate(String line) {
    return line.length() > 80 ? line.substring(0, 77) + "..." : line;
  }
}
