package dev.lading.bench;

import dev.lading.core.model.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One small image and the requests that push it as a client does: per blob a {@code HEAD} that must
 * answer 404, then either a cross-repository mount ({@code POST ?mount=&from=}, 201), or an upload
 * (a session {@code POST} and one closing {@code PUT ?digest=} with the bytes, as skopeo and
 * containerd send a small blob; or, monolithic, one {@code POST ?digest=} with the bytes); then the
 * manifest {@code PUT} by tag. The config is a blob like the layers: {@code HEAD}, then uploaded.
 *
 * <p>Everything is made before any timing: bytes, digests, the manifest. The requests can be sent
 * for the whole image at once ({@link #push}), or one kind at a time ({@link #send}), which is how
 * the bench charges the server's CPU time to each kind of request: a phase of only {@code HEAD}s,
 * then one of only session {@code POST}s, and so on, each request in the same state of the push as
 * in a whole push.
 */
final class SmallImage {

  /** The kinds of request a small push sends, in the order a push sends them. */
  enum Kind {
    HEAD("HEAD blob (404)"),
    MOUNT("POST mount (201)"),
    SESSION("POST session (202)"),
    CLOSE("PUT closing (201)"),
    MONOLITHIC("POST ?digest= (201)"),
    MANIFEST("PUT manifest (201)");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  /** Bytes and their digest. */
  record Blob(byte[] bytes, Digest digest) {
    static Blob of(byte[] bytes) {
      return new Blob(bytes, Digest.sha256(bytes));
    }

    static Blob random(SplittableRandom random, int size) {
      byte[] bytes = new byte[size];
      random.nextBytes(bytes);
      return of(bytes);
    }
  }

  private static final String OCTETS = "application/octet-stream";
  private static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

  private final String repository;
  private final String tag;
  private final String mountFrom;
  private final List<Blob> mounted;
  private final List<Blob> uploaded;
  private final boolean monolithic;
  private final byte[] manifest;

  /** Upload sessions the {@link Kind#SESSION} phase opened, for the {@link Kind#CLOSE} phase. */
  private final String[] sessions;

  /**
   * {@code mounted} come from {@code mountFrom} (already there); {@code layers} and {@code config}
   * are uploaded, by session and closing PUT or, {@code monolithic}, by one POST each.
   */
  SmallImage(
      String repository,
      String tag,
      String mountFrom,
      List<Blob> mounted,
      List<Blob> layers,
      Blob config,
      boolean monolithic) {
    this.repository = repository;
    this.tag = tag;
    this.mountFrom = mountFrom;
    this.mounted = List.copyOf(mounted);
    List<Blob> uploads = new ArrayList<>(layers);
    uploads.add(config);
    this.uploaded = List.copyOf(uploads);
    this.monolithic = monolithic;
    this.manifest = manifest(config, concat(mounted, layers));
    this.sessions = new String[uploaded.size()];
  }

  /**
   * A tiny image: one layer of {@code layerBytes} random bytes and a config naming {@code label},
   * so no two images share a blob and every {@code HEAD} answers 404.
   */
  static SmallImage tiny(
      String repository,
      String tag,
      SplittableRandom random,
      int layerBytes,
      String label,
      boolean monolithic) {
    return new SmallImage(
        repository,
        tag,
        null,
        List.of(),
        List.of(Blob.random(random, layerBytes)),
        config(label),
        monolithic);
  }

  /** A config blob: a few hundred bytes of JSON, unique to {@code label}. */
  static Blob config(String label) {
    String json =
        """
        {"architecture":"amd64","os":"linux","config":{"Labels":{"bench":"%s"}},\
        "rootfs":{"type":"layers","diff_ids":[]}}"""
            .formatted(label);
    return Blob.of(json.getBytes(StandardCharsets.UTF_8));
  }

  String repository() {
    return repository;
  }

  List<Blob> uploaded() {
    return uploaded;
  }

  /** How many requests of {@code kind} pushing this image sends. */
  int requests(Kind kind) {
    int blobs = mounted.size() + uploaded.size();
    return switch (kind) {
      case HEAD -> blobs;
      case MOUNT -> mounted.size();
      case SESSION, CLOSE -> monolithic ? 0 : uploaded.size();
      case MONOLITHIC -> monolithic ? uploaded.size() : 0;
      case MANIFEST -> 1;
    };
  }

  /** The whole push, blob by blob as a client goes: HEAD, then mount or upload; then the tag. */
  void push(HttpConnection c) throws IOException {
    for (Blob blob : mounted) {
      head(c, blob);
      mount(c, blob);
    }
    for (Blob blob : uploaded) {
      head(c, blob);
      if (monolithic) {
        postMonolithic(c, blob);
      } else {
        close(c, startSession(c), blob);
      }
    }
    putManifest(c);
  }

  /**
   * Only this image's requests of {@code kind}, for a phase of one kind; {@link Kind#CLOSE} closes
   * the sessions an earlier {@link Kind#SESSION} phase opened.
   */
  void send(HttpConnection c, Kind kind) throws IOException {
    switch (kind) {
      case HEAD -> {
        for (Blob blob : mounted) {
          head(c, blob);
        }
        for (Blob blob : uploaded) {
          head(c, blob);
        }
      }
      case MOUNT -> {
        for (Blob blob : mounted) {
          mount(c, blob);
        }
      }
      case SESSION -> {
        for (int i = 0; i < uploaded.size() && !monolithic; i++) {
          sessions[i] = startSession(c);
        }
      }
      case CLOSE -> {
        for (int i = 0; i < uploaded.size() && !monolithic; i++) {
          if (sessions[i] == null) {
            throw new IllegalStateException("CLOSE before SESSION for " + repository);
          }
          close(c, sessions[i], uploaded.get(i));
          sessions[i] = null;
        }
      }
      case MONOLITHIC -> {
        for (Blob blob : uploaded) {
          if (monolithic) {
            postMonolithic(c, blob);
          }
        }
      }
      case MANIFEST -> putManifest(c);
    }
  }

  private void head(HttpConnection c, Blob blob) throws IOException {
    HttpConnection.Response r =
        c.exchange("HEAD", RegistryClient.blobPath(repository, blob.digest()), Map.of(), false);
    RegistryClient.expect(r, 404, "HEAD of a blob not yet in " + repository);
  }

  private void mount(HttpConnection c, Blob blob) throws IOException {
    HttpConnection.Response r =
        c.exchange(
            "POST", uploads() + "?mount=" + blob.digest() + "&from=" + mountFrom, Map.of(), true);
    RegistryClient.expect(r, 201, "mount from " + mountFrom);
  }

  private String startSession(HttpConnection c) throws IOException {
    HttpConnection.Response r = c.exchange("POST", uploads(), Map.of(), true);
    RegistryClient.expect(r, 202, "upload POST");
    return RegistryClient.pathOf(r.header("Location"));
  }

  private static void close(HttpConnection c, String session, Blob blob) throws IOException {
    HttpConnection.Response r =
        c.exchange(
            "PUT",
            RegistryClient.withDigest(session, blob.digest()),
            Map.of("Content-Type", OCTETS),
            blob.bytes().length,
            out -> out.write(blob.bytes()),
            true);
    RegistryClient.expect(r, 201, "closing PUT with the bytes");
  }

  private void postMonolithic(HttpConnection c, Blob blob) throws IOException {
    HttpConnection.Response r =
        c.exchange(
            "POST",
            uploads() + "?digest=" + blob.digest(),
            Map.of("Content-Type", OCTETS),
            blob.bytes().length,
            out -> out.write(blob.bytes()),
            true);
    if (r.status() == 202) {
      throw new MonolithicRefused();
    }
    RegistryClient.expect(r, 201, "monolithic POST ?digest=");
  }

  /**
   * A {@code POST ?digest=} with the bytes answered 202: the registry opened an upload session
   * instead of taking the blob, which the distribution spec allows (Distribution 2.8 does it).
   */
  static final class MonolithicRefused extends IOException {
    static final String MESSAGE =
        "POST ?digest= with the bytes answered 202 (a session): no monolithic upload";

    MonolithicRefused() {
      super(MESSAGE);
    }
  }

  private void putManifest(HttpConnection c) throws IOException {
    HttpConnection.Response r =
        c.exchange(
            "PUT",
            RegistryClient.manifestPath(repository, tag),
            Map.of("Content-Type", RegistryClient.OCI_MANIFEST),
            manifest.length,
            out -> out.write(manifest),
            true);
    RegistryClient.expect(r, 201, "manifest PUT");
  }

  private String uploads() {
    return "/v2/" + repository + "/blobs/uploads/";
  }

  private static byte[] manifest(Blob config, List<Blob> layers) {
    StringBuilder json =
        new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"")
            .append(RegistryClient.OCI_MANIFEST)
            .append("\",\"config\":")
            .append(descriptor(CONFIG, config))
            .append(",\"layers\":[");
    for (int i = 0; i < layers.size(); i++) {
      json.append(i == 0 ? "" : ",").append(descriptor(LAYER, layers.get(i)));
    }
    return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String descriptor(String mediaType, Blob blob) {
    return OciImages.descriptor(mediaType, blob.digest(), blob.bytes().length);
  }

  private static List<Blob> concat(List<Blob> a, List<Blob> b) {
    List<Blob> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
