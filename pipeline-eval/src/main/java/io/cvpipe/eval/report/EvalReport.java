package io.cvpipe.eval.report;

import io.cvpipe.eval.Misclassified;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * The HTML report of an evaluation ({@code index.html} with its charts and images beside it, in one
 * directory that can be copied anywhere), and the side-by-side comparison of two evaluations.
 */
public final class EvalReport {

  /** Above this many classes the confusion matrix is left to SQL (eval_class_metrics.predicted). */
  private static final int MAX_CONFUSION_CLASSES = 60;
  private static final int WORST_CLASSES = 10;

  private final Path dir;
  private final StringBuilder html = new StringBuilder();

  private EvalReport(Path dir, String title) {
    this.dir = dir;
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
        .append("</title>\n<style>\n")
        .append("body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:1400px;color:#222;padding:0 1rem}\n")
        .append("h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}\n")
        .append("table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .7rem;border-bottom:1px solid #eee;text-align:left}\n")
        .append("td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.meta td:first-child{color:#666}\n")
        .append(".charts{display:flex;flex-wrap:wrap;gap:1rem}.charts img{max-width:100%;border:1px solid #eee}\n")
        .append(".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.8rem}\n")
        .append("figure{margin:0;font-size:.8rem}figure img{width:128px;height:128px;object-fit:contain;image-rendering:pixelated;background:#f4f4f4}\n")
        .append(".note{color:#777}.better{color:#1a7f37}.worse{color:#c62828}\n")
        .append("</style></head><body>\n<h1>").append(escape(title)).append("</h1>\n");
  }

  /**
   * For a run trained with Sample Efficient Training, the optimiser steps it took against those its epochs take
   * without SET, and the most samples SET left out of an epoch; empty for other runs.
   */
  static String setSummary(List<Evaluation.Epoch> training) {
    long taken = 0;
    long full = 0;
    Evaluation.Epoch most = null;
    for (Evaluation.Epoch epoch : training) {
      if (epoch.steps() == null || epoch.fullSteps() == null) {
        return ""; // recorded before steps were: not comparable
      }
      taken += epoch.steps();
      full += epoch.fullSteps();
      if (epoch.setSkipped() != null && epoch.setSkipped() > 0 && (most == null || epoch.setSkipped() > most.setSkipped())) {
        most = epoch;
      }
    }
    if (most == null) {
      return "";
    }
    return String.format(Locale.ROOT, "<p>Sample Efficient Training: %,d optimiser steps taken of the %,d its %d epochs "
        + "take without SET (%.1f%% saved); at most %,d samples sat out an epoch (epoch %d). Per sample: "
        + "cvpipe.runs.set_state.</p>%n", taken, full, training.size(), 100.0 * (full - taken) / full, most.setSkipped(),
        most.epoch());
  }

