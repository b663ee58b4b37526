package io.cvpipe.train.sampler;

/** A crop size with the batch size that goes with it. */
public record Scale(int height, int width, int batchSize) {}
