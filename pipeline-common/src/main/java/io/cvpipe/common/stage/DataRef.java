package io.cvpipe.common.stage;

/**
 * Something a stage reads or writes, with the version it has now: a table at a snapshot, a model directory with
 * the fingerprint of its model.json, or files outside the warehouse (no version). Its string form is what lineage
 * records and compares: {@code name@snapshot}, {@code directory#fingerprint}, {@code files location}.
 *
 * @param version a snapshot id or fingerprint; {@link #ABSENT} when the thing does not exist, {@code none} for
 *     a table without a snapshot, null for files
 */
public record DataRef(Kind kind, String name, String version) {

  public static final String ABSENT = "absent";

  public enum Kind { TABLE, MODEL, FILES }

  public static DataRef files(String location) {
    return new DataRef(Kind.FILES, location, null);
  }

  /** Whether the table or model does not exist (yet). */
  public boolean absent() {
    return ABSENT.equals(version);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case TABLE -> name + "@" + version;
      case MODEL -> name + "#" + version;
      case FILES -> "files " + name;
    };
  }
}