  /** The report of one evaluation, with a sample of its misclassified images. */
  public static Path single(Path dir, Evaluation e, List<Misclassified> misclassified, List<String> names,
      Robustness robustness, Robustness baseline) {
    EvalReport r = new EvalReport(dir, "cvpipe eval: " + e.run());
    r.meta(e);
    r.html.append("<h2>Figures</h2>\n<table><tr><th>top-1</th><th>top-5</th><th>NLL</th><th>ECE (15 bins)</th>"
        + "<th>images</th><th>images/s</th></tr>\n<tr>")
        .append(num(e.top1())).append(num(e.top5())).append(num(e.nll())).append(num(e.ece()))
        .append("<td class=n>").append(String.format(Locale.ROOT, "%,d", e.images())).append("</td>")
        .append("<td class=n>").append(String.format(Locale.ROOT, "%.1f", e.imagesPerSecond())).append("</td></tr></table>\n");

    r.html.append("<h2>Training</h2>\n");
    if (e.training().isEmpty()) {
      r.html.append("<p class=note>No training curve: the model has no cvpipe training run in cvpipe.runs.train_metrics.</p>\n");
    } else {
      r.html.append("<div class=charts>")
          .append(r.chart("training-loss", () -> Charts.curves("Loss (training run " + e.trainingRun() + ")", "loss",
              List.of("train", "validation"), List.of(e.training(), e.training()),
              List.of(Evaluation.Epoch::trainLoss, Evaluation.Epoch::valLoss)), "training and validation loss by epoch"))
          .append(r.chart("training-top1", () -> Charts.curves("Validation top-1", "top-1", List.of("trained weights", "EMA weights"),
              List.of(e.training(), e.training()), List.of(Evaluation.Epoch::top1, Evaluation.Epoch::emaTop1)),
              "validation top-1 by epoch"))
          .append("</div>\n");
    }
    r.html.append(setSummary(e.training()));

    r.html.append("<h2>Calibration</h2>\n<div class=charts>")
        .append(r.chart("reliability", () -> Charts.reliability(String.format(Locale.ROOT, "Reliability diagram (ECE %.4f)", e.ece()),
            List.of(e.run()), List.of(e.reliability())), "reliability diagram"))
        .append("</div>\n");
    r.bins(e);

    r.html.append("<h2>Classes</h2>\n");
    if (e.classes().size() <= MAX_CONFUSION_CLASSES) {
      r.html.append("<div class=charts>").append(r.chart("confusion", () -> Charts.confusion(e.classes()), "confusion matrix"))
          .append("</div>\n");
    } else {
      r.html.append("<p class=note>").append(e.classes().size()).append(" classes: the confusion matrix is in "
          + "cvpipe.runs.eval_class_metrics (column predicted), e.g. <code>SELECT label, accuracy FROM "
          + "cvpipe.runs.eval_class_metrics WHERE eval_id = '").append(escape(e.evalId())).append("' ORDER BY accuracy</code></p>\n");
    }
    r.worstClasses(e);
    r.misclassified(misclassified, names, e.images() - Math.round(e.top1() * e.images()));
    r.robustness(java.util.Arrays.asList(robustness), baseline);
    return r.finish();
  }

