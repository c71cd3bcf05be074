package dev.lading.storage.s3;

import java.net.URI;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A Ceph RGW reached over the network, for the tests enabled by {@code -Dlading.s3.ceph=true}.
 * Where it is: system properties {@code lading.s3.ceph.endpoint}, {@code .accessKey}, {@code
 * .secretKey}, {@code .bucket}, else the environment {@code ../shared/tools/ceph-up.sh} prints
 * ({@code S3_ENDPOINT}, {@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}), else that
 * script's defaults. The bucket is created when missing.
 */
public final class CephTarget {
  public static final String ENABLED = "lading.s3.ceph";
  private static final AtomicBoolean BUCKET_READY = new AtomicBoolean();

  private CephTarget() {}

  public static S3StoreConfig config(String prefix) {
    S3StoreConfig config =
        S3StoreConfig.of(
                Optional.of(
                    URI.create(setting("endpoint", "S3_ENDPOINT", "http://127.0.0.1:15280"))),
                "us-east-1",
                setting("bucket", "LADING_S3_CEPH_BUCKET", "lading-test"),
                setting("accessKey", "AWS_ACCESS_KEY_ID", "local-access-key"),
                setting("secretKey", "AWS_SECRET_ACCESS_KEY", "local-secret-key"))
            .withPrefix(prefix)
            .withPartSize(S3StoreConfig.MIN_PART_SIZE)
            .withMemoryBudget(64 * S3StoreConfig.MIB);
    if (BUCKET_READY.compareAndSet(false, true)) {
      try (S3Client s3 = S3Store.client(config)) {
        s3.createBucket(b -> b.bucket(config.bucket()));
      } catch (S3Exception e) {
        if (e.statusCode() != 409) {
          throw e;
        }
      }
    }
    return config;
  }

  private static String setting(String property, String env, String fallback) {
    String value = System.getProperty(ENABLED + "." + property);
    if (value == null || value.isBlank()) {
      value = System.getenv(env);
    }
    return value == null || value.isBlank() ? fallback : value;
  }
}
