package io.cvpipe.common.table;

import io.cvpipe.common.Errors;
import io.cvpipe.common.model.ModelInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A dataset's samples table pinned at its current snapshot, with its classes: what train, reinforce and eval
 * read, and the checks they share (the table exists and has rows, a split has rows, a model knows the dataset's
 * classes), each error saying what to do. Everything a stage reads through it is of the one snapshot, however
 * many ingests commit meanwhile.
 */
public final class SampleTable {

  private final SparkSession spark;
  private final String dataset;
  private final Table table;
  private final Snapshot snapshot;
  private final List<String> labels;
  private final List<String> names;
  private final List<Row> classes;

  private SampleTable(SparkSession spark, String dataset, Table table, Snapshot snapshot, List<Row> classes) {
    this.spark = spark;
    this.dataset = dataset;
    this.table = table;
    this.snapshot = snapshot;
    this.classes = List.copyOf(classes);
    this.labels = classes.stream().map(r -> r.getString(0)).toList();
    this.names = classes.stream()
        .map(r -> r.isNullAt(1) || r.getString(1).isBlank() ? r.getString(0) : r.getString(1)).toList();
  }

  /** The samples of {@code dataset} at their current snapshot; an error if it was never ingested. */
  public static SampleTable pinned(SparkSession spark, String dataset) {
    String name = Tables.samples(dataset);
    if (!Tables.exists(spark, name)) {
      throw Errors.state(name + " does not exist: ingest the dataset first (cvpipe ingest --set dataset=" + dataset
          + " ...)");
    }
    Table table = Tables.iceberg(spark, name);
    Snapshot snapshot = table.currentSnapshot();
    if (snapshot == null) {
      throw Errors.state(name + " has no rows yet: ingest the dataset first");
    }
    List<Row> classes = spark.table(Tables.classes(dataset)).orderBy("class_index").select("label", "name")
        .collectAsList();
    return new SampleTable(spark, dataset, table, snapshot, classes);
  }

  public String name() {
    return Tables.samples(dataset);
  }

  public String dataset() {
    return dataset;
  }

  public Table table() {
    return table;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  public long snapshotId() {
    return snapshot.snapshotId();
  }

  /** The class labels in class_index order. */
  public List<String> labels() {
    return labels;
  }

  /** The classes' display names (the label where a class has none), in class_index order. */
  public List<String> classNames() {
    return names;
  }

  /** The classes table's rows in class_index order: label and name (null where it has none). */
  public List<Row> classRows() {
    return classes;
  }

  /** The labels, or an error when there are fewer than {@code min} classes for {@code purpose}. */
  public List<String> requireClasses(int min, String purpose) {
    if (labels.size() < min) {
      throw Errors.state(Tables.classes(dataset) + " has " + labels.size() + " classes; " + purpose + " needs at least "
          + min);
    }
    return labels;
  }

  /** The pinned rows of {@code splits}: {@code columns} of {@code name VERSION AS OF snapshot}. */
  public Dataset<Row> rows(String columns, List<String> splits) {
    StringBuilder in = new StringBuilder();
    Map<String, Object> args = new java.util.LinkedHashMap<>();
    for (int i = 0; i < splits.size(); i++) {
      in.append(i == 0 ? "" : ", ").append(":s").append(i);
      args.put("s" + i, splits.get(i));
    }
    return spark.sql("SELECT " + columns + " FROM " + name() + " VERSION AS OF " + snapshotId()
        + " WHERE split IN (" + in + ")", args);
  }

  /** Rows of {@code split} at the snapshot, from the data files' metadata (no data read). */
  public long rowCount(String split) {
    long rows = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshotId())
        .filter(Expressions.equal("split", split)).planFiles()) {
      for (FileScanTask task : tasks) {
        rows += task.file().recordCount();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /**
   * The rows of each of {@code splits} at the snapshot, in their order, from one scan plan: the split of a file is its
   * partition value where the table is partitioned by split (as cvpipe writes it), else each split is planned apart.
   */
  public long[] rowCounts(List<String> splits) {
    int position = -1;
    List<org.apache.iceberg.PartitionField> fields = table.spec().fields();
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).transform().isIdentity()
          && "split".equals(table.schema().findColumnName(fields.get(i).sourceId()))) {
        position = i;
      }
    }
    if (position < 0 || table.specs().size() > 1) { // a file's partition tuple could be of another spec
      return splits.stream().mapToLong(this::rowCount).toArray();
    }
    Map<String, Long> rows = new java.util.HashMap<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshotId())
        .filter(Expressions.in("split", splits.toArray())).planFiles()) {
      for (FileScanTask task : tasks) {
        rows.merge(task.file().partition().get(position, String.class), task.file().recordCount(), Long::sum);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return splits.stream().mapToLong(split -> rows.getOrDefault(split, 0L)).toArray();
  }

  /**
   * An error for setting {@code key} when {@code split} has no rows at the snapshot, naming the splits there;
   * otherwise the split's row count.
   */
  public long requireRows(String split, String key) {
    long rows = rowCount(split);
    if (rows == 0) {
      throw Errors.setting(key, "'" + split + "' has no rows in " + name() + " (snapshot " + snapshotId()
          + "). Splits there: " + splits());
    }
    return rows;
  }

  /** The splits present at the snapshot, for messages. */
  public String splits() {
    return splitNames().toString();
  }

  /** The splits present at the snapshot, sorted. */
  public List<String> splitNames() {
    return spark.sql("SELECT DISTINCT split FROM " + name() + " VERSION AS OF " + snapshotId() + " ORDER BY split")
        .collectAsList().stream().map(r -> r.getString(0)).toList();
  }

  /**
   * An error for setting {@code key} unless {@code model} was trained on this dataset's classes (when its
   * model.json says them) and outputs one logit per class ({@code logitsPerImage} runs the model to see);
   * {@code advice} ends each message with what to do.
   */
  public void requireModelFits(ModelInput model, IntSupplier logitsPerImage, String key, String advice) {
    if (!model.classes().isEmpty() && !model.classes().equals(labels)) {
      throw Errors.setting(key, model.directory() + " was trained on " + model.classes().size() + " classes "
          + abbreviate(model.classes()) + " but " + Tables.classes(dataset) + " has " + labels.size() + " "
          + abbreviate(labels) + ". " + advice);
    }
    int width;
    try {
      width = logitsPerImage.getAsInt();
    } catch (IllegalArgumentException e) {
      throw Errors.setting(key, e.getMessage());
    }
    if (width != labels.size()) {
      throw Errors.setting(key, model.directory() + " outputs " + width + " logits per image but "
          + Tables.classes(dataset) + " has " + labels.size() + " classes. " + advice);
    }
  }

  private static String abbreviate(List<String> labels) {
    return labels.size() <= 6 ? labels.toString() : labels.subList(0, 5) + " (and " + (labels.size() - 5) + " more)";
  }
}
