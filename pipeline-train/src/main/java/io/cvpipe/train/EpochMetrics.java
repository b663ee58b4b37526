package io.cvpipe.train;

import java.io.Serializable;

/** What one epoch measured; the task sends these back to the driver, which writes them to train_metrics. */
public record EpochMetrics(int epoch, double trainLoss, Double valLoss, Double top1, Double top5, double learningRate,
    double imagesPerSecond, double seconds, long skipped, String checkpoint) implements Serializable {}
