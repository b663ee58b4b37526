package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Execution;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OneDnn;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.engine.Precision;
import io.cvpipe.engine.Replicas;
import io.cvpipe.engine.StepProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.TargetedSessions;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * The TensorFlow Java engine: one graph holding the network twice (training and inference builds sharing
 * variables), the cross-entropy loss against fed target distributions, gradients from
 * {@code Graph.addGradients}, optional clipping by global norm, and SGD with momentum ({@code ApplyMomentum},
 * weight decay added to the gradients of kernels only) or AdamW. With an EMA momentum, a third build of the
 * network reads the moving averages of the weights, updated after every step. Image height and width are free,
 * so every sampler scale runs on one graph.
 */
public final class TensorFlowEngine implements Engine {

  /** How many values one {@link #sumOverReplicas} call carries (a fixed shape: one collective instance). */
  private static final int SUMMANDS = 16;

  /** Run options of a traced step: step stats with every op's run time. */
  private static final RunOptions FULL_TRACE =
      RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();

  private final ModelSpec spec;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TFloat32> images;
  private final Placeholder<TFloat32> targets;
  private final Placeholder<TFloat32> learningRate;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> inferenceLogits;
  private final Operand<TFloat32> emaLogits;
  private final Op trainOp;
  private final long parameters;
  private final List<Variable<TFloat32>> trainable;
  private final Output<?>[] gradients;
  private final Replicas replicas;
  private final Placeholder<TFloat32> root;
  private final Op broadcast;
  private final Placeholder<TFloat64> summands;
  private final Operand<TFloat64> sums;
  private List<Placeholder<TFloat32>> weightFeeds;
  private Op weightAssign;

