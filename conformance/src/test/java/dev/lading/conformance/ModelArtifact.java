package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model artifact as a tool pushed it, and the checks every tool's test makes on it afterwards:
 * everything comes back byte for byte ({@link #assertPulledBack}), and every file the artifact
 * names is served by that name through {@code /files/} ({@link #assertServedAsFiles}).
 *
 * @param tag the tag the tool pushed the manifest under
 * @param manifest the manifest exactly as pushed
 * @param config the config blob
 * @param layers every layer, in manifest order
 */
public record ModelArtifact(String tag, Manifest manifest, Blob config, List<Layer> layers) {

  /**
   * A layer: the name {@code /files/} serves it by ({@code null} for a layer the artifact names no
   * file for), its bytes and its media type.
   */
  public record Layer(String fileName, Blob blob, String mediaType) {}

  /** The config, then every layer. */
  public List<Blob> blobs() {
    List<Blob> all = new ArrayList<>(List.of(config));
    layers.forEach(l -> all.add(l.blob()));
    return all;
  }

  /** The layers with a file name, in manifest order. */
  public List<Layer> files() {
    return layers.stream().filter(l -> l.fileName() != null).toList();
  }

  /**
   * The manifest by tag and by digest (the bytes pushed, its media type, its digest), and every
   * blob (config and layers) byte for byte.
   */
  public void assertPulledBack(RegistryClient client, String repo) {
    for (String reference : List.of(tag, manifest.digest())) {
      Reply m = client.getManifest(repo, reference, "Accept", manifest.mediaType());
      assertThat(m.status()).as("%s", m).isEqualTo(200);
      assertThat(m.body()).as("manifest by %s", reference).isEqualTo(manifest.bytes());
      assertThat(m.headerOrNull("Content-Type")).isEqualTo(manifest.mediaType());
      assertThat(m.headerOrNull("Docker-Content-Digest")).isEqualTo(manifest.digest());
    }
    for (Blob blob : blobs()) {
      Reply b = client.getBlob(repo, blob.digest());
      assertThat(b.status()).as("%s", b).isEqualTo(200);
      assertThat(b.body()).as("blob %s", blob.digest()).isEqualTo(blob.bytes());
      assertThat(b.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    }
  }

  /**
   * {@code /files/<repo>/-/<tag>/}: the listing names exactly {@link #files}, in order; each file
   * whole by tag (its bytes, its layer's media type, {@code Content-Disposition} with its last
   * segment), one {@code Range} by manifest digest ({@code 206}, {@code Content-Range}, the bytes)
   * and {@code HEAD} by tag ({@code Content-Length}, no body).
   */
  public void assertServedAsFiles(RegistryClient client, String repo) {
    Reply listing = client.get("/files/" + repo + "/-/" + tag + "/");
    assertThat(listing.status()).as("%s", listing).isEqualTo(200);
    List<String> listed = new ArrayList<>();
    listing.json().path("files").forEach(f -> listed.add(f.path("name").asText()));
    assertThat(listed).containsExactlyElementsOf(files().stream().map(Layer::fileName).toList());
    for (Layer file : files()) {
      byte[] bytes = file.blob().bytes();
      Reply whole = client.get(path(repo, tag, file.fileName()));
      assertThat(whole.status()).as("%s", whole).isEqualTo(200);
      assertThat(whole.body()).as(file.fileName()).isEqualTo(bytes);
      assertThat(whole.headerOrNull("Content-Type")).isEqualTo(file.mediaType());
      assertThat(whole.headerOrNull("Docker-Content-Digest")).isEqualTo(file.blob().digest());
      String base = file.fileName().substring(file.fileName().lastIndexOf('/') + 1);
      assertThat(whole.headerOrNull("Content-Disposition")).contains("filename=\"" + base + "\"");

      int from = bytes.length / 3;
      int to = Math.min(bytes.length - 1, from + 4096);
      Reply range =
          client.get(
              path(repo, manifest.digest(), file.fileName()), "Range", "bytes=" + from + "-" + to);
      assertThat(range.status()).as("%s", range).isEqualTo(206);
      assertThat(range.headerOrNull("Content-Range"))
          .isEqualTo("bytes " + from + "-" + to + "/" + bytes.length);
      assertThat(range.body()).isEqualTo(Arrays.copyOfRange(bytes, from, to + 1));

      Reply head = client.head(path(repo, tag, file.fileName()));
      assertThat(head.status()).as("%s", head).isEqualTo(200);
      assertThat(head.headerOrNull("Content-Length")).isEqualTo(Long.toString(bytes.length));
      assertThat(head.body()).isEmpty();
    }
  }

  /** The file's path under {@code /files/} (the tests' names are plain ASCII: no encoding). */
  private static String path(String repo, String reference, String name) {
    return "/files/" + repo + "/-/" + reference + "/" + name;
  }
}
