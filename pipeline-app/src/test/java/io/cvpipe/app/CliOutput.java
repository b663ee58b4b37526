package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A cvpipe command run in this JVM as a user runs it, for tests that read what it prints. */
final class CliOutput {

  private CliOutput() {}

  /** {@code Main.run(args)}, which must exit 0; what it printed on standard output. */
  static String of(List<String> args) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.run(args.toArray(String[]::new))).isZero();
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
