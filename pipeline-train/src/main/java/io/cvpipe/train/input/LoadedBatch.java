package io.cvpipe.train.input;

import io.cvpipe.engine.ImageBatch;

/** A batch ready for the engine, with the labels and ids of the samples that made it. */
public record LoadedBatch(ImageBatch images, int[] labels, long[] sampleIds, int skipped) {}
