package io.cvpipe.common.stage;

import java.util.Map;

/**
 * What a stage did: its one-line summary, as the stage's own command prints it, and its figures by name
 * ({@code rows_written}, {@code top1}, ...), which a pipeline records beside the stage's lineage.
 */
public record StageResult(String summary, Map<String, Double> figures) {

  public StageResult {
    figures = Map.copyOf(figures);
  }
}
