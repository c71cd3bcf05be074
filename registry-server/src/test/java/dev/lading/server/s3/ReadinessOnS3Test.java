package dev.lading.server.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import dev.lading.storage.s3.S3StoreConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Readiness follows the store: {@code /readyz} answers 503 once the bucket is gone and 200 again
 * once it is back, while {@code /healthz} stays 200 throughout (a missing bucket is no reason to
 * restart the process). Real S3Proxy, real sockets.
 */
class ReadinessOnS3Test {
  private static final String BUCKET = "readiness-probe";

  @TempDir Path root;

  @Test
  void readinessFollowsTheBucketAndLivenessDoesNot() throws Exception {
    URI endpoint = EmbeddedS3.endpoint();
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        EmbeddedS3Proxy.ACCESS_KEY, EmbeddedS3Proxy.SECRET_KEY)))
            .build()) {
      s3.createBucket(b -> b.bucket(BUCKET));
      S3StoreConfig store =
          S3StoreConfig.of(
              Optional.of(endpoint),
              "us-east-1",
              BUCKET,
              EmbeddedS3Proxy.ACCESS_KEY,
              EmbeddedS3Proxy.SECRET_KEY);
      LadingConfig config =
          LadingConfig.forTests(root)
              .withS3(new LadingConfig.S3(store, false, Duration.ofMinutes(5)));
      HttpClient http = HttpClient.newHttpClient();
      try (LadingServer server = LadingServer.start(config)) {
        URI readyz = URI.create("http://127.0.0.1:" + server.port() + "/readyz");
        URI healthz = URI.create("http://127.0.0.1:" + server.port() + "/healthz");
        assertThat(statusOf(http, readyz)).isEqualTo(200);

        deleteBucket(s3);
        assertThat(waitForStatus(http, readyz, 503)).isEqualTo(503);
        assertThat(statusOf(http, healthz)).isEqualTo(200);

        s3.createBucket(b -> b.bucket(BUCKET));
        assertThat(waitForStatus(http, readyz, 200)).isEqualTo(200);
      } finally {
        deleteBucket(s3);
      }
    }
  }

  /** The bucket and what the start put in it (the storage layout's version record). */
  private static void deleteBucket(S3Client s3) {
    s3.listObjectsV2Paginator(b -> b.bucket(BUCKET))
        .contents()
        .forEach(o -> s3.deleteObject(b -> b.bucket(BUCKET).key(o.key())));
    s3.deleteBucket(b -> b.bucket(BUCKET));
  }

  private static int statusOf(HttpClient http, URI uri) throws Exception {
    return http.send(
            HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Asks until the answer is {@code wanted} (the store's answer is reused for a second). */
  private static int waitForStatus(HttpClient http, URI uri, int wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int status = statusOf(http, uri);
    while (status != wanted && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      status = statusOf(http, uri);
    }
    return status;
  }
}
