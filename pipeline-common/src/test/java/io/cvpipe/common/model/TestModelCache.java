package io.cvpipe.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.testing.TestS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Local copies of a model directory kept on s3a://, against a real S3-protocol server in this JVM. */
class TestModelCache {

  private static TestS3 s3;
  private static Configuration conf;

  @BeforeAll
  static void start() throws Exception {
    s3 = TestS3.start();
    conf = new Configuration();
    for (Map.Entry<String, String> e : s3.sparkConf().entrySet()) {
      conf.set(e.getKey().substring("spark.hadoop.".length()), e.getValue());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
  }

  private static void put(String location, String text) throws Exception {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
    FileSystem fs = path.getFileSystem(conf);
    try (FSDataOutputStream out = fs.create(path, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void copiesTheDirectoryOnceAndAgainWhenItChanges() throws Exception {
    String model = s3.uri("models/run/best");
    put(model + "/saved_model.pb", "graph");
    put(model + "/variables/variables.index", "index");
    put(model + "/model.json", "{\"run\": \"run\"}");

    Path first = ModelCache.local(model, conf);
    Path again = ModelCache.local(model, conf);
    Thread.sleep(1100); // S3's modification times have a resolution of a second
    put(model + "/model.json", "{\"run\": \"run\", \"re-exported\": true}");
    Path changed = ModelCache.local(model, conf);

    assertThat(Files.readString(first.resolve("saved_model.pb"))).isEqualTo("graph");
    assertThat(Files.readString(first.resolve("variables/variables.index"))).isEqualTo("index");
    assertThat(again).isEqualTo(first);
    assertThat(changed).isNotEqualTo(first);
    assertThat(Files.readString(changed.resolve("model.json"))).contains("re-exported");
    assertThat(first.getParent()).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".part-"));
    assertThatThrownBy(() -> ModelCache.local(s3.uri("models/nothing/best"), conf))
        .hasMessageContaining("models/nothing/best does not exist");
  }
}
