package io.cvpipe.reinforce;

import io.cvpipe.common.model.ModelInput;
import java.io.Serializable;

/**
 * One model of the teacher ensemble: what it is called in the table's description (its training run, or its
 * directory), and the input it expects.
 */
record Teacher(String id, ModelInput input) implements Serializable {

  /** Whether two teachers see the same pixels (then one rendering serves both). */
  boolean sameView(Teacher other) {
    ModelInput a = input;
    ModelInput b = other.input;
    return a.height() == b.height() && a.width() == b.width() && a.channels() == b.channels()
        && java.util.Arrays.equals(a.mean(), b.mean()) && java.util.Arrays.equals(a.std(), b.std());
  }
}
