package io.cvpipe.train.input;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Samples held as their encoded bytes (JPEG/PNG as stored), decoded when a batch needs them; with
 * {@link #keepDecoded}, decoded images are also kept, up to a byte budget, so that later epochs skip the decoder.
 */
public final class InMemorySamples implements SampleStore {

  private final List<Long> ids = new ArrayList<>();
  private final List<Integer> labels = new ArrayList<>();
  private final List<byte[]> images = new ArrayList<>();
  private final Map<Long, Integer> positions = new HashMap<>();
  private final AtomicLong decodedBytes = new AtomicLong();
  private volatile AtomicReferenceArray<BufferedImage> decoded;
  private volatile long decodedBudget;

  public void add(long sampleId, int label, byte[] image) {
    if (decoded != null) {
      throw new IllegalStateException("samples are added before keepDecoded");
    }
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

  /**
   * Keeps the images {@link #decode} returns, the first ones decoded until their pixels reach {@code budgetBytes}
   * (0: none). Called again, it keeps what it holds and takes the new budget.
   */
  public synchronized void keepDecoded(long budgetBytes) {
    decodedBudget = budgetBytes;
    if (decoded == null && budgetBytes > 0) {
      decoded = new AtomicReferenceArray<>(ids.size());
    }
  }

  /** Bytes of decoded pixels kept. */
  public long decodedBytes() {
    return decodedBytes.get();
  }

  @Override
  public BufferedImage decode(int index) throws IOException {
    AtomicReferenceArray<BufferedImage> kept = decoded;
    BufferedImage image = kept == null ? null : kept.get(index);
    if (image != null) {
      return image;
    }
    image = SampleStore.super.decode(index);
    if (kept != null) {
      long size = pixelBytes(image);
      if (decodedBytes.addAndGet(size) <= decodedBudget && kept.compareAndSet(index, null, image)) {
        return image;
      }
      decodedBytes.addAndGet(-size);
    }
    return image;
  }

  private static long pixelBytes(BufferedImage image) {
    DataBuffer buffer = image.getRaster().getDataBuffer();
    return (long) buffer.getSize() * buffer.getNumBanks() * DataBuffer.getDataTypeSize(buffer.getDataType()) / 8;
  }
}
