package io.cvpipe.common.image;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.IIOImage;

/**
 * Generated images for the demo, tests and benchmarks: coloured shapes (one class per shape) as real
 * JPEG/PNG bytes, every accepted variant (progressive, grey, CMYK, PNG named .JPEG) and every bad kind ingest
 * must quarantine. Good for plumbing, never for accuracy claims.
 */
public final class SyntheticImages {

  /** Class names, one per shape. */
  public static final List<String> SHAPES = List.of("circle", "square", "triangle", "cross");

  private SyntheticImages() {}

  /** ImageNet-style label (a synset-like id) of class {@code i}. */
  public static String label(int i) {
    return String.format("n%08d", i + 1);
  }

  /** A shape of class {@code classIndex} on a noisy background; colours, size and position vary with rnd. */
  public static BufferedImage shape(int classIndex, int width, int height, Random rnd) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(rnd.nextInt(120), rnd.nextInt(120), rnd.nextInt(120)));
    g.fillRect(0, 0, width, height);
    for (int i = 0; i < 12; i++) { // texture, so JPEGs have realistic entropy
      g.setColor(new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256), 60));
      g.fillOval(rnd.nextInt(width), rnd.nextInt(height), 5 + rnd.nextInt(width / 3 + 1), 5 + rnd.nextInt(height / 3 + 1));
    }
    int size = (int) (Math.min(width, height) * (0.35 + 0.4 * rnd.nextDouble()));
    int x = rnd.nextInt(Math.max(1, width - size));
    int y = rnd.nextInt(Math.max(1, height - size));
    g.setColor(new Color(135 + rnd.nextInt(120), 135 + rnd.nextInt(120), 135 + rnd.nextInt(120)));
    switch (classIndex % SHAPES.size()) {
      case 0 -> g.fillOval(x, y, size, size);
      case 1 -> g.fillRect(x, y, size, size);
      case 2 -> g.fillPolygon(new Polygon(new int[] {x, x + size / 2, x + size}, new int[] {y + size, y, y + size}, 3));
      default -> {
        g.setStroke(new BasicStroke(Math.max(2, size / 5f)));
        g.drawLine(x, y, x + size, y + size);
        g.drawLine(x + size, y, x, y + size);
      }
    }
    g.dispose();
    // sensor-like noise, so that JPEG sizes and decode work are those of photographs, not flat drawings
    for (int row = 0; row < height; row++) {
      for (int col = 0; col < width; col++) {
        int rgb = image.getRGB(col, row);
        int n = rnd.nextInt(25) - 12;
        int r = clamp(((rgb >> 16) & 0xFF) + n);
        int gr = clamp(((rgb >> 8) & 0xFF) + n);
        int b = clamp((rgb & 0xFF) + n);
        image.setRGB(col, row, (r << 16) | (gr << 8) | b);
      }
    }
    return image;
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  public static byte[] jpeg(BufferedImage image, float quality) {
    return ImageFiles.jpeg(image, quality);
  }

  public static byte[] progressiveJpeg(BufferedImage image) {
    return ImageFiles.progressiveJpeg(new IIOImage(image, null, null));
  }

  public static byte[] greyJpeg(BufferedImage image) {
    BufferedImage grey = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
    grey.getGraphics().drawImage(image, 0, 0, null);
    return jpeg(grey, 0.9f);
  }

  /** A four-channel (CMYK) JPEG, as some ImageNet files are. */
  public static byte[] cmykJpeg(BufferedImage image) {
    WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, image.getWidth(), image.getHeight(), 4, null);
    int[] px = new int[4];
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        int gr = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        int k = 255 - Math.max(r, Math.max(gr, b));
        px[0] = 255 - r - k;
        px[1] = 255 - gr - k;
        px[2] = 255 - b - k;
        px[3] = k;
        cmyk.setPixel(x, y, px);
      }
    }
    return ImageFiles.jpeg(new IIOImage(cmyk, null, null), 0.9f, false);
  }

  public static byte[] png(BufferedImage image) {
    return ImageFiles.png(image);
  }

  public static byte[] gif(BufferedImage image) {
    return ImageFiles.write(image, "gif");
  }

  /** The first {@code fraction} of the bytes, as a download cut short leaves them. */
  public static byte[] truncate(byte[] bytes, double fraction) {
    return Arrays.copyOf(bytes, (int) (bytes.length * fraction));
  }

  /** A real JPEG whose frame header claims {@code width x height}: a decompression bomb's header. */
  public static byte[] jpegClaiming(int width, int height) {
    byte[] b = jpeg(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), 0.9f);
    for (int i = 2; i + 8 < b.length; i++) {
      if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xC0) {
        b[i + 5] = (byte) (height >> 8);
        b[i + 6] = (byte) height;
        b[i + 7] = (byte) (width >> 8);
        b[i + 8] = (byte) width;
        return b;
      }
    }
    throw new IllegalStateException("no SOF0 in a JPEG this JVM wrote");
  }

  /**
   * What {@link #writeImageNetFolder} wrote: every file's path relative to the root and the quarantine reason
   * ingest must give it (null: accepted).
   */
  public record Layout(Path root, Map<String, QuarantineReason> files, int classes) {
    public long accepted() {
      return files.values().stream().filter(r -> r == null).count();
    }

    public long rejected() {
      return files.size() - accepted();
    }
  }

  /**
   * Writes an ImageNet-style source: {@code train/<label>/<file>.JPEG} per class, a flat {@code val/} with
   * {@code LOC_val_solution.csv}, and {@code LOC_synset_mapping.txt}. With {@code badFiles}, adds each
   * accepted variant and each bad kind to the first class (and one unlabelled val file).
   */
  public static Layout writeImageNetFolder(Path root, int classes, int trainPerClass, int valPerClass,
      int width, int height, boolean badFiles, long seed) {
    Random rnd = new Random(seed);
    Map<String, QuarantineReason> files = new LinkedHashMap<>();
    StringBuilder synsets = new StringBuilder();
    StringBuilder valLabels = new StringBuilder("ImageId,PredictionString\n");
    int valCounter = 0;
    for (int c = 0; c < classes; c++) {
      String label = label(c);
      synsets.append(label).append(' ').append(SHAPES.get(c % SHAPES.size()))
          .append(c >= SHAPES.size() ? " " + (c / SHAPES.size()) : "").append('\n');
      for (int i = 0; i < trainPerClass; i++) {
        String rel = "train/" + label + "/" + label + "_" + i + ".JPEG";
        put(root, rel, jpeg(shape(c, width, height, rnd), 0.85f), files, null);
      }
      for (int i = 0; i < valPerClass; i++) {
        String name = String.format("ILSVRC2012_val_%08d", ++valCounter);
        put(root, "val/" + name + ".JPEG", jpeg(shape(c, width, height, rnd), 0.85f), files, null);
        valLabels.append(name).append(',').append(label).append(" 0 0 ").append(width - 1).append(' ').append(height - 1).append('\n');
      }
    }
    if (badFiles) {
      String dir = "train/" + label(0) + "/";
      BufferedImage img = shape(0, width, height, rnd);
      byte[] good = jpeg(img, 0.85f);
      put(root, dir + "progressive.JPEG", progressiveJpeg(img), files, null);
      put(root, dir + "grey.JPEG", greyJpeg(img), files, null);
      put(root, dir + "cmyk.JPEG", cmykJpeg(img), files, null);
      put(root, dir + "png_named.JPEG", png(img), files, null);
      put(root, dir + "empty.JPEG", new byte[0], files, QuarantineReason.EMPTY);
      put(root, dir + "truncated.JPEG", truncate(good, 0.6), files, QuarantineReason.TRUNCATED);
      put(root, dir + "not_an_image.JPEG", "<html>404 Not Found</html>".getBytes(StandardCharsets.UTF_8), files, QuarantineReason.NOT_AN_IMAGE);
      put(root, dir + "animated.gif", gif(img), files, QuarantineReason.UNSUPPORTED_FORMAT);
      put(root, dir + "bomb.JPEG", jpegClaiming(30000, 30000), files, QuarantineReason.TOO_MANY_PIXELS);
      put(root, dir + "notes.txt", "downloaded from the internet\n".getBytes(StandardCharsets.UTF_8), files, QuarantineReason.NON_IMAGE_FILE);
      put(root, "val/ILSVRC2012_val_99999999.JPEG", good, files, QuarantineReason.NO_LABEL);
    }
    writeText(root.resolve("LOC_synset_mapping.txt"), synsets.toString());
    if (valPerClass > 0 || badFiles) {
      writeText(root.resolve("LOC_val_solution.csv"), valLabels.toString());
    }
    return new Layout(root, files, classes);
  }

  private static void put(Path root, String rel, byte[] bytes, Map<String, QuarantineReason> files, QuarantineReason expected) {
    try {
      Path path = root.resolve(rel);
      Files.createDirectories(path.getParent());
      Files.write(path, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.put(rel, expected);
  }

  private static void writeText(Path path, String text) {
    try {
      Files.createDirectories(path.getParent());
      Files.writeString(path, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
