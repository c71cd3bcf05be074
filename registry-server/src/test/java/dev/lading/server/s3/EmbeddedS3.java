package dev.lading.server.s3;

import dev.lading.server.config.LadingConfig;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import dev.lading.storage.s3.S3StoreConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/** The server's tests on the S3 store: storage-s3's embedded S3Proxy, one prefix per caller. */
final class EmbeddedS3 {
  private EmbeddedS3() {}

  static URI endpoint() {
    return EmbeddedS3Proxy.shared().endpoint();
  }

  /** A test configuration (ephemeral port, loopback) on a fresh prefix, 1 MiB read windows. */
  static LadingConfig serverConfig(Path root, String name, boolean redirect) {
    S3StoreConfig store =
        EmbeddedS3Proxy.shared()
            .config(EmbeddedS3Proxy.freshPrefix(name))
            .withReadWindow(S3StoreConfig.MIB);
    return LadingConfig.forTests(root)
        .withS3(new LadingConfig.S3(store, redirect, Duration.ofMinutes(5)));
  }
}
