package io.cvpipe.train.set;

import io.cvpipe.common.settings.Settings;
import java.io.Serializable;

/**
 * Sample Efficient Training (CVNets' {@code sample-efficient-training.*}): every {@code interval} epochs the
 * current model scores the training split; a sample is easy when its prediction is right with a top probability
 * of at least {@code confidence}; a counter per sample goes up by one when easy and down by one otherwise, kept
 * in {@code [0, minFrequency]}; samples whose counter is at the top sit out until it drops.
 */
public record SetSettings(boolean enabled, int interval, double confidence, int minFrequency) implements Serializable {

  public static final SetSettings OFF = new SetSettings(false, 5, 0.5, 5);

  public static SetSettings from(Settings s) {
    // every k-th epoch (CVNets: 5); confidence: the top softmax probability a right answer needs (CVNets: 0.5);
    // min-frequency: scorings in a row a sample must be easy before it sits out (CVNets: 5)
    boolean enabled = s.bool("train.set.enabled");
    int interval = s.intIn("train.set.interval", 1, 100_000);
    double confidence = s.fraction("train.set.confidence");
    int minFrequency = s.intIn("train.set.min-frequency", 1, 100_000);
    return new SetSettings(enabled, interval, confidence, minFrequency);
  }

  /** Whether the model is scored after {@code epoch} (1-based) of a run of {@code epochs}. */
  public boolean scoresAfter(int epoch, int epochs) {
    return enabled && epoch > 0 && epoch < epochs && epoch % interval == 0;
  }

  /** The last epoch of the segment of training that starts after {@code done} epochs. */
  public int segmentEnd(int done, int epochs) {
    return enabled ? Math.min(epochs, (done / interval + 1) * interval) : epochs;
  }

  /** The counter after one scoring: {@code clip(previous + (easy ? 1 : -1), 0, minFrequency)}. */
  public int next(int previous, boolean easy) {
    return Math.max(0, Math.min(minFrequency, previous + (easy ? 1 : -1)));
  }

  /** Whether a sample with {@code counter} sits out the next epochs. */
  public boolean skips(int counter) {
    return counter >= minFrequency;
  }
}
