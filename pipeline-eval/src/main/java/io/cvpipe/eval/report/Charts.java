package io.cvpipe.eval.report;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** The report's charts, drawn with XChart and written as PNG files. */
final class Charts {

  private static final int WIDTH = 640;
  private static final int HEIGHT = 400;

  private Charts() {}

  /** Writes {@code chart} to {@code dir/name.png}; returns the file name. */
  static String png(Chart<?, ?> chart, Path dir, String name) {
    try {
      Files.createDirectories(dir);
      Files.write(dir.resolve(name + ".png"), BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
      return name + ".png";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write chart " + dir.resolve(name + ".png"), e);
    }
  }

  /** A metric per epoch, one line per (label, run): e.g. train and validation loss. */
  static XYChart curves(String title, String yTitle, List<String> names, List<List<Evaluation.Epoch>> runs,
      List<Function<Evaluation.Epoch, Double>> metrics) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("epoch")
        .yAxisTitle(yTitle).build();
    style(chart.getStyler());
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    if (yTitle.startsWith("top-")) { // accuracies: the whole range, so runs compare at a glance
      chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    }
    for (int i = 0; i < names.size(); i++) {
      List<Integer> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (Evaluation.Epoch e : runs.get(i)) {
        Double v = metrics.get(i).apply(e);
        if (v != null && Double.isFinite(v)) {
          x.add(e.epoch());
          y.add(v);
        }
      }
      if (!x.isEmpty()) {
        chart.addSeries(names.get(i), x, y).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.CIRCLE);
      }
    }
    return chart;
  }

  /**
   * The reliability diagram: accuracy per confidence bin as bars, the bins' mean confidence as a line
   * (perfect calibration puts the bars' tops on it); one bar series per evaluation.
   */
  static CategoryChart reliability(String title, List<String> names, List<List<Evaluation.Bin>> evaluations) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle("confidence (top softmax probability)").yAxisTitle("accuracy").build();
    style(chart.getStyler());
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    chart.getStyler().setOverlapped(names.size() == 1);
    List<String> x = new ArrayList<>();
    List<Double> diagonal = new ArrayList<>();
    for (Evaluation.Bin b : evaluations.get(0)) {
      x.add(String.format(java.util.Locale.ROOT, "%.2f", (b.lower() + b.upper()) / 2));
      diagonal.add((b.lower() + b.upper()) / 2);
    }
    for (int i = 0; i < names.size(); i++) {
      List<Double> accuracy = new ArrayList<>();
      for (Evaluation.Bin b : evaluations.get(i)) {
        accuracy.add(b.accuracy() == null ? 0.0 : b.accuracy());
      }
      chart.addSeries(names.get(i) + " accuracy", x, accuracy);
    }
    CategorySeries ideal = chart.addSeries("perfect calibration", x, diagonal);
    ideal.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
    ideal.setLineColor(Color.DARK_GRAY);
    ideal.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
    return chart;
  }

  /** Confusion matrix, each row normalised to the true class's images (so the diagonal is per-class recall). */
  static HeatMapChart confusion(List<Evaluation.ClassRow> classes) {
    int n = classes.size();
    int size = Math.max(560, Math.min(1600, 200 + n * 40));
    HeatMapChart chart = new HeatMapChartBuilder().width(size + 120).height(size).title("Confusion matrix (share of each true class)")
        .xAxisTitle("predicted class").yAxisTitle("true class").build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setShowValue(n <= 20);
    chart.getStyler().setMin(0).setMax(1);
    chart.getStyler().setRangeColors(new Color[] {new Color(247, 251, 255), new Color(107, 174, 214), new Color(8, 48, 107)});
    List<String> labels = classes.stream().map(c -> shorten(c.display())).toList();
    boolean wide = labels.stream().mapToInt(String::length).max().orElse(0) * n > 48;
    chart.getStyler().setXAxisLabelRotation(wide ? 45 : 0);
    chart.getStyler().setValueFontColor(new Color(40, 40, 40));
    List<Number[]> cells = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      Evaluation.ClassRow row = classes.get(t);
      for (int p = 0; p < n; p++) {
        double share = row.images() == 0 ? 0 : row.predicted()[p] / (double) row.images();
        cells.add(new Number[] {p, n - 1 - t, Math.round(share * 100) / 100.0});
      }
    }
    List<String> rows = new ArrayList<>(labels);
    java.util.Collections.reverse(rows); // true class 0 at the top
    chart.addSeries("confusion", labels, rows, cells);
    return chart;
  }

  /** Accuracy of each listed class, one bar series per evaluation. */
  static CategoryChart classAccuracy(String title, List<String> names, List<String> labels, List<List<Double>> accuracies) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle("accuracy").build();
    style(chart.getStyler());
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    chart.getStyler().setXAxisLabelRotation(labels.size() > 6 ? 45 : 0);
    chart.getStyler().setLegendVisible(names.size() > 1);
    List<String> x = labels.stream().map(Charts::shorten).toList();
    for (int i = 0; i < names.size(); i++) {
      chart.addSeries(names.get(i), x, accuracies.get(i));
    }
    return chart;
  }

  private static void style(Styler styler) {
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBorderVisible(false);
    styler.setLegendBorderColor(Color.WHITE);
    if (styler instanceof org.knowm.xchart.style.XYStyler xy) {
      xy.setXAxisDecimalPattern("#");
    }
  }

  private static String shorten(String label) {
    return label.length() <= 18 ? label : label.substring(0, 17) + "…";
  }

}
