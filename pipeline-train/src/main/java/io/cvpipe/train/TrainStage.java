package io.cvpipe.train;

import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import io.cvpipe.common.stage.StageResult;
import io.cvpipe.common.stage.Versions;
import io.cvpipe.common.table.Tables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** Training as a pipeline stage: reads the samples (and the reinforced) table, writes the run's best export. */
public final class TrainStage implements Stage {

  /** {@code stage = train}. */
  public static final class Kind extends StageKind {
    public Kind() {
      super("train", s -> new TrainStage(TrainSettings.from(s)));
    }
  }

  private final TrainSettings settings;

  public TrainStage(TrainSettings settings) {
    this.settings = settings;
  }

  @Override
  public List<DataRef> inputs(SparkSession spark) {
    List<DataRef> inputs = new ArrayList<>(List.of(Versions.table(spark, Tables.samples(settings.dataset()))));
    if (settings.reinforced()) {
      inputs.add(Versions.table(spark, Tables.reinforced(settings.dataset())));
    }
    return inputs;
  }

  @Override
  public List<DataRef> outputs(SparkSession spark) {
    return List.of(Versions.model(spark, ModelInput.location(settings.run(), settings.modelsDir())));
  }

  @Override
  public StageResult run(SparkSession spark) {
    List<EpochMetrics> epochs = new TrainJob(spark, settings).run();
    EpochMetrics last = epochs.get(epochs.size() - 1);
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("epochs", (double) epochs.size());
    figures.put("train_loss", last.trainLoss());
    if (last.top1() != null) {
      figures.put("top1", last.top1());
      figures.put("top5", last.top5());
    }
    figures.put("images_per_second", last.imagesPerSecond());
    return new StageResult(summary(settings.run(), epochs), figures);
  }

  /** {@code train RUN: N epochs, last: loss ..., top-1 ..., top-5 ...; checkpoint ...}. */
  private static String summary(String run, List<EpochMetrics> epochs) {
    EpochMetrics last = epochs.get(epochs.size() - 1);
    return String.format(Locale.ROOT, "train %s: %d epochs, last: loss %.4f%s; checkpoint %s", run, epochs.size(),
        last.trainLoss(), last.top1() == null ? "" : String.format(Locale.ROOT, ", top-1 %.4f, top-5 %.4f", last.top1(),
            last.top5()), last.checkpoint());
  }
}
