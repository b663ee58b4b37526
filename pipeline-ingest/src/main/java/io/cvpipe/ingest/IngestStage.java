package io.cvpipe.ingest;

import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import io.cvpipe.common.stage.StageResult;
import io.cvpipe.common.stage.Versions;
import io.cvpipe.common.table.Tables;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * Ingest as a pipeline stage. It reads files outside the warehouse, which have no snapshot to compare, so it is
 * never skipped: it is incremental itself, and with no new files it commits nothing.
 */
public final class IngestStage implements Stage {

  /** {@code stage = ingest}. */
  public static final class Kind extends StageKind {
    public Kind() {
      super("ingest", s -> new IngestStage(IngestSettings.from(s)));
    }
  }

  private final IngestSettings settings;

  public IngestStage(IngestSettings settings) {
    this.settings = settings;
  }

  @Override
  public List<DataRef> inputs(SparkSession spark) {
    return List.of(DataRef.files(settings.source()));
  }

  @Override
  public List<DataRef> outputs(SparkSession spark) {
    return List.of(Versions.table(spark, Tables.samples(settings.dataset())),
        Versions.table(spark, Tables.classes(settings.dataset())),
        Versions.table(spark, Tables.quarantine(settings.dataset())));
  }

  @Override
  public Optional<String> alwaysRuns() {
    return Optional.of("it reads files outside the warehouse, and is incremental itself (no new files: no commit)");
  }

  @Override
  public StageResult run(SparkSession spark) {
    IngestReport report = new IngestJob(spark, settings).run();
    return new StageResult(report.summary(), Map.of("rows_in", (double) report.rowsIn(),
        "already_present", (double) report.alreadyPresent(), "rows_written", (double) report.samplesWritten(),
        "rows_quarantined", (double) report.quarantined()));
  }
}
