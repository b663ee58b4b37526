package io.cvpipe.train;

import java.io.Serializable;

/**
 * What one epoch measured; the task sends these back to the driver, which writes them to train_metrics. The
 * validation figures are null without a validation split, the {@code ema*} ones also without an EMA model.
 * {@code steps}: the optimiser steps taken; {@code fullSteps}: those the epoch would have taken without SET;
 * {@code setSkipped}: the samples SET left out ({@code steps} and {@code fullSteps} are 0 in checkpoints written
 * before they were recorded).
 */
public record EpochMetrics(int epoch, double trainLoss, Double valLoss, Double top1, Double top5, Double emaValLoss,
    Double emaTop1, Double emaTop5, double learningRate, double imagesPerSecond, double seconds, long skipped,
    long steps, long fullSteps, long setSkipped, String checkpoint) implements Serializable {

  /** The same figures, with the checkpoint at {@code directory}. */
  EpochMetrics withCheckpoint(String directory) {
    return new EpochMetrics(epoch, trainLoss, valLoss, top1, top5, emaValLoss, emaTop1, emaTop5, learningRate,
        imagesPerSecond, seconds, skipped, steps, fullSteps, setSkipped, directory);
  }
}