  /** Two evaluations side by side: figures with their differences, curves, calibration, classes. */
  public static Path compare(Path dir, Evaluation a, Evaluation b, Robustness robustnessA, Robustness robustnessB) {
    EvalReport r = new EvalReport(dir, "cvpipe eval: " + a.run() + " vs " + b.run());
    r.html.append("<table class=meta><tr><th></th><th>").append(escape(a.run())).append("</th><th>")
        .append(escape(b.run())).append("</th></tr>\n");
    r.metaRow("model", a.model(), b.model());
    r.metaRow("architecture", String.valueOf(a.architecture()), String.valueOf(b.architecture()));
    r.metaRow("dataset / split", a.dataset() + " / " + a.split(), b.dataset() + " / " + b.split());
    r.metaRow("samples snapshot", String.valueOf(a.snapshotId()), String.valueOf(b.snapshotId()));
    r.metaRow("evaluated at", a.evaluatedAt().toString(), b.evaluatedAt().toString());
    r.html.append("</table>\n");
    if (!a.dataset().equals(b.dataset()) || !a.split().equals(b.split()) || a.snapshotId() != b.snapshotId()) {
      r.html.append("<p class=note>The two evaluations did not score the same images (dataset, split or snapshot "
          + "differ): compare the figures with care.</p>\n");
    }
    r.html.append("<h2>Figures</h2>\n<table><tr><th></th><th class=n>").append(escape(a.run())).append("</th><th class=n>")
        .append(escape(b.run())).append("</th><th class=n>difference</th></tr>\n");
    r.compareRow("top-1", a.top1(), b.top1(), true);
    r.compareRow("top-5", a.top5(), b.top5(), true);
    r.compareRow("NLL", a.nll(), b.nll(), false);
    r.compareRow("ECE", a.ece(), b.ece(), false);
    r.html.append("</table>\n");

    List<String> names = List.of(a.run(), b.run());
    r.html.append("<h2>Training</h2>\n<div class=charts>")
        .append(r.chart("training-top1", () -> Charts.curves("Validation top-1", "top-1", names,
            List.of(a.training(), b.training()), List.of(Evaluation.Epoch::top1, Evaluation.Epoch::top1)), "validation top-1 by epoch"))
        .append(r.chart("training-loss", () -> Charts.curves("Training loss", "loss", names,
            List.of(a.training(), b.training()), List.of(Evaluation.Epoch::trainLoss, Evaluation.Epoch::trainLoss)), "training loss by epoch"))
        .append("</div>\n");
    r.html.append("<h2>Calibration</h2>\n<div class=charts>")
        .append(r.chart("reliability", () -> Charts.reliability("Reliability diagrams", names,
            List.of(a.reliability(), b.reliability())), "reliability diagrams"))
        .append("</div>\n");

    r.html.append("<h2>Classes that differ most</h2>\n");
    if (a.classes().size() != b.classes().size()) {
      r.html.append("<p class=note>The evaluations have different class lists; no per-class comparison.</p>\n");
    } else {
      List<Integer> order = new ArrayList<>();
      for (int c = 0; c < a.classes().size(); c++) {
        order.add(c);
      }
      Function<Integer, Double> diff = c -> value(b.classes().get(c).accuracy()) - value(a.classes().get(c).accuracy());
      order.sort(Comparator.comparingDouble((Integer c) -> -Math.abs(diff.apply(c))));
      List<Integer> shown = order.subList(0, Math.min(20, order.size()));
      r.html.append("<div class=charts>").append(r.chart("class-accuracy", () -> Charts.classAccuracy("Per-class accuracy",
          names, shown.stream().map(c -> a.classes().get(c).display()).toList(),
          List.of(shown.stream().map(c -> value(a.classes().get(c).accuracy())).toList(),
              shown.stream().map(c -> value(b.classes().get(c).accuracy())).toList())), "per-class accuracy"))
          .append("</div>\n<table><tr><th>class</th><th class=n>").append(escape(a.run())).append("</th><th class=n>")
          .append(escape(b.run())).append("</th><th class=n>difference</th></tr>\n");
      for (int c : shown) {
        r.compareRow(a.classes().get(c).display(), value(a.classes().get(c).accuracy()), value(b.classes().get(c).accuracy()), true);
      }
      r.html.append("</table>\n");
    }
    r.robustness(java.util.Arrays.asList(robustnessA, robustnessB),
        robustnessB != null && !robustnessB.isEmpty() ? robustnessB : null);
    return r.finish();
  }

