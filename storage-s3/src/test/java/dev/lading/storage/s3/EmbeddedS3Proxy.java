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

/**
 * One S3Proxy (filesystem store in a temporary directory, 127.0.0.1, an ephemeral port, AWS
 * SigV4) for the whole test JVM, started on first use and stopped when JUnit closes its root
 * context. Each test gets its own key prefix in the one bucket, so tests never see each other's
 * objects and a store's "nothing stray is left" check stays meaningful.
 */
public final class EmbeddedS3Proxy implements ExtensionContext.Store.CloseableResource, AutoCloseable {
  static final String ACCESS_KEY = "lading-test-access";
  static final String SECRET_KEY = "lading-test-secret";
  static final String BUCKET = "lading-test";
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private final Path dir;
  private final S3Proxy proxy;
  private final URI endpoint;

  private EmbeddedS3Proxy() throws Exception {
    dir = Files.createTempDirectory("lading-s3proxy-");
    proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(dir.toString()))
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
    try (var s3 = S3Store.client(config("unused/"))) {
      s3.createBucket(b -> b.bucket(BUCKET));
    }
  }

  /** The proxy of this test run, started once. */
  public static EmbeddedS3Proxy get(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(EmbeddedS3Proxy.class, k -> start(), EmbeddedS3Proxy.class);
  }

  private static EmbeddedS3Proxy start() {
    try {
      return new EmbeddedS3Proxy();
    } catch (Exception e) {
      throw new IllegalStateException("could not start S3Proxy", e);
    }
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

  @Override
  public void close() throws Exception {
    proxy.stop();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
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
