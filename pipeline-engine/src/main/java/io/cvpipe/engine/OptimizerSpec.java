package io.cvpipe.engine;

/**
 * The optimiser. SGD with momentum (optionally Nesterov), as CVNets trains ResNets and MobileNets: weight
 * decay coupled (added to the gradient, as PyTorch's SGD). AdamW (Loshchilov and Hutter 2019): decay
 * decoupled, {@code w -= lr * decay * w} before the Adam step, as PyTorch's AdamW. Either way weight decay is
 * never applied to batch-norm or bias parameters. Label smoothing is applied by the caller to its targets.
 *
 * <p>{@code gradientClipNorm > 0} rescales the gradients so that their global L2 norm is at most that value,
 * before weight decay (PyTorch's {@code clip_grad_norm_} between backward and step). {@code emaMomentum > 0}
 * keeps an exponential moving average of every weight and batch-norm statistic, updated after each step as
 * CVNets does: {@code ema = (1 - m) * ema + m * weight}.
 */
public record OptimizerSpec(Kind kind, double momentum, boolean nesterov, double weightDecay, double bnMomentum,
    double beta1, double beta2, double epsilon, double gradientClipNorm, double emaMomentum)
    implements java.io.Serializable {

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

  public OptimizerSpec {
    if (gradientClipNorm < 0 || Double.isNaN(gradientClipNorm)) {
      throw new IllegalArgumentException("gradient clip norm must be 0 (off) or positive, got " + gradientClipNorm);
    }
    if (!(emaMomentum >= 0 && emaMomentum < 1)) {
      throw new IllegalArgumentException("EMA momentum must be in [0, 1) (0: off), got " + emaMomentum);
    }
  }

  /** SGD with momentum, no clipping, no EMA. */
  public OptimizerSpec(double momentum, boolean nesterov, double weightDecay, double bnMomentum) {
    this(Kind.SGD, momentum, nesterov, weightDecay, bnMomentum, 0.9, 0.999, 1e-8, 0, 0);
  }

  /** CVNets' ResNet-50 recipe: momentum 0.9, weight decay 1e-4; batch-norm statistics momentum 0.1. */
  public static OptimizerSpec sgd(double weightDecay) {
    return new OptimizerSpec(0.9, false, weightDecay, 0.1);
  }

  /** AdamW with PyTorch's defaults (betas 0.9, 0.999; epsilon 1e-8). */
  public static OptimizerSpec adamw(double weightDecay) {
    return new OptimizerSpec(Kind.ADAMW, 0, false, weightDecay, 0.1, 0.9, 0.999, 1e-8, 0, 0);
  }

  public OptimizerSpec withGradientClipNorm(double norm) {
    return new OptimizerSpec(kind, momentum, nesterov, weightDecay, bnMomentum, beta1, beta2, epsilon, norm, emaMomentum);
  }

  public OptimizerSpec withEmaMomentum(double m) {
    return new OptimizerSpec(kind, momentum, nesterov, weightDecay, bnMomentum, beta1, beta2, epsilon, gradientClipNorm, m);
  }

  public boolean ema() {
    return emaMomentum > 0;
  }
}
