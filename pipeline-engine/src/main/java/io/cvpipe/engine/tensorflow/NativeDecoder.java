package io.cvpipe.engine.tensorflow;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeJpeg;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * One thread's TensorFlow session over a DecodeJpeg op (which also reads PNG, in full) at ratio 8, returning the
 * decoded shape only. A session per thread, one thread per session: no locking, and TensorFlow's own pools kept to
 * one thread so that Spark's task threads are the parallelism. Sessions live as long as their threads.
 */
public final class NativeDecoder {

  private static final ThreadLocal<NativeDecoder> PER_THREAD = ThreadLocal.withInitial(NativeDecoder::new);

  private final Session session;
  private final Placeholder<TString> bytes;
  private final Operand<TInt32> shape;

  private NativeDecoder() {
    Graph graph = new Graph();
    Ops tf = Ops.create(graph);
    bytes = tf.placeholder(TString.class);
    shape = tf.shape(tf.image.decodeJpeg(bytes, DecodeJpeg.channels(0L).ratio(8L)));
    session = new Session(graph, ConfigProto.newBuilder().setIntraOpParallelismThreads(1)
        .setInterOpParallelismThreads(1).build());
  }

  public static NativeDecoder forThisThread() {
    return PER_THREAD.get();
  }

  /** {@code {height, width}} as decoded; see {@link io.cvpipe.engine.ImageDecoding#scaledShape}. */
  public int[] scaledShape(byte[] image) {
    try (TString input = TString.tensorOfBytes(NdArrays.scalarOfObject(image));
        Result out = session.runner().feed(bytes, input).fetch(shape).run()) {
      TInt32 hwc = (TInt32) out.get(0);
      return new int[] {hwc.getInt(0), hwc.getInt(1)};
    } catch (TensorFlowException e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      int node = message.indexOf("\n"); // TensorFlow appends the graph node: not the file's problem
      throw new IllegalArgumentException((node < 0 ? message : message.substring(0, node)).trim(), e);
    }
  }
}
