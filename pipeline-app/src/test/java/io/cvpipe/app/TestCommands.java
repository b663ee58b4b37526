package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands as a user runs them (each call starts and stops its own local Spark, as bin/cvpipe does). */
class TestCommands {

  @TempDir
  static Path tmp;
  private static SyntheticImages.Layout layout;

  @BeforeAll
  static void ingestOnce() {
    layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 2, 4, 1, 32, 32, true, 21);
    String out = run("ingest", "--set", "dataset=cli", "--set", "ingest.source=" + layout.root());
    assertThat(out).contains(layout.files().size() + " records in = 0 already present + " + layout.accepted()
        + " written to samples + " + layout.rejected() + " quarantined");
  }

  private static String run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--set", "warehouse=" + tmp.resolve("warehouse"), "--set", "spark.master=local[2]",
        "--set", "spark.ui=false", "--set", "ingest.progress-interval=0s"));
    return CliOutput.of(all);
  }

  @Test
  void sqlPrintsAnAlignedTableAndCsv() throws Exception {
    Path notebook = tmp.resolve("q.sql");
    Files.writeString(notebook, """
        -- == reasons ==
        SELECT reason, count(*) AS n FROM cvpipe.${dataset}.quarantine GROUP BY reason ORDER BY reason;
        SELECT split, count(*) AS samples FROM cvpipe.${dataset}.samples GROUP BY split ORDER BY split
        """);

    String table = run("sql", "-f", notebook.toString(), "--set", "dataset=cli");
    String csv = run("sql", "-e", "SELECT split, count(*) AS samples FROM cvpipe.cli.samples GROUP BY split ORDER BY split",
        "--format", "csv");

    assertThat(table).contains("-- == reasons ==")
        .contains("| reason             | n |")
        .contains("| truncated          | 1 |")
        .contains("(7 rows)");
    long train = layout.files().entrySet().stream().filter(e -> e.getKey().startsWith("train/") && e.getValue() == null).count();
    long val = layout.files().entrySet().stream().filter(e -> e.getKey().startsWith("val/") && e.getValue() == null).count();
    assertThat(csv.strip()).isEqualTo("split,samples\ntrain," + train + "\nval," + val);
  }

  @Test
  void theShippedNotebookRunsOnAnIngestedDataset() {
    String out = run("sql", "-f", Path.of("..", "notebooks", "sample-statistics.sql").toString(), "--set", "dataset=cli");

    assertThat(out).contains("== Quarantine reasons ==").contains("too_many_pixels").contains("== Ingest runs ==");
  }
}