  private TensorFlowEngine(ModelSpec spec, OptimizerSpec optimizer, Execution execution) {
    Device device = execution.device();
    this.spec = spec;
    this.replicas = execution.replicas();
    this.graph = new Graph();
    try {
      Ops tf = Ops.create(graph);
      Collectives collectives = replicas.distributed()
          ? new Collectives(replicas.size(), replicas.timeoutSeconds(), Cluster.hint(execution)) : null;
      if (device != Device.AUTO) {
        tf = tf.withDevice(DeviceSpec.newBuilder().deviceType(device == Device.GPU ? DeviceSpec.DeviceType.GPU
            : DeviceSpec.DeviceType.CPU).deviceIndex(0).build());
      }
      images = tf.withName("images").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, -1, -1, spec.channels())));
      targets = tf.withName("targets").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, spec.classes())));
      learningRate = tf.withName("learning_rate").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));

      Layers layers = new Layers(tf, spec.seed(), (float) optimizer.bnMomentum());
      // oneDNN's forward convolutions lose to Eigen's on CPUs, its gradients win. bfloat16 trains on oneDNN's alone
      // (its rewrite knows Conv2D, not Conv); its inference build (validation, the exported model) takes Eigen's
      // float32 forward pass, which is as fast here and makes a SavedModel that another process runs at Eigen's speed
      boolean eigen = device != Device.GPU && OneDnn.enabled();
      layers.eigenForward(eigen && execution.precision() == Precision.FLOAT32);
      if (collectives != null && replicas.syncBatchNorm()) {
        Collectives.registerGradient();
        layers.synchronise(collectives);
      }
      layers.training(true);
      Operand<TFloat32> trainLogits = network(layers, spec, images);
      layers.training(false);
      layers.eigenForward(eigen);
      inferenceLogits = tf.withName("logits").identity(network(layers, spec, images));
      loss = tf.withName("loss").math.mean(
          tf.nn.softmaxCrossEntropyWithLogits(trainLogits, targets).loss(), tf.constant(0));

      trainable = new ArrayList<>(layers.decayed());
      trainable.addAll(layers.notDecayed());
      Output<?>[] grads = graph.addGradients(loss.asOutput(), trainable.stream().map(Operand::asOutput).toArray(Output[]::new));
      if (collectives != null) { // synchronous data parallelism: every replica steps with the group's mean gradient
        for (int i = 0; i < grads.length; i++) {
          grads[i] = collectives.mean(tf, (Operand<TFloat32>) grads[i]).asOutput();
        }
      }
      gradients = grads;
      // Variables are read by reference: no update may start before every gradient (and the loss) is computed,
      // or a later layer's backprop would see weights already moved (a race, and non-deterministic results).
      List<Op> gradientOps = new ArrayList<>();
      gradientOps.add(tf.identity(loss));
      for (Output<?> g : grads) {
        gradientOps.add(tf.identity(g));
      }
      Ops after = tf.withControlDependencies(gradientOps);
      List<Op> updates = new ArrayList<>(layers.statisticsUpdates());
      updates.addAll(Optimizer.updates(tf, after, optimizer, trainable, layers.decayed().size(), grads, learningRate));
      parameters = trainable.stream().mapToLong(v -> v.shape().size()).sum();
      Op emaStart = null;
      if (optimizer.ema()) {
        Map<Variable<TFloat32>, Variable<TFloat32>> averages = layers.createAverages();
        layers.averaged(true);
        emaLogits = tf.withName("ema_logits").identity(network(layers, spec, images));
        layers.averaged(false);
        MovingAverage average = MovingAverage.track(tf, averages, optimizer.emaMomentum(), updates);
        updates = average.updates(); // each depends on every update above
        emaStart = average.start();
      } else {
        emaLogits = null;
      }
      trainOp = tf.withName("train").withControlDependencies(updates).noOp();
      root = tf.withName("broadcast_root").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      summands = tf.withName("summands").placeholder(TFloat64.class, Placeholder.shape(Shape.of(SUMMANDS)));
      if (collectives != null) {
        broadcast = broadcastOp(tf, collectives);
        sums = collectives.sum(tf, summands);
      } else {
        broadcast = null;
        sums = summands;
      }
      session = collectives == null ? new Session(graph, Cluster.session(execution))
          : TargetedSessions.open(graph, Cluster.start(execution), Cluster.session(execution));
      session.initialize();
      if (emaStart != null) {
        session.runner().addTarget(emaStart).run(); // the average starts at the initial weights
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * Sets every variable of the graph (weights, batch-norm statistics, optimiser state, averages) to the root's
   * value: a sum over the group where every member but the root contributes zeros. Variables in name order, so
   * that the members' keys pair up.
   */
  private Op broadcastOp(Ops tf, Collectives collectives) {
    List<GraphOperation> variables = new ArrayList<>();
    graph.operations().forEachRemaining(op -> {
      if (op.type().equals("VariableV2")) {
        variables.add(op);
      }
    });
    variables.sort(Comparator.comparing(GraphOperation::name));
    List<Op> assigns = new ArrayList<>();
    for (GraphOperation v : variables) {
      Output<TFloat32> ref = v.output(0);
      assigns.add(tf.assign(ref, collectives.sum(tf, tf.math.mul(ref, root))));
    }
    return tf.withName("broadcast").withControlDependencies(assigns).noOp();
  }

  static Operand<TFloat32> network(Layers layers, ModelSpec spec, Operand<TFloat32> images) {
    return switch (spec.architecture()) {
      case "mobilenetv1" -> MobileNet.v1(layers, spec, images);
      case "mobilenetv2" -> MobileNet.v2(layers, spec, images);
      case "cnn2" -> SmallCnn.logits(layers, spec, images);
      case "mobilevit-xxs", "mobilevit-xs", "mobilevit-s" -> MobileViT.logits(layers, spec, images);
      case "mobilevitv2" -> MobileViTv2.logits(layers, spec, images);
      case "deit-tiny" -> DeiT.logits(layers, spec, images);
      default -> ResNet.logits(layers, spec, images);
    };
  }

  public static TensorFlowEngine create(ModelSpec spec, OptimizerSpec optimizer, Device device) {
    return create(spec, optimizer, device, Precision.FLOAT32);
  }

  public static TensorFlowEngine create(ModelSpec spec, OptimizerSpec optimizer, Device device, Precision precision) {
    return new TensorFlowEngine(spec, optimizer, Execution.local(device, precision));
  }

  /** An engine of a replica group when {@code execution.replicas()} has more than one member: see {@link Engine}. */
  public static TensorFlowEngine create(ModelSpec spec, OptimizerSpec optimizer, Execution execution) {
    return new TensorFlowEngine(spec, optimizer, execution);
  }

  @Override
  public Replicas replicas() {
    return replicas;
  }

  @Override
  public void broadcastState() {
    if (broadcast == null) {
      return;
    }
    try (TFloat32 mine = TFloat32.scalarOf(replicas.rank() == 0 ? 1f : 0f)) {
      session.runner().feed(root, mine).addTarget(broadcast).run();
    }
  }

  @Override
  public double[] sumOverReplicas(double... values) {
    if (values.length > SUMMANDS) {
      throw new IllegalArgumentException("at most " + SUMMANDS + " values per sum, got " + values.length);
    }
    double[] padded = java.util.Arrays.copyOf(values, SUMMANDS);
    try (TFloat64 in = TFloat64.vectorOf(padded); Result out = session.runner().feed(summands, in).fetch(sums).run()) {
      TFloat64 total = (TFloat64) out.get(0);
      double[] result = new double[values.length];
      for (int i = 0; i < result.length; i++) {
        result[i] = total.getDouble(i);
      }
      return result;
    }
  }

  @Override
  public String weightsDigest() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer bytes = ByteBuffer.allocate(4 * 4096);
    for (float[] w : weights()) {
      for (float f : w) {
        if (!bytes.hasRemaining()) {
          digest.update(bytes.flip());
          bytes.clear();
        }
        bytes.putInt(Float.floatToRawIntBits(f));
      }
    }
    digest.update(bytes.flip());
    return HexFormat.of().formatHex(digest.digest(), 0, 8);
  }

  @Override
  public float trainStep(ImageBatch batch, float[] target, float lr) {
    try (TFloat32 x = tensor(batch); TFloat32 y = targets(batch.count(), target); TFloat32 rate = TFloat32.scalarOf(lr);
        Result out = session.runner().feed(images, x).feed(targets, y).feed(learningRate, rate)
            .fetch(loss).addTarget(trainOp).run()) {
      return ((TFloat32) out.get(0)).getFloat();
    }
  }

  @Override
  public StepProfile profiledTrainStep(ImageBatch batch, float[] target, float lr) {
    long start = System.nanoTime();
    try (TFloat32 x = tensor(batch); TFloat32 y = targets(batch.count(), target); TFloat32 rate = TFloat32.scalarOf(lr);
        Result out = session.runner().feed(images, x).feed(targets, y).feed(learningRate, rate)
            .fetch(loss).addTarget(trainOp).setOptions(FULL_TRACE).runAndFetchMetadata()) {
      double stepMillis = (System.nanoTime() - start) / 1e6;
      float value = ((TFloat32) out.get(0)).getFloat();
      RunMetadata metadata = out.getMetadata().orElse(null);
      return metadata == null ? new StepProfile(value, stepMillis, 0, List.of())
          : new StepProfile(value, stepMillis, allReduceMillis(metadata), opTimes(metadata));
    }
  }

  @Override
  public StepProfile profiledPredict(ImageBatch batch) {
    long start = System.nanoTime();
    try (TFloat32 x = tensor(batch);
        Result out = session.runner().feed(images, x).fetch(inferenceLogits).setOptions(FULL_TRACE)
            .runAndFetchMetadata()) {
      double millis = (System.nanoTime() - start) / 1e6;
      RunMetadata metadata = out.getMetadata().orElse(null);
      return new StepProfile(Float.NaN, millis, 0, metadata == null ? List.of() : opTimes(metadata));
    }
  }

  /** A node's op type from its timeline label, {@code "name = Type(inputs)"}, or its name's last part. */
  private static final Pattern OP_TYPE = Pattern.compile("= ([A-Za-z0-9_]+)\\(");

  /** The step's op run times summed per op type, longest first (host-side bookkeeping nodes left out). */
  private static List<StepProfile.OpTime> opTimes(RunMetadata metadata) {
    Map<String, long[]> byType = new HashMap<>();
    for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats node : device.getNodeStatsList()) {
        if (node.getNodeName().startsWith("_")) {
          continue; // _SOURCE, _Recv/_Send of feeds and fetches
        }
        Matcher m = OP_TYPE.matcher(node.getTimelineLabel());
        String type = m.find() ? m.group(1) : node.getNodeName().replaceAll(".*/", "");
        long[] sum = byType.computeIfAbsent(type, t -> new long[2]);
        sum[0]++;
        sum[1] += node.getOpEndRelMicros() - node.getOpStartRelMicros();
      }
    }
    return byType.entrySet().stream()
        .map(e -> new StepProfile.OpTime(e.getKey(), (int) e.getValue()[0], e.getValue()[1] / 1000.0))
        .sorted(Comparator.comparingDouble(StepProfile.OpTime::millis).reversed()).toList();
  }

  /** The union of the intervals in which the step's all-reduce ops ran, in milliseconds. */
  private static double allReduceMillis(RunMetadata metadata) {
    List<long[]> spans = new ArrayList<>();
    for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats node : device.getNodeStatsList()) {
        if (node.getNodeName().startsWith("allreduce_")) {
          spans.add(new long[] {node.getAllStartMicros(), node.getAllStartMicros() + node.getAllEndRelMicros()});
        }
      }
    }
    spans.sort(Comparator.comparingLong(span -> span[0]));
    long total = 0;
    long coveredTo = Long.MIN_VALUE;
    for (long[] span : spans) {
      long from = Math.max(span[0], coveredTo);
      if (span[1] > from) {
        total += span[1] - from;
        coveredTo = span[1];
      }
    }
    return total / 1000.0;
  }

  @Override
  public float loss(ImageBatch batch, float[] target) {
    try (TFloat32 x = tensor(batch); TFloat32 y = targets(batch.count(), target);
        Result out = session.runner().feed(images, x).feed(targets, y).fetch(loss).run()) {
      return ((TFloat32) out.get(0)).getFloat();
    }
  }

  @Override
  public float[] predict(ImageBatch batch) {
    return logits(batch, inferenceLogits);
  }

  private float[] logits(ImageBatch batch, Operand<TFloat32> output) {
    try (TFloat32 x = tensor(batch); Result out = session.runner().feed(images, x).fetch(output).run()) {
      float[] logits = new float[batch.count() * spec.classes()];
      ((TFloat32) out.get(0)).copyTo(DataBuffers.of(logits, false, false));
      return logits;
    }
  }

  @Override
  public boolean hasEma() {
    return emaLogits != null;
  }

  @Override
  public float[] predictEma(ImageBatch batch) {
    return logits(batch, ema());
  }

  private Operand<TFloat32> ema() {
    if (emaLogits == null) {
      throw new IllegalStateException("this engine keeps no moving average of its weights (EMA momentum is 0)");
    }
    return emaLogits;
  }

  @Override
  public int classes() {
    return spec.classes();
  }

  @Override
  public long parameterCount() {
    return parameters;
  }

  @Override
  public void saveCheckpoint(Path directory) {
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create checkpoint directory " + directory, e);
    }
    session.save(directory.resolve("variables").toString());
  }

  @Override
  public void restoreCheckpoint(Path directory) {
    if (!Files.exists(directory.resolve("variables.index"))) {
      throw new IllegalArgumentException("no checkpoint in " + directory + " (variables.index is missing)");
    }
    session.restore(directory.resolve("variables").toString());
  }

  @Override
  public void exportSavedModel(Path directory, boolean averaged) {
    Operand<TFloat32> output = averaged ? ema() : inferenceLogits;
    try {
      if (Files.exists(directory)) {
        throw new IllegalArgumentException("export directory " + directory + " already exists; export writes a new one");
      }
      Files.createDirectories(directory.getParent());
      SavedModelBundle.exporter(directory.toString())
          .withSession(session)
          .withSignature(Signature.builder().key(Signature.DEFAULT_KEY).input("images", images)
              .output("logits", output).build())
          .export();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export a SavedModel to " + directory, e);
    }
  }

  /** Gradients of the mean loss, one array per trainable variable (the order of {@link #weights}). */
  float[][] gradients(ImageBatch batch, float[] target) {
    try (TFloat32 x = tensor(batch); TFloat32 y = targets(batch.count(), target)) {
      Session.Runner runner = session.runner().feed(images, x).feed(targets, y);
      for (Output<?> g : gradients) {
        runner.fetch(g);
      }
      try (Result out = runner.run()) {
        return values(out);
      }
    }
  }

  /** The shapes of the trainable variables, in their order. */
  List<Shape> parameterShapes() {
    return trainable.stream().map(Variable::shape).toList();
  }

  /** The trainable variables' values. */
  float[][] weights() {
    Session.Runner runner = session.runner();
    trainable.forEach(runner::fetch);
    try (Result out = runner.run()) {
      return values(out);
    }
  }

  /** Overwrites the trainable variables (arrays as {@link #weights} returns them). */
  void setWeights(float[][] values) {
    if (weightAssign == null) { // the session extends itself with ops added after it was made
      Ops tf = Ops.create(graph);
      weightFeeds = new ArrayList<>();
      List<Op> assigns = new ArrayList<>();
      for (Variable<TFloat32> v : trainable) {
        Placeholder<TFloat32> feed = tf.placeholder(TFloat32.class, Placeholder.shape(v.shape()));
        weightFeeds.add(feed);
        assigns.add(tf.assign(v, feed));
      }
      weightAssign = tf.withControlDependencies(assigns).noOp();
    }
    List<TFloat32> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner().addTarget(weightAssign);
      for (int i = 0; i < values.length; i++) {
        TFloat32 t = TFloat32.tensorOf(trainable.get(i).shape(), DataBuffers.of(values[i], true, false));
        tensors.add(t);
        runner.feed(weightFeeds.get(i), t);
      }
      runner.run();
    } finally {
      tensors.forEach(TFloat32::close);
    }
  }

  private static float[][] values(Result out) {
    float[][] values = new float[out.size()][];
    for (int i = 0; i < values.length; i++) {
      TFloat32 t = (TFloat32) out.get(i);
      values[i] = new float[(int) t.shape().size()];
      t.copyTo(DataBuffers.of(values[i], false, false));
    }
    return values;
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }

  private TFloat32 tensor(ImageBatch b) {
    return TFloat32.tensorOf(Shape.of(b.count(), b.height(), b.width(), b.channels()),
        DataBuffers.of(b.pixels(), true, false));
  }

  private TFloat32 targets(int count, float[] target) {
    if (target.length != count * spec.classes()) {
      throw new IllegalArgumentException("expected " + count + " x " + spec.classes() + " target values, got " + target.length);
    }
    return TFloat32.tensorOf(Shape.of(count, spec.classes()), DataBuffers.of(target, true, false));
  }
}
