package dev.lading.storage.s3;

import dev.lading.core.storage.StorageKeys;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything {@link S3Store#create} needs, validated: an invalid configuration cannot exist, so the
 * server fails at start with a message naming the field instead of at the first push.
 *
 * <p>A record with {@code with*} copies rather than a public builder: every field has a safe
 * default except where the bucket is and who we are, which {@link #of} takes.
 *
 * @param endpoint where S3 answers; empty for AWS itself (the SDK derives it from the region)
 * @param region the signing region; S3Proxy, Ceph RGW and MinIO accept any, usually {@code
 *     us-east-1}
 * @param bucket an existing bucket; Lading never creates or deletes buckets
 * @param prefix key prefix inside the bucket, empty or segments each ending in {@code /}, so
 *     several registries (or tests) can share one bucket
 * @param pathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key}; what
 *     Ceph RGW, MinIO and S3Proxy need unless DNS is set up for virtual hosts
 * @param accessKey the access key id
 * @param secretKey the secret; never printed ({@link #toString()} masks it)
 * @param checksumMode when the SDK adds flexible checksums to requests and checks them on
 *     responses; {@link ChecksumMode#WHEN_REQUIRED} (the default) is what Ceph RGW 16 accepts
 * @param partSize bytes in every multipart part but the last; 5 MiB to 128 MiB
 * @param memoryBudget bytes of part buffers all uploads of this store may hold at once; a write
 *     that would exceed it waits (backpressure), it never allocates past it
 * @param readWindow bytes per ranged GET when streaming an object out
 * @param maxConnections HTTP connections the client pools
 * @param partsInFlight parts one write may upload at once while its next part fills, when the
 *     budget has memory for them; 1 to 16
 */
public record S3StoreConfig(
    Optional<URI> endpoint,
    String region,
    String bucket,
    String prefix,
    boolean pathStyle,
    String accessKey,
    String secretKey,
    ChecksumMode checksumMode,
    long partSize,
    long memoryBudget,
    long readWindow,
    int maxConnections,
    int partsInFlight) {

  public static final long MIB = 1024L * 1024;

  /** S3's smallest part but the last; S3Proxy and AWS refuse a Complete with smaller ones. */
  public static final long MIN_PART_SIZE = 5 * MIB;

  /**
   * Our largest part. S3 allows 5 GiB, but S3Proxy buffers a signed, non-chunked request body up to
   * 128 MiB in its heap and refuses larger ones; a part is also held whole in our memory.
   */
  public static final long MAX_PART_SIZE = 128 * MIB;

  /** S3's limit on the number of parts of one multipart upload. */
  public static final int MAX_PARTS = 10_000;

  /**
   * 32 MiB: 10,000 parts hold 312.5 GiB, so a 100 GB layer uses about 3,000 parts, while one upload
   * buffers at most 32 MiB. (Distribution's fixed 10 MiB parts cap a layer at 97.7 GiB.)
   */
  public static final long DEFAULT_PART_SIZE = 32 * MIB;

  public static final long DEFAULT_READ_WINDOW = 8 * MIB;

  /**
   * Two: with one, S3 was busy all the time but each part went slower than the SDK alone's, the
   * client's stream competing for the same cores; with two, S3 works on two parts at once, and a 4
   * GiB push into S3Proxy went from 82–93 % to 98–100 % of what the SDK alone reaches (see
   * bench/README.md).
   */
  public static final int DEFAULT_PARTS_IN_FLIGHT = 2;

  /** HTTP connections the client pools. */
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  /**
   * Path-style addressing: what Ceph RGW, MinIO and S3Proxy need unless DNS is set up for virtual
   * hosts.
   */
  public static final boolean DEFAULT_PATH_STYLE = true;

  /** How the SDK treats flexible checksums (CRC32 trailers and response validation). */
  public enum ChecksumMode {
    /** Only where an operation requires one; Ceph RGW 16.2 refuses the SDK's default trailers. */
    WHEN_REQUIRED,
    /** Wherever the operation supports one (AWS, MinIO, newer Ceph). */
    WHEN_SUPPORTED;

    /** What Ceph RGW 16 accepts, and AWS too. */
    public static final ChecksumMode DEFAULT = WHEN_REQUIRED;

    /** As a config file spells it: {@code when_required}, {@code when_supported}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code when_required} / {@code when_supported}, as a config file spells them. */
    public static ChecksumMode parse(String value) {
      try {
        return valueOf(
            Objects.requireNonNull(value, "checksum mode").trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "checksum mode must be when_required or when_supported, not " + value);
      }
    }
  }

  public S3StoreConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    endpoint.ifPresent(S3StoreConfig::requireEndpoint);
    region = requireText(region, "region");
    bucket = requireText(bucket, "bucket");
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("bucket: not a valid S3 bucket name: " + bucket);
    }
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.isEmpty()) {
      if (!prefix.endsWith("/")) {
        throw new IllegalArgumentException("prefix: must be empty or end with '/': " + prefix);
      }
      StorageKeys.requireKey(prefix.substring(0, prefix.length() - 1));
      if (prefix.length() > 256) {
        throw new IllegalArgumentException("prefix: longer than 256 characters");
      }
    }
    accessKey = requireText(accessKey, "accessKey");
    secretKey = requireText(secretKey, "secretKey");
    Objects.requireNonNull(checksumMode, "checksumMode");
    if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE || partSize % 1024 != 0) {
      throw new IllegalArgumentException(
          "partSize: must be a whole number of KiB from 5 MiB to 128 MiB, not " + partSize);
    }
    if (memoryBudget < partSize) {
      throw new IllegalArgumentException(
          "memoryBudget: must hold at least one part ("
              + partSize
              + " bytes), not "
              + memoryBudget);
    }
    if (memoryBudget / 1024 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("memoryBudget: at most 2 TiB");
    }
    if (readWindow < 64 * 1024 || readWindow > 1024 * MIB) {
      throw new IllegalArgumentException(
          "readWindow: must be from 64 KiB to 1 GiB, not " + readWindow);
    }
    if (maxConnections < 1 || maxConnections > 10_000) {
      throw new IllegalArgumentException("maxConnections: must be from 1 to 10000");
    }
    if (partsInFlight < 1 || partsInFlight > 16) {
      throw new IllegalArgumentException(
          "partsInFlight: must be from 1 to 16, not " + partsInFlight);
    }
  }

  /**
   * A configuration with the defaults: path-style, {@code when_required} checksums, 32 MiB parts,
   * two of them in flight per write, a read window of 8 MiB and the {@linkplain
   * #defaultMemoryBudget default memory budget}, so part buffers can never take the heap.
   */
  public static S3StoreConfig of(
      Optional<URI> endpoint, String region, String bucket, String accessKey, String secretKey) {
    return new S3StoreConfig(
        endpoint,
        region,
        bucket,
        "",
        DEFAULT_PATH_STYLE,
        accessKey,
        secretKey,
        ChecksumMode.DEFAULT,
        DEFAULT_PART_SIZE,
        defaultMemoryBudget(DEFAULT_PART_SIZE, DEFAULT_PARTS_IN_FLIGHT),
        DEFAULT_READ_WINDOW,
        DEFAULT_MAX_CONNECTIONS,
        DEFAULT_PARTS_IN_FLIGHT);
  }

  /**
   * A quarter of the heap, at most 1 GiB, but never less than one write needs to keep S3 busy: a
   * part filling and {@code partsInFlight} uploading. With the 32 MiB parts and a 256 MiB heap that
   * is 96 MiB, well inside the heap; a bigger heap lets more writes run at full depth.
   */
  public static long defaultMemoryBudget(long partSize, int partsInFlight) {
    long quarter = Runtime.getRuntime().maxMemory() / 4;
    return Math.max((1L + partsInFlight) * partSize, Math.min(quarter, 1024 * MIB)) / 1024 * 1024;
  }

  /** The largest object one multipart write can make with this part size. */
  public long maxObjectSize() {
    return partSize * MAX_PARTS;
  }

  /**
   * The one place besides the record header that names every field: each {@code with*} method
   * changes what it is about in a copy, which the constructor validates as any other.
   */
  private final class Builder {
    Optional<URI> endpoint = S3StoreConfig.this.endpoint;
    String region = S3StoreConfig.this.region;
    String bucket = S3StoreConfig.this.bucket;
    String prefix = S3StoreConfig.this.prefix;
    boolean pathStyle = S3StoreConfig.this.pathStyle;
    String accessKey = S3StoreConfig.this.accessKey;
    String secretKey = S3StoreConfig.this.secretKey;
    ChecksumMode checksumMode = S3StoreConfig.this.checksumMode;
    long partSize = S3StoreConfig.this.partSize;
    long memoryBudget = S3StoreConfig.this.memoryBudget;
    long readWindow = S3StoreConfig.this.readWindow;
    int maxConnections = S3StoreConfig.this.maxConnections;
    int partsInFlight = S3StoreConfig.this.partsInFlight;

    S3StoreConfig build(Consumer<Builder> change) {
      change.accept(this);
      return new S3StoreConfig(
          endpoint,
          region,
          bucket,
          prefix,
          pathStyle,
          accessKey,
          secretKey,
          checksumMode,
          partSize,
          memoryBudget,
          readWindow,
          maxConnections,
          partsInFlight);
    }
  }

  private S3StoreConfig copy(Consumer<Builder> change) {
    return new Builder().build(change);
  }

  public S3StoreConfig withPrefix(String value) {
    return copy(b -> b.prefix = value);
  }

  public S3StoreConfig withPathStyle(boolean value) {
    return copy(b -> b.pathStyle = value);
  }

  public S3StoreConfig withChecksumMode(ChecksumMode value) {
    return copy(b -> b.checksumMode = value);
  }

  /** Sets the part size and, when the budget cannot hold one part of it, raises the budget. */
  public S3StoreConfig withPartSize(long value) {
    return copy(
        b -> {
          b.partSize = value;
          b.memoryBudget = Math.max(memoryBudget, value);
        });
  }

  public S3StoreConfig withMemoryBudget(long value) {
    return copy(b -> b.memoryBudget = value);
  }

  public S3StoreConfig withReadWindow(long value) {
    return copy(b -> b.readWindow = value);
  }

  public S3StoreConfig withMaxConnections(int value) {
    return copy(b -> b.maxConnections = value);
  }

  public S3StoreConfig withPartsInFlight(int value) {
    return copy(b -> b.partsInFlight = value);
  }

  /** Everything but the secret, which is masked: configs get logged. */
  @Override
  public String toString() {
    return "S3StoreConfig[endpoint="
        + endpoint.map(URI::toString).orElse("(AWS)")
        + ", region="
        + region
        + ", bucket="
        + bucket
        + ", prefix="
        + prefix
        + ", pathStyle="
        + pathStyle
        + ", accessKey="
        + accessKey
        + ", secretKey=****"
        + ", checksumMode="
        + checksumMode.configName()
        + ", partSize="
        + partSize
        + ", memoryBudget="
        + memoryBudget
        + ", readWindow="
        + readWindow
        + ", maxConnections="
        + maxConnections
        + ", partsInFlight="
        + partsInFlight
        + "]";
  }

  private static void requireEndpoint(URI uri) {
    if (uri.getScheme() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("endpoint: must be an http or https URL, not " + uri);
    }
    if (uri.getUserInfo() != null) {
      throw new IllegalArgumentException("endpoint: must not carry credentials");
    }
  }

  private static String requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + ": must not be empty");
    }
    return value.trim();
  }
}
