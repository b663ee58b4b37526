package io.cvpipe.ingest.internal;

import io.cvpipe.common.Errors;
import io.cvpipe.ingest.IngestSettings;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * ImageNet's side files for one source: the labels of flat splits (read the first time a flat file needs
 * one) and the class names. Explicit settings win; otherwise the ILSVRC file names under the source root.
 */
final class ImageNetLabels {

  static final String DEFAULT_LABELS_FILE = "LOC_val_solution.csv";
  static final String DEFAULT_NAMES_FILE = "LOC_synset_mapping.txt";

  private final Configuration conf;
  private final Path labelsPath;
  private final Path namesPath;
  private Map<String, String> labels;

  ImageNetLabels(IngestSettings settings, Path root, Configuration conf) throws IOException {
    this.conf = conf;
    this.labelsPath = sideFile(settings.labelsFile().orElse(null), "ingest.labels-file", root, DEFAULT_LABELS_FILE);
    this.namesPath = sideFile(settings.namesFile().orElse(null), "ingest.names-file", root, DEFAULT_NAMES_FILE);
  }

  private Path sideFile(String explicit, String key, Path root, String defaultName) throws IOException {
    if (explicit != null) {
      Path path = new Path(explicit);
      if (!path.getFileSystem(conf).exists(path)) {
        throw Errors.input(key + " " + path + " does not exist");
      }
      return path;
    }
    Path fallback = new Path(root, defaultName);
    return fallback.getFileSystem(conf).exists(fallback) ? fallback : null;
  }

  /** The label of a file in a flat split, or null when there is none. */
  String labelOf(String fileName) {
    if (labelsPath == null) {
      return null;
    }
    if (labels == null) {
      labels = LabelFiles.labels(labelsPath, conf);
    }
    return labels.get(LabelFiles.stem(fileName));
  }

  /** The quarantine message for a flat file without a label. */
  String missing(String split, String fileName) {
    return labelsPath == null
        ? "file directly in " + split + "/ and no labels file: put it in a class folder or set ingest.labels-file"
        : "'" + LabelFiles.stem(fileName) + "' is not in the labels file " + labelsPath;
  }

  Map<String, String> names() {
    return namesPath == null ? Map.of() : LabelFiles.names(namesPath, conf);
  }
}
