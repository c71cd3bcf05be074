package dev.lading.core.registry;

import dev.lading.core.model.ByteRange;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.policy.ImmutableTagOverride;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The registry's operations in the distribution-spec's terms, free of HTTP. Every method blocks
 * (call it off the event loop) and refuses bad input with a {@link
 * dev.lading.core.error.RegistryException} that carries the spec's error code; a refused call
 * changes nothing visible.
 *
 * <p>Request bodies arrive as {@link InputStream}s that the implementation reads to the end (or
 * until it refuses); it never holds a blob whole in memory and never spools it anywhere but the
 * store.
 */
public interface Registry {

  // ---- blobs --------------------------------------------------------------------------------

  /** Size of a blob linked into {@code repo}; {@code BLOB_UNKNOWN} when not linked there. */
  BlobInfo statBlob(RepositoryName repo, Digest digest);

  /**
   * Opens a blob linked into {@code repo} for reading, the whole of it when {@code range} is empty.
   * The range must already be resolved against {@link #statBlob}'s size.
   */
  BlobContent openBlob(RepositoryName repo, Digest digest, Optional<ByteRange> range);

  /**
   * The blob as a pull ({@code GET}) sees it: {@code BLOB_UNKNOWN} only when it is not linked in
   * {@code repo}. Unlike {@link #statBlob} (a {@code HEAD}, which clients use to skip an upload),
   * it never answers unknown because a garbage collection is considering the blob.
   */
  default BlobInfo statBlobForRead(RepositoryName repo, Digest digest) {
    return statBlob(repo, digest);
  }

  /**
   * A URL the client may fetch the blob's bytes from directly (an S3 presigned GET valid for {@code
   * ttl}), when the store hands such URLs out; empty otherwise, and the caller streams the blob
   * itself. {@code BLOB_UNKNOWN} when not linked into {@code repo}.
   */
  default Optional<URI> blobRedirect(RepositoryName repo, Digest digest, Duration ttl) {
    statBlob(repo, digest);
    return Optional.empty();
  }

  /** Unlinks the blob from {@code repo} ({@code BLOB_UNKNOWN} when not linked). */
  void deleteBlob(RepositoryName repo, Digest digest);

  // ---- uploads ------------------------------------------------------------------------------

  /** Opens an upload session in {@code repo}. */
  UploadStatus startUpload(RepositoryName repo);

  /**
   * Whether this registry takes digests of {@code algorithm}: sha256 and sha512 always, blake3 only
   * when configured ({@code RegistryOptions.allowBlake3}).
   */
  boolean acceptsAlgorithm(DigestAlgorithm algorithm);

  /**
   * Links an existing blob into {@code repo} without uploading it: from {@code from} when given
   * (the blob must be linked there), or from anywhere in the registry when not. Empty when the blob
   * cannot be mounted; the caller then starts an ordinary upload.
   */
  Optional<BlobInfo> mountBlob(RepositoryName repo, Digest digest, Optional<RepositoryName> from);

  /**
   * Monolithic upload ({@code POST ?digest=}): streams {@code body} into the store and commits it
   * as {@code digest}. {@code length} is the declared length, empty when unknown.
   */
  BlobInfo putBlob(RepositoryName repo, Digest digest, InputStream body, OptionalLong length);

  /**
   * Appends a chunk ({@code PATCH}). {@code start}, when the client sent a {@code Content-Range},
   * must equal the session's offset ({@code 416 BLOB_UPLOAD_INVALID} otherwise); {@code length},
   * when known, must match the bytes received ({@code SIZE_INVALID}).
   */
  UploadStatus appendToUpload(
      RepositoryName repo, UploadId id, OptionalLong start, InputStream body, OptionalLong length);

  /** The session's offset ({@code GET} of an upload); {@code BLOB_UPLOAD_UNKNOWN} when gone. */
  UploadStatus uploadStatus(RepositoryName repo, UploadId id);

