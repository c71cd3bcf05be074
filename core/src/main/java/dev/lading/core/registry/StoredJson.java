package dev.lading.core.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The small JSON objects the registry keeps in the store. Unknown fields are ignored so a newer
 * instance may add fields that an older one still reads. Public so the GC module reads the same
 * shapes the registry writes (one definition, no drift).
 */
public final class StoredJson {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private StoredJson() {}

  /** {@code blobs/<alg>/<hex[:2]>/<hex>}: a committed blob, pointing at the data its upload wrote. */
  public record BlobRecord(long size, String dataKey) {}

  /** {@code _manifests/<alg>/<hex>}: a manifest revision linked into a repository. */
  public record ManifestLink(String mediaType) {}

  /** {@code _referrers/...}: what the referrers API lists for one referrer. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record StoredDescriptor(
      String mediaType,
      String digest,
      long size,
      String artifactType,
      Map<String, String> annotations) {}

  /**
   * {@code _uploads/<uuid>}: an upload session, enough for any instance to continue it.
   * {@code hashState} is the base64 SHA-256 state after {@code offset} bytes, or null when it
   * could not be saved (the commit then re-reads the bytes). {@code completedDigest} is set once
   * the session committed, so a retried close answers the same.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record UploadState(
      String repository,
      String id,
      String startedAt,
      long offset,
      String dataKey,
      String resumeToken,
      String hashState,
      String completedDigest,
      Long completedSize) {

    UploadState advanced(long newOffset, String token, String newHashState) {
      return new UploadState(
          repository, id, startedAt, newOffset, dataKey, token, newHashState, null, null);
    }

    UploadState completed(String digest, long size) {
      return new UploadState(repository, id, startedAt, size, dataKey, null, null, digest, size);
    }

    public boolean isCompleted() {
      return completedDigest != null;
    }
  }

  /**
   * {@code gc/runs/<id>}: a GC run in progress. {@code expiresAt} (ISO-8601) is renewed by the
   * sweeper while it works; pushers ignore a run past it (a crashed sweeper blocks nobody).
   */
  public record GcRun(String id, String startedAt, String expiresAt) {}

  /**
   * {@code gc/intents/<alg>/<hex>}: the sweeper {@code runId} may delete, until {@code deadline}
   * (ISO-8601; after it nobody honours the intent and the sweeper gives up), the digest's links
   * in {@code repositories} and, when {@code record} is true, the blob itself. Pushers elsewhere
   * are not concerned: a shared layer whose link goes in one repository stays pushable and
   * mountable everywhere else. An intent without these fields (written by an older instance)
   * concerns everyone.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record GcIntent(String runId, String deadline, Boolean record, java.util.List<String> repositories) {
    public GcIntent(String runId, String deadline) {
      this(runId, deadline, null, null);
    }

    /** Whether a push or mount in {@code repository} depends on what this intent may delete. */
    public boolean concerns(String repository) {
      return record == null || repositories == null || record || repositories.contains(repository);
    }
  }

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt stored " + type.getSimpleName(), e);
    }
  }
}
