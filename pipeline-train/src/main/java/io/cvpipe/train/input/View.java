package io.cvpipe.train.input;

/** How a sample is turned into pixels: training augmentation or the validation view. */
public enum View {
  /** RandomResizedCrop (ImageNet: scale 0.08-1, ratio 3/4-4/3) to the batch's crop size, and a random mirror. */
  TRAIN,
  /** Resize the shorter side to size / crop fraction (CVNets: 0.875) and the centre crop. */
  EVAL
}
