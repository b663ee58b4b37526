package io.cvpipe.ingest;

import java.util.Locale;
import java.util.Map;

/**
 * The counts of one ingest run. Invariant: {@code rowsIn == alreadyPresent + samplesWritten + quarantined}.
 */
public record IngestReport(
    String runId,
    String dataset,
    long rowsIn,
    long alreadyPresent,
    long samplesWritten,
    long quarantined,
    long annotationsWritten,
    Map<String, Long> quarantineReasons,
    double seconds) {

  public String summary() {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "ingest %s (%s): %,d records in = %,d already present + %,d written to samples + %,d quarantined",
        dataset, runId, rowsIn, alreadyPresent, samplesWritten, quarantined));
    if (annotationsWritten > 0) {
      sb.append(String.format(Locale.ROOT, "; %,d annotations", annotationsWritten));
    }
    if (!quarantineReasons.isEmpty()) {
      sb.append("\n  quarantined by reason: ").append(quarantineReasons);
    }
    sb.append(String.format(Locale.ROOT, "\n  %.1f s", seconds));
    return sb.toString();
  }
}
