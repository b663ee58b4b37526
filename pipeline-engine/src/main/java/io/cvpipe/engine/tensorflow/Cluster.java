package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.Execution;
import io.cvpipe.engine.Precision;
import io.cvpipe.engine.Replicas;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Server;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.proto.ServerDef;

/**
 * The TensorFlow side of a replica group: one in-process gRPC server per member (job {@code worker}, task =
 * rank), and the session configuration (threads, GPUs, precision, and for a group the leader of the collective
 * group and a device filter that keeps every op on the member's own task).
 */
final class Cluster {

  static final String JOB = "worker";

  /**
   * Servers started in this JVM. TF Java cannot stop one ({@code Server.stop()} is not implemented in the
   * native library), so each lives, with its port, until the JVM exits; holding them here keeps the garbage
   * collector from freeing a server under its running threads.
   */
  private static final List<Server> STARTED = new ArrayList<>();

  private Cluster() {}

  /** Starts this member's server; returns the session target ({@code grpc://localhost:port}). */
  static synchronized String start(Execution execution) {
    Replicas replicas = execution.replicas();
    ClusterDef.Builder cluster = ClusterDef.newBuilder();
    JobDef.Builder job = JobDef.newBuilder().setName(JOB);
    for (int i = 0; i < replicas.size(); i++) {
      job.putTasks(i, replicas.addresses().get(i));
    }
    cluster.addJob(job);
    ServerDef def = ServerDef.newBuilder().setCluster(cluster).setJobName(JOB).setTaskIndex(replicas.rank())
        .setProtocol("grpc").setDefaultSessionConfig(session(execution)).build();
    Server server = new Server(def);
    server.start();
    STARTED.add(server);
    return "grpc://localhost:" + replicas.port();
  }

  static ConfigProto session(Execution execution) {
    ConfigProto.Builder config = ConfigProto.newBuilder().setAllowSoftPlacement(true);
    if (execution.threads() > 0) {
      config.setIntraOpParallelismThreads(execution.threads()).setInterOpParallelismThreads(execution.threads());
    }
    if (!execution.gpus().isEmpty()) {
      config.getGpuOptionsBuilder().setVisibleDeviceList(String.join(",", execution.gpus()));
    }
    if (execution.precision() == Precision.BFLOAT16) {
      // Grappler rewrites the graph at the session's first run; the GraphDef (and so a SavedModel) stays float32
      config.getGraphOptionsBuilder().getRewriteOptionsBuilder()
          .setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
    }
    Replicas replicas = execution.replicas();
    if (replicas.distributed()) {
      config.addDeviceFilters("/job:" + JOB + "/task:" + replicas.rank());
      // without a leader the collective ops of the group never resolve and hang until their timeout
      config.getExperimentalBuilder().setCollectiveGroupLeader("/job:" + JOB + "/replica:0/task:0");
    }
    return config.build();
  }

  /** NCCL between GPUs; TensorFlow's own ring over gRPC otherwise. */
  static String hint(Execution execution) {
    return execution.device() == Device.GPU ? "nccl" : "auto";
  }
}
