package io.cvpipe.app;

import io.cvpipe.common.Errors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code cvpipe <command> [--conf FILE] [--set key=value]... [-e QUERY | -f FILE] [--format table|csv]}. */
record CommandLine(String command, Path conf, List<String> sets, Optional<String> query, Optional<Path> file,
    String format, boolean dryRun) {

  static final String USAGE = """
      usage: cvpipe <command> [--conf FILE] [--set key=value]...

      commands:
        ingest   raw images into cvpipe.<dataset>.samples, classes, quarantine
                 --set dataset=NAME --set ingest.source=PATH_OR_URI
                 --set ingest.format=imagenet-folder|imagenet-tar|coco|idx
        reinforce  a teacher ensemble's top-k for N stored augmentations per sample (ImageNet+) into
                 cvpipe.<dataset>.reinforced; re-runs do only new samples
                 --set dataset=NAME --set reinforce.teachers=[DIR_OR_RUN, ...] --set reinforce.augmentations=N
                 --set reinforce.top-k=K [--set reinforce.policy=rrc|rrc-ra-re|rrc-ra-re-mix]
        train    a classifier from cvpipe.<dataset>.samples (CVNets samplers and recipe, TensorFlow Java)
                 --set dataset=NAME --set train.run=RUN --set train.model=resnet18|mobilenetv2|mobilevit-xs|...
                 [--set train.data=reinforced]: from cvpipe.<dataset>.reinforced, KL to the teachers
        eval     an exported model on a split: top-1/5, NLL, ECE, per class; a report in reports/<run>/
                 --set dataset=NAME --set eval.model=MODEL_DIR_OR_RUN [--set eval.split=val]
                 --set eval.compare=RUN_A,RUN_B compares two evaluations side by side instead
        shift    ImageNet-C's corruptions of a split as new splits (val-gaussian_noise-3, ...) of the samples
                 table, for eval.split; re-runs make only the missing copies
                 --set dataset=NAME [--set shift.split=val] [--set shift.corruptions=[gaussian_noise, ...]]
                 [--set shift.severity=1..5]
        run      the stages a pipeline config lists under run.stages, in order (kinds: ingest, shift, train,
                 reinforce, eval, sql), each with its own set { ... } block over the common settings; checked
                 before Spark starts
                 --conf pipeline.conf [--set run.from=N] [--dry-run: print the plan]
        sql      run Spark SQL against the catalog:  -e "QUERY" | -f FILE.sql  [--format table|csv]
                 ${key} in the text is replaced by the setting's value (e.g. --set dataset=demo)
        demo     the pipeline of conf/demo.conf on Fashion-MNIST (a generated dataset with bad files when it is
                 missing): ingest, statistics, a teacher trained and evaluated, reinforce, two students compared
        help     this text

      Settings: README.md, 'Configuration'. Exit codes: 0 success, 2 usage or configuration error, 1 job failure.
      """;

  static CommandLine parse(String[] args) {
    if (args.length == 0) {
      throw Errors.usage("no command given.\n" + USAGE);
    }
    String command = args[0];
    Path conf = null;
    List<String> sets = new ArrayList<>();
    String query = null;
    Path file = null;
    String format = "table";
    boolean dryRun = false;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--conf" -> conf = Path.of(value(args, ++i, arg));
        case "--set" -> sets.add(value(args, ++i, arg));
        case "-e" -> query = value(args, ++i, arg);
        case "-f" -> file = Path.of(value(args, ++i, arg));
        case "--dry-run" -> dryRun = true;
        case "--format" -> {
          format = value(args, ++i, arg);
          if (!format.equals("table") && !format.equals("csv")) {
            throw Errors.usage("--format: unknown value '" + format + "'. Expected one of: table, csv");
          }
        }
        default -> {
          if (arg.startsWith("--set=")) {
            sets.add(arg.substring("--set=".length()));
          } else {
            throw Errors.usage("unknown argument '" + arg + "'.\n" + USAGE);
          }
        }
      }
    }
    return new CommandLine(command, conf, sets, Optional.ofNullable(query), Optional.ofNullable(file), format, dryRun);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw Errors.usage(option + " needs a value.\n" + USAGE);
    }
    return args[i];
  }
}
