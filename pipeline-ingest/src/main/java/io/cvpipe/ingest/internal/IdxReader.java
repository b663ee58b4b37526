package io.cvpipe.ingest.internal;

import io.cvpipe.common.image.ImageProbe;
import io.cvpipe.common.image.QuarantineReason;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;

/**
 * Reads a batch of IDX images in a task: one sequential pass over the image file (decompressing it when
 * gzipped), skipping to each planned image, which becomes a lossless grey PNG and then a row like any
 * other image's. A file that ends early (changed since planning) quarantines the images it no longer holds.
 */
final class IdxReader {

  private IdxReader() {}

  /** The file's bytes, gunzipped when it starts with the gzip magic (whatever its name). */
  static InputStream open(FileSystem fs, Path path) throws IOException {
    if (fs instanceof LocalFileSystem local) {
      fs = local.getRaw();
    }
    BufferedInputStream in = new BufferedInputStream(fs.open(path), 1 << 16);
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    return b1 == 0x1f && b2 == 0x8b ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
  }

  static List<Row> read(WorkUnit.IdxBatch batch, RecordProcessor processor, ImageProbe probe, Configuration conf) {
    List<SourceEntry> entries = new ArrayList<>(batch.entries());
    entries.sort(Comparator.comparing((SourceEntry e) -> e.file()).thenComparingLong(SourceEntry::offset));
    List<Row> rows = new ArrayList<>(entries.size());
    int i = 0;
    while (i < entries.size()) {
      String file = entries.get(i).file();
      int end = i;
      while (end < entries.size() && entries.get(end).file().equals(file)) {
        end++;
      }
      readFile(entries.subList(i, end), processor, probe, conf, rows);
      i = end;
    }
    return rows;
  }

  private static void readFile(List<SourceEntry> entries, RecordProcessor processor, ImageProbe probe,
      Configuration conf, List<Row> rows) {
    int done = 0;
    Path path = new Path(entries.get(0).file());
    try (InputStream raw = open(path.getFileSystem(conf), path); DataInputStream in = new DataInputStream(raw)) {
      in.readInt(); // magic and count: checked on the driver
      in.readInt();
      int height = in.readInt();
      int width = in.readInt();
      long position = 16;
      byte[] pixels = new byte[height * width];
      for (SourceEntry entry : entries) {
        if (entry.length() != pixels.length) {
          throw new IOException(path + " now holds " + height + "x" + width + " images, not the " + entry.length()
              + " pixels planned");
        }
        in.skipNBytes(entry.offset() - position);
        in.readFully(pixels);
        position = entry.offset() + pixels.length;
        rows.add(processor.check(entry, png(pixels, height, width), probe));
        processor.countDone();
        done++;
      }
    } catch (EOFException e) {
      for (SourceEntry entry : entries.subList(done, entries.size())) {
        rows.add(processor.reject(entry, QuarantineReason.READ_ERROR, path + " ends before this image (byte "
            + entry.offset() + "): the file changed since ingest planned it"));
        processor.countDone();
      }
    } catch (IOException e) {
      for (SourceEntry entry : entries.subList(done, entries.size())) {
        rows.add(processor.reject(entry, QuarantineReason.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage()));
        processor.countDone();
      }
    }
  }

  /** Grey pixels, row by row, as PNG bytes. */
  static byte[] png(byte[] pixels, int rows, int cols) throws IOException {
    BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, cols, rows, pixels);
    ByteArrayOutputStream out = new ByteArrayOutputStream(pixels.length + 128);
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
