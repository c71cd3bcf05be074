package dev.lading.core.layout;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Where things live in an {@code ObjectStore}: every key as one of the sealed {@link Key} records,
 * one switch ({@link #keyOf}) from a record to its key and one parser ({@link #parse}) back.
 * Nothing else builds or takes apart a key; what each object holds is {@link StoredValues}'s
 * business. The whole tree:
 *
 * <pre>
 * lading-format                              the layout's version (JSON {version}), see {@link StoreFormat}
 * blobs/&lt;alg&gt;/&lt;hex[:2]&gt;/&lt;hex&gt;                 blob record: JSON {size, dataKey}, or {size, content} holding
 *                                             a blob of at most 16 KiB itself (version 2); global, content-addressed,
 *                                             written once (writeIfAbsent) when an upload commits;
 *                                             in 256 shards by the hex's first two characters
 * data/&lt;uuid[:2]&gt;/&lt;uuid&gt;                      blob bytes, at a key chosen when the upload starts
 *                                             (manifest bytes too, written small); 256 shards
 * repositories/&lt;name&gt;/_layers/&lt;alg&gt;/&lt;hex&gt;    link (empty): the blob is in this repository
 * repositories/&lt;name&gt;/_manifests/&lt;alg&gt;/&lt;hex&gt; link: the manifest revision is in this repository;
 *                                             JSON {mediaType}
 * repositories/&lt;name&gt;/_tags/&lt;tag&gt;             the tag's current digest (text); one object per tag, so
 *                                             listing the prefix is the lexical tag list
 * repositories/&lt;name&gt;/_referrers/&lt;s-alg&gt;/&lt;s-hex&gt;/&lt;alg&gt;/&lt;hex&gt;
 *                                             descriptor JSON of a manifest whose subject is s
 * repositories/&lt;name&gt;/_uploads/&lt;id&gt;           upload session state (JSON); id = uuid, or
 *                                             &lt;uuid&gt;.&lt;start&gt;.&lt;end&gt;.&lt;signature&gt; (version 3)
 * repositories/&lt;name&gt;/_pulls/&lt;uuid&gt;           when one instance (its uuid, chosen at start) last saw
 *                                             tags and digests of the repository pulled (JSON
 *                                             {tags, digests}); rewritten in batches, read by
 *                                             retention's keep_pulled_within
 * catalog/&lt;encoded name&gt;                     marker (empty): the repository exists
 * gc/runs/&lt;run id&gt;                          a GC run in progress (JSON {id, startedAt, expiresAt});
 *                                             pushers that see one write marks
 * gc/intents/&lt;alg&gt;/&lt;hex&gt;                   a sweeper is about to delete this digest's links and
 *                                             record (JSON {runId, deadline, record, repositories})
 * gc/marks/&lt;alg&gt;/&lt;hex&gt;                     (empty) a pusher uploaded, mounted, confirmed or
 *                                             referenced this digest while a run was active
 * gc/tag-marks/&lt;name&gt;/_tags/&lt;tag&gt;           a pusher is about to set this tag to this digest (text)
 *                                             while a run is active: retention's fence for tags
 * gc/link-epoch                              the link epoch (JSON {epoch}, a random UUID): rewritten
 *                                             whenever layer links are deleted (by a sweep before and
 *                                             after its deletes, by a blob DELETE after its own), so
 *                                             an instance that caches links drops them (version 6)
 * auth/signing-keys.jwks                     token auth's signing key set (JWK set with private keys)
 *                                             when the store is shared (S3) and no key file is configured
 * auth/url-signing-key                       the key of Lading's own signed blob URLs and, derived
 *                                             from it, of signed upload ids (JSON {key}), shared by
 *                                             every instance on this store
 * events/queue/&lt;endpoint&gt;/&lt;batch&gt;           events waiting for delivery to one configured endpoint
 *                                             (JSON {events: [CloudEvents]}); batch = &lt;epoch ms, 13
 *                                             digits&gt;-&lt;instance uuid&gt;-&lt;seq, 8 hex&gt;-&lt;count, 4 digits&gt;,
 *                                             so listing is oldest first
 * events/failed/&lt;endpoint&gt;/&lt;batch&gt;          events given up for one endpoint, kept (at most
 *                                             events.max_failed per endpoint) for an operator to
 *                                             replay (JSON {events: [CloudEvents]}); batch = the
 *                                             name of the queue batch they came from, with the
 *                                             count of those given up
 * events/deliverers/&lt;instance uuid&gt;          the instance delivering events, a renewed lease
 *                                             (JSON {id, expiresAt}); one at a time
 * </pre>
 *
 * <p>Beside these keys the stores keep private areas whose names start with {@code +}, which no key
 * segment may contain, so no key ever names them: {@link #FILESYSTEM_STAGING}, {@link
 * #FILESYSTEM_MULTIPART} and {@link #FILESYSTEM_INDEX} (directories under the filesystem store's
 * root), {@link #S3_TAILS} and {@link #S3_PROBES} (objects under the S3 store's prefix).
 *
 * <p>Why it is safe: repository-name components never start with {@code _}, so {@code _layers} and
 * its siblings never collide with a nested repository, and no key is ever both an object and the
 * prefix of another object (the filesystem store needs that: a file cannot also be a directory).
 *
 * <p>Why blobs and data fan out: they are the two big flat sets (one record and one data object per
 * blob, 100,000 each for 100,000 blobs), and some servers read a whole directory for every listing
 * call under it (S3Proxy's filesystem backend). The first two characters of the hex digest or of
 * the UUID (lowercase hex both, so 256 directories, about 400 entries each at 100,000 blobs) split
 * each set into shards that are listed on their own, side by side ({@link #blobRecordShards},
 * {@link #dataShards}); Distribution fans out its {@code blobs/} the same way for the same reason.
 * A shard is a whole segment of two characters and every name inside it is longer, so no key is
 * both an object and a prefix here either.
 *
 * <p>Why the catalog encodes names: a marker at {@code catalog/a} and one at {@code catalog/a/b}
 * would make {@code a} both a file and a directory, and a marker under {@code catalog/<name>/}
 * would list {@code a-b} before {@code a} (byte {@code -} sorts below {@code /}). So the name
 * becomes one key segment by an order-preserving, one-to-one character map ({@code /}&rarr;{@code
 * 0}, digits shift up by one, {@code 9}&rarr;{@code A}; the rest unchanged). Byte order of the
 * markers is then exactly the lexical order of the names, which the catalog API pages by.
 *
 * <p>Commit never moves bytes: an upload streams to its {@code data/} key and commit writes the
 * small {@code blobs/} record pointing at it. A second upload of the same content keeps the first
 * record and deletes its own data. A small blob whose bytes arrive whole in one request (a closing
 * {@code PUT}, a monolithic {@code POST}, a manifest) is written as its record alone, holding the
 * bytes, in a store of layout version 2 ({@link StoreFormat}). Online GC (module {@code gc}) sweeps
 * {@code data/} keys that no record and no live upload session points to; the {@code gc/} keys are
 * its fence against concurrent pushes (see {@code dev.lading.gc}'s package documentation for the
 * protocol).
 */
public final class StorageLayout {

  /** A location in the store; each record names one kind of object. */
  public sealed interface Key
      permits FormatVersionKey,
          BlobRecordKey,
          DataKey,
          LayerLinkKey,
          ManifestLinkKey,
          TagKey,
          ReferrerKey,
          UploadStateKey,
          PullRecordKey,
          CatalogKey,
          GcRunKey,
          GcIntentKey,
          GcMarkKey,
          GcTagMarkKey,
          LinkEpochKey,
          SigningKeySetKey,
          UrlSigningKeyKey,
          EventBatchKey,
          EventFailedKey,
          EventDelivererKey {}

  /** The store's layout version ({@link StoredValues.FormatVersion}). */
  public record FormatVersionKey() implements Key {}

  /** A committed blob ({@link StoredValues.BlobRecord}). */
  public record BlobRecordKey(Digest digest) implements Key {
    public BlobRecordKey {
      Objects.requireNonNull(digest);
    }
  }

  /** Bytes of a blob; {@code id} is a random UUID chosen when writing starts. */
  public record DataKey(String id) implements Key {
    private static final Pattern UUID_GRAMMAR =
        Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    public DataKey {
      if (id == null || !UUID_GRAMMAR.matcher(id).matches()) {
        throw new IllegalArgumentException("data id must be a UUID");
      }
    }

    public static DataKey random() {
      return new DataKey(UUID.randomUUID().toString());
    }
  }

  /** A blob linked into a repository (an empty object). */
  public record LayerLinkKey(RepositoryName repository, Digest digest) implements Key {
    public LayerLinkKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(digest);
    }
  }

  /** A manifest revision linked into a repository ({@link StoredValues.ManifestLink}). */
  public record ManifestLinkKey(RepositoryName repository, Digest digest) implements Key {
    public ManifestLinkKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(digest);
    }
  }

  /** A tag ({@link StoredValues.TagTarget}). */
  public record TagKey(RepositoryName repository, Tag tag) implements Key {
    public TagKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(tag);
    }
  }

  /** {@code referrer}'s subject is {@code subject} ({@link StoredValues.ReferrerDescriptor}). */
  public record ReferrerKey(RepositoryName repository, Digest subject, Digest referrer)
      implements Key {
    public ReferrerKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(subject);
      Objects.requireNonNull(referrer);
    }
  }

  /** An upload session ({@link StoredValues.UploadState}). */
  public record UploadStateKey(RepositoryName repository, UploadId id) implements Key {
    public UploadStateKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(id);
    }
  }

  /**
   * When instance {@code instance} (a random UUID chosen at its start) last saw tags and digests of
   * {@code repository} pulled ({@link StoredValues.PullRecord}).
   */
  public record PullRecordKey(RepositoryName repository, String instance) implements Key {
    public PullRecordKey {
      Objects.requireNonNull(repository);
      new DataKey(instance); // the same UUID grammar: safe inside a key
    }
  }

  /** The repository exists (an empty object). */
  public record CatalogKey(RepositoryName repository) implements Key {
    public CatalogKey {
      Objects.requireNonNull(repository);
    }
  }

  /** A GC run in progress ({@link StoredValues.GcRun}); {@code id} is a random UUID. */
  public record GcRunKey(String id) implements Key {
    public GcRunKey {
      new DataKey(id); // the same UUID grammar: safe inside a key
    }
  }

  /** A sweeper's announced intent to delete {@code digest} ({@link StoredValues.GcIntent}). */
  public record GcIntentKey(Digest digest) implements Key {
    public GcIntentKey {
      Objects.requireNonNull(digest);
    }
  }

  /**
   * The link epoch ({@link StoredValues.LinkEpoch}): a new value each time layer links are deleted,
   * so a cache of links taken under an older value is known stale.
   */
  public record LinkEpochKey() implements Key {}

  /** A pusher's mark (an empty object): {@code digest} was needed while a GC run was active. */
  public record GcMarkKey(Digest digest) implements Key {
    public GcMarkKey {
      Objects.requireNonNull(digest);
    }
  }

  /**
   * A pusher's tag mark ({@link StoredValues.TagTarget}): while a GC run was active it was about to
   * set {@code tag} of {@code repository} to the digest held, so a tag retention deletes at that
   * moment is put back (see {@code dev.lading.gc.Retention}).
   */
  public record GcTagMarkKey(RepositoryName repository, Tag tag) implements Key {
    public GcTagMarkKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(tag);
    }
  }

  /** The built-in token issuer's signing keys, shared by every instance on this store. */
  public record SigningKeySetKey() implements Key {}

  /** The key that signs Lading's own short-lived blob URLs, shared by every instance. */
  public record UrlSigningKeyKey() implements Key {}

  /**
   * A batch of events waiting for delivery to the endpoint named {@code endpoint} ({@link
   * StoredValues.EventBatch}). Batch names sort by the time they were written.
   */
  public record EventBatchKey(String endpoint, String batch) implements Key {
    private static final Pattern BATCH_GRAMMAR =
        Pattern.compile(
            "[0-9]{13}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{8}"
                + "-[0-9]{4}");

    /** The most events one batch holds (its count is four digits of its name). */
    public static final int MAX_EVENTS = 1000;

    public EventBatchKey {
      requireEndpointName(endpoint);
      if (batch == null || !BATCH_GRAMMAR.matcher(batch).matches()) {
        throw new IllegalArgumentException("not an event batch name: " + batch);
      }
    }

    /**
     * The name of the {@code seq}th batch {@code instance} writes at {@code epochMillis}, holding
     * {@code count} events (1..{@link #MAX_EVENTS}).
     */
    public static EventBatchKey of(
        String endpoint, long epochMillis, String instance, int seq, int count) {
      if (count < 1 || count > MAX_EVENTS) {
        throw new IllegalArgumentException("a batch holds 1.." + MAX_EVENTS + " events");
      }
      return new EventBatchKey(
          endpoint,
          String.format("%013d-%s-%08x-%04d", epochMillis, new DataKey(instance).id(), seq, count));
    }

    /** How many events the batch holds, from its name. */
    public int count() {
      return Integer.parseInt(batch.substring(batch.length() - 4));
    }

    /** When the batch was written, from its name. */
    public long epochMillis() {
      return Long.parseLong(batch.substring(0, 13));
    }

    /**
     * The queue batch that replays {@code failed}: the same name, so a replay done twice writes one
     * object.
     */
    public static EventBatchKey replaying(EventFailedKey failed) {
      return new EventBatchKey(failed.endpoint(), failed.batch());
    }
  }

  /**
   * Events given up for the endpoint named {@code endpoint}, kept for a replay ({@link
   * StoredValues.EventBatch}). {@code batch} is the name of the queue batch they came from with the
   * count of those given up, so the failed batches sort as their events happened.
   */
  public record EventFailedKey(String endpoint, String batch) implements Key {
    public EventFailedKey {
      new EventBatchKey(endpoint, batch); // the same grammar
    }

    /** The given-up {@code count} events of {@code source}. */
    public static EventFailedKey of(EventBatchKey source, int count) {
      if (count < 1 || count > source.count()) {
        throw new IllegalArgumentException("1.." + source.count() + " of the batch's events");
      }
      String b = source.batch();
      return new EventFailedKey(
          source.endpoint(), b.substring(0, b.length() - 4) + String.format("%04d", count));
    }

    /** How many events the batch holds, from its name. */
    public int count() {
      return new EventBatchKey(endpoint, batch).count();
    }

    /** When the events' queue batch was written, from its name. */
    public long epochMillis() {
      return new EventBatchKey(endpoint, batch).epochMillis();
    }
  }

  /** The lease of the instance delivering events ({@link StoredValues.EventDeliverer}). */
  public record EventDelivererKey(String instance) implements Key {
    public EventDelivererKey {
      new DataKey(instance); // the same UUID grammar: safe inside a key
    }
  }

  private static final Pattern ENDPOINT_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /**
   * An event endpoint's name is one key segment: lowercase letters, digits and {@code -}, at most
   * 63 characters, not starting with {@code -}.
   */
  public static String requireEndpointName(String name) {
    if (name == null || !ENDPOINT_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "an event endpoint name is 1..63 of a-z, 0-9 and '-', not starting with '-'");
    }
    return name;
  }

  /** The filesystem store's directory of objects being written, published by rename. */
  public static final String FILESYSTEM_STAGING = "+staging";

  /** The filesystem store's directory of multipart writes in progress. */
  public static final String FILESYSTEM_MULTIPART = "+multipart";

  /**
   * The filesystem store's index of small objects (an LMDB environment), when the store keeps them
   * there instead of one file each.
   */
  public static final String FILESYSTEM_INDEX = "+index";

  /** The S3 store's prefix (under its own) of the tails suspended multipart writes carry. */
  public static final String S3_TAILS = "+tails/";

  /**
   * Under the S3 store's prefix: short-lived objects the store writes to learn how the server
   * behaves (whether it honours a conditional PUT), deleted right after.
   */
  public static final String S3_PROBES = "+probes/";

  private static final String FORMAT = "lading-format";
  private static final String BLOBS = "blobs/";
  private static final String DATA = "data/";
  private static final String REPOSITORIES = "repositories/";
  private static final String LAYERS = "_layers/";
  private static final String MANIFESTS = "_manifests/";
  private static final String TAGS = "_tags/";
  private static final String REFERRERS = "_referrers/";
  private static final String UPLOADS = "_uploads/";
  private static final String PULLS = "_pulls/";
  private static final String CATALOG = "catalog/";
  private static final String GC_RUNS = "gc/runs/";
  private static final String GC_INTENTS = "gc/intents/";
  private static final String GC_MARKS = "gc/marks/";
  private static final String GC_TAG_MARKS = "gc/tag-marks/";
  private static final String LINK_EPOCH = "gc/link-epoch";
  private static final String SIGNING_KEYS = "auth/signing-keys.jwks";
  private static final String URL_SIGNING_KEY = "auth/url-signing-key";
  private static final String EVENT_QUEUE = "events/queue/";
  private static final String EVENT_FAILED = "events/failed/";
  private static final String EVENT_DELIVERERS = "events/deliverers/";
  private static final List<String> DATA_SHARDS = shards(DATA);
  private static final List<String> BLOB_RECORD_SHARDS =
      Arrays.stream(DigestAlgorithm.values())
          .flatMap(algorithm -> shards(BLOBS + algorithm.wireName() + "/").stream())
          .toList();
  private static final List<String> GC_MARK_PREFIXES =
      Arrays.stream(DigestAlgorithm.values())
          .map(algorithm -> GC_MARKS + algorithm.wireName() + "/")
          .toList();

  private StorageLayout() {}

  /** The key of {@code key}: the one switch over every kind of object. */
  public static String keyOf(Key key) {
    return switch (key) {
      case FormatVersionKey k -> FORMAT;
      case BlobRecordKey k -> BLOBS + digestPath(k.digest(), true);
      case DataKey k -> DATA + shard(k.id()) + k.id();
      case LayerLinkKey k -> repository(k.repository()) + LAYERS + digestPath(k.digest(), false);
      case ManifestLinkKey k ->
          repository(k.repository()) + MANIFESTS + digestPath(k.digest(), false);
      case TagKey k -> tagsPrefix(k.repository()) + k.tag().value();
      case ReferrerKey k ->
          referrersPrefix(k.repository(), k.subject()) + digestPath(k.referrer(), false);
      case UploadStateKey k -> repository(k.repository()) + UPLOADS + k.id().value();
      case PullRecordKey k -> repository(k.repository()) + PULLS + k.instance();
      case CatalogKey k -> CATALOG + encodeName(k.repository().value());
      case GcRunKey k -> GC_RUNS + k.id();
      case GcIntentKey k -> GC_INTENTS + digestPath(k.digest(), false);
      case GcMarkKey k -> GC_MARKS + digestPath(k.digest(), false);
      case GcTagMarkKey k -> gcTagMarksPrefix(k.repository()) + k.tag().value();
      case LinkEpochKey k -> LINK_EPOCH;
      case SigningKeySetKey k -> SIGNING_KEYS;
      case UrlSigningKeyKey k -> URL_SIGNING_KEY;
      case EventBatchKey k -> eventQueuePrefix(k.endpoint()) + k.batch();
      case EventFailedKey k -> eventFailedPrefix(k.endpoint()) + k.batch();
      case EventDelivererKey k -> EVENT_DELIVERERS + k.instance();
    };
  }

  /**
   * What {@code key} names, or empty when it is no key of this layout (a listing may show what
   * others put beside it: S3Proxy's filesystem backend lists a PUT's temporary file, for one). A
   * key parses only when {@link #keyOf} of the result gives it back, so a blob record or data key
   * in the wrong shard is no key.
   */
  public static Optional<Key> parse(String key) {
    try {
      Key parsed = parseLenient(key);
      return parsed != null && keyOf(parsed).equals(key) ? Optional.of(parsed) : Optional.empty();
    } catch (RuntimeException e) {
      return Optional.empty(); // a part that is no digest, name, tag or id
    }
  }

  /** What {@code key} names when it is a key of the {@code kind} given, else empty. */
  public static <K extends Key> Optional<K> parse(String key, Class<K> kind) {
    return parse(key).filter(kind::isInstance).map(kind::cast);
  }

  private static Key parseLenient(String key) {
    if (key.equals(FORMAT)) {
      return new FormatVersionKey();
    } else if (key.equals(SIGNING_KEYS)) {
      return new SigningKeySetKey();
    } else if (key.equals(URL_SIGNING_KEY)) {
      return new UrlSigningKeyKey();
    } else if (key.equals(LINK_EPOCH)) {
      return new LinkEpochKey();
    } else if (key.startsWith(BLOBS)) {
      String[] parts = key.substring(BLOBS.length()).split("/", -1); // alg, shard, hex
      return parts.length == 3 ? new BlobRecordKey(digest(parts[0], parts[2])) : null;
    } else if (key.startsWith(DATA)) {
      String[] parts = key.substring(DATA.length()).split("/", -1); // shard, uuid
      return parts.length == 2 ? new DataKey(parts[1]) : null;
    } else if (key.startsWith(CATALOG)) {
      return new CatalogKey(RepositoryName.parse(decodeName(key.substring(CATALOG.length()))));
    } else if (key.startsWith(EVENT_QUEUE)) {
      String[] parts = key.substring(EVENT_QUEUE.length()).split("/", -1); // endpoint, batch
      return parts.length == 2 ? new EventBatchKey(parts[0], parts[1]) : null;
    } else if (key.startsWith(EVENT_FAILED)) {
      String[] parts = key.substring(EVENT_FAILED.length()).split("/", -1); // endpoint, batch
      return parts.length == 2 ? new EventFailedKey(parts[0], parts[1]) : null;
    } else if (key.startsWith(EVENT_DELIVERERS)) {
      return new EventDelivererKey(key.substring(EVENT_DELIVERERS.length()));
    } else if (key.startsWith(GC_RUNS)) {
      return new GcRunKey(key.substring(GC_RUNS.length()));
    } else if (key.startsWith(GC_INTENTS)) {
      return new GcIntentKey(digestFromPath(key.substring(GC_INTENTS.length())));
    } else if (key.startsWith(GC_TAG_MARKS)) {
      int end = key.indexOf("/" + TAGS, GC_TAG_MARKS.length());
      return end < 0
          ? null
          : new GcTagMarkKey(
              RepositoryName.parse(key.substring(GC_TAG_MARKS.length(), end)),
              Tag.parse(key.substring(end + 1 + TAGS.length())));
    } else if (key.startsWith(GC_MARKS)) {
      return new GcMarkKey(digestFromPath(key.substring(GC_MARKS.length())));
    } else if (key.startsWith(REPOSITORIES)) {
      return repositoryKey(key);
    }
    return null;
  }

  /** A key under {@code repositories/<name>/_...}: the name ends at the first {@code /_}. */
  private static Key repositoryKey(String key) {
    int end = key.indexOf("/_", REPOSITORIES.length());
    if (end < 0) {
      return null;
    }
    RepositoryName repo = RepositoryName.parse(key.substring(REPOSITORIES.length(), end));
    String rest = key.substring(end + 1);
    if (rest.startsWith(LAYERS)) {
      return new LayerLinkKey(repo, digestFromPath(rest.substring(LAYERS.length())));
    } else if (rest.startsWith(MANIFESTS)) {
      return new ManifestLinkKey(repo, digestFromPath(rest.substring(MANIFESTS.length())));
    } else if (rest.startsWith(TAGS)) {
      return new TagKey(repo, Tag.parse(rest.substring(TAGS.length())));
    } else if (rest.startsWith(UPLOADS)) {
      return new UploadStateKey(repo, UploadId.parse(rest.substring(UPLOADS.length())));
    } else if (rest.startsWith(PULLS)) {
      return new PullRecordKey(repo, rest.substring(PULLS.length()));
    } else if (rest.startsWith(REFERRERS)) {
      String[] parts = rest.substring(REFERRERS.length()).split("/", -1);
      return parts.length == 4
          ? new ReferrerKey(repo, digest(parts[0], parts[1]), digest(parts[2], parts[3]))
          : null;
    }
    return null;
  }

  // ---- prefixes to list ---------------------------------------------------------------------

  /** Prefix of every repository's links, tags, referrer entries and upload sessions. */
  public static String repositoriesPrefix() {
    return REPOSITORIES;
  }

  /** Prefix of every tag of {@code repository}; the rest of each key is the tag. */
  public static String tagsPrefix(RepositoryName repository) {
    return repository(repository) + TAGS;
  }

  /** Prefix of the referrers of {@code subject} in {@code repository}. */
  public static String referrersPrefix(RepositoryName repository, Digest subject) {
    return repository(repository) + REFERRERS + digestPath(subject, false) + "/";
  }

  /** Prefix of {@code repository}'s layer links. */
  public static String layersPrefix(RepositoryName repository) {
    return repository(repository) + LAYERS;
  }

  /** Prefix of {@code repository}'s manifest revision links. */
  public static String manifestsPrefix(RepositoryName repository) {
    return repository(repository) + MANIFESTS;
  }

  /** Prefix of every catalog marker. */
  public static String catalogPrefix() {
    return CATALOG;
  }

  /** Prefix of every blob record. */
  public static String blobRecordsPrefix() {
    return BLOBS;
  }

  /** Prefix of every data key. */
  public static String dataPrefix() {
    return DATA;
  }

  /** The 256 shards {@code data/<xx>/} every data key is in, in key order. */
  public static List<String> dataShards() {
    return DATA_SHARDS;
  }

  /**
   * The shards {@code blobs/<alg>/<xx>/} every blob record is in: 256 per algorithm, in key order
   * within each.
   */
  public static List<String> blobRecordShards() {
    return BLOB_RECORD_SHARDS;
  }

  /** Prefix of the GC run objects. */
  public static String gcRunsPrefix() {
    return GC_RUNS;
  }

  /** Prefix of the GC deletion intents. */
  public static String gcIntentsPrefix() {
    return GC_INTENTS;
  }

  /** Prefix of every tag mark. */
  public static String gcTagMarksPrefix() {
    return GC_TAG_MARKS;
  }

  /** Prefix of the tag marks of {@code repository}; the rest of each key is the tag. */
  public static String gcTagMarksPrefix(RepositoryName repository) {
    return GC_TAG_MARKS + repository.value() + "/" + TAGS;
  }

  /** Prefixes {@code gc/marks/<alg>/} of the pushers' GC marks, one per algorithm. */
  public static List<String> gcMarkPrefixes() {
    return GC_MARK_PREFIXES;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Where the batches waiting for {@code endpoint} are, oldest first. */
  public static String eventQueuePrefix(String endpoint) {
    return EVENT_QUEUE + requireEndpointName(endpoint) + "/";
  }

  /** Where the events given up for {@code endpoint} are kept, oldest first. */
  public static String eventFailedPrefix(String endpoint) {
    return EVENT_FAILED + requireEndpointName(endpoint) + "/";
  }

  /** Where the leases of event deliverers are. */
  public static String eventDeliverersPrefix() {
    return EVENT_DELIVERERS;
  }

  /** The shard of a name that starts with two lowercase hex characters (a digest, a UUID). */
  private static String shard(String name) {
    return name.substring(0, 2) + "/";
  }

  private static List<String> shards(String parent) {
    return IntStream.range(0, 256)
        .mapToObj(i -> parent + HexFormat.of().toHexDigits((byte) i) + "/")
        .toList();
  }

  private static String repository(RepositoryName name) {
    return REPOSITORIES + name.value() + "/";
  }

  /** {@code <alg>/<hex>}, or {@code <alg>/<hex[:2]>/<hex>} when {@code sharded}. */
  private static String digestPath(Digest digest, boolean sharded) {
    return digest.algorithm().wireName()
        + "/"
        + (sharded ? shard(digest.hex()) : "")
        + digest.hex();
  }

  private static Digest digestFromPath(String path) {
    int slash = path.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not a digest path");
    }
    return digest(path.substring(0, slash), path.substring(slash + 1));
  }

  private static Digest digest(String algorithm, String hex) {
    return new Digest(
        DigestAlgorithm.fromWireName(algorithm)
            .orElseThrow(() -> new IllegalArgumentException("unknown algorithm in key")),
        hex);
  }

  // Order-preserving one-to-one map of name characters [a-z0-9._/-] to key characters: '/' sorts
  // between '.' and '0', so it takes '0' and digits shift up, '9' taking 'A' (below '_' and 'a').
  static String encodeName(String name) {
    StringBuilder out = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/') {
        out.append('0');
      } else if (c >= '0' && c <= '8') {
        out.append((char) (c + 1));
      } else if (c == '9') {
        out.append('A');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  static String decodeName(String encoded) {
    StringBuilder out = new StringBuilder(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '0') {
        out.append('/');
      } else if (c >= '1' && c <= '9') {
        out.append((char) (c - 1));
      } else if (c == 'A') {
        out.append('9');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