  /**
   * Closes a session ({@code PUT ?digest=}), appending {@code finalChunk} first (which may be
   * empty), and commits the bytes as {@code digest} ({@code DIGEST_INVALID} when they do not hash
   * to it; the session then ends and nothing is visible). A retried close of a session already
   * committed as {@code digest} answers the same {@link BlobInfo}.
   */
  BlobInfo completeUpload(
      RepositoryName repo,
      UploadId id,
      Digest digest,
      OptionalLong start,
      InputStream finalChunk,
      OptionalLong length);

  /** Cancels a session ({@code DELETE}); its bytes are discarded. */
  void cancelUpload(RepositoryName repo, UploadId id);

  // ---- manifests ----------------------------------------------------------------------------

  /** A manifest by tag or digest; {@code MANIFEST_UNKNOWN} when there is none. */
  ManifestContent getManifest(RepositoryName repo, Reference reference);

  /** What {@code HEAD} of a manifest answers, without reading more than needed. */
  ManifestInfo statManifest(RepositoryName repo, Reference reference);

  /**
   * Validates and stores a manifest, then points the tag at it when {@code reference} is a tag.
   * {@code contentType} is the request's {@code Content-Type}, which must agree with the body's
   * {@code mediaType} when that is present.
   */
  default PutManifestResult putManifest(
      RepositoryName repo, Reference reference, String contentType, byte[] body) {
    return putManifest(repo, reference, List.of(), contentType, body);
  }

  /**
   * {@link #putManifest(RepositoryName, Reference, String, byte[])} that also points every tag of
   * {@code tags} at the manifest (a push by digest with {@code ?tag=} query parameters,
   * distribution-spec main). {@code tags} must be empty when {@code reference} is a tag ({@code
   * MANIFEST_INVALID}). Every tag is a valid {@link dev.lading.core.model.Tag} already, so nothing
   * is written unless the manifest itself is accepted; then all the tags are set.
   */
  default PutManifestResult putManifest(
      RepositoryName repo, Reference reference, List<Tag> tags, String contentType, byte[] body) {
    return putManifest(repo, reference, tags, contentType, body, ImmutableTagOverride.NONE);
  }

  /**
   * As {@link #putManifest(RepositoryName, Reference, List, String, byte[])}, under the immutable
   * tag rules in force: a tag they cover that already names another digest refuses the whole push
   * with {@code DENIED} (nothing written) unless {@code override} is granted; the same digest again
   * is accepted.
   */
  PutManifestResult putManifest(
      RepositoryName repo,
      Reference reference,
      List<Tag> tags,
      String contentType,
      byte[] body,
      ImmutableTagOverride override);

  /**
   * By digest: removes the manifest from {@code repo}, with every tag pointing at it and its
   * referrers entry. By tag: removes only the tag.
   */
  default void deleteManifest(RepositoryName repo, Reference reference) {
    deleteManifest(repo, reference, ImmutableTagOverride.NONE);
  }

  /**
   * As {@link #deleteManifest(RepositoryName, Reference)}, refused with {@code DENIED} (nothing
   * deleted) when it would delete a tag the immutable tag rules cover, unless {@code override} is
   * granted.
   */
  void deleteManifest(RepositoryName repo, Reference reference, ImmutableTagOverride override);

  // ---- discovery ----------------------------------------------------------------------------

  /**
   * Tags in lexical order after {@code last}, at most {@code limit}; {@code NAME_UNKNOWN} when the
   * repository has none ever.
   */
  Page listTags(RepositoryName repo, int limit, Optional<String> last);

  /** Repository names in lexical order after {@code last}, at most {@code limit}. */
  Page listRepositories(int limit, Optional<String> last);

  /** Manifests in {@code repo} whose {@code subject} is {@code subject}, optionally filtered. */
  Referrers referrers(RepositoryName repo, Digest subject, Optional<String> artifactType);
}
