package dev.lading.storage.s3;

import static dev.lading.storage.s3.S3Calls.io;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.StorageKeys;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;

/**
 * The {@link ObjectStore} SPI over one S3 bucket (AWS, Ceph RGW, MinIO, S3Proxy), with keys under
 * the configured prefix. Small objects are single PUTs and GETs; blob bytes go through {@link
 * S3MultipartWrite} into multipart parts and come out through bounded ranged GETs ({@link
 * RangedObjectStream}). Every S3 failure becomes an {@link IOException} naming the call and the
 * key.
 *
 * <p>Besides the caller's keys the store keeps only tail objects of suspended multipart writes,
 * under {@code <prefix>+tails/} ({@link StorageLayout#S3_TAILS}). No caller key can start with
 * {@code +}, and {@code +} sorts before every character a key may start with, so listings skip the
 * whole namespace with one {@code start-after}.
 */
public final class S3Store implements ObjectStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3Store.class);

  /** Sorts after every {@code +tails/...} key and before every caller key (see class doc). */
  private static final String AFTER_TAILS = ",";

  private static final int DELETE_BATCH = 1000;
  private static final int LIST_PAGE = 1000;

  private final S3Client s3;

  /** For whole-object PUTs, signed over the full payload (see {@link #client}). */
  private final S3Client puts;

  private final S3StoreConfig config;
  private final MemoryBudget budget;

  /** Signs redirect URLs locally; holds no connections. */
  private final S3Presigner presigner;

  /** Background part uploads: blocking S3 calls, so virtual threads, one per part in flight. */
  private final ExecutorService partUploads = Executors.newVirtualThreadPerTaskExecutor();

  /** Whether the server refuses a conditional PUT on an existing key; null until probed. */
  private volatile Boolean conditionalPutsHonoured;

  private S3Store(S3Client s3, S3Client puts, S3StoreConfig config) {
    this.s3 = s3;
    this.puts = puts;
    this.config = config;
    this.presigner = presigner(config);
    this.budget = new MemoryBudget(config.memoryBudget());
  }

  /**
   * A store over the configured bucket, which must exist. Nothing is called on S3 here; the first
   * request shows whether endpoint, bucket and credentials are right.
   */
  public static S3Store create(S3StoreConfig config) {
    return new S3Store(client(config, true), client(config, false), config);
  }

  static S3Client client(S3StoreConfig config) {
    return client(config, true);
  }

  /**
   * An S3 client for the configuration. With {@code chunked}, bodies over plain HTTP are signed
   * chunk by chunk as they stream ({@code aws-chunked}), which parts need: S3Proxy would buffer a
   * non-chunked signed body in its heap. Without, the SDK signs the whole payload's SHA-256, which
   * whole-object PUTs need: Ceph RGW 16 refuses an empty {@code aws-chunked} body with
   * XAmzContentSHA256Mismatch, and every link and marker is empty.
   */
  static S3Client client(S3StoreConfig config, boolean chunked) {
    S3ClientBuilder builder =
        S3Client.builder()
            .serviceConfiguration(c -> c.chunkedEncodingEnabled(chunked))
            .region(Region.of(config.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(config.accessKey(), config.secretKey())))
            .forcePathStyle(config.pathStyle())
            // Ceph RGW 16 answers 400 to the SDK's default CRC32 trailers on PutObject and
            // UploadPart; WHEN_REQUIRED sends checksums only where the API demands one.
            .requestChecksumCalculation(
                config.checksumMode() == S3StoreConfig.ChecksumMode.WHEN_REQUIRED
                    ? RequestChecksumCalculation.WHEN_REQUIRED
                    : RequestChecksumCalculation.WHEN_SUPPORTED)
            .responseChecksumValidation(
                config.checksumMode() == S3StoreConfig.ChecksumMode.WHEN_REQUIRED
                    ? ResponseChecksumValidation.WHEN_REQUIRED
                    : ResponseChecksumValidation.WHEN_SUPPORTED)
            // DeleteObjects needs Content-MD5 on S3Proxy, MinIO and Ceph; SDK 2.30+ sends a CRC32
            // instead unless this plugin restores the MD5.
            .addPlugin(LegacyMd5Plugin.create())
            .httpClientBuilder(
                ApacheHttpClient.builder()
                    .maxConnections(config.maxConnections())
                    .connectionTimeout(Duration.ofSeconds(10))
                    .connectionAcquisitionTimeout(Duration.ofMinutes(1))
                    // CompleteMultipartUpload of a big object can take minutes on stores that
                    // join parts by copying (S3Proxy's filesystem store: ~4 s per GiB).
                    .socketTimeout(Duration.ofMinutes(10)));
    config.endpoint().ifPresent(builder::endpointOverride);
    return builder.build();
  }

  private static S3Presigner presigner(S3StoreConfig config) {
    S3Presigner.Builder builder =
        S3Presigner.builder()
            .region(Region.of(config.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(config.accessKey(), config.secretKey())))
            .serviceConfiguration(
                S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build());
    config.endpoint().ifPresent(builder::endpointOverride);
    return builder.build();
  }

  public S3StoreConfig config() {
    return config;
  }

  S3Client s3() {
    return s3;
  }

  S3Client puts() {
    return puts;
  }

  MemoryBudget memoryBudget() {
    return budget;
  }

  ExecutorService partUploads() {
    return partUploads;
  }

  /** The bucket key of a store key. */
  String objectKey(String key) {
    return config.prefix() + StorageKeys.requireKey(key);
  }

  /** The tail object of {@code key}'s multipart write at {@code generation}. */
  String tailKey(String key, int generation) {
    return config.prefix() + StorageLayout.S3_TAILS + key + "/" + generation;
  }

  // ---- small objects ------------------------------------------------------------------------

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    String objectKey = objectKey(key);
    return head(objectKey)
        .map(h -> new ObjectInfo(h.contentLength(), lastModified(h.lastModified())));
  }

  private Optional<HeadObjectResponse> head(String objectKey) throws IOException {
    return io(
        "HEAD " + objectKey,
        () -> {
          try {
            return Optional.of(s3.headObject(b -> b.bucket(config.bucket()).key(objectKey)));
          } catch (S3Exception e) {
            if (e.statusCode() == 404) {
              return Optional.empty();
            }
            throw e;
          }
        });
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    String objectKey = objectKey(key);
    return io(
        "GET " + objectKey,
        () -> {
          try {
            return Optional.of(
                s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(objectKey))
                    .asByteArrayUnsafe());
          } catch (S3Exception e) {
            if (e.statusCode() == 404) {
              return Optional.empty();
            }
            throw e;
          }
        });
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    String objectKey = objectKey(key);
    io(
        "PUT " + objectKey,
        () ->
            puts.putObject(
                b ->
                    b.bucket(config.bucket())
                        .key(objectKey)
                        .contentType("application/octet-stream"),
                RequestBody.fromBytes(content)));
  }

  /**
   * A conditional PUT ({@code If-None-Match: *}), which AWS, S3Proxy, MinIO and Ceph RGW refuse
   * with 412 when an object exists: one request whether the key exists or not. On a server that
   * ignores the header (found once by {@link #conditionalPutsHonoured}) a HEAD goes first, which
   * keeps an existing object unless two writers race between the HEAD and the PUT; there the later
   * PUT would win (documented in package-info).
   */
  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    String objectKey = objectKey(key);
    if (!conditionalPutsHonoured() && head(objectKey).isPresent()) {
      return false;
    }
    return putIfNoneMatch(objectKey, content);
  }

  /**
   * One PUT with {@code If-None-Match: *}: true when it wrote, false when the server refused it
   * because the key exists (412, or AWS's 409 for a concurrent conditional write the other writer
   * won).
   */
  private boolean putIfNoneMatch(String objectKey, byte[] content) throws IOException {
    return io(
        "conditional PUT " + objectKey,
        () -> {
          try {
            puts.putObject(
                b ->
                    b.bucket(config.bucket())
                        .key(objectKey)
                        .ifNoneMatch("*")
                        .contentType("application/octet-stream"),
                RequestBody.fromBytes(content));
            return true;
          } catch (S3Exception e) {
            if (e.statusCode() == 412) {
              return false;
            }
            if (e.statusCode() == 409 && head(objectKey).isPresent()) {
              return false; // AWS: a concurrent conditional write to the key won
            }
            throw e;
          }
        });
  }

  /**
   * Whether the server refuses a conditional PUT on an existing key, learnt the first time a write
   * needs it by trying one on a probe object of the store's own ({@link StorageLayout#S3_PROBES}):
   * a PUT, the conditional PUT, a DELETE. Instances starting together may each probe once; the
   * answer is the server's, the same for all.
   */
  private boolean conditionalPutsHonoured() throws IOException {
    Boolean known = conditionalPutsHonoured;
    if (known == null) {
      known = probeConditionalPuts();
      conditionalPutsHonoured = known;
    }
    return known;
  }

  private boolean probeConditionalPuts() throws IOException {
    String probe = config.prefix() + StorageLayout.S3_PROBES + UUID.randomUUID();
    io(
        "PUT " + probe,
        () ->
            puts.putObject(
                b -> b.bucket(config.bucket()).key(probe).contentType("application/octet-stream"),
                RequestBody.fromBytes(new byte[0])));
    try {
      boolean refused = !putIfNoneMatch(probe, new byte[0]);
      if (!refused) {
        LOG.warn(
            "s3: the server ignores If-None-Match on PUT; create-if-absent writes HEAD first,"
                + " which two instances racing on one key can still both pass");
      }
      return refused;
    } finally {
      deleteObjects(List.of(probe));
    }
  }

  // ---- listing and deletes ------------------------------------------------------------------

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    ListedPage page = listWithInfo(prefix, startAfter, limit);
    List<String> keys = new ArrayList<>(page.objects().size());
    for (ListedObject object : page.objects()) {
      keys.add(object.key());
    }
    return new KeyPage(keys, page.truncated());
  }

  /** ListObjectsV2 answers each key's size and time with it: no HEAD per key. */
  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    StorageKeys.requirePrefix(prefix);
    if (limit < 0) {
      throw new IllegalArgumentException("negative limit");
    }
    String p = config.prefix();
    String after = startAfter.map(s -> p + s).orElse("");
    if (after.compareTo(p + AFTER_TAILS) < 0) {
      after = p + AFTER_TAILS;
    }
    List<ListedObject> objects = new ArrayList<>();
    String continuation = null;
    // One more key than asked, to know whether the page is truncated.
    while (objects.size() <= limit) {
      ListObjectsV2Request.Builder request =
          ListObjectsV2Request.builder()
              .bucket(config.bucket())
              .prefix(p + prefix)
              .maxKeys(Math.min(LIST_PAGE, limit + 1 - objects.size()));
      if (continuation == null) {
        request.startAfter(after);
      } else {
        request.continuationToken(continuation);
      }
      ListObjectsV2Response page =
          io("LIST " + p + prefix, () -> s3.listObjectsV2(request.build()));
      for (S3Object object : page.contents()) {
        String key = object.key().substring(p.length());
        if (isCallerKey(key)) {
          long size = object.size() == null ? 0 : object.size();
          objects.add(
              new ListedObject(key, new ObjectInfo(size, lastModified(object.lastModified()))));
        }
      }
      if (!Boolean.TRUE.equals(page.isTruncated()) || page.nextContinuationToken() == null) {
        break;
      }
      continuation = page.nextContinuationToken();
    }
    boolean truncated = objects.size() > limit;
    return new ListedPage(truncated ? objects.subList(0, limit) : objects, truncated);
  }

  /** ListObjectsV2 with delimiter {@code /}: a level of a deep tree costs no walk below it. */
  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    StorageKeys.requirePrefix(prefix);
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a level's prefix ends with /");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("negative limit");
    }
    String p = config.prefix();
    // After a prefix entry, start after every key under it ('~' sorts above every key character).
    String after = startAfter.map(s -> p + s + (s.endsWith("/") ? "~" : "")).orElse("");
    if (after.compareTo(p + AFTER_TAILS) < 0) {
      after = p + AFTER_TAILS;
    }
    List<String> prefixes = new ArrayList<>();
    List<ListedObject> objects = new ArrayList<>();
    String continuation = null;
    while (prefixes.size() + objects.size() <= limit) {
      ListObjectsV2Request.Builder request =
          ListObjectsV2Request.builder()
              .bucket(config.bucket())
              .prefix(p + prefix)
              .delimiter("/")
              .maxKeys(Math.min(LIST_PAGE, limit + 1 - prefixes.size() - objects.size()));
      if (continuation == null) {
        request.startAfter(after);
      } else {
        request.continuationToken(continuation);
      }
      ListObjectsV2Response page =
          io("LIST " + p + prefix + " by level", () -> s3.listObjectsV2(request.build()));
      for (S3Object object : page.contents()) {
        String key = object.key().substring(p.length());
        if (isCallerKey(key)) {
          long size = object.size() == null ? 0 : object.size();
          objects.add(
              new ListedObject(key, new ObjectInfo(size, lastModified(object.lastModified()))));
        }
      }
      for (var common : page.commonPrefixes()) {
        String child = common.prefix().substring(p.length());
        if (child.endsWith("/") && isCallerKey(child.substring(0, child.length() - 1))) {
          prefixes.add(child);
        }
      }
      if (!Boolean.TRUE.equals(page.isTruncated()) || page.nextContinuationToken() == null) {
        break;
      }
      continuation = page.nextContinuationToken();
    }
    // Entries of both kinds interleave in key order; keep the first `limit` of them.
    TreeMap<String, ObjectInfo> entries = new TreeMap<>();
    prefixes.forEach(x -> entries.put(x, null));
    objects.forEach(o -> entries.put(o.key(), o.info()));
    boolean truncated = entries.size() > limit;
    List<String> keptPrefixes = new ArrayList<>();
    List<ListedObject> keptObjects = new ArrayList<>();
    int taken = 0;
    for (var e : entries.entrySet()) {
      if (taken++ == limit) {
        break;
      }
      if (e.getValue() == null) {
        keptPrefixes.add(e.getKey());
      } else {
        keptObjects.add(new ListedObject(e.getKey(), e.getValue()));
      }
    }
    return new ListedLevel(keptPrefixes, keptObjects, truncated);
  }

  @Override
  public int keysPerListCall() {
    return LIST_PAGE;
  }

  /** Objects someone else put in the bucket under our prefix are not ours to list. */
  private static boolean isCallerKey(String key) {
    return StorageKeys.isKey(key);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    List<String> objectKeys = new ArrayList<>(keys.size());
    for (String key : keys) {
      objectKeys.add(objectKey(key));
    }
    deleteObjects(objectKeys);
  }

  /** DeleteObjects in batches of 1,000 (S3's limit), quiet, failing on any per-key error. */
  void deleteObjects(Collection<String> objectKeys) throws IOException {
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(objectKeys));
    for (int from = 0; from < unique.size(); from += DELETE_BATCH) {
      List<ObjectIdentifier> batch =
          unique.subList(from, Math.min(unique.size(), from + DELETE_BATCH)).stream()
              .map(k -> ObjectIdentifier.builder().key(k).build())
              .toList();
      DeleteObjectsResponse response =
          io(
              "DELETE " + batch.size() + " objects",
              () ->
                  s3.deleteObjects(
                      b ->
                          b.bucket(config.bucket())
                              .delete(Delete.builder().objects(batch).quiet(true).build())));
      if (response.hasErrors() && !response.errors().isEmpty()) {
        var first = response.errors().getFirst();
        throw new IOException(
            "S3 DELETE failed for "
                + response.errors().size()
                + " objects, first "
                + first.key()
                + ": "
                + first.code()
                + " "
                + first.message());
      }
    }
  }

  // ---- residue of dead writes ---------------------------------------------------------------

  /**
   * Multipart uploads under the prefix initiated before {@code before} whose key no live write
   * names (ListMultipartUploads; aborted), and tail objects {@code +tails/<key>/<generation>} of
   * such keys written before {@code before} (deleted). A live session's orphans (uploads its token
   * does not name) are left to the session, which aborts them when it next creates one or aborts; a
   * completed write's tails are deleted by complete, and here if that died half-way.
   */
  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    String p = config.prefix();
    List<String> found = new ArrayList<>();
    List<MultipartUpload> uploads = new ArrayList<>();
    io(
        "list multipart uploads under " + p,
        () -> {
          for (MultipartUpload upload :
              s3.listMultipartUploadsPaginator(b -> b.bucket(config.bucket()).prefix(p))
                  .uploads()) {
            String key = upload.key().substring(p.length());
            if (isCallerKey(key)
                && !liveKeys.contains(key)
                && upload.initiated() != null
                && upload.initiated().isBefore(before)) {
              uploads.add(upload);
            }
          }
          return null;
        });
    for (MultipartUpload upload : uploads) {
      found.add(
          "multipart upload "
              + upload.key().substring(p.length())
              + " ("
              + upload.uploadId()
              + ")");
      if (!dryRun) {
        io(
            "abort multipart " + upload.key(),
            () -> {
              try {
                return s3.abortMultipartUpload(
                    b -> b.bucket(config.bucket()).key(upload.key()).uploadId(upload.uploadId()));
              } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                  return null; // aborted or completed meanwhile
                }
                throw e;
              }
            });
      }
    }
    String tails = p + StorageLayout.S3_TAILS;
    List<String> deadTails = new ArrayList<>();
    io(
        "LIST " + tails,
        () -> {
          for (S3Object object :
              s3.listObjectsV2Paginator(b -> b.bucket(config.bucket()).prefix(tails)).contents()) {
            String rest = object.key().substring(tails.length());
            int slash = rest.lastIndexOf('/');
            if (slash <= 0
                || liveKeys.contains(rest.substring(0, slash))
                || !lastModified(object.lastModified()).isBefore(before)) {
              continue;
            }
            deadTails.add(object.key());
            found.add("tail " + rest + " (" + object.size() + " bytes)");
          }
          return null;
        });
    if (!dryRun) {
      deleteObjects(deadTails);
    }
    return found;
  }

  // ---- ranged reads -------------------------------------------------------------------------

  /**
   * Opens the range with its first bounded GET right away, so a missing object or a range past its
   * end fails here, and the size comes from {@code Content-Range} without a HEAD.
   */
  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    String objectKey = objectKey(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative offset or length");
    }
    if (length == 0) {
      long size = head(objectKey).orElseThrow(() -> new NoSuchFileException(key)).contentLength();
      requireInside(offset, length, size);
      return new BlobSource.StreamSource(InputStream.nullInputStream(), 0);
    }
    long end = offset + length;
    long firstEnd = Math.min(end, offset + config.readWindow());
    ResponseInputStream<GetObjectResponse> first =
        io(
            "GET " + objectKey,
            () -> {
              try {
                return s3.getObject(
                    GetObjectRequest.builder()
                        .bucket(config.bucket())
                        .key(objectKey)
                        .range("bytes=" + offset + "-" + (firstEnd - 1))
                        .build());
              } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                  return null;
                }
                if (e.statusCode() == 416) {
                  long size =
                      head(objectKey)
                          .orElseThrow(() -> new NoSuchFileException(key))
                          .contentLength();
                  requireInside(offset, length, size);
                }
                throw e;
              }
            });
    if (first == null) {
      throw new NoSuchFileException(key);
    }
    try {
      long size = totalSize(first.response());
      requireInside(offset, length, size);
    } catch (RuntimeException | IOException e) {
      first.abort();
      first.close();
      throw e;
    }
    RangedObjectStream stream =
        new RangedObjectStream(
            s3, config.bucket(), objectKey, offset, end, config.readWindow(), first, firstEnd);
    return new BlobSource.StreamSource(stream, length);
  }

  private static long totalSize(GetObjectResponse response) throws IOException {
    String range = response.contentRange();
    if (range != null) {
      int slash = range.lastIndexOf('/');
      if (slash > 0 && !range.endsWith("*")) {
        try {
          return Long.parseLong(range.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
          throw new IOException("S3 answered an unreadable Content-Range: " + range);
        }
      }
    }
    throw new IOException("S3 answered a ranged GET without Content-Range");
  }

  private static void requireInside(long offset, long length, long size) {
    if (offset > size || length > size - offset) {
      throw new IllegalArgumentException(
          "range " + offset + "+" + length + " outside an object of " + size + " bytes");
    }
  }

  // ---- multipart ----------------------------------------------------------------------------

  /** No S3 call: the multipart upload is created when the first part is full. */
  @Override
  public MultipartWrite startMultipart(String key) {
    objectKey(key);
    return new S3MultipartWrite(this, key, ResumeToken.fresh(config.partSize()));
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) {
    objectKey(key);
    return new S3MultipartWrite(this, key, ResumeToken.parse(resumeToken));
  }

  /**
   * A SigV4 presigned GET of the object, signed locally with the store's credentials (no S3 call).
   * The client that follows it may send {@code Range}: S3 answers 206 as for any GET.
   */
  @Override
  public Optional<URI> presignedGet(String key, Duration ttl) {
    String objectKey = objectKey(key);
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException("a presigned URL lives from 1 s to 7 days, not " + ttl);
    }
    GetObjectPresignRequest request =
        GetObjectPresignRequest.builder()
            .signatureDuration(ttl)
            .getObjectRequest(b -> b.bucket(config.bucket()).key(objectKey))
            .build();
    try {
      return Optional.of(presigner.presignGetObject(request).url().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("the SDK presigned an unparsable URL", e);
    }
  }

  /**
   * Asks S3 whether the bucket is there and the credentials may use it (one HEAD), so a server
   * misconfigured at start fails there with a plain message instead of at the first push.
   */
  public void checkBucket() throws IOException {
    try {
      s3.headBucket(b -> b.bucket(config.bucket()));
    } catch (S3Exception e) {
      String why =
          switch (e.statusCode()) {
            case 404 -> "does not exist";
            case 301, 400 -> "is in another region or the endpoint is wrong";
            case 401, 403 -> "refuses these credentials";
            default -> "cannot be used (" + e.statusCode() + ")";
          };
      throw new IOException(
          "bucket "
              + config.bucket()
              + " at "
              + config.endpoint().map(URI::toString).orElse("AWS")
              + " "
              + why,
          e);
    } catch (SdkException e) {
      throw new IOException(
          "cannot reach S3 at "
              + config.endpoint().map(URI::toString).orElse("AWS")
              + ": "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public void close() {
    presigner.close();
    partUploads.shutdown();
    s3.close();
    puts.close();
  }

  static Instant lastModified(Instant value) {
    return value == null ? Instant.EPOCH : value;
  }

  static void warn(String what, IOException e) {
    LOG.warn("{}: {}", what, e.getMessage());
  }

  static boolean isStatus(SdkException e, int status) {
    return S3Calls.status(e) == status;
  }
}
