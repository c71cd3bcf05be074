package dev.lading.bench;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.storage.s3.S3Store;
import dev.lading.storage.s3.S3StoreConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * The store a bench writes through the storage SPI: {@code --store fs --root DIR}, or {@code
 * --store s3 --endpoint URL} with a bucket created when missing and a fresh prefix unless given.
 */
final class StoreOptions {
  enum StoreType {
    fs,
    s3
  }

  @Spec(Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--store", required = true, description = "fs or s3")
  StoreType store;

  @Option(names = "--root", description = "Filesystem store root (must not exist or be empty).")
  Path root;

  @Option(names = "--endpoint", description = "S3 endpoint, e.g. http://127.0.0.1:15200")
  URI endpoint;

  @Option(names = "--region", defaultValue = "us-east-1")
  String region;

  @Option(names = "--bucket", defaultValue = "lading-bench", description = "Created when missing.")
  String bucket;

  @Option(names = "--access-key", defaultValue = "local-access-key")
  String accessKey;

  @Option(names = "--secret-key", defaultValue = "local-secret-key")
  String secretKey;

  @Option(names = "--prefix", description = "Key prefix in the bucket (default: a fresh one).")
  String prefix;

  /** Opens the store; each kind needs one option, checked the same way. */
  ObjectStore open(String freshPrefixName, int maxConnections) throws IOException {
    Object required = store == StoreType.fs ? root : endpoint;
    if (required == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          (store == StoreType.fs ? "--root" : "--endpoint") + " is required for --store " + store);
    }
    if (store == StoreType.fs) {
      return new FilesystemStore(root);
    }
    createBucketIfMissing();
    return S3Store.create(
        S3StoreConfig.of(Optional.of(endpoint), region, bucket, accessKey, secretKey)
            .withPrefix(prefix != null ? prefix : freshPrefixName + "-" + UUID.randomUUID() + "/")
            .withMaxConnections(maxConnections));
  }

  private void createBucketIfMissing() {
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(endpoint)
            .region(Region.of(region))
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
            .httpClientBuilder(ApacheHttpClient.builder())
            .build()) {
      try {
        s3.headBucket(b -> b.bucket(bucket));
      } catch (NoSuchBucketException e) {
        s3.createBucket(b -> b.bucket(bucket));
      }
    }
  }

  @Override
  public String toString() {
    return store.name();
  }
}
