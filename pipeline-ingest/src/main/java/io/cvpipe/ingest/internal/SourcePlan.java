package io.cvpipe.ingest.internal;

import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;

/**
 * What a source holds, found on the driver before any image is read: its records, the inner tars whose
 * records only tasks can list, and its classes
 * (label to human-readable name, null when unknown) in the sorted order that numbers them.
 */
public record SourcePlan(List<SourceEntry> entries, List<WorkUnit.TarStream> streams,
    SortedMap<String, String> classes) {

  /**
   * Label order that numbers classes: numeric for numbers (COCO category ids: 1, 2, ..., 10), otherwise
   * lexicographic (ImageNet synsets: n01440764 first).
   */
  public static final Comparator<String> LABEL_ORDER = (a, b) -> {
    boolean na = a.matches("\\d{1,18}");
    boolean nb = b.matches("\\d{1,18}");
    if (na && nb) {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    }
    return na != nb ? (na ? -1 : 1) : a.compareTo(b);
  };

  public long totalBytes() {
    return entries.stream().mapToLong(SourceEntry::length).sum()
        + streams.stream().mapToLong(WorkUnit.TarStream::length).sum();
  }
}
