package io.cvpipe.train.input;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Samples held as their encoded bytes (JPEG/PNG as stored), decoded only when a batch needs them. */
public final class InMemorySamples implements SampleStore {

  private final List<Long> ids = new ArrayList<>();
  private final List<Integer> labels = new ArrayList<>();
  private final List<byte[]> images = new ArrayList<>();
  private final Map<Long, Integer> positions = new HashMap<>();

  public void add(long sampleId, int label, byte[] image) {
    positions.put(sampleId, ids.size());
    ids.add(sampleId);
    labels.add(label);
    images.add(image);
  }

  @Override
  public int size() {
    return ids.size();
  }

  @Override
  public long sampleId(int index) {
    return ids.get(index);
  }

  @Override
  public int label(int index) {
    return labels.get(index);
  }

  @Override
  public int indexOf(long sampleId) {
    return positions.getOrDefault(sampleId, -1);
  }

  @Override
  public byte[] image(int index) {
    return images.get(index);
  }
}
