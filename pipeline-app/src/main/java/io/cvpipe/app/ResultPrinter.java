package io.cvpipe.app;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.jdk.javaapi.CollectionConverters;

/** Prints a result as an aligned text table or as CSV (RFC 4180 quoting). */
final class ResultPrinter {

  private final String format;
  private final int maxRows;
  private final int maxWidth;

  ResultPrinter(String format, int maxRows, int maxWidth) {
    this.format = format;
    this.maxRows = maxRows;
    this.maxWidth = maxWidth;
  }

  void print(Dataset<Row> result, PrintStream out) {
    String[] columns = result.columns();
    List<Row> rows = result.limit(maxRows + 1).collectAsList();
    boolean more = rows.size() > maxRows;
    if (more) {
      rows = rows.subList(0, maxRows);
    }
    List<String[]> cells = new ArrayList<>();
    for (Row row : rows) {
      String[] line = new String[columns.length];
      for (int i = 0; i < columns.length; i++) {
        line[i] = text(row.get(i));
      }
      cells.add(line);
    }
    if (format.equals("csv")) {
      out.println(csvLine(columns));
      cells.forEach(line -> out.println(csvLine(line)));
    } else {
      table(columns, cells, out);
    }
    if (more) {
      out.printf(Locale.ROOT, "(only the first %,d rows shown; raise sql.max-rows to see more)%n", maxRows);
    } else if (format.equals("table")) {
      out.printf(Locale.ROOT, "(%,d row%s)%n", rows.size(), rows.size() == 1 ? "" : "s");
    }
  }

  private void table(String[] columns, List<String[]> cells, PrintStream out) {
    int[] width = new int[columns.length];
    boolean[] numeric = new boolean[columns.length];
    for (int i = 0; i < columns.length; i++) {
      width[i] = Math.min(maxWidth, columns[i].length());
      numeric[i] = true;
    }
    for (String[] line : cells) {
      for (int i = 0; i < line.length; i++) {
        line[i] = cut(line[i]);
        width[i] = Math.max(width[i], line[i].length());
        numeric[i] &= line[i].isEmpty() || line[i].equals("NULL") || line[i].matches("-?[0-9.,eE+-]+");
      }
    }
    StringBuilder rule = new StringBuilder();
    for (int w : width) {
      rule.append('+').append("-".repeat(w + 2));
    }
    rule.append('+');
    out.println(rule);
    out.println(row(columns, width, new boolean[columns.length]));
    out.println(rule);
    for (String[] line : cells) {
      out.println(row(line, width, numeric));
    }
    out.println(rule);
  }

  private String row(String[] line, int[] width, boolean[] right) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < line.length; i++) {
      String v = cut(line[i]);
      String pad = " ".repeat(width[i] - v.length());
      sb.append("| ").append(right[i] ? pad + v : v + pad).append(' ');
    }
    return sb.append('|').toString();
  }

  private String cut(String v) {
    return v.length() <= maxWidth ? v : v.substring(0, maxWidth - 3) + "...";
  }

  private static String csvLine(String[] values) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      String v = values[i];
      if (i > 0) {
        sb.append(',');
      }
      if (v.contains(",") || v.contains("\"") || v.contains("\n")) {
        sb.append('"').append(v.replace("\"", "\"\"")).append('"');
      } else {
        sb.append(v);
      }
    }
    return sb.toString();
  }

  static String text(Object value) {
    if (value == null) {
      return "NULL";
    }
    if (value instanceof byte[] bytes) {
      return "<" + bytes.length + " bytes>";
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d) || d == 0) {
        return String.valueOf(d);
      }
      // four significant digits, plain notation for everyday magnitudes
      BigDecimal rounded = new BigDecimal(d).round(new MathContext(4)).stripTrailingZeros();
      return Math.abs(d) >= 1e-4 && Math.abs(d) < 1e12 ? rounded.toPlainString() : rounded.toString();
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      List<String> parts = new ArrayList<>();
      for (Object v : CollectionConverters.asJava(seq)) {
        parts.add(text(v));
      }
      return "[" + String.join(", ", parts) + "]";
    }
    return String.valueOf(value);
  }
}
