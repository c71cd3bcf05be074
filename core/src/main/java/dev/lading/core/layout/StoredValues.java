package dev.lading.core.layout;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.manifest.ManifestDescriptor;
import dev.lading.core.manifest.ManifestParser;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What the objects of {@link StorageLayout} hold, each as a typed record with the one reader
 * ({@code read}) and writer ({@code write}) of its bytes. The JSON ones keep the field names and
 * the ISO-8601 instants they have always had, and unknown fields are ignored, so a newer instance
 * may add fields an older one still reads. Empty objects (layer links, catalog markers, GC marks)
 * are {@link #empty}. A value that does not read throws {@link UncheckedIOException}, except a tag
 * target, which is a digest and fails as one.
 */
public final class StoredValues {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private StoredValues() {}

  /** The bytes of an empty object: a layer link, a catalog marker, a GC mark. */
  public static byte[] empty() {
    return new byte[0];
  }

  /**
   * {@code lading-format}: the version of this layout the store holds. Written by {@link
   * StoreFormat} when a server (or the offline {@code gc}) first uses the store; a store without it
   * holds version 1, the layout before the marker existed.
   */
  public record FormatVersion(int version) {
    public static FormatVersion read(byte[] bytes) {
      return json(bytes, FormatVersion.class);
    }

    public byte[] write() {
      return toJson(this);
    }
  }

  /**
   * {@code gc/link-epoch}: a random value rewritten whenever layer links are deleted. A link an
   * instance caches is trusted only while the epoch it was seen under is still the store's (see
   * core's {@code LinkCache}); a store without the object has the epoch {@link #NONE}.
   */
  public record LinkEpoch(String epoch) {
    /** The epoch of a store no deletion has rewritten yet. */
    public static final LinkEpoch NONE = new LinkEpoch("");

    public LinkEpoch {
      Objects.requireNonNull(epoch, "epoch");
    }

    /** A value never used before. */
    public static LinkEpoch fresh() {
      return new LinkEpoch(UUID.randomUUID().toString());
    }

    public static LinkEpoch read(byte[] bytes) {
      return json(bytes, LinkEpoch.class);
    }

    public byte[] write() {
      return toJson(this);
    }
  }

  /**
   * {@code auth/url-signing-key}: the HMAC key of Lading's own signed blob URLs and (a key derived
   * from it) of signed upload ids, created once (create-if-absent) by the first instance that needs
   * it, so what one instance signs is good on every other.
   */
  public record UrlSigningKey(byte[] key) {
    /** Shorter keys are refused: HMAC-SHA256 wants at least its output's 32 bytes. */
    public static final int MIN_BYTES = 32;

    public UrlSigningKey {
      if (key == null || key.length < MIN_BYTES) {
        throw new IllegalArgumentException(
            "a URL signing key has at least " + MIN_BYTES + " bytes");
      }
      key = key.clone();
    }

    @Override
    public byte[] key() {
      return key.clone();
    }

    public static UrlSigningKey read(byte[] bytes) {
      Shape shape = json(bytes, Shape.class);
      if (shape.key() == null) {
        throw new IllegalArgumentException("a URL signing key object without its key");
      }
      return new UrlSigningKey(Base64.getDecoder().decode(shape.key()));
    }

    public byte[] write() {
      return toJson(new Shape(Base64.getEncoder().encodeToString(key)));
    }

    private record Shape(String key) {}
  }

  /**
   * {@code blobs/<alg>/<hex[:2]>/<hex>}: a committed blob: its size and where its bytes are, either
   * at the data key its upload (or a manifest push) wrote, or, from layout version 2 on, in the
   * record itself ({@code content}, base64) for a blob of at most {@link #INLINE_MAX_BYTES}: a
   * small blob is then one object, one durable write, instead of two. Written once,
   * create-if-absent, by the registry's commit; deleted only by GC.
   */
  public record BlobRecord(long size, Optional<DataKey> dataKey, Optional<Inline> inline) {
    /**
     * Blobs up to this size may be kept in their record: configs, manifests and the small layers of
     * CI pushes, while a record stays a small object to read whole and to cache.
     */
    public static final int INLINE_MAX_BYTES = 16 * 1024;

    public BlobRecord {
      Objects.requireNonNull(dataKey, "dataKey");
      Objects.requireNonNull(inline, "inline");
      if (dataKey.isPresent() == inline.isPresent()) {
        throw new IllegalArgumentException("a blob record names a data key or holds the bytes");
      }
      if (inline.isPresent() && inline.get().length() != size) {
        throw new IllegalArgumentException("inline content of another size than the record's");
      }
    }

    /** A blob whose bytes are at {@code dataKey}. */
    public BlobRecord(long size, DataKey dataKey) {
      this(size, Optional.of(dataKey), Optional.empty());
    }

    /** A blob kept whole in its record ({@link #INLINE_MAX_BYTES} at most). */
    public static BlobRecord inline(byte[] content) {
      if (content.length > INLINE_MAX_BYTES) {
        throw new IllegalArgumentException(
            content.length + " bytes is more than a record holds inline");
      }
      return new BlobRecord(content.length, Optional.empty(), Optional.of(new Inline(content)));
    }

    /** Whether this record names the data at {@code key} (an inline record names none). */
    public boolean isAt(DataKey key) {
      return dataKey.isPresent() && dataKey.get().equals(key);
    }

    /** How many bytes of content the record itself holds (a cache weighs records by it). */
    public int inlineLength() {
      return inline.map(Inline::length).orElse(0);
    }

    public static BlobRecord read(byte[] bytes) {
      Shape shape = json(bytes, Shape.class);
      if (shape.content() == null) {
        return new BlobRecord(shape.size(), parseDataKey(shape.dataKey(), BlobRecord.class));
      }
      try {
        return new BlobRecord(
            shape.size(),
            Optional.empty(),
            Optional.of(new Inline(Base64.getDecoder().decode(shape.content()))));
      } catch (IllegalArgumentException e) {
        throw corrupt(BlobRecord.class, e);
      }
    }

    public byte[] write() {
      byte[] json =
          toJson(
              new Shape(
                  size,
                  dataKey.map(StorageLayout::keyOf).orElse(null),
                  inline.map(i -> Base64.getEncoder().encodeToString(i.bytes)).orElse(null)));
      if (inline.isPresent() && mayNameData(json.length)) {
        // Padded past the lengths of a record naming data (JSON allows trailing spaces).
        byte[] padded = Arrays.copyOf(json, (int) NAMING_DATA_MAX_LENGTH + 1);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
      }
      return json;
    }

    /**
     * Whether a record object of {@code length} bytes (as a listing gives it) may name a data
     * object. A record naming data is written in exactly one shape, whose length depends only on
     * the digits of its size; an inline record of such a length is padded past them. So GC counts
     * the records that name data from a listing alone, without reading a record: the count its
     * stray-data pass compares the data objects with.
     */
    public static boolean mayNameData(long length) {
      return length >= NAMING_DATA_MIN_LENGTH && length <= NAMING_DATA_MAX_LENGTH;
    }

    private static final DataKey SAMPLE_KEY = new DataKey("00000000-0000-0000-0000-000000000000");
    private static final long NAMING_DATA_MIN_LENGTH = new BlobRecord(0, SAMPLE_KEY).write().length;
    private static final long NAMING_DATA_MAX_LENGTH =
        new BlobRecord(Long.MAX_VALUE, SAMPLE_KEY).write().length;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record Shape(long size, String dataKey, String content) {}

    /** A blob's bytes held in its record; compared by content. */
    public record Inline(byte[] bytes) {
      public Inline {
        bytes = bytes.clone();
      }

      @Override
      public byte[] bytes() {
        return bytes.clone();
      }

      public int length() {
        return bytes.length;
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof Inline other && Arrays.equals(bytes, other.bytes);
      }

      @Override
      public int hashCode() {
        return Arrays.hashCode(bytes);
      }

      @Override
      public String toString() {
        return "Inline[" + bytes.length + " bytes]";
      }
    }
  }

  /**
   * {@code repositories/<name>/_manifests/<alg>/<hex>}: a manifest revision linked into a
   * repository, with the media type it was pushed as ({@code {"mediaType":"..."}}), or empty when
   * the manifest's bytes name that type themselves (layout version 4: {@link #OWN_TYPE}), so the
   * link is created in place like a blob's, with no staged file. Written by a manifest push;
   * deleted by a manifest delete or GC.
   *
   * @param mediaType the type pushed as; empty for a link whose manifest names its own
   */
  public record ManifestLink(Optional<String> mediaType) {
    /** The link of a manifest whose bytes name the type it was pushed as. */
    public static final ManifestLink OWN_TYPE = new ManifestLink(Optional.empty());

    public ManifestLink {
      Objects.requireNonNull(mediaType, "mediaType");
    }

    public ManifestLink(String mediaType) {
      this(Optional.of(mediaType));
    }

    public static ManifestLink read(byte[] bytes) {
      if (bytes.length == 0) {
        return OWN_TYPE;
      }
      Shape shape = json(bytes, Shape.class);
      if (shape.mediaType() == null) {
        throw corrupt(ManifestLink.class, new IllegalArgumentException("no mediaType"));
      }
      return new ManifestLink(shape.mediaType());
    }

    public byte[] write() {
      return mediaType.map(type -> toJson(new Shape(type))).orElseGet(() -> new byte[0]);
    }

    private record Shape(String mediaType) {}
  }

  /**
   * {@code repositories/<name>/_tags/<tag>}: the digest the tag names, as ASCII text. Written by a
   * manifest push by tag; deleted by a tag or manifest delete.
   */
  public record TagTarget(Digest manifest) {
    public TagTarget {
      Objects.requireNonNull(manifest, "manifest");
    }

    /** The target; {@code DIGEST_INVALID} when the text is no digest. */
    public static TagTarget read(byte[] bytes) {
      return new TagTarget(Digest.parse(new String(bytes, StandardCharsets.US_ASCII).trim()));
    }

    public byte[] write() {
      return manifest.toString().getBytes(StandardCharsets.US_ASCII);
    }
  }

  /**
   * {@code repositories/<name>/_referrers/<subject>/<digest>}: what the referrers API lists for one
   * manifest whose subject is {@code <subject>}. Written by that manifest's push; deleted with its
   * link (a manifest delete, GC).
   */
  public record ReferrerDescriptor(
      String mediaType,
      Digest digest,
      long size,
      Optional<String> artifactType,
      Map<String, String> annotations) {
    public ReferrerDescriptor {
      Objects.requireNonNull(digest, "digest");
      Objects.requireNonNull(artifactType, "artifactType");
      annotations = Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
    }

    public static ReferrerDescriptor read(byte[] bytes) {
      Shape shape = json(bytes, Shape.class);
      return new ReferrerDescriptor(
          shape.mediaType(),
          parseDigest(shape.digest(), ReferrerDescriptor.class),
          shape.size(),
          Optional.ofNullable(shape.artifactType()),
          shape.annotations() == null ? Map.of() : shape.annotations());
    }

    public byte[] write() {
      return toJson(
          new Shape(
              mediaType,
              digest.toString(),
              size,
              artifactType.orElse(null),
              annotations.isEmpty() ? null : annotations));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record Shape(
        String mediaType,
        String digest,
        long size,
        String artifactType,
        Map<String, String> annotations) {}
  }

  /**
   * {@code repositories/<name>/_uploads/<id>}: an upload session, enough for any instance to
   * continue it. {@code hashState} is the base64 SHA-256 state after {@code offset} bytes, absent
   * when it could not be saved (the commit then re-reads the bytes). {@code completed} is set once
   * the session committed, so a retried close answers the same. Written by the registry after every
   * request of the session that changes it; deleted by a cancel, a failed close or GC's upload
   * expiry. A session with a signed id ({@code dev.lading.core.registry.SignedUploadIds}) has no
   * state until it holds something, so its end is recorded instead of deleted: {@code cancelled}
   * marks a state that only says the session is over (until GC's upload expiry removes it).
   *
   * <p>From layout version 4 on, the close of a session with a signed id records its end as an
   * empty object ({@link #closedByItsLink}): the session is over and its blob is the one the close
   * linked into the repository, which is all a retried close needs to answer as the first one did.
   * It is written in place, without the fsync a state's content needs (an empty object cannot be
   * read half written), and may be lost in a crash like any completed state (see {@code
   * UploadSessions#complete}).
   */
  public record UploadState(
      RepositoryName repository,
      UploadId id,
      Instant startedAt,
      long offset,
      DataKey dataKey,
      Optional<String> resumeToken,
      Optional<String> hashState,
      Optional<Completed> completed,
      boolean cancelled) {

    /**
     * The blob a session committed: its digest and size, or neither when the state is the empty
     * object of a close recorded by its link alone ({@link #closedByItsLink}).
     */
    public record Completed(Optional<Digest> digest, long size) {
      public Completed {
        Objects.requireNonNull(digest, "digest");
      }

      Completed(Digest digest, long size) {
        this(Optional.of(digest), size);
      }

      /** Whether the state names the blob; otherwise the blob is the one the close linked. */
      public boolean named() {
        return digest.isPresent();
      }
    }

    public UploadState {
      Objects.requireNonNull(repository, "repository");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(startedAt, "startedAt");
      Objects.requireNonNull(dataKey, "dataKey");
      Objects.requireNonNull(resumeToken, "resumeToken");
      Objects.requireNonNull(hashState, "hashState");
      Objects.requireNonNull(completed, "completed");
    }

    /** A session just started: nothing received yet, and no write started. */
    public static UploadState started(
        RepositoryName repository, UploadId id, Instant startedAt, DataKey dataKey) {
      return withNothingReceived(repository, id, startedAt, dataKey, false);
    }

    private static UploadState withNothingReceived(
        RepositoryName repository,
        UploadId id,
        Instant startedAt,
        DataKey dataKey,
        boolean cancelled) {
      return new UploadState(
          repository,
          id,
          startedAt,
          0,
          dataKey,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          cancelled);
    }

    /** This session after more bytes arrived: {@code newOffset} in all. */
    public UploadState advanced(long newOffset, String token, Optional<String> newHashState) {
      return new UploadState(
          repository,
          id,
          startedAt,
          newOffset,
          dataKey,
          Optional.of(token),
          newHashState,
          Optional.empty(),
          false);
    }

    /** This session once its blob is committed. */
    public UploadState completed(Digest digest, long size) {
      return closed(size, new Completed(digest, size));
    }

    /**
     * This session once its close committed and linked its blob, recorded as the empty object that
     * says only that (layout version 4, signed ids).
     */
    public UploadState closedByItsLink() {
      return closed(0, new Completed(Optional.empty(), 0));
    }

    /** This session closed: nothing more to receive, so no write and no hash state. */
    private UploadState closed(long offset, Completed completed) {
      return new UploadState(
          repository,
          id,
          startedAt,
          offset,
          dataKey,
          Optional.empty(),
          Optional.empty(),
          Optional.of(completed),
          false);
    }

    /**
     * Whether {@code stored}, the object at a session's state key, is a {@link #closedByItsLink}.
     */
    public static boolean isClosedByItsLink(byte[] stored) {
      return stored.length == 0;
    }

    /** What is left of this session once it is cancelled or failed: only that it is over. */
    public UploadState asCancelled() {
      return withNothingReceived(repository, id, startedAt, dataKey, true);
    }

    public boolean isCompleted() {
      return completed.isPresent();
    }

    /** Whether the session may still receive bytes: neither completed nor cancelled. */
    public boolean isOpen() {
      return completed.isEmpty() && !cancelled;
    }

    public static UploadState read(byte[] bytes) {
      Shape s = json(bytes, Shape.class);
      try {
        return new UploadState(
            RepositoryName.parse(s.repository()),
            UploadId.parse(s.id()),
            Instant.parse(s.startedAt()),
            s.offset(),
            parseDataKey(s.dataKey(), UploadState.class),
            Optional.ofNullable(s.resumeToken()),
            Optional.ofNullable(s.hashState()),
            s.completedDigest() == null
                ? Optional.empty()
                : Optional.of(
                    new Completed(
                        Digest.parse(s.completedDigest()),
                        s.completedSize() == null ? s.offset() : s.completedSize())),
            Boolean.TRUE.equals(s.cancelled()));
      } catch (RuntimeException e) {
        throw corrupt(UploadState.class, e);
      }
    }

    public byte[] write() {
      if (completed.isPresent() && !completed.get().named()) {
        return new byte[0];
      }
      return toJson(
          new Shape(
              repository.value(),
              id.value(),
              startedAt.toString(),
              offset,
              StorageLayout.keyOf(dataKey),
              resumeToken.orElse(null),
              hashState.orElse(null),
              completed.map(c -> c.digest().orElseThrow().toString()).orElse(null),
              completed.map(Completed::size).orElse(null),
              cancelled ? Boolean.TRUE : null));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record Shape(
        String repository,
        String id,
        String startedAt,
        long offset,
        String dataKey,
        String resumeToken,
        String hashState,
        String completedDigest,
        Long completedSize,
        Boolean cancelled) {}
  }

  /**
   * {@code repositories/<name>/_pulls/<instance>}: when one instance last saw each tag and each
   * manifest digest of the repository pulled (a manifest {@code GET}), to the second. Rewritten
   * whole, in batches, by that instance's pull log; read by retention; deleted by GC once too old
   * to keep anything.
   */
  public record PullRecord(Map<String, Instant> tags, Map<Digest, Instant> digests) {
    public PullRecord {
      tags = Map.copyOf(tags);
      digests = Map.copyOf(digests);
    }

    public static PullRecord read(byte[] bytes) {
      Shape s = json(bytes, Shape.class);
      try {
        Map<String, Instant> tags = new HashMap<>();
        if (s.tags() != null) {
          s.tags().forEach((t, at) -> tags.put(t, Instant.parse(at)));
        }
        Map<Digest, Instant> digests = new HashMap<>();
        if (s.digests() != null) {
          s.digests().forEach((d, at) -> digests.put(Digest.parse(d), Instant.parse(at)));
        }
        return new PullRecord(tags, digests);
      } catch (RuntimeException e) {
        throw corrupt(PullRecord.class, e);
      }
    }

    public byte[] write() {
      Map<String, String> t = new TreeMap<>();
      tags.forEach((tag, at) -> t.put(tag, at.toString()));
      Map<String, String> d = new TreeMap<>();
      digests.forEach((digest, at) -> d.put(digest.toString(), at.toString()));
      return toJson(new Shape(t, d));
    }

    private record Shape(Map<String, String> tags, Map<String, String> digests) {}
  }

  /**
   * {@code gc/runs/<id>}: a GC run in progress. {@code expiresAt} is renewed by the run's lease
   * while it works; pushers ignore a run past it (a crashed run blocks nobody). Written by the GC's
   * run lease; deleted by it at the end, or by a later run once long expired.
   */
  public record GcRun(String id, Instant startedAt, Instant expiresAt) {
    public GcRun {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(startedAt, "startedAt");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public static GcRun read(byte[] bytes) {
      Shape s = json(bytes, Shape.class);
      try {
        return new GcRun(s.id(), Instant.parse(s.startedAt()), Instant.parse(s.expiresAt()));
      } catch (RuntimeException e) {
        throw corrupt(GcRun.class, e);
      }
    }

    public byte[] write() {
      return toJson(new Shape(id, startedAt.toString(), expiresAt.toString()));
    }

    private record Shape(String id, String startedAt, String expiresAt) {}
  }

  /**
   * {@code gc/intents/<alg>/<hex>}: the sweeper {@code runId} may delete, until {@code deadline}
   * (after it nobody honours the intent and the sweeper gives up), what {@code reach} names.
   * Pushers elsewhere are not concerned: a shared layer whose link goes in one repository stays
   * pushable and mountable everywhere else. An intent without a reach (written by an older
   * instance) concerns everyone. Written by the GC's sweep; deleted by it once the digest is
   * settled.
   */
  public record GcIntent(String runId, Instant deadline, Optional<Reach> reach) {
    /** The digest's links in {@code repositories}, and its blob too when {@code record}. */
    public record Reach(boolean record, List<RepositoryName> repositories) {
      public Reach {
        repositories = List.copyOf(repositories);
      }
    }

    public GcIntent {
      Objects.requireNonNull(runId, "runId");
      Objects.requireNonNull(deadline, "deadline");
      Objects.requireNonNull(reach, "reach");
    }

    /** Whether a push or mount in {@code repository} depends on what this intent may delete. */
    public boolean concerns(RepositoryName repository) {
      return reach.isEmpty()
          || reach.get().record()
          || reach.get().repositories().contains(repository);
    }

    public static GcIntent read(byte[] bytes) {
      Shape s = json(bytes, Shape.class);
      try {
        Optional<Reach> reach =
            s.record() == null || s.repositories() == null
                ? Optional.empty()
                : Optional.of(
                    new Reach(
                        s.record(), s.repositories().stream().map(RepositoryName::parse).toList()));
        return new GcIntent(s.runId(), Instant.parse(s.deadline()), reach);
      } catch (RuntimeException e) {
        throw corrupt(GcIntent.class, e);
      }
    }

    public byte[] write() {
      return toJson(
          new Shape(
              runId,
              deadline.toString(),
              reach.map(Reach::record).orElse(null),
              reach
                  .map(r -> r.repositories().stream().map(RepositoryName::value).toList())
                  .orElse(null)));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record Shape(
        String runId, String deadline, Boolean record, List<String> repositories) {}
  }

  /**
   * What a stored manifest keeps alive: every blob it names (config and layers, foreign layers too:
   * when one was pushed it stays) and its child manifests. Read from the manifest's bytes at its
   * data key ({@link #readManifest}); GC's mark is built on it.
   */
  public record ManifestReferences(Set<Digest> blobs, Set<Digest> manifests) {
    public static final ManifestReferences NONE = new ManifestReferences(Set.of(), Set.of());

    public ManifestReferences {
      blobs = Collections.unmodifiableSet(new LinkedHashSet<>(blobs));
      manifests = Collections.unmodifiableSet(new LinkedHashSet<>(manifests));
    }

    public static ManifestReferences of(ParsedManifest manifest) {
      Set<Digest> blobs = new LinkedHashSet<>();
      manifest.config().ifPresent(c -> blobs.add(c.digest()));
      manifest.layers().forEach(layer -> blobs.add(layer.digest()));
      Set<Digest> children = new LinkedHashSet<>();
      manifest.manifests().stream().map(ManifestDescriptor::digest).forEach(children::add);
      return new ManifestReferences(blobs, children);
    }
  }

  /** Reads a manifest's link, only when its bytes do not name their own media type. */
  @FunctionalInterface
  public interface LinkReader {
    Optional<ManifestLink> read() throws IOException;
  }

  /**
   * A stored manifest's bytes parsed: by the media type the bytes name, else by the one its link
   * recorded (a manifest pushed by Content-Type alone), which {@code link} reads only then. The
   * bytes were valid when pushed; {@code MANIFEST_INVALID} when they do not parse now.
   */
  public static ParsedManifest readManifest(byte[] body, LinkReader link) throws IOException {
    try {
      return ManifestParser.parse(null, body);
    } catch (RegistryException withoutOwnType) {
      return ManifestParser.parse(link.read().flatMap(ManifestLink::mediaType).orElse(null), body);
    }
  }

  /**
   * {@code events/queue/<endpoint>/<batch>}: events waiting for delivery to one endpoint, each a
   * CloudEvent in JSON (structured mode), in the order they happened. Written once by the instance
   * that saw the requests; deleted by the deliverer once every event in it was delivered or given
   * up. {@code events/failed/<endpoint>/<batch>}: the same for events given up, kept for a replay.
   * {@code replayedAt}: when an operator put given-up events back in the queue (the deliverer then
   * retries them for {@code retry_for} from that time, not from when they happened); a reader that
   * does not know the field ignores it.
   */
  public record EventBatch(List<String> events, Optional<Instant> replayedAt) {
    public EventBatch {
      events = List.copyOf(events);
      Objects.requireNonNull(replayedAt, "replayedAt");
    }

    /** Events as they were queued (no replay). */
    public EventBatch(List<String> events) {
      this(events, Optional.empty());
    }

    /** The same events, put back in the queue by a replay at {@code at}. */
    public EventBatch replayed(Instant at) {
      return new EventBatch(events, Optional.of(at));
    }

    public static EventBatch read(byte[] bytes) {
      try {
        JsonNode root = MAPPER.readTree(bytes);
        JsonNode list = root == null ? null : root.get("events");
        if (list == null || !list.isArray()) {
          throw new IOException("no events list");
        }
        List<String> events = new ArrayList<>(list.size());
        for (JsonNode event : list) {
          if (!event.isObject()) {
            throw new IOException("an event is not a JSON object");
          }
          events.add(MAPPER.writeValueAsString(event));
        }
        JsonNode replayed = root.get("replayedAt");
        return new EventBatch(
            events,
            replayed == null || replayed.isNull()
                ? Optional.empty()
                : Optional.of(Instant.parse(replayed.asText())));
      } catch (IOException | RuntimeException e) {
        throw corrupt(EventBatch.class, e);
      }
    }

    /**
     * Each event is kept as the JSON object it is (not a string holding JSON), written as given:
     * each must be one JSON object, as {@link #read} gives them and the events module writes them.
     */
    public byte[] write() {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
          g.writeStartObject();
          g.writeArrayFieldStart("events");
          for (String event : events) {
            String e = event.strip();
            if (!e.startsWith("{") || !e.endsWith("}")) {
              throw new IllegalArgumentException("an event must be a JSON object");
            }
            g.writeRawValue(e);
          }
          g.writeEndArray();
          if (replayedAt.isPresent()) {
            g.writeStringField("replayedAt", replayedAt.get().toString());
          }
          g.writeEndObject();
        }
        return out.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * {@code events/deliverers/<instance>}: {@code id} delivers events until {@code expiresAt}, a
   * lease it renews while it runs. Written by the deliverer; deleted by it when it stops, or by the
   * next one once long expired.
   */
  public record EventDeliverer(String id, Instant expiresAt) {
    public EventDeliverer {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public static EventDeliverer read(byte[] bytes) {
      Shape s = json(bytes, Shape.class);
      try {
        return new EventDeliverer(s.id(), Instant.parse(s.expiresAt()));
      } catch (RuntimeException e) {
        throw corrupt(EventDeliverer.class, e);
      }
    }

    public byte[] write() {
      return toJson(new Shape(id, expiresAt.toString()));
    }

    private record Shape(String id, String expiresAt) {}
  }

  // ---- JSON ---------------------------------------------------------------------------------

  private static byte[] toJson(Object shape) {
    try {
      return MAPPER.writeValueAsBytes(shape);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T json(byte[] bytes, Class<T> shape) {
    try {
      return MAPPER.readValue(bytes, shape);
    } catch (IOException e) {
      throw corrupt(
          shape.getEnclosingClass() == StoredValues.class ? shape : shape.getEnclosingClass(), e);
    }
  }

  private static DataKey parseDataKey(String key, Class<?> value) {
    return StorageLayout.parse(key == null ? "" : key, DataKey.class)
        .orElseThrow(() -> corrupt(value, new IOException("not a data key")));
  }

  private static Digest parseDigest(String wire, Class<?> value) {
    try {
      return Digest.parse(wire);
    } catch (RegistryException e) {
      throw corrupt(value, e);
    }
  }

  private static UncheckedIOException corrupt(Class<?> value, Exception cause) {
    if (cause instanceof UncheckedIOException unchecked) {
      return unchecked;
    }
    IOException io =
        cause instanceof IOException e ? e : new IOException(cause.getMessage(), cause);
    return new UncheckedIOException("corrupt stored " + value.getSimpleName(), io);
  }
}
