package io.cvpipe.ingest.internal;

import java.util.List;
import java.util.SortedMap;

/**
 * What a source holds, found on the driver before any image is read: its records, the inner tars whose
 * records only tasks can list, and its classes
 * (label to human-readable name, null when unknown) in the sorted order that numbers them.
 */
public record SourcePlan(List<SourceEntry> entries, List<WorkUnit.TarStream> streams,
    SortedMap<String, String> classes) {

  public long totalBytes() {
    return entries.stream().mapToLong(SourceEntry::length).sum()
        + streams.stream().mapToLong(WorkUnit.TarStream::length).sum();
  }
}
