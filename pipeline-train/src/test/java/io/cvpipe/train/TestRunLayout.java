package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.engine.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resumed run must be the network its checkpoints are: the transformer's layout included. */
class TestRunLayout {

  private static ModelSpec deit(int depth, List<Integer> poolAfter) {
    return new ModelSpec("deit-tiny", 0.25, 10, 1, 1, false, 0,
        new ModelSpec.Transformer(4, depth, new ModelSpec.TokenPooling(poolAfter, poolAfter.isEmpty() ? 1.0 : 0.6)), 0);
  }

  @Test
  void aResumedTransformerMustKeepItsDepthAndTokenPooling(@TempDir Path dir) {
    RunLayout.recordOrCheck(dir, deit(6, List.of()), "vit", false);
    assertThatCode(() -> RunLayout.recordOrCheck(dir, deit(6, List.of()), "vit", true)).doesNotThrowAnyException();
    assertThatThrownBy(() -> RunLayout.recordOrCheck(dir, deit(6, List.of(3)), "vit", true))
        .hasMessageContaining("train.token-pooling.after = [] there, [3] now");
    assertThatThrownBy(() -> RunLayout.recordOrCheck(dir, deit(4, List.of()), "vit", true))
        .hasMessageContaining("train.depth = 6 there, 4 now");
  }

  @Test
  void aFileFromBeforeTransformersHoldsTheirDefaults(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve(RunLayout.FILE), "train.model=deit-tiny\ntrain.width=0.25\n");
    assertThatCode(() -> RunLayout.recordOrCheck(dir, new ModelSpec("deit-tiny", 0.25, 10, 1, 1, false, 0), "vit", true))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> RunLayout.recordOrCheck(dir, deit(0, List.of(3)), "vit", true))
        .hasMessageContaining("train.patch-size = 0 there, 4 now");
  }
}
