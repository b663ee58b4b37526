package io.cvpipe.engine;

import java.io.Serializable;
import java.util.List;

/**
 * The synchronous data-parallel group an engine trains in: its rank, every member's {@code host:port} (index =
 * rank), how long a collective waits for a missing peer before it fails, and whether batch norm uses the
 * statistics of the global batch. A group of one is plain single-device training.
 */
public record Replicas(int rank, List<String> addresses, int timeoutSeconds, boolean syncBatchNorm)
    implements Serializable {

  public Replicas {
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty() || rank < 0 || rank >= addresses.size()) {
      throw new IllegalArgumentException("rank " + rank + " is not in a group of " + addresses.size());
    }
    if (timeoutSeconds <= 0) {
      throw new IllegalArgumentException("the collective timeout must be positive, got " + timeoutSeconds + " s");
    }
  }

  /** No group: one engine alone. */
  public static Replicas single() {
    return new Replicas(0, List.of("localhost:0"), 1, false);
  }

  public int size() {
    return addresses.size();
  }

  public boolean distributed() {
    return addresses.size() > 1;
  }

  /** This member's port (the server binds it on all interfaces). */
  public int port() {
    String address = addresses.get(rank);
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }
}
