package io.cvpipe.train.input;

import io.cvpipe.engine.ImageBatch;

/**
 * A batch ready for the engine, with the labels and ids of the samples that made it, and, from a reinforced
 * dataset, the target distribution of each image ({@code count x classes}; null otherwise).
 */
public record LoadedBatch(ImageBatch images, int[] labels, long[] sampleIds, float[] targets, int skipped) {}
