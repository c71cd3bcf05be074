package dev.lading.storage.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * The one embedded S3Proxy of a test JVM (filesystem store under the module's {@code target/},
 * 127.0.0.1, an ephemeral port, AWS SigV4), for every module whose tests need S3: this module's
 * store suites, gc's, the server's and the conformance suite's (whose registry child processes get
 * {@link #endpoint()} and the credentials below). Started on first use, stopped and its directory
 * removed when the JVM exits. Each test or server gets its own key prefix in the one bucket ({@link
 * #freshPrefix}), so they never see each other's objects and a store's "nothing stray is left"
 * check stays meaningful.
 */
public final class EmbeddedS3Proxy {
  public static final String ACCESS_KEY = "lading-test-access";
  public static final String SECRET_KEY = "lading-test-secret";
  public static final String BUCKET = "lading-test";
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EmbeddedS3Proxy shared;

  private final Path dir;
  private final S3Proxy proxy;
  private final URI endpoint;

  private EmbeddedS3Proxy() throws Exception {
    // Under target/, not the system temp dir: a killed run leaves nothing behind that
    // `mvn clean` does not remove.
    Path base = Files.createDirectories(Path.of("target").toAbsolutePath());
    dir = Files.createTempDirectory(base, "s3proxy-");
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

  /** The proxy of this test JVM, started on first use. */
  public static synchronized EmbeddedS3Proxy shared() {
    if (shared == null) {
      try {
        shared = new EmbeddedS3Proxy();
      } catch (Exception e) {
        throw new IllegalStateException("could not start S3Proxy", e);
      }
    }
    return shared;
  }

  /** The same as {@link #shared()}, for suites that start it from a JUnit callback. */
  public static EmbeddedS3Proxy get(ExtensionContext context) {
    return shared();
  }

  /** Where the proxy listens, {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return endpoint;
  }

  /** A store configuration with 5 MiB parts (S3's smallest), so small tests exercise multipart. */
  public S3StoreConfig config(String prefix) {
    return S3StoreConfig.of(Optional.of(endpoint), "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY)
        .withPrefix(prefix)
        .withPartSize(S3StoreConfig.MIN_PART_SIZE)
        .withMemoryBudget(64 * S3StoreConfig.MIB);
  }

  /** A prefix no other test of this run uses. */
  public static String freshPrefix(String name) {
    return name + "-" + PREFIXES.incrementAndGet() + "/";
  }

  private void stop() {
    try {
      proxy.stop();
      deleteRecursively(dir);
    } catch (Exception e) {
      // the JVM is exiting; what is left under target/ goes with the next clean
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
