package io.cvpipe.engine;

/**
 * The optimiser. SGD with momentum (optionally Nesterov), as CVNets trains ResNets and MobileNets: weight
 * decay coupled (added to the gradient, as PyTorch's SGD). AdamW (Loshchilov and Hutter 2019): decay
 * decoupled, {@code w -= lr * decay * w} before the Adam step, as PyTorch's AdamW. Either way weight decay is
 * never applied to batch-norm or bias parameters. Label smoothing is applied by the caller to its targets.
 */
public record OptimizerSpec(Kind kind, double momentum, boolean nesterov, double weightDecay, double bnMomentum,
    double beta1, double beta2, double epsilon) implements java.io.Serializable {

  /** The optimisers, by their {@code train.optimizer.kind} names. */
  public enum Kind {
    SGD("sgd"), ADAMW("adamw");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /** SGD with momentum. */
  public OptimizerSpec(double momentum, boolean nesterov, double weightDecay, double bnMomentum) {
    this(Kind.SGD, momentum, nesterov, weightDecay, bnMomentum, 0.9, 0.999, 1e-8);
  }

  /** CVNets' ResNet-50 recipe: momentum 0.9, weight decay 1e-4; batch-norm statistics momentum 0.1. */
  public static OptimizerSpec sgd(double weightDecay) {
    return new OptimizerSpec(0.9, false, weightDecay, 0.1);
  }

  /** AdamW with PyTorch's defaults (betas 0.9, 0.999; epsilon 1e-8). */
  public static OptimizerSpec adamw(double weightDecay) {
    return new OptimizerSpec(Kind.ADAMW, 0, false, weightDecay, 0.1, 0.9, 0.999, 1e-8);
  }
}
