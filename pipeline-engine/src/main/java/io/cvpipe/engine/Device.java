package io.cvpipe.engine;

/** Where the engine places its ops ({@code train.device}). */
public enum Device {
  /** The library's choice: the first GPU when there is one, otherwise the CPU. */
  AUTO("auto"),
  CPU("cpu"),
  GPU("gpu");

  private final String code;

  Device(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
