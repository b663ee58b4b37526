import io.cvpipe.common.image.SyntheticImages;
import java.nio.file.Path;

/**
 * Writes a generated ImageNet-style folder of coloured shapes (for ci/study-reinforce's generated dataset).
 * Usage: java -cp CLASSPATH ci/Shapes.java DIR CLASSES TRAIN_PER_CLASS VAL_PER_CLASS WIDTH HEIGHT
 */
public class Shapes {
  public static void main(String[] a) {
    SyntheticImages.writeImageNetFolder(Path.of(a[0]), Integer.parseInt(a[1]), Integer.parseInt(a[2]),
        Integer.parseInt(a[3]), Integer.parseInt(a[4]), Integer.parseInt(a[5]), false, 2026);
  }
}
