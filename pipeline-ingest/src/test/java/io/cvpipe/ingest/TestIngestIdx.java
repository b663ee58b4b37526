package io.cvpipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.TestSpark;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ingest.format = idx: IDX files written here (gzipped and not), their pixels back from the table to the
 * byte, bad files refused with what is wrong; and the real Fashion-MNIST test split from Debian's package.
 */
class TestIngestIdx {

  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private static IngestReport ingest(String dataset, Path source, String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=" + dataset, "ingest.source=" + source, "ingest.format=idx",
        "ingest.progress-interval=0s"));
    sets.addAll(List.of(extra));
    return new IngestJob(spark, IngestSettings.from(Settings.load(null, sets))).run();
  }

  /** IDX bytes: magic, dimensions, data; {@code dims} has one entry for labels, three for images. */
  private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    }
    return bytes.toByteArray();
  }

  private static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(bytes);
    }
  }

  /** A split of {@code n} random 28x28 images with labels i % 3. */
  private static byte[][] split(Path dir, String prefix, int n, boolean gzip, long seed) throws IOException {
    byte[] pixels = new byte[n * 28 * 28];
    new Random(seed).nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 3);
    }
    String gz = gzip ? ".gz" : "";
    write(dir.resolve(prefix + "-images-idx3-ubyte" + gz), idx(0x803, new int[] {n, 28, 28}, pixels), gzip);
    write(dir.resolve(prefix + "-labels-idx1-ubyte" + gz), idx(0x801, new int[] {n}, labels), gzip);
    return new byte[][] {pixels, labels};
  }

  @Test
  void imagesArriveAsLosslessGreyPngsWithTheirLabelsAndARerunWritesNothing() throws IOException {
    Path dir = tmp.resolve("idx");
    byte[][] train = split(dir, "train", 30, true, 1);
    byte[][] val = split(dir, "t10k", 12, false, 2);
    Files.writeString(dir.resolve("names.txt"), "0 zero\n1 one\n2 two\n");

    IngestReport first = ingest("digits", dir, "ingest.names-file=" + dir.resolve("names.txt"));
    IngestReport second = ingest("digits", dir, "ingest.names-file=" + dir.resolve("names.txt"));

    assertThat(first.samplesWritten()).isEqualTo(42);
    assertThat(first.quarantined()).isZero();
    assertThat(second.alreadyPresent()).isEqualTo(42);
    assertThat(second.samplesWritten()).isZero();
    assertThat(spark.sql("SELECT class_index, label, name FROM cvpipe.digits.classes ORDER BY class_index").collectAsList())
        .extracting(Row::toString).containsExactly("[0,0,zero]", "[1,1,one]", "[2,2,two]");
    Map<String, byte[][]> splits = Map.of("train", train, "val", val);
    List<Row> rows = spark.sql("SELECT split, source_path, class_index, format, width, height, channels, image "
        + "FROM cvpipe.digits.samples").collectAsList();
    assertThat(rows).hasSize(42);
    for (Row r : rows) {
      int index = Integer.parseInt(r.getString(1).substring(r.getString(1).lastIndexOf('#') + 1));
      byte[][] expected = splits.get(r.getString(0));
      assertThat(r.getInt(2)).isEqualTo(expected[1][index]);
      assertThat(r.getString(3)).isEqualTo("png");
      assertThat(List.of(r.getInt(4), r.getInt(5), r.getInt(6))).containsExactly(28, 28, 1);
      assertThat(grey((byte[]) r.get(7))).as(r.getString(1)).containsExactly(
          java.util.Arrays.copyOfRange(expected[0], index * 784, (index + 1) * 784));
    }
  }

  private static byte[] grey(byte[] png) throws IOException {
    BufferedImage image = Pixels.decode(png);
    byte[] out = new byte[image.getWidth() * image.getHeight()];
    image.getRaster().getDataElements(0, 0, image.getWidth(), image.getHeight(), out);
    return out;
  }

  @Test
  void badFilesAreRefusedNamingTheFileAndTheProblem() throws IOException {
    Path magic = tmp.resolve("bad-magic");
    split(magic, "train", 4, false, 3);
    write(magic.resolve("train-images-idx3-ubyte"), idx(0x801, new int[] {4, 28, 28}, new byte[4 * 784]), false);
    assertThatThrownBy(() -> ingest("bad1", magic))
        .hasMessageContaining("train-images-idx3-ubyte: wrong magic number 0x00000801")
        .hasMessageContaining("starts with 0x00000803 (this is a label file)");

    Path counts = tmp.resolve("bad-counts");
    split(counts, "t10k", 5, true, 4);
    write(counts.resolve("t10k-labels-idx1-ubyte.gz"), idx(0x801, new int[] {4}, new byte[4]), true);
    assertThatThrownBy(() -> ingest("bad2", counts))
        .hasMessageContaining("t10k-labels-idx1-ubyte.gz has 4 labels but")
        .hasMessageContaining("t10k-images-idx3-ubyte.gz has 5 images");

    Path truncated = tmp.resolve("bad-truncated");
    split(truncated, "train", 3, false, 5);
    write(truncated.resolve("train-images-idx3-ubyte"), idx(0x803, new int[] {3, 28, 28}, new byte[2 * 784 + 100]), false);
    assertThatThrownBy(() -> ingest("bad3", truncated))
        .hasMessageContaining("train-images-idx3-ubyte is truncated: its header promises 3 images of 28x28, 2,352 bytes")
        .hasMessageContaining("but it holds 1,668");

    Path lonely = tmp.resolve("bad-partner");
    split(lonely, "train", 2, false, 6);
    Files.delete(lonely.resolve("train-labels-idx1-ubyte"));
    assertThatThrownBy(() -> ingest("bad4", lonely)).hasMessageContaining("has no partner");
    assertThatThrownBy(() -> ingest("bad5", tmp.resolve("nothing-here"))).hasMessageContaining("does not exist");
  }

  @Test
  void theRealFashionMnistTestSplit() throws IOException {
    assertThat(FASHION_MNIST.resolve("t10k-images-idx3-ubyte.gz"))
        .as("Debian package dataset-fashion-mnist (ci/test installs it)").exists();
    Path dir = tmp.resolve("fashion-mnist-t10k"); // only the test split: 10,000 images
    Files.createDirectories(dir);
    for (String f : List.of("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
      Files.createSymbolicLink(dir.resolve(f), FASHION_MNIST.resolve(f));
    }

    IngestReport report = ingest("fashion", dir);

    assertThat(report.samplesWritten()).isEqualTo(10_000);
    assertThat(report.quarantined()).isZero();
    assertThat(spark.sql("SELECT name, count(*) FROM cvpipe.fashion.samples s JOIN cvpipe.fashion.classes c "
        + "USING (class_index) GROUP BY name").collectAsList()).hasSize(10).allSatisfy(r -> assertThat(r.getLong(1)).isEqualTo(1000));
    assertThat(spark.sql("SELECT name FROM cvpipe.fashion.classes ORDER BY class_index").collectAsList())
        .extracting(r -> r.getString(0)).containsExactly("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    byte[] all;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(FASHION_MNIST.resolve("t10k-images-idx3-ubyte.gz")))) {
      all = in.readAllBytes();
    }
    Map<Integer, Long> expectedSums = new HashMap<>();
    for (int index : new int[] {0, 1, 4321, 9999}) {
      long sum = 0;
      for (int p = 0; p < 784; p++) {
        sum += all[16 + index * 784 + p] & 0xFF;
      }
      expectedSums.put(index, sum);
    }
    for (int index : expectedSums.keySet()) {
      Row r = spark.sql("SELECT image FROM cvpipe.fashion.samples WHERE source_path LIKE '%#" + index + "'").first();
      long sum = 0;
      for (byte b : grey((byte[]) r.get(0))) {
        sum += b & 0xFF;
      }
      assertThat(sum).as("pixel sum of test image " + index).isEqualTo(expectedSums.get(index));
    }
  }
}
