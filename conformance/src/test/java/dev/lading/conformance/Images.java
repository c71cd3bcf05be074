package dev.lading.conformance;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

/** A small image pushed over HTTP: config, layers and the manifest naming them. */
public record Images(Blob config, List<Blob> layers, Manifest manifest) {

  /** Generates an image with {@code layerCount} random layers (not pushed). */
  public static Images generate(int layerCount, int layerSize) {
    Blob config =
        Blob.of(
            ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                    + "\"comment\":\""
                    + UUID.randomUUID()
                    + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    List<Blob> layers =
        IntStream.range(0, layerCount).mapToObj(i -> Blob.random(layerSize)).toList();
    Manifest.Builder manifest = Manifest.oci().config(config.descriptor(MediaType.OCI_CONFIG));
    layers.forEach(l -> manifest.add(l.descriptor(MediaType.OCI_LAYER_GZIP)));
    return new Images(config, layers, manifest.build());
  }

  /** Pushes the blobs, then the manifest under {@code reference} (a tag or its digest). */
  public Images push(RegistryClient client, String repo, String reference) {
    pushBlobs(client, repo);
    client.pushManifest(repo, reference, manifest);
    return this;
  }

  public void pushBlobs(RegistryClient client, String repo) {
    client.pushBlob(repo, config);
    layers.forEach(l -> client.pushBlob(repo, l));
  }

  public static Images pushed(RegistryClient client, String repo, String tag) {
    return generate(2, 1024).push(client, repo, tag);
  }
}
