package io.cvpipe.common;

/**
 * An error a user can act on: the message says what went wrong, why, and how to fix it. Created through
 * {@link Errors}; the launcher maps {@link Kind#SETTINGS} to exit code 2 and everything else to exit code 1.
 */
public class CvpipeException extends RuntimeException {

  /** What the user has to fix. */
  public enum Kind {
    /** A setting is missing, malformed or out of range; nothing has run yet. */
    SETTINGS(2),
    /** The input data (a labels file, a COCO JSON, a source path) cannot be used as it is. */
    INPUT(1),
    /** A table or model directory is not in the state the job needs. */
    STATE(1);

    private final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  private final Kind kind;

  CvpipeException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public int exitCode() {
    return kind.exitCode();
  }
}
