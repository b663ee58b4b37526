package io.cvpipe.eval.shift;

import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import io.cvpipe.common.stage.StageResult;
import io.cvpipe.common.stage.Versions;
import io.cvpipe.common.table.Tables;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** {@code cvpipe shift} as a pipeline stage: corrupted copies of a split, as new splits of the samples table. */
public final class ShiftStage implements Stage {

  /** {@code stage = shift}. */
  public static final class Kind extends StageKind {
    public Kind() {
      super("shift", s -> new ShiftStage(ShiftSettings.from(s)));
    }
  }

  private final ShiftSettings settings;

  public ShiftStage(ShiftSettings settings) {
    this.settings = settings;
  }

  @Override
  public List<DataRef> inputs(SparkSession spark) {
    return List.of(Versions.table(spark, Tables.samples(settings.dataset())));
  }

  @Override
  public List<DataRef> outputs(SparkSession spark) {
    return List.of(Versions.table(spark, Tables.samples(settings.dataset())));
  }

  @Override
  public StageResult run(SparkSession spark) {
    ShiftJob.Result result = new ShiftJob(spark, settings).run();
    return new StageResult(result.summary(), Map.of("rows_in", (double) result.rowsIn(),
        "already_present", (double) result.alreadyPresent(), "rows_written", (double) result.written(),
        "rows_quarantined", (double) result.quarantined()));
  }
}
