package io.cvpipe.app;

import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.stage.DataRef;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClient;
import io.openlineage.client.transports.ConsoleTransport;
import io.openlineage.client.transports.FileConfig;
import io.openlineage.client.transports.FileTransport;
import io.openlineage.client.transports.HttpConfig;
import io.openlineage.client.transports.HttpTransport;
import io.openlineage.client.transports.Transport;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A pipeline's stage executions as OpenLineage run events, so that Marquez, DataHub or any OpenLineage consumer
 * draws the graph: a START and a COMPLETE (or FAIL) per stage execution, the job named {@code <run.name>.<index>-<kind>}
 * in {@code run.openlineage.namespace}, the pipeline run as each stage's parent, and each input and output dataset
 * with its version (a table's snapshot id, a model's fingerprint). Tables are named in the warehouse's namespace,
 * models and files in their file system's.
 *
 * <p>Transport ({@code run.openlineage.transport}): {@code file} (default, one JSON event per line), {@code console},
 * {@code http} ({@code run.openlineage.url}) or {@code none}. A consumer that cannot be reached costs a warning,
 * never the pipeline. No setting's value goes into an event but names, versions and the stage's error message.
 */
final class LineageEvents implements AutoCloseable {

  private static final Logger LOG = LogManager.getLogger(LineageEvents.class);
  private static final URI PRODUCER = URI.create("https://github.com/cvpipe/cvpipe");

  private final OpenLineage ol = new OpenLineage(PRODUCER);
  private final OpenLineageClient client; // null: transport none
  private final String namespace;
  private final String warehouse;
  private final String pipeline;
  private final UUID pipelineRun;

  private LineageEvents(OpenLineageClient client, String namespace, String warehouse, String pipeline, String runId) {
    this.client = client;
    this.namespace = namespace;
    this.warehouse = warehouse;
    this.pipeline = pipeline;
    this.pipelineRun = uuid(runId);
  }

  /** The transport the settings choose, checked before Spark starts (null: no events). */
  static Transport transport(Settings settings) {
    String kind = settings.string("run.openlineage.transport", "file");
    return switch (kind) {
      case "none" -> null;
      case "console" -> new ConsoleTransport();
      case "file" -> new FileTransport(new FileConfig(Path.of(settings.string("run.openlineage.file",
          "openlineage.jsonl")).toAbsolutePath().toString()));
      case "http" -> {
        String url = settings.string("run.openlineage.url", "http://marquez:5000");
        if (url.isBlank()) {
          throw Errors.setting("run.openlineage.url", "is empty, and run.openlineage.transport = http needs the "
              + "consumer's address, e.g. http://marquez:5000");
        }
        HttpConfig http = new HttpConfig();
        http.setUrl(URI.create(url));
        http.setEndpoint(settings.string("run.openlineage.endpoint", "/api/v1/lineage"));
        yield new HttpTransport(http);
      }
      default -> throw Errors.setting("run.openlineage.transport", "unknown value '" + kind
          + "'. Expected one of: file, console, http, none");
    };
  }

  /** Events for the pipeline run {@code runId}; none are sent when {@code transport} is null. */
  static LineageEvents open(Transport transport, Settings settings, String pipeline, String runId) {
    return new LineageEvents(transport == null ? null : OpenLineageClient.builder().transport(transport).build(),
        settings.string("run.openlineage.namespace", "cvpipe"), settings.string("warehouse", "warehouse"), pipeline,
        runId);
  }

  /** The pipeline run's own event (job {@code <run.name>}), the parent of its stages' runs. */
  void pipeline(OpenLineage.RunEvent.EventType type, String error) {
    emit(type, pipeline, pipelineRun, ol.newRunFacetsBuilder(), error, List.of(), List.of());
  }

  void start(Pipeline.Step step, List<DataRef> inputs) {
    emit(step, OpenLineage.RunEvent.EventType.START, inputs, List.of(), null);
  }

  void complete(Pipeline.Step step, List<DataRef> inputs, List<DataRef> outputs) {
    emit(step, OpenLineage.RunEvent.EventType.COMPLETE, inputs, outputs, null);
  }

