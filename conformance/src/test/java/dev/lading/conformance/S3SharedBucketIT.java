package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.storage.s3.EmbeddedS3Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two registry processes on one bucket, as behind a load balancer: upload sessions live in the
 * bucket, so any chunk may go to either instance, and an instance may restart mid-upload.
 */
@EnabledIfSystemProperty(
    named = "lading.conformance.store",
    matches = "s3",
    disabledReason = "needs the S3 store; runs in the on-s3 failsafe execution")
class S3SharedBucketIT {
  @RegisterExtension static final RegistryProcess first = RegistryProcess.create();
  @RegisterExtension static final RegistryProcess second = RegistryProcess.sharingStoreWith(first);

  private static final int CHUNK = 3 * 1024 * 1024 + 1234; // crosses 5 MiB parts at odd offsets

  /** The same upload URL on another instance: only the path and query travel. */
  private static URI on(RegistryProcess instance, URI location) {
    String pathAndQuery =
        location.getRawPath()
            + (location.getRawQuery() == null ? "" : "?" + location.getRawQuery());
    return instance.client().resolve(pathAndQuery);
  }

  @Test
  void chunksAlternateBetweenInstancesAndTheBlobIsPulledFromTheOther() throws Exception {
    String repo = Checks.uniqueRepo("shared");
    Blob blob = Blob.random(4 * CHUNK + 77);
    URI upload = first.client().startUpload(repo);
    RegistryProcess[] turn = {second, first, second, first};
    long offset = 0;
    for (int i = 0; i < 4; i++) {
      RegistryProcess instance = turn[i];
      byte[] chunk = Arrays.copyOfRange(blob.bytes(), (int) offset, (int) offset + CHUNK);
      Reply patched = instance.client().patchChunk(on(instance, upload), chunk, offset);
      assertThat(patched.status())
          .as("chunk %d on instance %d: %s", i, i % 2 == 0 ? 2 : 1, patched)
          .isEqualTo(202);
      offset += CHUNK;
      assertThat(patched.headerOrNull("Range")).isEqualTo("0-" + (offset - 1));
      upload = patched.location();
    }
    Reply status = second.client().get(on(second, upload));
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    assertThat(status.headerOrNull("Range")).isEqualTo("0-" + (offset - 1));

    byte[] last = Arrays.copyOfRange(blob.bytes(), (int) offset, blob.bytes().length);
    Reply closed = first.client().putUpload(on(first, upload), blob.digest(), last);
    assertThat(closed.status()).as("%s", closed).isEqualTo(201);

    Reply head = second.client().headBlob(repo, blob.digest());
    assertThat(head.status()).as("%s", head).isEqualTo(200);
    assertThat(head.headerOrNull("Content-Length")).isEqualTo(Long.toString(blob.size()));
    Reply pulled = second.client().getBlob(repo, blob.digest());
    assertThat(pulled.status()).as("%s", pulled).isEqualTo(200);
    assertThat(Blob.sha256(pulled.body())).isEqualTo(blob.digest());
    Reply ranged = second.client().getBlob(repo, blob.digest(), "Range", "bytes=5242000-5243999");
    assertThat(ranged.status()).isEqualTo(206);
    assertThat(ranged.body()).isEqualTo(Arrays.copyOfRange(blob.bytes(), 5242000, 5244000));
  }

  @Test
  void uploadGoesOnWhileOneInstanceRestarts() throws Exception {
    String repo = Checks.uniqueRepo("shared-restart");
    Blob blob = Blob.random(3 * CHUNK);
    URI upload = first.client().startUpload(repo);
    Reply one =
        first.client().patchChunk(on(first, upload), Arrays.copyOfRange(blob.bytes(), 0, CHUNK), 0);
    assertThat(one.status()).as("%s", one).isEqualTo(202);

    first.stop();
    try {
      // While the first is down the other instance takes the next chunk.
      Reply two =
          second
              .client()
              .patchChunk(
                  on(second, one.location()),
                  Arrays.copyOfRange(blob.bytes(), CHUNK, 2 * CHUNK),
                  CHUNK);
      assertThat(two.status()).as("%s", two).isEqualTo(202);
      upload = two.location();
    } finally {
      first.start();
    }
    Reply three =
        first
            .client()
            .patchChunk(
                on(first, upload),
                Arrays.copyOfRange(blob.bytes(), 2 * CHUNK, 3 * CHUNK),
                2L * CHUNK);
    assertThat(three.status()).as("%s", three).isEqualTo(202);
    Reply closed =
        second.client().putUpload(on(second, three.location()), blob.digest(), new byte[0]);
    assertThat(closed.status()).as("%s", closed).isEqualTo(201);

    Reply pulled = first.client().getBlob(repo, blob.digest());
    assertThat(pulled.status()).as("%s", pulled).isEqualTo(200);
    assertThat(Blob.sha256(pulled.body())).isEqualTo(blob.digest());
  }

  @Test
  void theSecretKeyIsNeverLogged() throws Exception {
    first.client().get("/v2/");
    // The start-up line names the store (bucket, prefix, endpoint) and no credential at all.
    assertThat(Files.readString(first.logFile()))
        .contains("store: s3 bucket")
        .doesNotContain(EmbeddedS3Proxy.SECRET_KEY);
    assertThat(Files.readString(second.logFile())).doesNotContain(EmbeddedS3Proxy.SECRET_KEY);
  }
}
