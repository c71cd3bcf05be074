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
 * instance may add fields that an older one still reads.
 */
final class StoredJson {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private StoredJson() {}

  /** {@code blobs/<alg>/<hex>}: a committed blob, pointing at the data its upload wrote. */
  record BlobRecord(long size, String dataKey) {}

  /** {@code _manifests/<alg>/<hex>}: a manifest revision linked into a repository. */
  record ManifestLink(String mediaType) {}

  /** {@code _referrers/...}: what the referrers API lists for one referrer. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record StoredDescriptor(
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
  record UploadState(
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

    boolean isCompleted() {
      return completedDigest != null;
    }
  }

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt stored " + type.getSimpleName(), e);
    }
  }
}
