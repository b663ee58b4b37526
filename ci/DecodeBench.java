import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeJpeg;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Part of ci/bench-ingest (a benchmark, not a test): milliseconds per image on one thread for the decoders cvpipe
 * could use on the same JPEGs: ImageIO's raster (what ingest's full validation decodes: no colour conversion),
 * ImageIO's image (what the training loader decodes), and TensorFlow's DecodeJpeg op (libjpeg-turbo inside
 * TensorFlow; one session call per image, as a loader would make them), in full with the pixels copied out and
 * DCT-scaled to 1/8 (every coefficient still entropy-decoded: a validation decode). The decoders take turns
 * over 4 rounds; each keeps its best.
 *
 * Usage: java -cp CLASSPATH ci/DecodeBench.java DIRECTORY [FILES]
 */
public class DecodeBench {

  interface Decoder {
    void decode(byte[] jpeg) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int limit = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    List<byte[]> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(Path.of(args[0]))) {
      for (Path p : walk.filter(p -> p.toString().endsWith(".JPEG")).sorted().limit(limit).toList()) {
        files.add(Files.readAllBytes(p));
      }
    }
    ImageIO.setUseCache(false);
    ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TString> in = tf.placeholder(TString.class);
      Operand<TUint8> full = tf.image.decodeJpeg(in, DecodeJpeg.channels(0L).dctMethod("INTEGER_ACCURATE"));
      Operand<?> scaled = tf.shape(tf.image.decodeJpeg(in, DecodeJpeg.channels(0L).ratio(8L)));
      try (Session session = new Session(graph, ConfigProto.newBuilder().setIntraOpParallelismThreads(1)
          .setInterOpParallelismThreads(1).build())) {
        Map<String, Decoder> decoders = new LinkedHashMap<>();
        decoders.put("imageio_raster", jpeg -> {
          try (MemoryCacheImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))) {
            reader.setInput(stream, true, true);
            reader.readRaster(0, null);
            reader.setInput(null);
          }
        });
        decoders.put("imageio_image", jpeg -> ImageIO.read(new ByteArrayInputStream(jpeg)));
        decoders.put("tf_full", jpeg -> {
          try (TString x = TString.tensorOfBytes(NdArrays.scalarOfObject(jpeg));
              Result out = session.runner().feed(in, x).fetch(full).run()) {
            TUint8 pixels = (TUint8) out.get(0);
            byte[] copy = new byte[(int) pixels.numBytes()];
            pixels.asRawTensor().data().read(copy);
          }
        });
        decoders.put("tf_scaled", jpeg -> {
          try (TString x = TString.tensorOfBytes(NdArrays.scalarOfObject(jpeg));
              Result out = session.runner().feed(in, x).fetch(scaled).run()) {
            out.get(0);
          }
        });
        // this VM's speed drifts: the decoders take turns, 4 rounds, and each keeps its best
        Map<String, Double> best = new LinkedHashMap<>();
        for (int round = 0; round < 4; round++) {
          for (Map.Entry<String, Decoder> d : decoders.entrySet()) {
            best.merge(d.getKey(), millisPerImage(files, d.getValue()), Math::min);
          }
        }
        best.forEach((name, ms) -> System.out.printf(Locale.ROOT, "decode_ms %s %.3f%n", name, ms));
      }
    }
    System.exit(0);
  }

  private static double millisPerImage(List<byte[]> files, Decoder decoder) throws Exception {
    long start = System.nanoTime();
    for (byte[] jpeg : files) {
      decoder.decode(jpeg);
    }
    return (System.nanoTime() - start) / 1e6 / files.size();
  }

}
