package io.cvpipe.common.stage;

import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * One step of a pipeline ({@code cvpipe run}): a job whose settings were read and checked when it was made, that
 * says what it reads and writes, and runs. The pipeline knows stages only through this interface; a new kind
 * plugs in with a {@link StageKind} listed in {@code META-INF/services}.
 *
 * <p>Inputs and outputs are described as they are now ({@link DataRef}, made by {@link Versions}): tables
 * at their snapshot, models with their fingerprint. A pipeline compares them with what the stage's
 * last successful execution recorded to decide whether the stage has anything to do.
 */
public interface Stage {

  /** What the stage reads, as it is now (e.g. {@code cvpipe.fmnist.samples@8137...}, {@code models/t/best#a1b2...}). */
  List<DataRef> inputs(SparkSession spark);

  /** What the stage writes, as it is now; {@link DataRef#absent()} for outputs not made yet. */
  List<DataRef> outputs(SparkSession spark);

  /**
   * Why the stage runs every time, or empty when unchanged settings and inputs, with the outputs present, mean it
   * has nothing to do. A stage that reads from outside the warehouse (ingest's source files), whose inputs have no
   * version, runs every time and must be incremental itself.
   */
  default Optional<String> alwaysRuns() {
    return Optional.empty();
  }

  /** Runs the stage; its errors are the job's own (a {@code CvpipeException} for what the user can fix). */
  StageResult run(SparkSession spark);
}
