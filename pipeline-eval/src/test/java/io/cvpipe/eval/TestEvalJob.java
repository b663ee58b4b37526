package io.cvpipe.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.engine.Predictor;
import io.cvpipe.common.metrics.ClassificationMetrics;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluation as a Spark job in local[2] over a real Iceberg samples table of generated shapes (one row that
 * does not decode), of small ResNets trained and exported here by the engine.
 */
class TestEvalJob {

  private static final int SIZE = 32;
  private static final int VAL = 60;

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static List<String> labels;

  @BeforeAll
  static void prepare() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    ShapesTable.write(spark, "shapes", Map.of("val", VAL), SIZE, 5);
    Tables.append(spark, spark.createDataFrame(List.of(ShapesTable.row("val", 2, "val/broken.JPEG", new byte[] {1, 2, 3}, SIZE)),
        Schemas.SAMPLES), Tables.samples("shapes"), Schemas.SAMPLES, "test");
    byte[] jpeg = SyntheticImages.jpeg(SyntheticImages.shape(1, SIZE, SIZE, new Random(9)), 0.9f);
    Row labelled = ShapesTable.row("unlabelled", 1, "unlabelled/x.JPEG", jpeg, SIZE);
    Object[] unlabelled = new Object[labelled.size()];
    for (int i = 0; i < unlabelled.length; i++) {
      unlabelled[i] = labelled.get(i);
    }
    unlabelled[2] = null; // label
    unlabelled[3] = null; // class_index
    Tables.append(spark, spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(unlabelled)),
        Schemas.SAMPLES), Tables.samples("shapes"), Schemas.SAMPLES, "test");
    labels = List.of(SyntheticImages.label(0), SyntheticImages.label(1), SyntheticImages.label(2), SyntheticImages.label(3));
    export("shapes-early", 4, 8, true);
    export("shapes-late", 4, 100, true);
    export("three-classes", 3, 2, false);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Trains a small ResNet for {@code steps} on generated shapes and exports it as models/NAME/best. */
  private static void export(String name, int classes, int steps, boolean description) {
    Path dir = tmp.resolve("models").resolve(name).resolve("best");
    Random rnd = new Random(11);
    try (Engine engine = Engines.tensorflow(new ModelSpec("resnet18", 0.125, classes, 3, 1, false, 3),
        OptimizerSpec.sgd(1e-4), Device.CPU)) {
      int batch = 16;
      for (int step = 0; step < steps; step++) {
        float[] pixels = new float[batch * SIZE * SIZE * 3];
        float[] targets = new float[batch * classes];
        for (int i = 0; i < batch; i++) {
          int c = rnd.nextInt(classes);
          render(SyntheticImages.shape(c, SIZE, SIZE, rnd), pixels, i);
          targets[i * classes + c] = 1;
        }
        engine.trainStep(new ImageBatch(pixels, batch, SIZE, SIZE, 3), targets, 0.05f);
      }
      engine.exportSavedModel(dir);
    }
    if (description) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("input", Map.of("name", "images", "height", SIZE, "width", SIZE, "channels", 3));
      json.put("normalisation", Map.of("mean", Pixels.IMAGENET_MEAN, "std", Pixels.IMAGENET_STD));
      json.put("classes", labels);
      json.put("model", "resnet18");
      json.put("width", 0.125);
      json.put("run", name);
      try {
        new ObjectMapper().writeValue(dir.resolve(ModelInput.DESCRIPTION).toFile(), json);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private static void render(BufferedImage image, float[] out, int index) {
    render(image, out, index, RandomResizedCrop.CROP_FRACTION);
  }

  private static void render(BufferedImage image, float[] out, int index, double cropFraction) {
    Pixels.render(image, RandomResizedCrop.centre(image.getHeight(), image.getWidth(), SIZE, cropFraction), SIZE, SIZE, 3,
        Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD, out, index * SIZE * SIZE * 3);
  }

  /** The model's metrics on the val split, image by image on the driver, through a centre crop of {@code cropFraction}. */
  private static ClassificationMetrics local(Path model, double cropFraction) throws Exception {
    ClassificationMetrics expected = new ClassificationMetrics(4);
    try (Predictor predictor = Engines.savedModel(model)) {
      for (Row r : spark.sql("SELECT class_index, image FROM cvpipe.shapes.samples WHERE split = 'val'").collectAsList()) {
        BufferedImage image = Pixels.decode((byte[]) r.get(1));
        if (image != null) {
          float[] px = new float[SIZE * SIZE * 3];
          render(image, px, 0, cropFraction);
          expected.add(predictor.predict(new ImageBatch(px, 1, SIZE, SIZE, 3)), 0, r.getInt(0));
        }
      }
    }
    return expected;
  }

  static EvalSettings settings(String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "eval.models-dir=" + tmp.resolve("models"),
        "eval.reports-dir=" + tmp.resolve("reports"), "eval.batch-size=16", "eval.misclassified=6"));
    sets.addAll(List.of(extra));
    return EvalSettings.from(Settings.load(null, sets));
  }

  @Test
  void scoresTheSplitAsASparkJobAsALocalLoopWouldAndRecordsIt() throws Exception {
    EvalJob.Result result = new EvalJob(spark, settings("eval.model=shapes-late")).run();

    // the same model, image by image on the driver
    ClassificationMetrics expected = local(tmp.resolve("models/shapes-late/best"), RandomResizedCrop.CROP_FRACTION);
    assertThat(result.run()).as("named after the model's training run").isEqualTo("shapes-late");
    assertThat(result.metrics().images()).isEqualTo(VAL);
    assertThat(result.undecodable()).isEqualTo(1);
    assertThat(result.metrics().top1()).isCloseTo(expected.top1(), within(1.5 / VAL));
    assertThat(result.metrics().nll()).isCloseTo(expected.nll(), within(1e-3));
    assertThat(result.metrics().ece()).isCloseTo(expected.ece(), within(1e-3));
    assertThat(result.metrics().top1()).as("100 steps on shapes: above chance (0.25)").isGreaterThan(0.4);

    Row row = spark.sql("SELECT run, training_run, architecture, split, images, undecodable, top1, top5, nll, ece, "
        + "size(reliability), aggregate(reliability, 0L, (acc, b) -> acc + b.images) FROM cvpipe.runs.eval_metrics "
        + "WHERE eval_id = '" + result.evalId() + "'").first();
    assertThat(row.getString(0)).isEqualTo("shapes-late");
    assertThat(row.getString(1)).isEqualTo("shapes-late");
    assertThat(row.getString(2)).isEqualTo("resnet18x0.125");
    assertThat(row.getLong(4)).isEqualTo(VAL);
    assertThat(row.getLong(5)).isEqualTo(1);
    assertThat(row.getDouble(6)).isEqualTo(result.metrics().top1());
    assertThat(row.getDouble(9)).isEqualTo(result.metrics().ece());
    assertThat(row.getInt(10)).isEqualTo(15);
    assertThat(row.getLong(11)).isEqualTo(VAL);
    List<Row> classes = spark.sql("SELECT class_index, label, images, correct, predicted FROM cvpipe.runs.eval_class_metrics "
        + "WHERE eval_id = '" + result.evalId() + "' ORDER BY class_index").collectAsList();
    assertThat(classes).extracting(r -> r.getString(1)).containsExactlyElementsOf(labels);
    assertThat(classes.stream().mapToLong(r -> r.getLong(2)).sum()).isEqualTo(VAL);
    assertThat(classes.stream().mapToLong(r -> r.getLong(3)).sum()).isEqualTo(Math.round(result.metrics().top1() * VAL));
    for (Row c : classes) {
      assertThat(c.<Long>getList(4).stream().mapToLong(Long::longValue).sum()).isEqualTo(c.getLong(2));
    }

    Path report = result.report();
    String html = Files.readString(report.resolve("index.html"));
    assertThat(html).contains("shapes-late", "Calibration", "Worst classes", "Misclassified");
    assertThat(report.resolve("charts/reliability.png")).isNotEmptyFile();
    assertThat(report.resolve("charts/confusion.png")).isNotEmptyFile();
    long shown = Math.min(6, VAL - Math.round(result.metrics().top1() * VAL));
    try (var images = Files.list(report.resolve("images"))) {
      assertThat(images.count()).isEqualTo(shown);
    }
  }

  @Test
  void anEnsembleIsJudgedByTheMeanOfItsModelsSoftmax() throws Exception {
    EvalJob.Result result = new EvalJob(spark, settings("eval.model=[shapes-early, shapes-late]",
        "eval.run=pair")).run();

    // both models image by image on the driver, their softmax outputs averaged
    ClassificationMetrics expected = new ClassificationMetrics(4);
    try (Predictor early = Engines.savedModel(tmp.resolve("models/shapes-early/best"));
        Predictor late = Engines.savedModel(tmp.resolve("models/shapes-late/best"))) {
      for (Row r : spark.sql("SELECT class_index, image FROM cvpipe.shapes.samples WHERE split = 'val'").collectAsList()) {
        BufferedImage image = Pixels.decode((byte[]) r.get(1));
        if (image != null) {
          float[] px = new float[SIZE * SIZE * 3];
          render(image, px, 0);
          ImageBatch one = new ImageBatch(px, 1, SIZE, SIZE, 3);
          float[] a = early.predict(one);
          float[] b = late.predict(one);
          double sa = 0, sb = 0;
          for (int c = 0; c < 4; c++) {
            sa += Math.exp(a[c]);
            sb += Math.exp(b[c]);
          }
          float[] logMean = new float[4];
          for (int c = 0; c < 4; c++) {
            logMean[c] = (float) Math.log((Math.exp(a[c]) / sa + Math.exp(b[c]) / sb) / 2);
          }
          expected.add(logMean, 0, r.getInt(0));
        }
      }
    }
    assertThat(result.metrics().images()).isEqualTo(VAL);
    assertThat(result.metrics().top1()).isCloseTo(expected.top1(), within(1.5 / VAL));
    assertThat(result.metrics().nll()).isCloseTo(expected.nll(), within(1e-3));
    assertThat(result.metrics().ece()).isCloseTo(expected.ece(), within(1e-3));
    Row row = spark.sql("SELECT model, training_run, architecture FROM cvpipe.runs.eval_metrics WHERE eval_id = '"
        + result.evalId() + "'").first();
    assertThat(row.getString(0)).startsWith("[").contains("shapes-early", "shapes-late");
    assertThat(row.isNullAt(1)).as("no one training run").isTrue();
    assertThat(row.getString(2)).isEqualTo("ensemble(resnet18x0.125 + resnet18x0.125)");
    assertThatThrownBy(() -> settings("eval.model=[shapes-early, shapes-late]"))
        .hasMessageContaining("eval.run: an ensemble (eval.model = [shapes-early, shapes-late]) needs a name");
  }

  @Test
  void theValidationCropIsTheModelsUnlessEvalCropFractionSaysOtherwise() throws Exception {
    Path late = tmp.resolve("models/shapes-late/best");
    double cvnets = local(late, 0.875).nll();
    double whole = local(late, 1.0).nll();
    assertThat(whole).as("a 32x32 image entire is other pixels than its centre 28x28").isNotCloseTo(cvnets, within(1e-4));

    // model.json without crop-fraction (exported before cvpipe wrote it): CVNets' 0.875
    assertThat(new EvalJob(spark, settings("eval.model=shapes-late", "eval.run=crop-default")).run().metrics().nll())
        .isCloseTo(cvnets, within(1e-3));
    assertThat(new EvalJob(spark, settings("eval.model=shapes-late", "eval.run=crop-whole", "eval.crop-fraction=1"))
        .run().metrics().nll()).isCloseTo(whole, within(1e-3));

    // a model validated on whole images in training says so in its model.json, and eval follows it
    Path wholeModel = tmp.resolve("models/shapes-whole/best");
    Files.createDirectories(wholeModel.resolve("variables"));
    try (var files = Files.walk(late)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, wholeModel.resolve(late.relativize(f)));
      }
    }
    ObjectMapper json = new ObjectMapper();
    @SuppressWarnings("unchecked")
    Map<String, Object> description = json.readValue(wholeModel.resolve(ModelInput.DESCRIPTION).toFile(), Map.class);
    @SuppressWarnings("unchecked")
    Map<String, Object> normalisation = (Map<String, Object>) description.get("normalisation");
    normalisation.put("crop-fraction", 1.0);
    json.writeValue(wholeModel.resolve(ModelInput.DESCRIPTION).toFile(), description);
    assertThat(ModelInput.read(wholeModel, 224, 3).cropFraction()).isEqualTo(1.0);
    assertThat(new EvalJob(spark, settings("eval.model=shapes-whole", "eval.run=crop-model")).run().metrics().nll())
        .isCloseTo(whole, within(1e-3));

    assertThatThrownBy(() -> settings("eval.model=shapes-late", "eval.crop-fraction=1.2"))
        .hasMessageContaining("eval.crop-fraction: 1.2 is out of range. Allowed: above 0, at most 1");
    normalisation.put("crop-fraction", 0);
    json.writeValue(wholeModel.resolve(ModelInput.DESCRIPTION).toFile(), description);
    assertThatThrownBy(() -> ModelInput.read(wholeModel, 224, 3))
        .hasMessageContaining("normalisation crop-fraction must be a number above 0 and at most 1, got 0");
  }

  @Test
  void reportsRenderInHeadlessChromiumWithoutBrokenImages() throws Exception {
    new EvalJob(spark, settings("eval.model=shapes-early", "eval.run=early")).run();
    new EvalJob(spark, settings("eval.model=" + tmp.resolve("models/shapes-late/best"), "eval.run=late")).run();
    Path compared = new EvalJob(spark, settings("eval.compare=early,late")).compare();

    assertThat(Files.readString(compared.resolve("index.html"))).contains("early", "late", "difference");
    Path reports = tmp.resolve("reports");
    for (String page : List.of("early", "late", "early-vs-late")) {
      Chromium.Check check = Chromium.check(reports, page + "/index.html");
      assertThat(check.images()).as(page + ": images on the page").isGreaterThan(2);
      assertThat(check.broken()).as(page + ": broken images").isEmpty();
    }
  }

  @Test
  void evaluatesCorruptedCopiesAndMeasuresCorruptionErrorAgainstABaseline() throws Exception {
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=shapes-late", "eval.run=no-shifts",
        "eval.shifts=true", "eval.split=unlabelled")).run())
        .hasMessageContaining("eval.shifts: cvpipe.shapes.samples").hasMessageContaining("has no corrupted copies of split "
            + "'unlabelled': make them first with cvpipe shift --set dataset=shapes --set shift.split=unlabelled");
    new io.cvpipe.eval.shift.ShiftJob(spark, io.cvpipe.eval.shift.ShiftSettings.from(Settings.load(null, List.of(
        "dataset=shapes", "shift.corruptions=[gaussian_noise, pixelate]", "shift.severity=[1, 5]")))).run();

    new EvalJob(spark, settings("eval.model=shapes-early", "eval.run=early-shifts", "eval.shifts=true")).run();
    EvalJob.Result late = new EvalJob(spark, settings("eval.model=shapes-late", "eval.run=late-shifts",
        "eval.shifts=true", "eval.baseline=early-shifts")).run();

    // one row per corrupted split, every copy scored (the undecodable source row was quarantined by shift)
    List<Row> rows = spark.sql("SELECT split, images, undecodable, top1 FROM cvpipe.runs.eval_metrics "
        + "WHERE run = 'late-shifts' ORDER BY split").collectAsList();
    assertThat(rows).extracting(r -> r.getString(0)).containsExactly("val", "val-gaussian_noise-1",
        "val-gaussian_noise-5", "val-pixelate-1", "val-pixelate-5");
    assertThat(rows.subList(1, 5)).allSatisfy(r -> {
      assertThat(r.getLong(1)).isEqualTo(VAL);
      assertThat(r.getLong(2)).isZero();
    });
    // one pass scored the four copies: each copy's row equals that copy evaluated alone
    for (String copy : List.of("val-gaussian_noise-1", "val-pixelate-5")) {
      EvalJob.Result alone = new EvalJob(spark, settings("eval.model=shapes-late", "eval.run=alone-" + copy,
          "eval.split=" + copy)).run();
      Row inPass = spark.sql("SELECT images, top1, nll, ece FROM cvpipe.runs.eval_metrics WHERE run = 'late-shifts' "
          + "AND split = '" + copy + "'").first();
      assertThat(inPass.getLong(0)).isEqualTo(alone.metrics().images());
      assertThat(inPass.getDouble(1)).as(copy).isEqualTo(alone.metrics().top1());
      assertThat(inPass.getDouble(2)).as(copy).isCloseTo(alone.metrics().nll(), within(1e-5));
      assertThat(inPass.getDouble(3)).as(copy).isCloseTo(alone.metrics().ece(), within(1e-5));
    }
    // by NLL, which a tiny model's few images leave distinct where its top-1 on two copies may tie
    assertThat(spark.sql("SELECT DISTINCT round(nll, 4) FROM cvpipe.runs.eval_metrics WHERE run = 'late-shifts'")
        .count()).as("the copies' scores differ (else routing each image to its own copy's result goes untested)")
        .isGreaterThan(1);

    // ImageNet-C's CE, by hand from the rows: summed errors over the severities, over the baseline's
    Map<String, Double> early = new LinkedHashMap<>();
    Map<String, Double> lateTop1 = new LinkedHashMap<>();
    for (Row r : spark.sql("SELECT run, split, top1 FROM cvpipe.runs.eval_metrics WHERE run IN ('early-shifts', "
        + "'late-shifts')").collectAsList()) {
      (r.getString(0).equals("early-shifts") ? early : lateTop1).put(r.getString(1), r.getDouble(2));
    }
    double ceNoise = (2 - lateTop1.get("val-gaussian_noise-1") - lateTop1.get("val-gaussian_noise-5"))
        / (2 - early.get("val-gaussian_noise-1") - early.get("val-gaussian_noise-5"));
    double cePixelate = (2 - lateTop1.get("val-pixelate-1") - lateTop1.get("val-pixelate-5"))
        / (2 - early.get("val-pixelate-1") - early.get("val-pixelate-5"));
    assertThat(late.robustness()).startsWith("4 corrupted splits: mean top-1 ")
        .contains(String.format(java.util.Locale.ROOT, "mCE %.1f%%", 100 * (ceNoise + cePixelate) / 2))
        .endsWith("against early-shifts");
    String report = Files.readString(tmp.resolve("reports/late-shifts/index.html"));
    assertThat(report).contains("Robustness: corrupted copies of the split", "gaussian_noise", "pixelate",
        String.format(java.util.Locale.ROOT, "%.1f%%", 100 * ceNoise));

    // the clean split stays each run's evaluation for comparisons, which show both runs' corruption errors
    Path compared = new EvalJob(spark, settings("eval.compare=late-shifts,early-shifts")).compare();
    String comparison = Files.readString(compared.resolve("index.html"));
    assertThat(comparison).contains("dataset / split</td><td>shapes / val</td>", "Robustness", "100.0%");
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=shapes-late", "eval.run=x",
        "eval.baseline=late")).run()).hasMessageContaining("eval.baseline");
  }

  @Test
  void badInputSaysWhatToFix() {
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=" + tmp.resolve("nowhere"))).run())
        .hasMessageContaining("eval.model: '" + tmp.resolve("nowhere") + "' is neither a model directory nor a training run");
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=" + tmp.resolve("models"))).run())
        .hasMessageContaining("has no saved_model.pb");
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=three-classes", "eval.input-size=" + SIZE)).run())
        .hasMessageContaining("outputs 3 logits per image but cvpipe.shapes.classes has 4 classes");
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=shapes-early", "eval.split=test")).run())
        .hasMessageContaining("eval.split: 'test' has no rows in cvpipe.shapes.samples").hasMessageContaining("val");
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.model=shapes-early", "eval.split=unlabelled")).run())
        .hasMessageContaining("eval.split: sample_id").hasMessageContaining("has no class_index: the split is not labelled");
    assertThatThrownBy(() -> settings("eval.compare=a,b,c")).hasMessageContaining("eval.compare: expected two evaluation runs");
    assertThatThrownBy(() -> settings()).hasMessageContaining("eval.model: is required");
    // a comparison needs no dataset, an evaluation does
    assertThat(EvalSettings.from(Settings.load(null, List.of("eval.compare=a,b"))).compare()).containsExactly("a", "b");
    assertThatThrownBy(() -> EvalSettings.from(Settings.load(null, List.of("eval.model=m"))))
        .hasMessageContaining("dataset: is required");
    new EvalJob(spark, settings("eval.model=shapes-early", "eval.run=known")).run();
    assertThatThrownBy(() -> new EvalJob(spark, settings("eval.compare=known,unknown")).compare())
        .hasMessageContaining("no evaluation named 'unknown'").hasMessageContaining("known");
  }
}
