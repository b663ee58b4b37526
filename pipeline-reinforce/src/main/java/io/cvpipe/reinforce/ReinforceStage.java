package io.cvpipe.reinforce;

import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import io.cvpipe.common.stage.StageResult;
import io.cvpipe.common.stage.Versions;
import io.cvpipe.common.table.Tables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** Reinforcement as a pipeline stage: reads the samples table and the teachers, writes the reinforced table. */
public final class ReinforceStage implements Stage {

  /** {@code stage = reinforce}. */
  public static final class Kind extends StageKind {
    public Kind() {
      super("reinforce", s -> new ReinforceStage(ReinforceSettings.from(s)));
    }
  }

  private final ReinforceSettings settings;

  public ReinforceStage(ReinforceSettings settings) {
    this.settings = settings;
  }

  @Override
  public List<DataRef> inputs(SparkSession spark) {
    List<DataRef> inputs = new ArrayList<>(List.of(Versions.table(spark, Tables.samples(settings.dataset()))));
    for (String teacher : settings.teachers()) {
      inputs.add(Versions.model(spark, ModelInput.location(teacher, settings.modelsDir())));
    }
    return inputs;
  }

  @Override
  public List<DataRef> outputs(SparkSession spark) {
    return List.of(Versions.table(spark, Tables.reinforced(settings.dataset())));
  }

  @Override
  public StageResult run(SparkSession spark) {
    ReinforceJob.Result result = new ReinforceJob(spark, settings).run();
    return new StageResult(result.summary(), Map.of("samples", (double) result.samples(),
        "already_reinforced", (double) result.alreadyDone(), "rows_written", (double) result.reinforced(),
        "undecodable", (double) result.undecodable(), "images_per_second", result.imagesPerSecond()));
  }
}
