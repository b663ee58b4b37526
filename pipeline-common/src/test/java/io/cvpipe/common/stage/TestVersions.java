package io.cvpipe.common.stage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TestVersions {

  @Test
  void aLocationIsRemoteWhenItNamesAFileSystemOtherThanTheLocalOne() {
    assertThat(Versions.remote("s3a://bucket/models/run/best")).isTrue();
    assertThat(Versions.remote("hdfs://namenode:8020/models")).isTrue();
    assertThat(Versions.remote("/data/models/run/best")).isFalse();
    assertThat(Versions.remote("models/run/best")).isFalse();
    assertThat(Versions.remote("file:/data/models")).isFalse();
    assertThat(Versions.remote("models/my run {v2}/best")).as("not a URI: a local path").isFalse();
  }

  @Test
  void refsPrintAsLineageRecordsThem() {
    assertThat(new DataRef(DataRef.Kind.TABLE, "cvpipe.x.samples", "42")).hasToString("cvpipe.x.samples@42");
    assertThat(new DataRef(DataRef.Kind.MODEL, "/m/run/best", DataRef.ABSENT).absent()).isTrue();
    assertThat(DataRef.files("/data/src")).hasToString("files /data/src");
  }
}
