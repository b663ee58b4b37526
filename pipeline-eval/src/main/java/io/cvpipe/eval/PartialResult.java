package io.cvpipe.eval;

import io.cvpipe.common.metrics.ClassificationMetrics;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What one partition of the evaluation found, and what the driver adds them up into: the metrics, the
 * images that could not be decoded, and a fixed sample of misclassified images (those with the smallest
 * sample ids, so the sample does not depend on how the rows were partitioned).
 */
final class PartialResult implements Serializable {

  private static final int KEPT_UNDECODABLE_IDS = 20;

  final ClassificationMetrics metrics;
  final List<Misclassified> misclassified;
  long undecodable;
  final List<Long> undecodableIds = new ArrayList<>();
  private final int keep;

  PartialResult(int classes, int keep) {
    this.metrics = new ClassificationMetrics(classes);
    this.misclassified = new ArrayList<>();
    this.keep = keep;
  }

  void undecodable(long sampleId) {
    undecodable++;
    if (undecodableIds.size() < KEPT_UNDECODABLE_IDS) {
      undecodableIds.add(sampleId);
    }
  }

  /** Whether a misclassified image of this id would be kept (so that only those get a thumbnail made). */
  boolean wants(long sampleId) {
    if (misclassified.size() < keep) {
      return true;
    }
    return keep > 0 && sampleId < misclassified.stream().mapToLong(Misclassified::sampleId).max().orElseThrow();
  }

  /** Keeps {@code m} if it is among the {@code keep} smallest ids so far. */
  void offer(Misclassified m) {
    misclassified.add(m);
    trim();
  }

  PartialResult merge(PartialResult other) {
    metrics.merge(other.metrics);
    misclassified.addAll(other.misclassified);
    trim();
    undecodable += other.undecodable;
    for (Long id : other.undecodableIds) {
      if (undecodableIds.size() < KEPT_UNDECODABLE_IDS) {
        undecodableIds.add(id);
      }
    }
    return this;
  }

  /** Merges {@code b} into {@code a} split by split (the same splits in the same order); returns {@code a}. */
  static PartialResult[] mergeAll(PartialResult[] a, PartialResult[] b) {
    for (int s = 0; s < a.length; s++) {
      a[s].merge(b[s]);
    }
    return a;
  }

  private void trim() {
    if (misclassified.size() > keep) {
      misclassified.sort(Comparator.comparingLong(Misclassified::sampleId));
      misclassified.subList(keep, misclassified.size()).clear();
    }
  }
}
