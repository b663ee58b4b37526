package io.cvpipe.engine;

/**
 * SGD with momentum (optionally Nesterov), as CVNets trains ResNets and MobileNets. Weight decay is coupled
 * (added to the gradient, as PyTorch's SGD does) and never applied to batch-norm or bias parameters.
 * Label smoothing is applied by the caller to the targets it feeds.
 */
public record OptimizerSpec(double momentum, boolean nesterov, double weightDecay, double bnMomentum)
    implements java.io.Serializable {

  /** CVNets' ResNet-50 recipe: momentum 0.9, weight decay 1e-4; batch-norm statistics momentum 0.1. */
  public static OptimizerSpec sgd(double weightDecay) {
    return new OptimizerSpec(0.9, false, weightDecay, 0.1);
  }
}
