package io.cvpipe.eval;

import java.io.Serializable;

/**
 * A misclassified image for the report: its id, true class, the model's three most probable classes with
 * their probabilities, and a small PNG of the image.
 */
public record Misclassified(long sampleId, int label, int[] topClasses, float[] topProbabilities, byte[] png)
    implements Serializable {}
