package dev.lading.storage.s3;

import dev.lading.core.storage.MultipartWrite;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A quick measurement, not a test: pushes SIZE bytes through {@link S3Store} and through the SDK
 * alone (UploadPart one at a time, same part size) into the same bucket and prints MB/s. The full
 * benchmark belongs in bench/. Run with the test classpath: {@code java -cp ...
 * dev.lading.storage.s3.PushThroughputProbe ENDPOINT BUCKET AK SK MIB [PART_MIB]}.
 */
public final class PushThroughputProbe {
  public static void main(String[] args) throws Exception {
    long size = Long.parseLong(args[4]) * S3StoreConfig.MIB;
    long part = (args.length > 5 ? Long.parseLong(args[5]) : 32) * S3StoreConfig.MIB;
    S3StoreConfig config =
        S3StoreConfig.of(Optional.of(URI.create(args[0])), "us-east-1", args[1], args[2], args[3])
            .withPrefix("probe-" + System.nanoTime() + "/")
            .withPartSize(part)
            .withMemoryBudget(4 * part);
    try (S3Client s3 = S3Store.client(config)) {
      try {
        s3.createBucket(b -> b.bucket(config.bucket()));
      } catch (S3Exception e) {
        // exists
      }
    }
    byte[] chunk = new byte[256 * 1024];
    new Random(1).nextBytes(chunk);
    for (int round = 0; round < 2; round++) {
      try (S3Store store = S3Store.create(config)) {
        long t0 = System.nanoTime();
        MultipartWrite write = store.startMultipart("data/lading-" + round);
        for (long at = 0; at < size; at += chunk.length) {
          write.write(ByteBuffer.wrap(chunk));
        }
        long t1 = System.nanoTime();
        write.complete();
        long t2 = System.nanoTime();
        print("lading push", size, t2 - t0, t2 - t1);
        store.delete(List.of("data/lading-" + round));
      }
      try (S3Client s3 = S3Store.client(config)) {
        String key = config.prefix() + "data/sdk-" + round;
        long t0 = System.nanoTime();
        String id = s3.createMultipartUpload(b -> b.bucket(config.bucket()).key(key)).uploadId();
        byte[] partBytes = new byte[(int) part];
        for (int off = 0; off < partBytes.length; off += chunk.length) {
          System.arraycopy(
              chunk, 0, partBytes, off, Math.min(chunk.length, partBytes.length - off));
        }
        List<CompletedPart> parts = new ArrayList<>();
        int number = 0;
        for (long at = 0; at < size; at += part) {
          int n = ++number;
          long length = Math.min(part, size - at);
          String etag =
              s3.uploadPart(
                      b ->
                          b.bucket(config.bucket())
                              .key(key)
                              .uploadId(id)
                              .partNumber(n)
                              .contentLength(length),
                      RequestBody.fromContentProvider(
                          () -> new ByteArrayInputStream(partBytes, 0, (int) length),
                          length,
                          "application/octet-stream"))
                  .eTag();
          parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
        }
        long t1 = System.nanoTime();
        s3.completeMultipartUpload(
            b ->
                b.bucket(config.bucket())
                    .key(key)
                    .uploadId(id)
                    .multipartUpload(m -> m.parts(parts)));
        long t2 = System.nanoTime();
        print("sdk alone  ", size, t2 - t0, t2 - t1);
        s3.deleteObject(b -> b.bucket(config.bucket()).key(key));
      }
    }
  }

  private static void print(String what, long size, long nanos, long completeNanos) {
    System.out.printf(
        "%s %d MiB: %.1f MB/s (complete %.2f s)%n",
        what, size / S3StoreConfig.MIB, size / (nanos / 1e9) / 1e6, completeNanos / 1e9);
  }
}
