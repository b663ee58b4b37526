package io.cvpipe.engine;

import java.util.List;

/**
 * Which network to build: an architecture by name, a width multiplier (1.0 is the published layout; tests
 * use tiny ones), the class count, input channels, the stem (stride 2 + max-pool for ImageNet; stride 1
 * and no pool for 28x28 inputs), and the output stride: the most the network may downsample its input, 0 for
 * the architecture's own (32 with the ImageNet stem). Layers that would downsample past it run at stride 1,
 * without dilation, as the CIFAR-sized versions of these networks do: the last stages keep 2-4 times the
 * pixels, for as many times their compute.
 */
public record ModelSpec(String architecture, double width, int classes, int channels, int stemStride,
    boolean stemPool, int outputStride, Transformer transformer, long seed) {

  /**
   * A vision transformer's layout and regularisation: the side of its square patches and its number of blocks (DeiT;
   * 0 is the architecture's own, 16 and 12), dropout before the classifier (MobileViT, MobileViTv2, DeiT), the
   * stochastic depth of DeiT's last block (the earlier ones' grows linearly to it, as timm's), and Token Pooling
   * after some blocks (DeiT). CNNs ignore it.
   */
  /** DeiT's own patch side and depth (train.patch-size and train.depth 0). */
  public static final int DEIT_PATCH = 16;
  public static final int DEIT_DEPTH = 12;

  public record Transformer(int patch, int depth, double dropout, double dropPath, TokenPooling pooling)
      implements java.io.Serializable {

    public static final Transformer DEFAULT = new Transformer(0, 0, 0, 0, TokenPooling.NONE);

    public Transformer {
      if (patch < 0 || depth < 0) {
        throw new IllegalArgumentException("train.patch-size and train.depth: 0 (the architecture's own) or more");
      }
      if (!(dropout >= 0 && dropout < 1) || !(dropPath >= 0 && dropPath < 1)) {
        throw new IllegalArgumentException("train.dropout and train.drop-path: at least 0 and below 1");
      }
    }

    /** Patch side and depth, no dropout, Token Pooling as given. */
    public Transformer(int patch, int depth, TokenPooling pooling) {
      this(patch, depth, 0, 0, pooling);
    }

    public int patchOr(int own) {
      return patch == 0 ? own : patch;
    }

    public int depthOr(int own) {
      return depth == 0 ? own : depth;
    }
  }

  /**
   * Token Pooling (Marin et al., 2021): after each 1-based block in {@code after}, the patch tokens are clustered
   * into {@code keep} times as many (at least 1) and the cluster centres go on as the tokens.
   */
  public record TokenPooling(List<Integer> after, double keep) implements java.io.Serializable {

    public static final TokenPooling NONE = new TokenPooling(List.of(), 1.0);

    public TokenPooling {
      after = List.copyOf(after);
      if (!(keep > 0 && keep <= 1)) {
        throw new IllegalArgumentException("train.token-pooling.keep: " + keep + " must be in (0, 1]");
      }
    }

    public boolean enabled() {
      return !after.isEmpty() && keep < 1;
    }
  }

  public static final List<String> ARCHITECTURES = List.of("resnet18", "resnet50", "resnet101", "mobilenetv1", "mobilenetv2",
      "cnn2", "mobilevit-xxs", "mobilevit-xs", "mobilevit-s", "mobilevitv2", "deit-tiny");

  public ModelSpec {
    if (!ARCHITECTURES.contains(architecture)) {
      throw new IllegalArgumentException("train.model: unknown value '" + architecture + "'. Expected one of: "
          + String.join(", ", ARCHITECTURES));
    }
    if (width <= 0 || classes < 2 || channels < 1 || stemStride < 1) {
      throw new IllegalArgumentException("width > 0, at least 2 classes, 1 channel and stride 1: " + this);
    }
    if (outputStride != 0 && architecture.equals("cnn2")) {
      throw new IllegalArgumentException("train.output-stride: cnn2 has a fixed layout (two 2x2 pools); leave it 0");
    }
    java.util.Objects.requireNonNull(transformer, "transformer");
    if (architecture.startsWith("deit")) {
      int depth = transformer.depthOr(DEIT_DEPTH);
      for (int after : transformer.pooling().after()) {
        if (after < 1 || after >= depth) {
          throw new IllegalArgumentException("train.token-pooling.after: block " + after + " is not between 1 and "
              + (depth - 1) + " (the model has " + depth + " blocks; pooling after the last would pool nothing)");
        }
      }
    }
    int stem = stemStride * (stemPool ? 2 : 1);
    if (outputStride != 0 && (Integer.bitCount(outputStride) != 1 || outputStride < stem)) {
      throw new IllegalArgumentException("train.output-stride: " + outputStride + " must be 0 (the architecture's own) "
          + "or a power of 2 no smaller than the stem's stride " + stem + " (stem-stride " + stemStride
          + (stemPool ? " and a max-pool" : "") + ")");
    }
  }

  /** A CNN, or a transformer of its architecture's own layout. */
  public ModelSpec(String architecture, double width, int classes, int channels, int stemStride, boolean stemPool,
      int outputStride, long seed) {
    this(architecture, width, classes, channels, stemStride, stemPool, outputStride, Transformer.DEFAULT, seed);
  }

  /** The architecture's own downsampling (output stride 0). */
  public ModelSpec(String architecture, double width, int classes, int channels, int stemStride, boolean stemPool,
      long seed) {
    this(architecture, width, classes, channels, stemStride, stemPool, 0, Transformer.DEFAULT, seed);
  }

  /** The ImageNet layout: stride-2 stem with max-pool. */
  public static ModelSpec imagenet(String architecture, double width, int classes) {
    return new ModelSpec(architecture, width, classes, 3, 2, true, 0);
  }
}
