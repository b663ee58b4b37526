package io.cvpipe.train.sampler;

/** CVNets' samplers, by their {@code train.sampler.kind} names. */
public enum SamplerKind {
  /** Single scale, fixed batch size. */
  SSC_FBS("ssc-fbs"),
  /** Multi-scale, fixed batch size: each batch draws a scale. */
  MSC_FBS("msc-fbs"),
  /** Multi-scale, variable batch size: smaller crops get bigger batches (same pixels per batch). */
  MSC_VBS("msc-vbs");

  private final String code;

  SamplerKind(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
