package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The "2 Conv+pooling" network of Fashion-MNIST's benchmark table (TensorFlow's layers tutorial): 5x5
 * convolutions of 32 and 64 channels, each followed by 2x2 max-pooling, then a 1024-wide dense layer and the
 * classifier. Here with batch norm after each convolution (in place of the convolution bias), no dropout,
 * and the feature map resized to 7x7 before the dense layers (a no-op for 28x28 inputs; it lets the
 * multi-scale samplers feed 24 or 32 pixels, as torchvision's VGG does with adaptive pooling).
 */
final class SmallCnn {

  private SmallCnn() {}

  static Operand<TFloat32> logits(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    long c1 = Math.max(4, Math.round(32 * spec.width()));
    long c2 = Math.max(4, Math.round(64 * spec.width()));
    long hidden = Math.max(16, Math.round(1024 * spec.width()));
    Operand<TFloat32> x = l.relu(l.batchNorm("conv1_bn", l.conv("conv1", images, 5, spec.channels(), c1, 1), c1));
    x = l.maxPool(x, 2, 2);
    x = l.relu(l.batchNorm("conv2_bn", l.conv("conv2", x, 5, c1, c2, 1), c2));
    x = l.maxPool(x, 2, 2);
    x = l.flatten(l.resize(x, 7, 7), 7 * 7 * c2);
    x = l.relu(l.dense("fc1", x, 7 * 7 * c2, hidden));
    return l.dense("fc2", x, hidden, spec.classes());
  }
}
