package dev.lading.server.s3;

import dev.lading.server.config.LadingConfig;
import dev.lading.storage.s3.S3StoreConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * One S3Proxy per test JVM (filesystem store under {@code target/}, loopback, ephemeral port,
 * SigV4) for the server's tests on the S3 store; each caller gets its own key prefix.
 */
final class EmbeddedS3 {
  static final String ACCESS_KEY = "lading-server-test";
  static final String SECRET_KEY = "lading-server-test-secret";
  static final String BUCKET = "lading-server";
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static URI endpoint;

  private EmbeddedS3() {}

  static synchronized URI endpoint() throws Exception {
    if (endpoint == null) {
      Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "s3proxy-");
      FilesystemNio2BlobStore blobs = new FilesystemNio2BlobStore(dir.toString());
      blobs.createContainer(CreateBucketRequest.builder().bucket(BUCKET).build());
      S3Proxy proxy = S3Proxy.builder()
          .blobStore(blobs)
          .endpoint(URI.create("http://127.0.0.1:0"))
          .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
          .stopTimeout(0)
          .build();
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.onSpinWait();
      }
      endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          proxy.stop();
        } catch (Exception ignored) {
          // exiting
        }
      }));
    }
    return endpoint;
  }

  /** A store configuration on a fresh prefix: 5 MiB parts, 1 MiB read windows. */
  static S3StoreConfig storeConfig(String name) throws Exception {
    return S3StoreConfig.of(Optional.of(endpoint()), "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY)
        .withPrefix(name + "-" + PREFIXES.incrementAndGet() + "/")
        .withPartSize(S3StoreConfig.MIN_PART_SIZE)
        .withReadWindow(S3StoreConfig.MIB);
  }

  /** A test configuration (ephemeral port, loopback) on the S3 store. */
  static LadingConfig serverConfig(Path root, String name, boolean redirect) throws Exception {
    return LadingConfig.forTests(root)
        .withS3(new LadingConfig.S3(storeConfig(name), redirect, Duration.ofMinutes(5)));
  }
}
