package dev.lading.conformance;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * One S3Proxy (filesystem store under {@code target/}, 127.0.0.1, an ephemeral port, SigV4) in
 * the test JVM, which the registry child processes use as their S3 endpoint when the store under
 * test is S3 ({@code -Dlading.conformance.store=s3}). Started on first use, stopped when the JVM
 * exits. Each server gets its own key prefix in the one bucket, so test classes never see each
 * other's objects; two servers that should share a store are given the same prefix.
 */
final class TestS3 {
  static final String ACCESS_KEY = "lading-it-access";
  static final String SECRET_KEY = "lading-it-secret";
  static final String BUCKET = "lading-it";
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static TestS3 instance;

  private final Path dir;
  private final S3Proxy proxy;
  private final URI endpoint;

  private TestS3() throws Exception {
    Path base = Path.of("target");
    Files.createDirectories(base);
    dir = Files.createTempDirectory(base.toAbsolutePath(), "s3proxy-");
    FilesystemNio2BlobStore blobs = new FilesystemNio2BlobStore(dir.toString());
    blobs.createContainer(CreateBucketRequest.builder().bucket(BUCKET).build());
    proxy =
        S3Proxy.builder()
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
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "stop-s3proxy"));
  }

  /** True when this run tests the S3 store ({@code -Dlading.conformance.store=s3}). */
  static boolean selected() {
    return "s3".equals(System.getProperty("lading.conformance.store", "filesystem"));
  }

  static synchronized TestS3 get() {
    if (instance == null) {
      try {
        instance = new TestS3();
      } catch (Exception e) {
        throw new IllegalStateException("could not start S3Proxy", e);
      }
    }
    return instance;
  }

  URI endpoint() {
    return endpoint;
  }

  /** The directory S3Proxy keeps the bucket in (tests look at what is left there). */
  Path bucketDir() {
    return dir.resolve(BUCKET);
  }

  /** A prefix no other server of this run uses. */
  static String freshPrefix(String owner) {
    return owner.toLowerCase(java.util.Locale.ROOT) + "-" + PREFIXES.incrementAndGet() + "/";
  }

  private void stop() {
    try {
      proxy.stop();
    } catch (Exception e) {
      // the JVM is exiting
    }
    try {
      RegistryProcess.deleteRecursively(dir);
    } catch (IOException e) {
      // left under target/, removed by the next clean
    }
  }
}
