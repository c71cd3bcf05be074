package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ?ns=<registry>} (distribution-spec main, "Registry Proxying"): containerd, regclient and
 * the stargz snapshotter add it to every request they send to a host configured as a mirror. Lading
 * serves its own repositories and does not scope requests by it, so it must ignore the parameter on
 * every endpoint, pushes included, and (not using it) send no {@code OCI-Namespace}.
 */
class NamespaceParamIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();
  static RegistryClient client;
  static final String NS = "ns=docker.io";

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static Reply ok(Reply reply, int status) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(status);
    assertThat(reply.header("OCI-Namespace")).as("%s", reply).isEmpty();
    return reply;
  }

  @Test
  void everyEndpointIgnoresNs() {
    String repo = Checks.uniqueRepo("ns");
    Images image = Images.generate(1, 512);
    // Push with ns on each request: session, chunk, close, manifest.
    Blob config = image.config();
    URI upload = ok(client.postUpload(repo, "ns", "docker.io"), 202).location();
    URI withNs = RegistryClient.withQuery(upload, "ns", "docker.io");
    ok(client.putUpload(withNs, config.digest(), config.bytes()), 201);
    for (Blob layer : image.layers()) {
      client.pushBlob(repo, layer);
    }
    Manifest m = image.manifest();
    ok(client.putManifest(repo, "v1?" + NS, m.mediaType(), m.bytes()), 201);
    // Reads.
    ok(client.getManifest(repo, "v1?" + NS, RegistryClient.acceptAll()), 200);
    ok(client.headManifest(repo, m.digest() + "?" + NS, RegistryClient.acceptAll()), 200);
    Reply blob = ok(client.getBlob(repo, config.digest() + "?" + NS), 200);
    assertThat(blob.body()).isEqualTo(config.bytes());
    ok(client.getBlob(repo, config.digest() + "?" + NS, "Range", "bytes=0-0"), 206);
    ok(client.headBlob(repo, config.digest() + "?" + NS), 200);
    Reply tags = ok(client.listTags(repo, "ns", "docker.io"), 200);
    assertThat(RegistryClient.strings(tags, "tags")).containsExactly("v1");
    ok(client.referrers(repo, m.digest(), "ns", "docker.io"), 200);
    ok(client.catalog("ns", "docker.io"), 200);
    ok(client.get("/v2/?" + NS), 200);
    // A cross-repository mount with ns.
    String other = Checks.uniqueRepo("ns");
    ok(client.postUpload(other, "mount", config.digest(), "from", repo, "ns", "docker.io"), 201);
    // Unknown things stay unknown, with ns or without.
    ok(client.getManifest(repo, "v2?" + NS, RegistryClient.acceptAll()), 404);
  }
}
