package io.cvpipe.eval;

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

/**
 * Evaluation as a pipeline stage: scores a model on the samples table and writes eval_metrics and its report;
 * with {@code eval.compare} set, compares the last evaluations of two runs instead, as {@code cvpipe eval} does.
 */
public final class EvalStage implements Stage {

  /** {@code stage = eval}. */
  public static final class Kind extends StageKind {
    public Kind() {
      super("eval", s -> new EvalStage(EvalSettings.from(s)));
    }
  }

  private final EvalSettings settings;

  public EvalStage(EvalSettings settings) {
    this.settings = settings;
  }

  @Override
  public List<DataRef> inputs(SparkSession spark) {
    if (!settings.compare().isEmpty()) {
      return List.of(Versions.table(spark, Tables.EVAL_METRICS));
    }
    List<DataRef> inputs = new ArrayList<>(List.of(Versions.table(spark, Tables.samples(settings.dataset()))));
    for (String model : settings.ensemble().isEmpty() ? List.of(settings.model()) : settings.ensemble()) {
      inputs.add(Versions.model(spark, ModelInput.location(model, settings.modelsDir())));
    }
    return inputs;
  }

  @Override
  public List<DataRef> outputs(SparkSession spark) {
    if (!settings.compare().isEmpty()) {
      return List.of(DataRef.files(settings.comparisonDirectory().toString()));
    }
    return List.of(Versions.table(spark, Tables.EVAL_METRICS));
  }

  @Override
  public StageResult run(SparkSession spark) {
    EvalJob job = new EvalJob(spark, settings);
    if (!settings.compare().isEmpty()) {
      return new StageResult("eval: comparison written to " + job.compare().resolve("index.html"), Map.of());
    }
    EvalJob.Result result = job.run();
    return new StageResult(result.summary(), Map.of("images", (double) result.metrics().images(),
        "top1", result.metrics().top1(), "top5", result.metrics().top5(), "nll", result.metrics().nll(),
        "ece", result.metrics().ece(), "undecodable", (double) result.undecodable()));
  }
}
