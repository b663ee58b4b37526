package io.cvpipe.eval.shift;

import java.util.random.RandomGenerator;

/**
 * Poisson draws as numpy's {@code random.poisson} makes them: multiplication of uniforms below a mean of 10,
 * Hörmann's transformed rejection (PTRS, 1993) from 10 on.
 */
final class Poisson {

  private Poisson() {}

  static long sample(double mean, RandomGenerator rnd) {
    if (mean <= 0) {
      return 0;
    }
    return mean < 10 ? multiplication(mean, rnd) : ptrs(mean, rnd);
  }

  private static long multiplication(double mean, RandomGenerator rnd) {
    double limit = Math.exp(-mean);
    double product = 1;
    long k = 0;
    while (true) {
      product *= rnd.nextDouble();
      if (product <= limit) {
        return k;
      }
      k++;
    }
  }

  private static long ptrs(double mean, RandomGenerator rnd) {
    double slam = Math.sqrt(mean);
    double loglam = Math.log(mean);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    while (true) {
      double u = rnd.nextDouble() - 0.5;
      double v = rnd.nextDouble();
      double us = 0.5 - Math.abs(u);
      long k = (long) Math.floor((2 * a / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) {
        return k;
      }
      if (k < 0 || (us < 0.013 && v > us)) {
        continue;
      }
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) {
        return k;
      }
    }
  }

  /** log Γ(x) for x ≥ 1: Stirling's series after shifting x up to 7 or more (as numpy's loggam). */
  static double logGamma(double x) {
    double shift = 0;
    while (x < 7) {
      shift += Math.log(x);
      x += 1;
    }
    double x2 = 1 / (x * x);
    double series = ((((-1.0 / 1680 * x2 + 1.0 / 1260) * x2 - 1.0 / 360) * x2 + 1.0 / 12) / x);
    return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
  }
}
