package io.cvpipe.app;

import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import io.cvpipe.common.stage.StageResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * A notebook as a pipeline stage ({@code stage = sql, set { sql.file = notebooks/x.sql }}): its statements run and
 * their results are printed, as {@code cvpipe sql -f} does. It reads whatever its queries name, so it is never
 * skipped, and it writes nothing (a notebook that writes tables is better made a stage of its own).
 */
public final class SqlStage implements Stage {

  /** {@code stage = sql}. */
  public static final class Kind extends StageKind {
    public Kind() {
      super("sql", Kind::notebook);
    }

    private static Stage notebook(Settings settings) {
      String file = settings.stringOr("sql.file", "");
      if (file.isBlank()) {
        throw Errors.setting("sql.file", "is empty: a sql stage runs a notebook, e.g. set { sql.file = "
            + "notebooks/sample-statistics.sql }");
      }
      Path path = Path.of(file);
      if (!Files.isRegularFile(path)) {
        throw Errors.setting("sql.file", path.toAbsolutePath() + ": no such file");
      }
      return new SqlStage(path, SqlCommand.ofFile(path, settings));
    }
  }

  private final Path file;
  private final SqlCommand notebook;

  private SqlStage(Path file, SqlCommand notebook) {
    this.file = file;
    this.notebook = notebook;
  }

  @Override
  public List<DataRef> inputs(SparkSession spark) {
    return List.of(DataRef.files(file.toString()));
  }

  @Override
  public List<DataRef> outputs(SparkSession spark) {
    return List.of();
  }

  @Override
  public Optional<String> alwaysRuns() {
    return Optional.of("a notebook runs every time (its queries read what they name)");
  }

  @Override
  public StageResult run(SparkSession spark) {
    System.out.println();
    notebook.run(spark, System.out);
    return new StageResult("sql " + file + ": " + notebook.statements() + " statements",
        Map.of("statements", (double) notebook.statements()));
  }
}
