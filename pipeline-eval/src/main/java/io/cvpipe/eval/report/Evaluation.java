package io.cvpipe.eval.report;

import java.time.Instant;
import java.util.List;

/**
 * One evaluation as the tables hold it (a row of eval_metrics, its eval_class_metrics rows, and the training
 * curve of the run that made the model): what a report is drawn from.
 */
public record Evaluation(String evalId, String run, String model, String trainingRun, String architecture,
    String dataset, String split, long snapshotId, long images, long undecodable, double top1, double top5,
    double nll, double ece, List<Bin> reliability, List<ClassRow> classes, double seconds, double imagesPerSecond,
    Instant evaluatedAt, List<Epoch> training) {

  /** A reliability-diagram bin; confidence and accuracy are null when it is empty. */
  public record Bin(int index, double lower, double upper, long images, Double confidence, Double accuracy) {}

  /** A class: its images, how many were right, and its confusion row (images by predicted class). */
  public record ClassRow(int index, String label, String name, long images, long correct, Double accuracy, long[] predicted) {

    /** The name when the classes table has one, else the label. */
    public String display() {
      return name == null || name.isBlank() ? label : name;
    }
  }

  /** One epoch of the model's training run (validation figures null when it had none). */
  /**
   * One epoch of the model's training run; {@code steps} and {@code fullSteps} (the optimiser steps taken, and those
   * the epoch takes without SET) are null for runs recorded before they were, {@code setSkipped} the samples SET
   * left out.
   */
  public record Epoch(int epoch, double trainLoss, Double valLoss, Double top1, Double emaTop1, double learningRate,
      Long steps, Long fullSteps, Long setSkipped) {}
}
