package io.cvpipe.common.testing;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-protocol server (S3Proxy over an in-memory blob store) on a loopback port, with one bucket,
 * for tests that read and write {@code s3a://}. Modules using it add s3proxy and hadoop-aws as test
 * dependencies.
 */
public final class TestS3 implements AutoCloseable {

  public static final String BUCKET = "cvpipe-test";
  private static final String ACCESS_KEY = "cvpipe";
  private static final String SECRET_KEY = "cvpipe-secret";

  private final S3Proxy proxy;
  private final BlobStoreContext context;

  private TestS3(S3Proxy proxy, BlobStoreContext context) {
    this.proxy = proxy;
    this.context = context;
  }

  public static TestS3 start() throws Exception {
    // AWS SDK 2.30+ signs uploads with trailing checksums by default, which S3Proxy 2.6 cannot verify
    System.setProperty("aws.requestChecksumCalculation", "WHEN_REQUIRED");
    System.setProperty("aws.responseChecksumValidation", "WHEN_REQUIRED");
    BlobStoreContext context = ContextBuilder.newBuilder("transient")
        .credentials(ACCESS_KEY, SECRET_KEY)
        .overrides(new Properties())
        .build(BlobStoreContext.class);
    BlobStore store = context.getBlobStore();
    store.createContainerInLocation(null, BUCKET);
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(store)
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    proxy.start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(20);
    }
    return new TestS3(proxy, context);
  }

  public String uri(String path) {
    return "s3a://" + BUCKET + "/" + path;
  }

  /**
   * Spark settings that point s3a at this server (path-style, no TLS) without credentials: those then come from
   * the AWS environment ({@link #credentialsEnvironment}), as on a cluster.
   */
  public Map<String, String> endpointConf() {
    Map<String, String> conf = new java.util.HashMap<>(sparkConf());
    conf.keySet().removeIf(k -> k.endsWith(".access.key") || k.endsWith(".secret.key") || k.endsWith("credentials.provider"));
    return conf;
  }

  /** The AWS SDK's environment variables for this server's credentials (and checksums it can verify). */
  public Map<String, String> credentialsEnvironment() {
    return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1",
        "AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED", "AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED");
  }

  /** The secret key, for tests that check it is printed nowhere. */
  public String secretKey() {
    return SECRET_KEY;
  }

  /** Spark settings that point s3a at this server (path-style, no TLS). */
  public Map<String, String> sparkConf() {
    String p = "spark.hadoop.fs.s3a.";
    return Map.of(
        p + "endpoint", "http://127.0.0.1:" + proxy.getPort(),
        p + "endpoint.region", "us-east-1",
        p + "path.style.access", "true",
        p + "connection.ssl.enabled", "false",
        p + "access.key", ACCESS_KEY,
        p + "secret.key", SECRET_KEY,
        p + "aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        p + "change.detection.mode", "none");
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
