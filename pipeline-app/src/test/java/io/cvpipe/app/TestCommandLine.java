package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.settings.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage and settings errors are caught before Spark starts, with exit code 2 and a message naming the key. */
class TestCommandLine {

  @Test
  void noCommandPrintsUsage() {
    assertThatThrownBy(() -> Main.run(new String[0]))
        .isInstanceOf(CvpipeException.class)
        .hasMessageContaining("no command given")
        .hasMessageContaining("usage: cvpipe <command>");
  }

  @Test
  void unknownCommandAndArgumentAreUsageErrors() {
    assertThatThrownBy(() -> Main.run(new String[] {"ingset"})).hasMessageContaining("unknown command 'ingset'");
    assertThatThrownBy(() -> Main.run(new String[] {"sql", "--fromat", "csv"})).hasMessageContaining("unknown argument '--fromat'");
    assertThatThrownBy(() -> Main.run(new String[] {"sql", "--set"})).hasMessageContaining("--set needs a value");
    assertThatThrownBy(() -> Main.run(new String[] {"sql", "-e", "SELECT 1", "--format", "json"}))
        .hasMessageContaining("--format: unknown value 'json'. Expected one of: table, csv");
  }

  @Test
  void badIngestSettingsNameTheKeyAndTheAllowedValues() {
    CvpipeException e = (CvpipeException) org.assertj.core.api.Assertions.catchThrowable(() -> Main.run(new String[] {
        "ingest", "--set", "dataset=x", "--set", "ingest.source=/tmp", "--set", "ingest.format=imagenett"}));

    assertThat(e.getMessage()).isEqualTo(
        "ingest.format: unknown value 'imagenett'. Expected one of: imagenet-folder, imagenet-tar, coco, idx");
    assertThat(e.exitCode()).isEqualTo(2);
    assertThatThrownBy(() -> Main.run(new String[] {"ingest", "--set", "dataset=x"}))
        .hasMessageContaining("ingest.source: is required");
    assertThatThrownBy(() -> Main.run(new String[] {"ingest", "--set", "ingest.fromat=coco"}))
        .hasMessageContaining("ingest.fromat: unknown setting")
        .hasMessageContaining("ingest.format");
    assertThatThrownBy(() -> Main.run(new String[] {"ingest", "--set", "dataset=x", "--set", "ingest.source=/tmp",
        "--set", "ingest.max-pixels=lots"}))
        .hasMessageContaining("ingest.max-pixels: expected a whole number");
  }

  @Test
  void aMisspeltKeyInAConfFileOrASystemPropertyIsRefusedLikeOneInSet(@TempDir Path tmp) throws Exception {
    Path conf = tmp.resolve("pipeline.conf");
    Files.writeString(conf, "dataset = x\ntrain {\n  epoks = 3\n}\n");
    assertThatThrownBy(() -> Settings.load(conf, List.of()))
        .isInstanceOf(CvpipeException.class)
        .hasMessageContaining("--conf " + conf + ": train.epoks: unknown setting")
        .hasMessageContaining("train.epochs");
    System.setProperty("reinforce.teacher", "t");
    ConfigFactory.invalidateCaches(); // Typesafe Config caches the system properties it saw first
    try {
      assertThatThrownBy(() -> Settings.load(null, List.of()))
          .hasMessageContaining("-Dreinforce.teacher: unknown setting").hasMessageContaining("reinforce.teachers");
    } finally {
      System.clearProperty("reinforce.teacher");
      ConfigFactory.invalidateCaches();
    }
  }

  @Test
  void theShippedConfFilesUseOnlyKnownKeys() {
    for (String name : List.of("local.conf", "demo.conf", "cluster.conf")) {
      Path conf = Path.of("..", "conf", name);
      assertThat(conf).exists();
      assertThat(Settings.load(conf, List.of()).config().getString("warehouse")).isNotEmpty();
    }
  }

  @Test
  void defaultsThatFollowAnotherKeyFollowItFromEveryLayer(@TempDir Path tmp) throws Exception {
    Settings set = Settings.load(null, List.of("train.models-dir=/x"));
    assertThat(set.config().getString("reinforce.models-dir")).isEqualTo("/x");
    assertThat(set.config().getString("eval.models-dir")).isEqualTo("/x");
    Path conf = tmp.resolve("c.conf");
    Files.writeString(conf, "train.models-dir = /z\n");
    assertThat(Settings.load(conf, List.of()).config().getString("reinforce.models-dir")).isEqualTo("/z");
    assertThat(Settings.load(conf, List.of("reinforce.models-dir=/y")).config().getString("reinforce.models-dir"))
        .isEqualTo("/y");
    assertThat(Settings.load(null, List.of()).config().getString("eval.models-dir")).isEqualTo("models");
  }

  @Test
  void badTrainSettingsAreRefusedBeforeSparkStarts() {
    assertThatThrownBy(() -> Main.run(new String[] {"train", "--set", "dataset=x", "--set", "train.run=r",
        "--set", "train.model=vit"}))
        .hasMessageContaining("train.model: unknown value 'vit'. Expected one of: resnet18, resnet50, resnet101, mobilenetv1, mobilenetv2");
    assertThatThrownBy(() -> Main.run(new String[] {"train", "--set", "dataset=x"}))
        .hasMessageContaining("train.run: is required");
    assertThatThrownBy(() -> Main.run(new String[] {"train", "--set", "dataset=x", "--set", "train.run=r",
        "--set", "train.device=tpu"}))
        .hasMessageContaining("train.device: unknown value 'tpu'. Expected one of: auto, cpu, gpu");
  }

  @Test
  void sqlNeedsExactlyOneSource() {
    assertThatThrownBy(() -> Main.run(new String[] {"sql"})).hasMessageContaining("exactly one of -e");
    assertThatThrownBy(() -> Main.run(new String[] {"sql", "-f", "/nonexistent.sql"})).hasMessageContaining("cannot read it");
    assertThatThrownBy(() -> Main.run(new String[] {"sql", "-e", "SELECT * FROM cvpipe.${dataset}.samples"}))
        .hasMessageContaining("uses ${dataset}: pass it with --set dataset=VALUE");
  }

  @Test
  void statementsSplitOnSemicolonsOutsideQuotesAndKeepTheirTitles() {
    List<SqlCommand.Statement> statements = SqlCommand.split("""
        -- first
        SELECT 'a;b' AS x;
        -- == second ==
        SELECT "c;d", `e;f` -- trailing comment; not a split
        FROM t;
        ;
        """);

    assertThat(statements).extracting(SqlCommand.Statement::title).containsExactly("-- first", "-- == second ==");
    assertThat(statements).extracting(SqlCommand.Statement::sql)
        .containsExactly("SELECT 'a;b' AS x", "SELECT \"c;d\", `e;f` \nFROM t");
  }

  @Test
  void valuesPrintPlainly() {
    assertThat(ResultPrinter.text(0.1 + 0.2)).isEqualTo("0.3");
    assertThat(ResultPrinter.text(1234567.0)).isEqualTo("1235000");
    assertThat(ResultPrinter.text(new byte[12])).isEqualTo("<12 bytes>");
    assertThat(ResultPrinter.text(null)).isEqualTo("NULL");
  }
}
