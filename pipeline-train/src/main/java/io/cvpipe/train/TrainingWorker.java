package io.cvpipe.train;

import io.cvpipe.common.CvpipeException;
import io.cvpipe.engine.Execution;
import io.cvpipe.engine.Replicas;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.Reinforcement;
import io.cvpipe.train.set.SkipSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.iceberg.Schema;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One member of a distributed training run, in its own JVM (started by {@link TrainingTask}, one per barrier
 * task and attempt). A JVM of its own because TensorFlow cannot stop a server: the member's server, its port and
 * its threads end with this process, and a member that fails ends its server with it, which fails its peers'
 * all-reduces at once instead of at their timeout. The process ends itself when its parent goes (stdin closes).
 */
public final class TrainingWorker {

  /** Everything a member needs, written by the task for this process to read. */
  record Spec(TrainSettings settings, List<String> labels, List<Deal.DataFile> train, List<String> val,
      Schema projection, TrainJob.Reinforced reinforced, SerializableConfiguration conf, RunDirectory runDirectory, int rank,
      List<String> addresses, List<String> gpus, int threads, int attempt, List<EpochMetrics> done, int until,
      SkipSet skips) implements Serializable {}

  /** What a failed member leaves for its task: a user error (not worth another attempt) or anything else. */
  record Failure(CvpipeException.Kind userError, String message) implements Serializable {}

  private TrainingWorker() {}

  /** {@code args}: the spec file, the result file (metrics, or a {@link Failure}). */
  public static void main(String[] args) {
    watchParent();
    Path result = Path.of(args[1]);
    Object outcome;
    int status;
    try {
      Spec spec = (Spec) read(Path.of(args[0]));
      outcome = new ArrayList<>(run(spec, System.err));
      status = 0;
    } catch (CvpipeException e) {
      e.printStackTrace();
      outcome = new Failure(e.kind(), e.getMessage());
      status = 1;
    } catch (Throwable e) {
      e.printStackTrace();
      outcome = new Failure(null, e.toString());
      status = 1;
    }
    try {
      write(result, outcome);
    } catch (RuntimeException e) {
      e.printStackTrace();
      status = 1;
    }
    System.err.flush();
    Runtime.getRuntime().halt(status); // no shutdown hooks: TensorFlow's server threads do not end otherwise
  }

  static List<EpochMetrics> run(Spec spec, PrintStream log) {
    TrainSettings settings = spec.settings();
    int world = spec.addresses().size();
    Execution execution = new Execution(settings.device(), settings.precision(), spec.threads(), spec.gpus(),
        new Replicas(spec.rank(), spec.addresses(), settings.collectiveTimeoutSeconds(), settings.syncBatchNorm()));
    InMemorySamples val = spec.rank() == 0 ? TableFiles.load(spec.val(), spec.projection(), spec.conf().value())
        : new InMemorySamples();
    TrainLoop.EpochData data = new TrainLoop.EpochData() {
      private List<Deal.Slice> lastSlices;
      private TrainLoop.Share lastShare;

      @Override
      public int size(int epoch) {
        return Math.toIntExact(Deal.share(spec.train(), world)); // without SET
      }

      @Override
      public TrainLoop.Share load(int epoch) {
        List<Deal.Slice> slices = Deal.epoch(spec.train(), spec.skips(), settings.seed(), epoch, spec.rank(), world);
        TrainJob.Reinforced r = spec.reinforced();
        if (!slices.equals(lastSlices)) { // else: the deal gave this rank the same rows again, nothing to read
          InMemorySamples samples = TableFiles.loadSlices(slices, spec.skips(), spec.projection(), spec.conf().value());
          Reinforcement reinforcement = null;
          if (r != null) {
            Set<Long> ids = new HashSet<>();
            for (int i = 0; i < samples.size(); i++) {
              ids.add(samples.sampleId(i));
            }
            // the table's rows in the share's proportion: each sample has about as many as any other
            long splitRows = spec.train().stream().mapToLong(Deal.DataFile::rows).sum();
            long expected = (long) Math.ceil((double) r.rows() * samples.size() / Math.max(1, splitRows));
            reinforcement = new Reinforcement(TableFiles.loadReinforced(r.files(), r.schema(), r.version(),
                ids::contains, expected, spec.conf().value()), settings.reinforcedProbability());
          }
          lastSlices = slices;
          lastShare = new TrainLoop.Share(samples, reinforcement);
        }
        TrainLoop.Share share = lastShare;
        int partners = 0;
        if (r != null && r.mixes()) { // this epoch's picks mix with partners anywhere in the split: load those missing
          Set<Long> outside = share.reinforcement().partnersOutside(share.samples(), settings.seed(), epoch);
          InMemorySamples loaded = outside.isEmpty() ? new InMemorySamples() : TableFiles.loadIds(
              spec.train().stream().map(Deal.DataFile::location).toList(), outside, spec.projection(),
              spec.conf().value());
          partners = loaded.size();
          share = new TrainLoop.Share(share.samples(), share.reinforcement().withPartners(loaded));
        }
        if (spec.rank() == 0) {
          log.printf(Locale.ROOT, "train %s: epoch %d: rank 0 loaded its share, %,d samples%s%n", settings.run(),
              epoch + 1, share.samples().size(), r == null ? "" : String.format(Locale.ROOT,
                  " (%,d with stored augmentations%s)", share.reinforcement().samples(), !r.mixes() ? ""
                      : String.format(Locale.ROOT, "; %,d mixing partners from other shares", partners)));
        }
        return share;
      }
    };
    return new TrainLoop(settings, spec.labels(), new TrainLoop.Member(spec.rank(), world, execution, spec.attempt()),
        spec.runDirectory(), log).run(data, val, spec.done(), spec.until(), spec.skips());
  }

  /** Ends this process when the task that started it is gone (its end of our stdin closes). */
  private static void watchParent() {
    Thread watcher = new Thread(() -> {
      try {
        InputStream in = System.in;
        while (in.read() >= 0) {
          // the parent writes nothing; EOF is the signal
        }
      } catch (IOException ignored) {
        // a broken pipe is the same signal
      }
      System.err.println("cvpipe training worker: the task that started this process is gone; exiting");
      Runtime.getRuntime().halt(137);
    }, "cvpipe-parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  static Object read(Path file) {
    try (ObjectInputStream in = new ObjectInputStream(Files.newInputStream(file))) {
      return in.readObject();
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e, e);
    }
  }

  static void write(Path file, Object value) {
    try (ObjectOutputStream out = new ObjectOutputStream(Files.newOutputStream(file))) {
      out.writeObject(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
