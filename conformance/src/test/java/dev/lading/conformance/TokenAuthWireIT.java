package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static dev.lading.conformance.TokenAuth.scope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.testing.StrictMultipart;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The 2026 wire additions (multi-range reads, {@code ?tag=} pushes, automatic mount, blake3, sparse
 * indexes, {@code Warning}, {@code ?ns=}, {@code ?digest-algorithm=}) with token auth on, against
 * the real jar over sockets, on the store the run selects (the filesystem, and S3Proxy in the
 * {@code on-s3} execution). Tokens come from the jar's own {@code /auth/token}.
 *
 * <p>Accounts: {@code admin} may do everything (it seeds content), {@code alice} may pull and push
 * {@code team-a/**}, {@code bob} may only pull {@code team-b/**}, and anyone may pull {@code
 * public/**} with an anonymous token. Refusals are held to distribution's token auth: no token, or
 * one without the scope a request needs that the account's rules would grant, is {@code 401
 * UNAUTHORIZED} with the exact {@code WWW-Authenticate} challenge (with {@code
 * error="insufficient_scope"} for a token that does not cover the request); a request the account's
 * rules never allow is {@code 403 DENIED}. Either answer is the same whether the blob, manifest or
 * tag asked for exists, so a refusal reveals nothing.
 *
 * <p>{@link #on} also accepts blake3 digests and sparse indexes; {@link #off} keeps both switches
 * at their defaults.
 */
class TokenAuthWireIT {
  static final TokenAuth AUTH =
      TokenAuth.users("admin", "alice", "bob")
          .allow("admin", "**", "pull", "push", "delete")
          .allow("alice", "team-a/**", "pull", "push")
          .allow("bob", "team-b/**", "pull")
          .anonymousPull("public/**");

  @RegisterExtension
  static final RegistryProcess on =
      AUTH.on(RegistryProcess.create())
          .withEnvironment("LADING_DIGESTS_ALLOW_BLAKE3", "true")
          .withEnvironment("LADING_MANIFESTS_ALLOW_SPARSE_INDEX", "true");

  @RegisterExtension static final RegistryProcess off = AUTH.on(RegistryProcess.create());

  private static final String NON_DISTRIBUTABLE =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

  /** {@code under} with a suffix no other test uses: tests share the servers. */
  private static String repo(String under) {
    byte[] suffix = new byte[4];
    ThreadLocalRandom.current().nextBytes(suffix);
    return under + "-" + HexFormat.of().formatHex(suffix);
  }

  private static RegistryClient admin(RegistryProcess registry, String repo) {
    return AUTH.client(registry, "admin", scope(repo, "pull,push,delete"));
  }

  private static RegistryClient anonymous(RegistryProcess registry) {
    return registry.client();
  }

  /** {@code 401 UNAUTHORIZED} with exactly the challenge for {@code scope}. */
  private static void assertChallenged(
      Reply reply, RegistryProcess registry, String scope, String error) {
    assertError(reply, 401, "UNAUTHORIZED");
    assertThat(reply.headers().allValues("WWW-Authenticate"))
        .as("%s", reply)
        .containsExactly(TokenAuth.challenge(registry, scope, error));
    assertNothingServed(reply);
  }

  /** {@code 403 DENIED}: no challenge, since no token the account can get would help. */
  private static void assertDenied(Reply reply) {
    assertError(reply, 403, "DENIED");
    assertThat(reply.header("WWW-Authenticate")).as("%s", reply).isEmpty();
    assertNothingServed(reply);
  }

  /** A refusal carries nothing of what was asked for. */
  private static void assertNothingServed(Reply reply) {
    for (String header :
        List.of(
            "Docker-Content-Digest",
            "Content-Range",
            "ETag",
            "OCI-Tag",
            "Location",
            "Warning",
            "OCI-Namespace")) {
      assertThat(reply.header(header)).as("%s in %s", header, reply).isEmpty();
    }
  }

  /**
   * Two answers a client cannot tell apart: the same status, the same header names, every value
   * equal except those that name the request itself ({@code X-Request-Id}) or its own session
   * ({@code Location}, {@code Docker-Upload-UUID}), and the same body.
   */
  private static void assertIndistinguishable(Reply a, Reply b) {
    assertThat(a.status()).as("%s vs %s", a, b).isEqualTo(b.status());
    assertThat(comparable(a)).as("%s vs %s", a, b).isEqualTo(comparable(b));
    assertThat(a.body()).as("%s vs %s", a, b).isEqualTo(b.body());
  }

  private static Map<String, List<String>> comparable(Reply r) {
    Map<String, List<String>> headers = new TreeMap<>(r.headers().map());
    headers.remove("date");
    headers.computeIfPresent("x-request-id", (k, v) -> List.of("<request>"));
    headers.computeIfPresent("location", (k, v) -> List.of("<session>"));
    headers.computeIfPresent("docker-upload-uuid", (k, v) -> List.of("<session>"));
    return headers;
  }

  /** An OCI image of {@code layers}, all blobs pushed to {@code repo} by {@code client}. */
  private static Manifest pushedImage(RegistryClient client, String repo, String layerMediaType) {
    Blob config = Images.generate(0, 0).config();
    Blob layer = Blob.random(2048);
    client.pushBlob(repo, config);
    client.pushBlob(repo, layer);
    return Manifest.oci()
        .config(config.descriptor(MediaType.OCI_CONFIG))
        .add(layer.descriptor(layerMediaType))
        .build();
  }

  private static String digestOf(RegistryClient client, String repo, String reference) {
    Reply r = client.headManifest(repo, reference, RegistryClient.acceptAll());
    return r.status() == 200 ? r.headerOrNull("Docker-Content-Digest") : null;
  }

  // ---- multi-range reads ----------------------------------------------------------------------

  @Test
  void multiRangeReadsNeedPullOnTheRepositoryAndRevealNothingWithout() {
    String repo = repo("team-a/ranges");
    Blob blob = Blob.random(300_000);
    admin(on, repo).pushBlob(repo, blob);
    String range = "bytes=0-9,1000-1099,-5";

    Reply got =
        AUTH.client(on, "alice", scope(repo, "pull")).getBlob(repo, blob.digest(), "Range", range);
    assertThat(got.status()).as("%s", got).isEqualTo(206);
    String type = got.headerOrNull("Content-Type");
    assertThat(type).startsWith("multipart/byteranges; boundary=");
    assertThat(got.headerOrNull("Content-Range")).isNull();
    assertThat(got.headerOrNull("Content-Length")).isEqualTo(Integer.toString(got.body().length));
    assertThat(got.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    List<StrictMultipart.Part> parts = ByteRanges.parse(type, got.body());
    assertThat(parts.stream().map(StrictMultipart.Part::range))
        .containsExactly("0-9", "1000-1099", "299995-299999");
    for (StrictMultipart.Part p : parts) {
      assertThat(p.headers())
          .containsOnlyKeys("content-type", "content-range")
          .containsEntry("content-type", "application/octet-stream")
          .containsEntry("content-range", "bytes " + p.range() + "/300000");
      assertThat(p.bytes())
          .isEqualTo(Arrays.copyOfRange(blob.bytes(), (int) p.first(), (int) p.last() + 1));
    }

    String unknown = Blob.unknownDigest();
    String pull = scope(repo, "pull");
    // No token.
    Reply anonymous = anonymous(on).getBlob(repo, blob.digest(), "Range", range);
    assertChallenged(anonymous, on, pull, null);
    assertIndistinguishable(anonymous, anonymous(on).getBlob(repo, unknown, "Range", range));
    // alice's token for another of her repositories: she may pull this one, with a new token.
    RegistryClient aliceElsewhere = AUTH.client(on, "alice", scope(repo("team-a/other"), "pull"));
    Reply elsewhere = aliceElsewhere.getBlob(repo, blob.digest(), "Range", range);
    assertChallenged(elsewhere, on, pull, "insufficient_scope");
    assertIndistinguishable(elsewhere, aliceElsewhere.getBlob(repo, unknown, "Range", range));
    // bob's token for team-b: his rules never reach team-a.
    RegistryClient bob = AUTH.client(on, "bob", scope(repo("team-b/any"), "pull"));
    Reply denied = bob.getBlob(repo, blob.digest(), "Range", range);
    assertDenied(denied);
    assertIndistinguishable(denied, bob.getBlob(repo, unknown, "Range", range));
    // HEAD likewise, without a body.
    Reply head = anonymous(on).head("/v2/" + repo + "/blobs/" + blob.digest(), "Range", range);
    assertThat(head.status()).isEqualTo(401);
    assertThat(head.headerOrNull("WWW-Authenticate"))
        .isEqualTo(TokenAuth.challenge(on, pull, null));
    assertThat(head.headerOrNull("Content-Range")).isNull();
  }

  @Test
  void anAnonymousTokenReadsSeveralRangesWhereAnonymousMayPullAndNowhereElse() {
    String pub = repo("public/ranges");
    String team = repo("team-a/ranges");
    Blob blob = Blob.random(100_000);
    admin(on, pub).pushBlob(pub, blob);
    admin(on, team).pushBlob(team, blob);
    String range = "bytes=10-19,50000-50009";
    // docker's anonymous pull: challenged, a token asked without credentials, the read again.
    assertChallenged(
        anonymous(on).getBlob(pub, blob.digest(), "Range", range), on, scope(pub, "pull"), null);
    RegistryClient anon =
        AUTH.client(on, TokenAuth.ANONYMOUS, scope(pub, "pull,push"), scope(team, "pull"));
    Reply got = anon.getBlob(pub, blob.digest(), "Range", range);
    assertThat(got.status()).as("%s", got).isEqualTo(206);
    List<StrictMultipart.Part> parts =
        ByteRanges.parse(got.headerOrNull("Content-Type"), got.body());
    assertThat(parts.stream().map(StrictMultipart.Part::range))
        .containsExactly("10-19", "50000-50009");
    for (StrictMultipart.Part p : parts) {
      assertThat(p.bytes())
          .isEqualTo(Arrays.copyOfRange(blob.bytes(), (int) p.first(), (int) p.last() + 1));
    }
    // The token holds pull on public only: anonymous is always told to log in, never denied.
    assertChallenged(
        anon.getBlob(team, blob.digest(), "Range", range),
        on,
        scope(team, "pull"),
        "insufficient_scope");
    assertChallenged(anon.postUpload(pub), on, scope(pub, "pull,push"), "insufficient_scope");
  }

  // ---- ?tag= pushes ---------------------------------------------------------------------------

  @Test
  void tagParametersPushWithPushRightsAndMoveNothingWithout() {
    String repo = repo("team-a/tags");
    RegistryClient alice = AUTH.client(on, "alice", scope(repo, "pull,push"));
    Manifest first = pushedImage(alice, repo, MediaType.OCI_LAYER_GZIP);
    Reply put =
        alice.putManifest(
            repo, first.digest() + "?tag=v1&tag=latest", first.mediaType(), first.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("v1", "latest");
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(first.digest());
    assertThat(put.headerOrNull("Location"))
        .endsWith("/v2/" + repo + "/manifests/" + first.digest());
    assertThat(RegistryClient.strings(alice.listTags(repo), "tags"))
        .containsExactly("latest", "v1");

    Manifest second = pushedImage(alice, repo, MediaType.OCI_LAYER_GZIP);
    String query = second.digest() + "?tag=v1&tag=v2";
    String pullPush = scope(repo, "pull,push");
    // alice with a pull-only token: her rules grant push, so a new token would do.
    RegistryClient alicePull = AUTH.client(on, "alice", scope(repo, "pull"));
    Reply pullOnly = alicePull.putManifest(repo, query, second.mediaType(), second.bytes());
    assertChallenged(pullOnly, on, pullPush, "insufficient_scope");
    Reply anonymous = anonymous(on).putManifest(repo, query, second.mediaType(), second.bytes());
    assertChallenged(anonymous, on, pullPush, null);
    assertThat(digestOf(alice, repo, "v1")).isEqualTo(first.digest());
    assertThat(digestOf(alice, repo, "v2")).isNull();
    assertThat(digestOf(alice, repo, second.digest())).as("nothing stored").isNull();

    // bob may only pull team-b: the token endpoint leaves push out, the registry denies.
    String teamB = repo("team-b/tags");
    RegistryClient seed = admin(on, teamB);
    Manifest stable = pushedImage(seed, teamB, MediaType.OCI_LAYER_GZIP);
    seed.pushManifest(teamB, "stable", stable);
    Manifest other = pushedImage(seed, teamB, MediaType.OCI_LAYER_GZIP);
    RegistryClient bob = AUTH.client(on, "bob", scope(teamB, "pull,push"));
    Reply denied =
        bob.putManifest(
            teamB, other.digest() + "?tag=stable&tag=new", other.mediaType(), other.bytes());
    assertDenied(denied);
    assertThat(digestOf(bob, teamB, "stable")).isEqualTo(stable.digest());
    assertThat(digestOf(bob, teamB, "new")).isNull();
    assertThat(digestOf(bob, teamB, other.digest())).isNull();
    assertThat(RegistryClient.strings(bob.listTags(teamB), "tags")).containsExactly("stable");
  }

  // ---- automatic mount ------------------------------------------------------------------------

  /** 202 and a fresh session in {@code repo}, as for a blob the registry never saw. */
  private static void assertPlainSession(Reply r, String repo) {
    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertThat(r.headerOrNull("Location")).matches("(.*)?/v2/" + repo + "/blobs/uploads/[^/?]+");
    assertThat(r.headerOrNull("Range")).isEqualTo("0-0");
    assertThat(r.headerOrNull("Docker-Upload-UUID")).isNotEmpty();
    assertThat(r.headerOrNull("Docker-Content-Digest")).isNull();
    assertThat(r.body()).isEmpty();
  }

  @Test
  void automaticMountTakesOnlyWhatTheCallerMayPullAndAnswersTheRestAsUnknown() {
    String base = repo("team-a/base");
    String secret = repo("team-b/secret");
    String app = repo("team-a/app");
    Blob shared = Blob.random(40_000);
    Blob hidden = Blob.random(40_000);
    admin(on, base).pushBlob(base, shared);
    admin(on, secret).pushBlob(secret, hidden);
    // alice asks pull on secret too; her rules leave it out of the token.
    RegistryClient alice =
        AUTH.client(
            on, "alice", scope(app, "pull,push"), scope(base, "pull"), scope(secret, "pull"));

    Reply mounted = alice.postUpload(app, "mount", shared.digest());
    assertThat(mounted.status()).as("%s", mounted).isEqualTo(201);
    assertThat(mounted.headerOrNull("Location"))
        .endsWith("/v2/" + app + "/blobs/" + shared.digest());
    assertThat(mounted.headerOrNull("Docker-Content-Digest")).isEqualTo(shared.digest());
    assertThat(alice.getBlob(app, shared.digest()).body()).isEqualTo(shared.bytes());

    Reply hiddenAuto = alice.postUpload(app, "mount", hidden.digest());
    Reply hiddenFrom = alice.postUpload(app, "mount", hidden.digest(), "from", secret);
    Reply unknown = alice.postUpload(app, "mount", Blob.unknownDigest());
    Reply unknownFrom = alice.postUpload(app, "mount", Blob.unknownDigest(), "from", secret);
    for (Reply r : List.of(hiddenAuto, hiddenFrom, unknown, unknownFrom)) {
      assertPlainSession(r, app);
    }
    assertIndistinguishable(hiddenAuto, unknown);
    assertIndistinguishable(hiddenFrom, unknownFrom);
    assertThat(admin(on, app).headBlob(app, hidden.digest()).status())
        .as("not linked")
        .isEqualTo(404);
    assertThat(alice.headBlob(app, hidden.digest()).status()).isEqualTo(404);

    // The 202 is a real session: the blob goes in only with its bytes.
    Reply uploaded = alice.putUpload(hiddenAuto.location(), hidden.digest(), hidden.bytes());
    assertThat(uploaded.status()).as("%s", uploaded).isEqualTo(201);
    // A mount naming from a repository the token may pull works too.
    String app2 = repo("team-a/app");
    Reply named =
        AUTH.client(on, "alice", scope(app2, "pull,push"), scope(base, "pull"))
            .postUpload(app2, "mount", shared.digest(), "from", base);
    assertThat(named.status()).as("%s", named).isEqualTo(201);
    // Without a token, the challenge names the source too, as distribution's does.
    assertChallenged(
        anonymous(on).postUpload(app2, "mount", shared.digest(), "from", base),
        on,
        scope(app2, "pull,push") + " " + scope(base, "pull"),
        null);
    // bob may pull secret but push nowhere: no mount, no session.
    assertDenied(
        AUTH.client(on, "bob", scope(secret, "pull"))
            .postUpload(repo("team-b/copy"), "mount", hidden.digest(), "from", secret));
  }

  // ---- blake3 ---------------------------------------------------------------------------------

  @Test
  void blake3ContentIsPushedAndPulledUnderAuthAndRefusedAlikeWithout() {
    String repo = repo("team-a/b3");
    RegistryClient alice = AUTH.client(on, "alice", scope(repo, "pull,push"));
    Blob config = Blob.blake3Of("{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes());
    Blob layer = Blob.blake3Of(Blob.random(30_000).bytes());
    Reply single =
        alice.send(
            "POST",
            "/v2/" + repo + "/blobs/uploads/?digest=" + config.digest(),
            config.bytes(),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertThat(single.status()).as("%s", single).isEqualTo(201);
    assertThat(single.headerOrNull("Docker-Content-Digest")).isEqualTo(config.digest());
    alice.pushBlob(repo, layer);
    Manifest m =
        Manifest.oci()
            .config(config.descriptor(MediaType.OCI_CONFIG))
            .add(layer.descriptor(MediaType.OCI_LAYER_TAR))
            .build();
    String digest = Blob.blake3(m.bytes());
    Reply put = alice.putManifest(repo, digest + "?tag=b3", m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(digest);
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("b3");
    Reply byTag = alice.getManifest(repo, "b3", RegistryClient.acceptAll());
    assertThat(byTag.body()).isEqualTo(m.bytes());
    assertThat(byTag.headerOrNull("Docker-Content-Digest")).isEqualTo(digest);
    Reply ranges = alice.getBlob(repo, layer.digest(), "Range", "bytes=0-0,-1");
    assertThat(ByteRanges.parse(ranges.headerOrNull("Content-Type"), ranges.body())).hasSize(2);

    String pull = scope(repo, "pull");
    String unknown = Blob.blake3(Blob.random(16).bytes());
    Reply anonymous = anonymous(on).getBlob(repo, layer.digest());
    assertChallenged(anonymous, on, pull, null);
    assertIndistinguishable(anonymous, anonymous(on).getBlob(repo, unknown));
    RegistryClient bob = AUTH.client(on, "bob", scope(repo("team-b/any"), "pull"));
    Reply denied = bob.getBlob(repo, layer.digest());
    assertDenied(denied);
    assertIndistinguishable(denied, bob.getBlob(repo, unknown));
  }

  @Test
  void withBlake3OffTheCallerIsCheckedBeforeTheAlgorithm() {
    String repo = repo("team-a/b3off");
    Blob blob = Blob.blake3Of(Blob.random(4096).bytes());
    // Without a token: the challenge, as for any digest; nothing says whether blake3 is taken.
    assertChallenged(anonymous(off).getBlob(repo, blob.digest()), off, scope(repo, "pull"), null);
    Reply anonymousPush =
        anonymous(off)
            .send(
                "POST",
                "/v2/" + repo + "/blobs/uploads/?digest=" + blob.digest(),
                blob.bytes(),
                "Content-Type",
                RegistryClient.OCTET_STREAM);
    assertChallenged(anonymousPush, off, scope(repo, "pull,push"), null);
    // Authorized: the spec's answer for an unsupported algorithm, and nothing stored.
    RegistryClient alice = AUTH.client(off, "alice", scope(repo, "pull,push"));
    assertError(alice.getBlob(repo, blob.digest()), 400, "DIGEST_INVALID");
    Reply push =
        alice.send(
            "POST",
            "/v2/" + repo + "/blobs/uploads/?digest=" + blob.digest(),
            blob.bytes(),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertError(push, 400, "DIGEST_INVALID");
    assertThat(alice.headBlob(repo, Blob.of(blob.bytes()).digest()).status()).isEqualTo(404);
  }

  // ---- sparse indexes -------------------------------------------------------------------------

  @Test
  void sparseIndexesFollowTheSwitchUnderAuthAndAChildTheCallerCannotReadCountsAsAbsent() {
    // A child that exists only in a repository alice may not pull.
    String secret = repo("team-b/secret");
    Manifest hiddenChild = pushedImage(admin(off, secret), secret, MediaType.OCI_LAYER_GZIP);
    admin(off, secret).pushManifest(secret, "x", hiddenChild);
    for (RegistryProcess registry : List.of(on, off)) {
      String repo = repo("team-a/sparse");
      RegistryClient alice = AUTH.client(registry, "alice", scope(repo, "pull,push"));
      Manifest present = pushedImage(alice, repo, MediaType.OCI_LAYER_GZIP);
      alice.pushManifest(repo, "amd64", present);
      Manifest absent = Images.generate(1, 64).manifest();
      Manifest index =
          Manifest.ociIndex()
              .add(present.descriptor().withPlatform("linux", "amd64"))
              .add(absent.descriptor().withPlatform("linux", "arm64"))
              .build();
      Reply put = alice.putManifest(repo, "multi", index.mediaType(), index.bytes());
      if (registry == on) {
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(index.digest());
        Reply get = alice.getManifest(repo, "multi", RegistryClient.acceptAll());
        assertThat(get.body()).isEqualTo(index.bytes());
        assertThat(get.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_INDEX);
      } else {
        assertError(put, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(digestOf(alice, repo, "multi")).isNull();
        Manifest overHidden =
            Manifest.ociIndex()
                .add(present.descriptor().withPlatform("linux", "amd64"))
                .add(hiddenChild.descriptor().withPlatform("linux", "arm64"))
                .build();
        Reply hidden =
            alice.putManifest(repo, "hidden", overHidden.mediaType(), overHidden.bytes());
        assertError(hidden, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(digestOf(alice, repo, "hidden")).isNull();
      }
      // bob may push no index anywhere.
      String teamB = repo("team-b/sparse");
      Reply denied =
          AUTH.client(registry, "bob", scope(teamB, "pull,push"))
              .putManifest(teamB, "multi", index.mediaType(), index.bytes());
      assertDenied(denied);
    }
  }

  // ---- Warning --------------------------------------------------------------------------------

  @Test
  void aDeprecatedPushIsWarnedOnlyWhenItIsAcceptedAndOrdinaryOnesAreNot() {
    String repo = repo("team-a/warning");
    RegistryClient alice = AUTH.client(on, "alice", scope(repo, "pull,push"));
    Manifest legacy = pushedImage(alice, repo, NON_DISTRIBUTABLE);
    Reply put = alice.putManifest(repo, "legacy", legacy.mediaType(), legacy.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    List<String> warnings = put.headers().allValues("Warning");
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).matches("299 - \"([^\"\\\\]|\\\\.)*\"").contains(NON_DISTRIBUTABLE);
    int total = warnings.stream().mapToInt(w -> w.getBytes(StandardCharsets.US_ASCII).length).sum();
    assertThat(total).isLessThanOrEqualTo(4096);
    assertThat(alice.getManifest(repo, "legacy", RegistryClient.acceptAll()).header("Warning"))
        .isEmpty();
    Manifest plain = pushedImage(alice, repo, MediaType.OCI_LAYER_GZIP);
    assertThat(alice.pushManifest(repo, "plain", plain).header("Warning")).isEmpty();
    // Refused pushes of the deprecated manifest: no warning (assertNothingServed checks it).
    assertChallenged(
        anonymous(on).putManifest(repo, "again", legacy.mediaType(), legacy.bytes()),
        on,
        scope(repo, "pull,push"),
        null);
    assertDenied(
        AUTH.client(on, "bob", scope(repo("team-b/any"), "pull"))
            .putManifest(repo, "again", legacy.mediaType(), legacy.bytes()));
    assertThat(digestOf(alice, repo, "again")).isNull();
  }

  // ---- ?ns= -----------------------------------------------------------------------------------

  @Test
  void nsIsIgnoredAndNeitherWidensNorNarrowsWhatATokenAllows() {
    String repo = repo("team-a/ns");
    String ns = "docker.io";
    RegistryClient alice = AUTH.client(on, "alice", scope(repo, "pull,push"));
    Images image = Images.generate(1, 512);
    URI upload = alice.postUpload(repo, "ns", ns).location();
    Reply config =
        alice.putUpload(
            RegistryClient.withQuery(upload, "ns", ns),
            image.config().digest(),
            image.config().bytes());
    assertThat(config.status()).as("%s", config).isEqualTo(201);
    image.layers().forEach(l -> alice.pushBlob(repo, l));
    Manifest m = image.manifest();
    Reply put =
        alice.putManifest(repo, m.digest() + "?ns=" + ns + "&tag=v1", m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("v1");
    List<Reply> served =
        List.of(
            put,
            alice.get("/v2/?ns=" + ns),
            alice.getManifest(repo, "v1?ns=" + ns, RegistryClient.acceptAll()),
            alice.getBlob(repo, image.config().digest() + "?ns=" + ns, "Range", "bytes=0-0,2-3"),
            alice.listTags(repo, "ns", ns));
    for (Reply r : served) {
      assertThat(r.status()).as("%s", r).isBetween(200, 206);
      assertThat(r.header("OCI-Namespace")).as("%s", r).isEmpty();
    }
    // The same refusals as without ns: the challenge names the repository, never ns.
    Reply root = anonymous(on).get("/v2/?ns=" + ns);
    assertError(root, 401, "UNAUTHORIZED");
    assertThat(root.headerOrNull("WWW-Authenticate"))
        .isEqualTo("Bearer realm=\"" + on.baseUri() + "/auth/token\",service=\"lading\"");
    assertChallenged(
        anonymous(on).getBlob(repo, image.config().digest() + "?ns=" + ns),
        on,
        scope(repo, "pull"),
        null);
    assertDenied(
        AUTH.client(on, "bob", scope(repo("team-b/any"), "pull"))
            .getManifest(repo, "v1?ns=" + ns, RegistryClient.acceptAll()));
    // An automatic mount with ns takes from what the token may pull, as without it.
    String copy = repo("team-a/ns-copy");
    Reply mount =
        AUTH.client(on, "alice", scope(copy, "pull,push"), scope(repo, "pull"))
            .postUpload(copy, "mount", image.config().digest(), "ns", ns);
    assertThat(mount.status()).as("%s", mount).isEqualTo(201);
  }

  // ---- ?digest-algorithm= ---------------------------------------------------------------------

  @Test
  void digestAlgorithmIsCheckedAfterTheCallerAndBeforeAnySession() {
    String repo = repo("team-a/algorithm");
    String pullPush = scope(repo, "pull,push");
    // Without a token a bad value is challenged like any push: nothing is said about algorithms.
    assertChallenged(
        anonymous(off).postUpload(repo, "digest-algorithm", "md5"), off, pullPush, null);
    RegistryClient alice = AUTH.client(off, "alice", pullPush);
    for (String value : List.of("md5", "blake3", "SHA512", "")) {
      Reply refused = alice.postUpload(repo, "digest-algorithm", value);
      assertError(refused, 400, "DIGEST_INVALID");
      assertThat(refused.header("Location")).as(value).isEmpty();
    }
    Reply blake3 =
        AUTH.client(on, "alice", pullPush).postUpload(repo, "digest-algorithm", "blake3");
    assertThat(blake3.status()).as("%s", blake3).isEqualTo(202);
    // A sha512 session, closed under sha512.
    Blob blob = Blob.sha512Of(Blob.random(70_000).bytes());
    Reply session = alice.postUpload(repo, "digest-algorithm", "sha512");
    assertThat(session.status()).as("%s", session).isEqualTo(202);
    Reply put = alice.putUpload(session.location(), blob.digest(), blob.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    assertThat(alice.getBlob(repo, blob.digest()).body()).isEqualTo(blob.bytes());
    // Two algorithms for one blob in one request: refused, nothing stored.
    Blob other = Blob.random(3000);
    Reply both =
        alice.send(
            "POST",
            "/v2/" + repo + "/blobs/uploads/?digest-algorithm=sha512&digest=" + other.digest(),
            other.bytes(),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertError(both, 400, "DIGEST_INVALID");
    assertThat(alice.headBlob(repo, other.digest()).status()).isEqualTo(404);
  }
}