  /**
   * Top-1 and ECE per corrupted split of each run that has them, CE per corruption and mCE against
   * {@code baseline} (when there is one); nothing when no run was evaluated on corrupted copies.
   */
  private void robustness(List<Robustness> runs, Robustness baseline) {
    List<Robustness> shown = runs.stream().filter(x -> x != null && !x.isEmpty()).toList();
    if (shown.isEmpty()) {
      return;
    }
    html.append("<h2>Robustness: corrupted copies of the split</h2>\n<p>")
        .append("Splits made by <code>cvpipe shift</code> (ImageNet-C's corruptions). CE = the summed top-1 error over "
            + "the severities divided by the baseline's; relative CE counts only the error above each run's clean "
            + "error; mCE is their mean over the corruptions (ImageNet-C, with ");
    html.append(baseline == null ? "no baseline run here: set eval.baseline to get them" : "baseline "
        + escape(baseline.run()) + ", 100% by definition").append(").</p>\n");
    for (Robustness x : shown) {
      html.append("<h3>").append(escape(x.run())).append("</h3>\n<p>")
          .append(escape(x.summary(baseline))).append("</p>\n<table><tr><th>corruption</th>");
      for (int s = 1; s <= 5; s++) {
        html.append("<th class=n>top-1 at ").append(s).append("</th>");
      }
      html.append("<th class=n>mean top-1</th><th class=n>mean ECE</th><th class=n>CE</th><th class=n>relative CE</th>"
          + "</tr>\n");
      for (Map.Entry<String, List<Robustness.Cell>> c : x.byCorruption().entrySet()) {
        html.append("<tr><td>").append(escape(c.getKey())).append("</td>");
        for (int s = 1; s <= 5; s++) {
          int severity = s;
          Robustness.Cell cell = c.getValue().stream().filter(v -> v.severity() == severity).findFirst().orElse(null);
          html.append(cell == null ? "<td class=n>-</td>" : num(cell.top1()));
        }
        html.append(num(c.getValue().stream().mapToDouble(Robustness.Cell::top1).average().orElse(Double.NaN)))
            .append(num(c.getValue().stream().mapToDouble(Robustness.Cell::ece).average().orElse(Double.NaN)));
        html.append(percent(baseline == null ? java.util.OptionalDouble.empty() : x.ce(c.getKey(), baseline)))
            .append(percent(baseline == null ? java.util.OptionalDouble.empty() : x.relativeCe(c.getKey(), baseline)))
            .append("</tr>\n");
      }
      html.append("</table>\n");
    }
  }

  private static String percent(java.util.OptionalDouble v) {
    return v.isPresent() ? String.format(Locale.ROOT, "<td class=n>%.1f%%</td>", 100 * v.getAsDouble()) : "<td class=n>-</td>";
  }

  private void meta(Evaluation e) {
    html.append("<table class=meta>\n");
    metaRow("model", e.model());
    metaRow("architecture", e.architecture() == null ? "(not a cvpipe export)" : e.architecture());
    metaRow("training run", e.trainingRun() == null ? "(none)" : e.trainingRun());
    metaRow("dataset / split", e.dataset() + " / " + e.split() + " (samples snapshot " + e.snapshotId() + ")");
    metaRow("images", String.format(Locale.ROOT, "%,d scored%s", e.images(),
        e.undecodable() == 0 ? "" : String.format(Locale.ROOT, ", %,d undecodable (not scored)", e.undecodable())));
    metaRow("evaluated", e.evaluatedAt() + String.format(Locale.ROOT, " in %.1f s", e.seconds()));
    metaRow("eval_id", e.evalId());
    html.append("</table>\n");
  }

  private void metaRow(String name, String... values) {
    html.append("<tr><td>").append(escape(name)).append("</td>");
    for (String v : values) {
      html.append("<td>").append(escape(v)).append("</td>");
    }
    html.append("</tr>\n");
  }

  private void compareRow(String name, double a, double b, boolean higherIsBetter) {
    double d = b - a;
    String cls = d == 0 || Double.isNaN(d) ? "" : (d > 0) == higherIsBetter ? " better" : " worse";
    html.append("<tr><td>").append(escape(name)).append("</td>").append(num(a)).append(num(b))
        .append("<td class=\"n").append(cls).append("\">").append(String.format(Locale.ROOT, "%+.4f", d)).append("</td></tr>\n");
  }

  private void bins(Evaluation e) {
    html.append("<details><summary>Bins</summary><table><tr><th>confidence</th><th class=n>images</th>"
        + "<th class=n>mean confidence</th><th class=n>accuracy</th></tr>\n");
    for (Evaluation.Bin b : e.reliability()) {
      html.append("<tr><td>").append(String.format(Locale.ROOT, "(%.3f, %.3f]", b.lower(), b.upper())).append("</td>")
          .append("<td class=n>").append(b.images()).append("</td>")
          .append(b.confidence() == null ? "<td class=n>-</td>" : num(b.confidence()))
          .append(b.accuracy() == null ? "<td class=n>-</td>" : num(b.accuracy())).append("</tr>\n");
    }
    html.append("</table></details>\n");
  }