  void fail(Pipeline.Step step, List<DataRef> inputs, List<DataRef> outputs, String message) {
    emit(step, OpenLineage.RunEvent.EventType.FAIL, inputs, outputs, message);
  }

  /** A stage execution's event: its run is a child of the pipeline run. */
  private void emit(Pipeline.Step step, OpenLineage.RunEvent.EventType type, List<DataRef> inputs,
      List<DataRef> outputs, String error) {
    OpenLineage.RunFacetsBuilder facets = ol.newRunFacetsBuilder().parent(ol.newParentRunFacet(
        ol.newParentRunFacetRun(pipelineRun, null), ol.newParentRunFacetJob(namespace, pipeline, null), null));
    emit(type, jobName(step), uuid(pipelineRun + "/" + step.index()), facets, error, inputs, outputs);
  }

  private void emit(OpenLineage.RunEvent.EventType type, String job, UUID run, OpenLineage.RunFacetsBuilder facets,
      String error, List<DataRef> inputs, List<DataRef> outputs) {
    if (client == null) {
      return;
    }
    if (error != null) {
      facets.errorMessage(ol.newErrorMessageRunFacet(error, "java", null));
    }
    OpenLineage.RunEvent event = ol.newRunEventBuilder()
        .eventType(type)
        .eventTime(ZonedDateTime.now())
        .run(ol.newRunBuilder().runId(run).facets(facets.build()).build())
        .job(ol.newJobBuilder().namespace(namespace).name(job).build())
        .inputs(inputs.stream().filter(r -> !r.absent()).map(r -> ol.newInputDatasetBuilder()
            .namespace(datasetNamespace(r)).name(datasetName(r)).facets(versionFacet(r)).build()).toList())
        .outputs(outputs.stream().filter(r -> !r.absent()).map(r -> ol.newOutputDatasetBuilder()
            .namespace(datasetNamespace(r)).name(datasetName(r)).facets(versionFacet(r)).build()).toList())
        .build();
    try {
      client.emit(event);
    } catch (RuntimeException e) {
      LOG.warn("OpenLineage: could not emit the {} event of {}: {}", type, job, e.toString());
    }
  }

  String jobName(Pipeline.Step step) {
    return pipeline + "." + step.index() + "-" + step.kind();
  }

  private OpenLineage.DatasetFacets versionFacet(DataRef ref) {
    OpenLineage.DatasetFacetsBuilder facets = ol.newDatasetFacetsBuilder();
    if (ref.version() != null && !ref.version().equals("none")) {
      facets.version(ol.newDatasetVersionDatasetFacet(ref.version()));
    }
    return facets.build();
  }

  /** A table's namespace is its warehouse; a model's or a file's is its file system (scheme and authority). */
  private String datasetNamespace(DataRef ref) {
    return ref.kind() == DataRef.Kind.TABLE ? location(warehouse) : fileSystem(ref.name());
  }

  private static String datasetName(DataRef ref) {
    if (ref.kind() == DataRef.Kind.TABLE) {
      return ref.name();
    }
    URI uri = uriOf(ref.name());
    return uri.getScheme() == null ? Path.of(ref.name()).toAbsolutePath().normalize().toString() : uri.getPath();
  }

  private static String fileSystem(String location) {
    URI uri = uriOf(location);
    if (uri.getScheme() == null || uri.getScheme().equals("file")) {
      return "file";
    }
    return uri.getScheme() + "://" + (uri.getAuthority() == null ? "" : uri.getAuthority());
  }

  private static String location(String path) {
    URI uri = uriOf(path);
    return uri.getScheme() == null ? "file://" + Path.of(path).toAbsolutePath().normalize() : path;
  }

  private static URI uriOf(String location) {
    try {
      return URI.create(location.replace(" ", "%20"));
    } catch (IllegalArgumentException e) {
      return URI.create("file:///unparseable");
    }
  }

  private static UUID uuid(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    if (client == null) {
      return;
    }
    try {
      client.close();
    } catch (Exception e) {
      LOG.warn("OpenLineage: closing the client: {}", e.toString());
    }
  }
}
