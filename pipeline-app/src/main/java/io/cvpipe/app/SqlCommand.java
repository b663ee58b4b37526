package io.cvpipe.app;

import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cvpipe sql}: runs statements separated by {@code ;} and prints each result. The {@code --} comment
 * lines just above a statement are printed as its title, so a notebook reads as a report.
 */
final class SqlCommand {

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)}");

  /** A statement and the comment lines that precede it. */
  record Statement(String title, String sql) {}

  private final List<Statement> statements;
  private final ResultPrinter printer;

  private SqlCommand(List<Statement> statements, ResultPrinter printer) {
    this.statements = statements;
    this.printer = printer;
  }

  static SqlCommand from(CommandLine cli, Settings settings) {
    String text;
    if (cli.query().isPresent() == cli.file().isPresent()) {
      throw Errors.usage("sql needs exactly one of -e \"QUERY\" or -f FILE.sql");
    }
    if (cli.file().isPresent()) {
      text = read(cli.file().get());
    } else {
      text = cli.query().get();
    }
    String source = cli.file().map(Path::toString).orElse("-e");
    List<Statement> statements = split(substitute(text, settings, source));
    if (statements.isEmpty()) {
      throw Errors.usage(source + ": no SQL statement in it");
    }
    ResultPrinter printer = new ResultPrinter(cli.format(), settings.config().getInt("sql.max-rows"),
        settings.config().getInt("sql.max-column-width"));
    return new SqlCommand(statements, printer);
  }

  /** The statements of a notebook file, printed as tables: the {@code sql} pipeline stage. */
  static SqlCommand ofFile(Path file, Settings settings) {
    String source = file.toString();
    List<Statement> statements = split(substitute(read(file), settings, source));
    if (statements.isEmpty()) {
      throw Errors.usage(source + ": no SQL statement in it");
    }
    return new SqlCommand(statements, new ResultPrinter("table", settings.config().getInt("sql.max-rows"),
        settings.config().getInt("sql.max-column-width")));
  }

  int statements() {
    return statements.size();
  }

  int run(SparkSession spark, PrintStream out) {
    for (Statement statement : statements) {
      if (!statement.title().isEmpty()) {
        out.println(statement.title());
      }
      Dataset<Row> result = spark.sql(statement.sql());
      if (result.columns().length > 0) {
        printer.print(result, out);
      }
      out.println();
    }
    return 0;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw Errors.usage("-f " + file + ": cannot read it (" + e.getMessage() + ")");
    }
  }

  /** Replaces {@code ${key}} with the setting's value; an unset key is a usage error naming it. */
  static String substitute(String text, Settings settings, String source) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String key = m.group(1);
      if (!settings.has(key)) {
        throw Errors.usage(source + " uses ${" + key + "}: pass it with --set " + key + "=VALUE");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(settings.stringOr(key, "")));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Splits on {@code ;} outside quotes and comments, keeping each statement's leading comment lines. */
  static List<Statement> split(String text) {
    List<Statement> out = new ArrayList<>();
    StringBuilder sql = new StringBuilder();
    StringBuilder title = new StringBuilder();
    char quote = 0;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (quote != 0) {
        sql.append(c);
        if (c == quote) {
          quote = 0;
        }
        i++;
      } else if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
        int end = text.indexOf('\n', i);
        end = end < 0 ? text.length() : end;
        if (sql.toString().isBlank()) {
          title.append(text, i, end).append('\n');
        }
        i = end;
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
        sql.append(c);
        i++;
      } else if (c == ';') {
        add(out, title, sql);
        i++;
      } else {
        sql.append(c);
        i++;
      }
    }
    add(out, title, sql);
    return out;
  }

  private static void add(List<Statement> out, StringBuilder title, StringBuilder sql) {
    if (!sql.toString().isBlank()) {
      out.add(new Statement(title.toString().stripTrailing(), sql.toString().strip()));
      title.setLength(0);
    }
    sql.setLength(0);
  }
}
