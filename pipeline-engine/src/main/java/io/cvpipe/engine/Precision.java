package io.cvpipe.engine;

/**
 * The arithmetic the engine trains in ({@code train.precision}). Variables, batch-norm statistics, the loss and
 * the optimiser's state are float32 either way, and an exported model is a float32 graph.
 */
public enum Precision {
  /** Everything in float32. */
  FLOAT32("float32"),
  /**
   * Mixed bfloat16 on CPUs: oneDNN's graph rewrite runs convolutions, matrix products and the ops between them
   * in bfloat16 and casts back to float32 where numerics need it. Fast on CPUs with AMX or AVX-512 BF16 (about
   * twice float32 for a ResNet-18 here); slower than float32 on CPUs without them and for depthwise-heavy nets.
   */
  BFLOAT16("bfloat16");

  private final String code;

  Precision(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
