package io.cvpipe.ingest.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cvpipe.common.Errors;
import io.cvpipe.common.image.ImageFormat;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.ingest.IngestSettings;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Plans a COCO source: {@code SOURCE/annotations/instances_<split>.json} and the images of
 * {@code SOURCE/<split>/}. The JSON is streamed (one image, annotation or category object at a time), the
 * annotations attached to their images; listed images missing on disk, image files the JSON does not list,
 * and annotations pointing at unknown images or categories become quarantine records.
 */
public final class CocoSource {

  private static final ObjectMapper JSON = new ObjectMapper();

  private CocoSource() {}

  public static SourcePlan plan(IngestSettings settings, Configuration conf) {
    Path root = new Path(settings.source());
    Path annotationsDir = new Path(root, "annotations");
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus[] files;
      try {
        files = fs.listStatus(annotationsDir);
      } catch (FileNotFoundException e) {
        throw Errors.input("ingest.source " + root + " has no annotations/ directory. coco expects "
            + "SOURCE/annotations/instances_<split>.json and SOURCE/<split>/ images");
      }
      List<SourceEntry> entries = new ArrayList<>();
      TreeMap<String, String> classes = new TreeMap<>(SourcePlan.LABEL_ORDER);
      int found = 0;
      for (FileStatus f : files) {
        String name = f.getPath().getName();
        if (f.isFile() && name.startsWith("instances_") && name.endsWith(".json")) {
          String split = name.substring("instances_".length(), name.length() - ".json".length());
          planSplit(fs, root, f.getPath(), split, entries, classes);
          found++;
        }
      }
      if (found == 0) {
        throw Errors.input(annotationsDir + " holds no instances_<split>.json file (e.g. instances_val2017.json)");
      }
      return new SourcePlan(entries, List.of(), classes);
    } catch (IOException e) {
      throw Errors.input("cannot list ingest.source " + root + ": " + e.getMessage(), e);
    }
  }

  private record Image(long id, String fileName) {}

  private static void planSplit(FileSystem fs, Path root, Path json, String split, List<SourceEntry> entries,
      TreeMap<String, String> classes) throws IOException {
    Map<Long, Image> images = new LinkedHashMap<>();
    Map<Integer, String> categories = new HashMap<>();
    List<JsonNode> rawAnnotations = new ArrayList<>();
    parse(fs, json, images, categories, rawAnnotations);
    categories.forEach((id, name) -> classes.put(String.valueOf(id), name));

    Map<Long, List<CocoAnnotation>> byImage = new HashMap<>();
    for (JsonNode a : rawAnnotations) {
      long id = a.path("id").asLong(-1);
      String key = "annotation/" + split + "/" + id;
      String where = json + "#annotation=" + id;
      long imageId = a.path("image_id").asLong(-1);
      int categoryId = a.path("category_id").asInt(-1);
      if (!images.containsKey(imageId)) {
        entries.add(SourceEntry.record(key, split, where, QuarantineReason.UNKNOWN_IMAGE,
            "annotation " + id + " points to image_id " + a.path("image_id") + ", which " + json.getName() + " does not list"));
      } else if (!categories.containsKey(categoryId)) {
        entries.add(SourceEntry.record(key, split, where, QuarantineReason.UNKNOWN_CATEGORY,
            "annotation " + id + " points to category_id " + a.path("category_id") + ", which " + json.getName() + " does not list"));
      } else {
        String problem = problem(a);
        if (problem != null) {
          entries.add(SourceEntry.record(key, split, where, QuarantineReason.BAD_ANNOTATION, "annotation " + id + ": " + problem));
        } else {
          byImage.computeIfAbsent(imageId, k -> new ArrayList<>()).add(annotation(a, imageId, categoryId));
        }
      }
    }

    Path imageDir = new Path(root, split);
    Map<String, FileStatus> onDisk = new HashMap<>();
    if (fs.exists(imageDir)) {
      for (FileStatus f : Listing.files(fs, imageDir)) {
        onDisk.put(f.getPath().toUri().getPath().substring(imageDir.toUri().getPath().length() + 1), f);
      }
    }
    for (Image image : images.values()) {
      FileStatus file = onDisk.remove(image.fileName());
      List<CocoAnnotation> annotations = byImage.getOrDefault(image.id(), List.of());
      if (file == null) {
        String path = new Path(imageDir, image.fileName()).toString();
        entries.add(SourceEntry.file(split, image.fileName(), path, 0, null).withAnnotations(image.id(), annotations)
            .rejectedUpfront(QuarantineReason.IMAGE_MISSING, json.getName() + " lists image " + image.id() + " ('"
                + image.fileName() + "'), which is not in " + imageDir + "; its " + annotations.size() + " annotations are not ingested"));
      } else {
        entries.add(SourceEntry.file(split, image.fileName(), file.getPath().toString(), file.getLen(), null)
            .withAnnotations(image.id(), annotations));
      }
    }
    for (Map.Entry<String, FileStatus> stray : new TreeMap<>(onDisk).entrySet()) {
      FileStatus f = stray.getValue();
      SourceEntry entry = SourceEntry.file(split, stray.getKey(), f.getPath().toString(), f.getLen(), null);
      entries.add(ImageFormat.hasImageExtension(f.getPath().getName())
          ? entry.rejectedUpfront(QuarantineReason.NOT_IN_ANNOTATIONS, "'" + stray.getKey() + "' is in " + split
              + "/ but not in " + json.getName())
          : entry.requireImageName());
    }
  }

  /** Streams the top-level arrays; any other top-level field is skipped. */
  private static void parse(FileSystem fs, Path json, Map<Long, Image> images, Map<Integer, String> categories,
      List<JsonNode> annotations) throws IOException {
    try (InputStream in = fs.open(json); JsonParser p = new JsonFactory(JSON).createParser(in)) {
      try {
        expect(p.nextToken(), JsonToken.START_OBJECT, p, json, "a JSON object at the top");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken value = p.nextToken();
          switch (field) {
            case "images" -> {
              expect(value, JsonToken.START_ARRAY, p, json, "\"images\" to be an array");
              while (p.nextToken() == JsonToken.START_OBJECT) {
                JsonLocation at = p.currentTokenLocation();
                JsonNode image = p.readValueAsTree();
                if (!image.path("id").canConvertToLong() || !image.path("file_name").isTextual()) {
                  throw bad(json, at, "an image without a numeric \"id\" and a \"file_name\": " + abbreviate(image));
                }
                images.put(image.get("id").asLong(), new Image(image.get("id").asLong(), image.get("file_name").asText()));
              }
            }
            case "categories" -> {
              expect(value, JsonToken.START_ARRAY, p, json, "\"categories\" to be an array");
              while (p.nextToken() == JsonToken.START_OBJECT) {
                JsonLocation at = p.currentTokenLocation();
                JsonNode category = p.readValueAsTree();
                if (!category.path("id").canConvertToInt()) {
                  throw bad(json, at, "a category without a numeric \"id\": " + abbreviate(category));
                }
                categories.put(category.get("id").asInt(), category.path("name").asText(null));
              }
            }
            case "annotations" -> {
              expect(value, JsonToken.START_ARRAY, p, json, "\"annotations\" to be an array");
              while (p.nextToken() == JsonToken.START_OBJECT) {
                annotations.add(p.readValueAsTree());
              }
            }
            default -> p.skipChildren();
          }
        }
      } catch (JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        throw Errors.input(json + ": not valid JSON at line " + (at == null ? "?" : at.getLineNr()) + ", column "
            + (at == null ? "?" : at.getColumnNr()) + ": " + e.getOriginalMessage(), e);
      }
    }
  }

  private static void expect(JsonToken actual, JsonToken expected, JsonParser p, Path json, String what) {
    if (actual != expected) {
      throw bad(json, p.currentTokenLocation(), "expected " + what + ", found " + actual);
    }
  }

  private static RuntimeException bad(Path json, JsonLocation at, String message) {
    return Errors.input(json + ", line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + message
        + ". A COCO instances file has \"images\", \"annotations\" and \"categories\" arrays");
  }

  /** Null when the annotation is usable; otherwise what is wrong with it. */
  private static String problem(JsonNode a) {
    JsonNode bbox = a.path("bbox");
    if (!bbox.isArray() || bbox.size() != 4) {
      return "bbox must be [x, y, width, height], got " + abbreviate(bbox);
    }
    for (JsonNode v : bbox) {
      if (!v.isNumber()) {
        return "bbox must hold numbers, got " + abbreviate(bbox);
      }
    }
    if (bbox.get(2).asDouble() < 0 || bbox.get(3).asDouble() < 0) {
      return "bbox has a negative width or height: " + abbreviate(bbox);
    }
    JsonNode seg = a.path("segmentation");
    if (seg.isObject() && (!seg.path("size").isArray() || !(seg.path("counts").isArray() || seg.path("counts").isTextual()))) {
      return "RLE segmentation needs \"size\" [h, w] and \"counts\", got " + abbreviate(seg);
    }
    return null;
  }

  private static CocoAnnotation annotation(JsonNode a, long imageId, int categoryId) {
    JsonNode b = a.get("bbox");
    double[] bbox = {b.get(0).asDouble(), b.get(1).asDouble(), b.get(2).asDouble(), b.get(3).asDouble()};
    JsonNode seg = a.path("segmentation");
    double[][] polygons = null;
    int[] rleSize = null;
    int[] rleCounts = null;
    String rleCompressed = null;
    if (seg.isArray()) {
      polygons = new double[seg.size()][];
      for (int i = 0; i < seg.size(); i++) {
        JsonNode poly = seg.get(i);
        polygons[i] = new double[poly.size()];
        for (int j = 0; j < poly.size(); j++) {
          polygons[i][j] = poly.get(j).asDouble();
        }
      }
    } else if (seg.isObject()) {
      rleSize = new int[] {seg.get("size").path(0).asInt(), seg.get("size").path(1).asInt()};
      if (seg.get("counts").isTextual()) {
        rleCompressed = seg.get("counts").asText();
      } else {
        rleCounts = new int[seg.get("counts").size()];
        for (int i = 0; i < rleCounts.length; i++) {
          rleCounts[i] = seg.get("counts").get(i).asInt();
        }
      }
    }
    Double area = a.path("area").isNumber() ? a.get("area").asDouble() : null;
    return new CocoAnnotation(a.get("id").asLong(), imageId, categoryId, null, bbox, area, a.path("iscrowd").asInt(0) == 1,
        polygons, rleSize, rleCounts, rleCompressed);
  }

  private static String abbreviate(JsonNode node) {
    String s = String.valueOf(node);
    return s.length() > 100 ? s.substring(0, 97) + "..." : s;
  }
}