  private void worstClasses(Evaluation e) {
    List<Evaluation.ClassRow> rows = e.classes().stream().filter(c -> c.images() > 0)
        .sorted(Comparator.comparingDouble(c -> value(c.accuracy()))).limit(WORST_CLASSES).toList();
    html.append("<h3>Worst classes</h3>\n<table><tr><th>class</th><th class=n>images</th><th class=n>accuracy</th>"
        + "<th>most often taken for</th></tr>\n");
    for (Evaluation.ClassRow c : rows) {
      int confused = -1;
      for (int p = 0; p < c.predicted().length; p++) {
        if (p != c.index() && c.predicted()[p] > 0 && (confused < 0 || c.predicted()[p] > c.predicted()[confused])) {
          confused = p;
        }
      }
      html.append("<tr><td>").append(escape(c.display())).append("</td><td class=n>").append(c.images()).append("</td>")
          .append(num(value(c.accuracy()))).append("<td>")
          .append(confused < 0 ? "-" : escape(e.classes().get(confused).display()) + String.format(Locale.ROOT, " (%.1f%%)",
              100.0 * c.predicted()[confused] / c.images()))
          .append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private void misclassified(List<Misclassified> sample, List<String> names, long total) {
    html.append("<h2>Misclassified images</h2>\n");
    if (sample.isEmpty()) {
      html.append("<p class=note>None").append(total == 0 ? ": every image was right." : " shown (eval.misclassified = 0).")
          .append("</p>\n");
      return;
    }
    html.append("<p class=note>").append(sample.size()).append(" of ").append(String.format(Locale.ROOT, "%,d", total))
        .append(" (those with the smallest sample ids), with the model's three most probable classes.</p>\n<div class=grid>\n");
    Path images = dir.resolve("images");
    try {
      Files.createDirectories(images);
      for (Misclassified m : sample) {
        String file = "images/" + Long.toUnsignedString(m.sampleId(), 16) + ".png";
        Files.write(dir.resolve(file), m.png());
        html.append("<figure><img src=\"").append(file).append("\" alt=\"sample ").append(m.sampleId())
            .append("\"><figcaption>true: <b>").append(escape(names.get(m.label()))).append("</b>");
        for (int j = 0; j < m.topClasses().length; j++) {
          html.append("<br>").append(j + 1).append(". ").append(escape(names.get(m.topClasses()[j])))
              .append(String.format(Locale.ROOT, " %.2f", m.topProbabilities()[j]));
        }
        html.append("<br><span class=note>sample_id ").append(m.sampleId()).append("</span></figcaption></figure>\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report's images under " + images, e);
    }
    html.append("</div>\n");
  }

  /** An {@code <img>} of the chart, or a note saying why it could not be drawn (the rest of the report stands). */
  private String chart(String name, Supplier<Chart<?, ?>> chart, String alt) {
    try {
      String file = Charts.png(chart.get(), dir.resolve("charts"), name);
      return "<img src=\"charts/" + file + "\" alt=\"" + escape(alt) + "\">";
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError v) {
        throw v;
      }
      return "<p class=note>" + escape(alt) + ": not drawn (" + escape(String.valueOf(e)) + ")</p>";
    }
  }

  private Path finish() {
    html.append("<p class=note>Made by cvpipe eval. Tables: cvpipe.runs.eval_metrics, cvpipe.runs.eval_class_metrics, "
        + "cvpipe.runs.train_metrics.</p>\n</body></html>\n");
    try {
      Files.createDirectories(dir);
      Path index = dir.resolve("index.html");
      Files.writeString(index, html, StandardCharsets.UTF_8);
      return index;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report " + dir.resolve("index.html"), e);
    }
  }

  private static double value(Double d) {
    return d == null ? Double.NaN : d;
  }

  private static String num(double v) {
    return "<td class=n>" + (Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v)) + "</td>";
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
