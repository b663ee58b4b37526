package io.cvpipe.common;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;

/** Bridges from code that prints lines (progress reporters, the training loop) to log4j2. */
public final class Logging {

  private Logging() {}

  /** A PrintStream whose every line becomes one event of {@code logger} at {@code level}. */
  public static PrintStream lines(Logger logger, Level level) {
    return new PrintStream(new LineOutput(logger, level), true, StandardCharsets.UTF_8);
  }

  private static final class LineOutput extends OutputStream {
    private final Logger logger;
    private final Level level;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineOutput(Logger logger, Level level) {
      this.logger = logger;
      this.level = level;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        emit();
      } else {
        line.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }

    private void emit() {
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      logger.log(level, text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
    }

    @Override
    public synchronized void close() {
      if (line.size() > 0) {
        emit();
      }
    }
  }
}
