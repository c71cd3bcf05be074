package dev.lading.core.storage;

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
 * The one place that knows where things live in an {@link ObjectStore}. Stores never build keys;
 * the registry asks this class for a key by handing it one of the sealed {@link Key} records, and
 * one switch ({@link #keyOf}) maps each record to its key. The whole tree:
 *
 * <pre>
 * blobs/&lt;alg&gt;/&lt;hex[:2]&gt;/&lt;hex&gt;                 blob record: JSON {size, dataKey}; global, content-addressed,
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
 * repositories/&lt;name&gt;/_uploads/&lt;uuid&gt;         upload session state (JSON)
 * catalog/&lt;encoded name&gt;                     marker (empty): the repository exists
 * gc/runs/&lt;run id&gt;                          a GC run in progress (JSON {startedAt, expiresAt});
 *                                             pushers that see one write marks
 * gc/intents/&lt;alg&gt;/&lt;hex&gt;                   a sweeper is about to delete this digest's links and
 *                                             record (JSON {runId, deadline})
 * gc/marks/&lt;alg&gt;/&lt;hex&gt;                     (empty) a pusher uploaded, mounted, confirmed or
 *                                             referenced this digest while a run was active
 * auth/signing-keys.jwks                     token auth's signing key set (JWK set with private keys)
 *                                             when the store is shared (S3) and no key file is configured
 * </pre>
 *
 * <p>Why it is safe: repository-name components never start with {@code _}, so
 * {@code _layers} and its siblings never collide with a nested repository, and no key is ever
 * both an object and the prefix of another object (the filesystem store needs that: a file
 * cannot also be a directory).
 *
 * <p>Why blobs and data fan out: they are the two big flat sets (one record and one data object
 * per blob, 100,000 each for 100,000 blobs), and some servers read a whole directory for every
 * listing call under it (S3Proxy's filesystem backend). The first two characters of the hex
 * digest or of the UUID (lowercase hex both, so 256 directories, about 400 entries each at
 * 100,000 blobs) split each set into shards that are listed on their own, side by side
 * ({@link #blobRecordShards}, {@link #dataShards}); Distribution fans out its {@code blobs/}
 * the same way for the same reason. A shard is a whole segment of two characters and every name
 * inside it is longer, so no key is both an object and a prefix here either.
 *
 * <p>Why the catalog encodes names: a marker at {@code catalog/a} and one at {@code catalog/a/b}
 * would make {@code a} both a file and a directory, and a marker under {@code catalog/<name>/}
 * would list {@code a-b} before {@code a} (byte {@code -} sorts below {@code /}). So the name
 * becomes one key segment by an order-preserving, one-to-one character map ({@code /}&rarr;{@code 0},
 * digits shift up by one, {@code 9}&rarr;{@code A}; the rest unchanged). Byte order of the
 * markers is then exactly the lexical order of the names, which the catalog API pages by.
 *
 * <p>Commit never moves bytes: an upload streams to its {@code data/} key and commit writes the
 * small {@code blobs/} record pointing at it. A second upload of the same content keeps the
 * first record and deletes its own data. Online GC (module {@code gc}) sweeps {@code data/} keys that no record
 * and no live upload session points to; the {@code gc/} keys are its fence against concurrent
 * pushes (see {@code dev.lading.gc}'s package documentation for the protocol).
 */
public final class StorageLayout {

  /** A location in the store; each record names one kind of object. */
  public sealed interface Key
      permits BlobRecordKey,
          DataKey,
          LayerLinkKey,
          ManifestLinkKey,
          TagKey,
          ReferrerKey,
          UploadStateKey,
          CatalogKey,
          GcRunKey,
          GcIntentKey,
          GcMarkKey,
          SigningKeySetKey {}

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

    /** The data key a stored key string names, e.g. from a blob record. */
    public static DataKey parse(String key) {
      if (key == null) {
        throw new IllegalArgumentException("not a data key");
      }
      DataKey parsed = new DataKey(key.substring(key.lastIndexOf('/') + 1));
      if (!keyOf(parsed).equals(key)) {
        throw new IllegalArgumentException("not a data key"); // elsewhere, or in the wrong shard
      }
      return parsed;
    }
  }

  public record LayerLinkKey(RepositoryName repository, Digest digest) implements Key {
    public LayerLinkKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(digest);
    }
  }

  public record ManifestLinkKey(RepositoryName repository, Digest digest) implements Key {
    public ManifestLinkKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(digest);
    }
  }

  public record TagKey(RepositoryName repository, Tag tag) implements Key {
    public TagKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(tag);
    }
  }

  public record ReferrerKey(RepositoryName repository, Digest subject, Digest referrer)
      implements Key {
    public ReferrerKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(subject);
      Objects.requireNonNull(referrer);
    }
  }

  public record UploadStateKey(RepositoryName repository, UploadId id) implements Key {
    public UploadStateKey {
      Objects.requireNonNull(repository);
      Objects.requireNonNull(id);
    }
  }

  public record CatalogKey(RepositoryName repository) implements Key {
    public CatalogKey {
      Objects.requireNonNull(repository);
    }
  }

  /** A GC run in progress; {@code id} is a random UUID. */
  public record GcRunKey(String id) implements Key {
    public GcRunKey {
      new DataKey(id); // the same UUID grammar: safe inside a key
    }
  }

  /** A sweeper's announced intent to delete {@code digest}. */
  public record GcIntentKey(Digest digest) implements Key {
    public GcIntentKey {
      Objects.requireNonNull(digest);
    }
  }

  /** A pusher's mark: {@code digest} was needed while a GC run was active. */
  /** The built-in token issuer's signing keys, shared by every instance on this store. */
  public record SigningKeySetKey() implements Key {}

  public record GcMarkKey(Digest digest) implements Key {
    public GcMarkKey {
      Objects.requireNonNull(digest);
    }
  }

  private static final String BLOBS = "blobs/";
  private static final String GC_RUNS = "gc/runs/";
  private static final String GC_INTENTS = "gc/intents/";
  private static final String GC_MARKS = "gc/marks/";
  private static final String DATA = "data/";
  private static final String REPOSITORIES = "repositories/";
  private static final String CATALOG = "catalog/";
  private static final List<String> DATA_SHARDS = shards(DATA);
  private static final List<String> BLOB_RECORD_SHARDS = Arrays.stream(DigestAlgorithm.values())
      .flatMap(algorithm -> shards(blobsPrefix(algorithm)).stream()).toList();

  private StorageLayout() {}

  /** The key of {@code key}: the one switch over every kind of object. */
  public static String keyOf(Key key) {
    return switch (key) {
      case BlobRecordKey k -> blobsPrefix(k.digest().algorithm()) + shard(k.digest().hex())
          + k.digest().hex();
      case DataKey k -> DATA + shard(k.id()) + k.id();
      case LayerLinkKey k -> repository(k.repository()) + "_layers/" + digestPath(k.digest());
      case ManifestLinkKey k -> repository(k.repository()) + "_manifests/" + digestPath(k.digest());
      case TagKey k -> tagsPrefix(k.repository()) + k.tag().value();
      case ReferrerKey k -> referrersPrefix(k.repository(), k.subject()) + digestPath(k.referrer());
      case UploadStateKey k -> repository(k.repository()) + "_uploads/" + k.id().value();
      case CatalogKey k -> CATALOG + encodeName(k.repository().value());
      case GcRunKey k -> GC_RUNS + k.id();
      case GcIntentKey k -> GC_INTENTS + digestPath(k.digest());
      case GcMarkKey k -> GC_MARKS + digestPath(k.digest());
      case SigningKeySetKey k -> "auth/signing-keys.jwks";
    };
  }

  /** Prefix of every tag of {@code repository}; the rest of each key is the tag. */
  public static String tagsPrefix(RepositoryName repository) {
    return repository(repository) + "_tags/";
  }

  /** The tag a key under {@link #tagsPrefix} names. */
  public static Tag tagOf(RepositoryName repository, String key) {
    return Tag.parse(stripPrefix(tagsPrefix(repository), key));
  }

  /** Prefix of the referrers of {@code subject} in {@code repository}. */
  public static String referrersPrefix(RepositoryName repository, Digest subject) {
    return repository(repository) + "_referrers/" + digestPath(subject) + "/";
  }

  /** The referrer's digest a key under {@link #referrersPrefix} names. */
  public static Digest referrerOf(RepositoryName repository, Digest subject, String key) {
    String rest = stripPrefix(referrersPrefix(repository, subject), key);
    return digestFromPath(rest);
  }

  /** Prefix of every catalog marker. */
  public static String catalogPrefix() {
    return CATALOG;
  }

  /** The repository a catalog marker key names. */
  public static RepositoryName repositoryOfCatalogKey(String key) {
    return RepositoryName.parse(decodeName(stripPrefix(CATALOG, key)));
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
   * The shards {@code blobs/<alg>/<xx>/} every blob record is in: 256 per algorithm, in key
   * order within each.
   */
  public static List<String> blobRecordShards() {
    return BLOB_RECORD_SHARDS;
  }

  /** Prefix of every repository's objects; the repository is {@code repositories/<name>/}. */
  public static String repositoryPrefix(RepositoryName repository) {
    return repository(repository);
  }

  /** Prefix of {@code repository}'s layer links. */
  public static String layersPrefix(RepositoryName repository) {
    return repository(repository) + "_layers/";
  }

  /** Prefix of {@code repository}'s manifest revision links. */
  public static String manifestsPrefix(RepositoryName repository) {
    return repository(repository) + "_manifests/";
  }

  /** Prefix of every referrer entry of {@code repository}, whatever the subject. */
  public static String allReferrersPrefix(RepositoryName repository) {
    return repository(repository) + "_referrers/";
  }

  /** Prefix of {@code repository}'s upload session states. */
  public static String uploadsPrefix(RepositoryName repository) {
    return repository(repository) + "_uploads/";
  }

  /** The digest a key {@code <prefix><alg>/<hex>} names (layer and manifest links, GC keys). */
  public static Digest digestUnder(String prefix, String key) {
    return digestFromPath(stripPrefix(prefix, key));
  }

  /** The (subject, referrer) pair a key under {@link #allReferrersPrefix} names. */
  public static ReferrerEntry referrerEntryOf(RepositoryName repository, String key) {
    String rest = stripPrefix(allReferrersPrefix(repository), key);
    String[] parts = rest.split("/");
    if (parts.length != 4) {
      throw new IllegalArgumentException("not a referrer key");
    }
    return new ReferrerEntry(
        digestFromPath(parts[0] + "/" + parts[1]), digestFromPath(parts[2] + "/" + parts[3]));
  }

  /** What one referrer key says: {@code referrer}'s subject is {@code subject}. */
  public record ReferrerEntry(Digest subject, Digest referrer) {}

  /** The upload id a key under {@link #uploadsPrefix} names. */
  public static UploadId uploadIdOf(RepositoryName repository, String key) {
    return UploadId.parse(stripPrefix(uploadsPrefix(repository), key));
  }

  /** Prefix of the GC run objects. */
  public static String gcRunsPrefix() {
    return GC_RUNS;
  }

  /** Prefix of the GC deletion intents. */
  public static String gcIntentsPrefix() {
    return GC_INTENTS;
  }

  /** Prefix of the pushers' GC marks. */
  public static String gcMarksPrefix() {
    return GC_MARKS;
  }

  /** The digest a blob record key names, if {@code key} is one (in its own shard). */
  public static Optional<Digest> blobRecordDigest(String key) {
    int algorithmEnd = key.indexOf('/', BLOBS.length());
    if (!key.startsWith(BLOBS) || algorithmEnd < 0) {
      return Optional.empty();
    }
    String wire = key.substring(BLOBS.length(), algorithmEnd) + ":"
        + key.substring(key.lastIndexOf('/') + 1);
    if (!Digest.isDigest(wire)) {
      return Optional.empty();
    }
    Digest digest = Digest.parse(wire);
    return keyOf(new BlobRecordKey(digest)).equals(key) ? Optional.of(digest) : Optional.empty();
  }

  private static String blobsPrefix(DigestAlgorithm algorithm) {
    return BLOBS + algorithm.wireName() + "/";
  }

  /** The shard of a name that starts with two lowercase hex characters (a digest, a UUID). */
  private static String shard(String name) {
    return name.substring(0, 2) + "/";
  }

  private static List<String> shards(String parent) {
    return IntStream.range(0, 256)
        .mapToObj(i -> parent + HexFormat.of().toHexDigits((byte) i) + "/").toList();
  }

  private static String repository(RepositoryName name) {
    return REPOSITORIES + name.value() + "/";
  }

  private static String digestPath(Digest digest) {
    return digest.algorithm().wireName() + "/" + digest.hex();
  }

  private static Digest digestFromPath(String path) {
    int slash = path.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not a digest path");
    }
    DigestAlgorithm algorithm =
        DigestAlgorithm.fromWireName(path.substring(0, slash))
            .orElseThrow(() -> new IllegalArgumentException("unknown algorithm in key"));
    return new Digest(algorithm, path.substring(slash + 1));
  }

  private static String stripPrefix(String prefix, String key) {
    if (!key.startsWith(prefix)) {
      throw new IllegalArgumentException("key outside " + prefix);
    }
    return key.substring(prefix.length());
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
