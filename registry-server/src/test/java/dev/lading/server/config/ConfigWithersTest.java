package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import dev.lading.auth.AccessRule;
import dev.lading.auth.Action;
import dev.lading.auth.RepositoryPattern;
import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.QuotaRule;
import dev.lading.core.policy.Quotas;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.policy.TagGlob;
import dev.lading.storage.s3.S3StoreConfig;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every {@code with*} copy changes exactly the fields it names and keeps every other field as it
 * was: the copies go through one builder per record, and a field the builder forgot or mixed up
 * would show here as a change nobody asked for.
 */
class ConfigWithersTest {
  private static final LadingConfig BASE = LadingConfig.forTests(Path.of("/srv/lading"));

  /** The components of {@code after} that differ from {@code before}'s, by name, in order. */
  private static Map<String, Object> changes(Record before, Record after) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    for (RecordComponent c : before.getClass().getRecordComponents()) {
      Object was = c.getAccessor().invoke(before);
      Object is = c.getAccessor().invoke(after);
      if (!Objects.equals(was, is)) {
        out.put(c.getName(), is);
      }
    }
    return out;
  }

  /** {@code after} differs from {@link #BASE} only in its {@code http}, and there as given. */
  private static void assertHttpChanged(LadingConfig after, Map<String, Object> expected)
      throws Exception {
    assertThat(changes(BASE, after)).containsOnlyKeys("http");
    assertThat(changes(BASE.http(), after.http())).isEqualTo(expected);
  }

  @Test
  void httpWithersChangeTheirFieldsOnly() throws Exception {
    assertHttpChanged(BASE.withHttpPort(1234), Map.of("port", 1234));
    assertHttpChanged(BASE.withHttpHost("10.1.2.3"), Map.of("host", "10.1.2.3"));
    assertHttpChanged(
        BASE.withShutdownTimeout(Duration.ofSeconds(77)),
        Map.of("shutdownTimeout", Duration.ofSeconds(77)));
    assertHttpChanged(
        BASE.withDrainDelay(Duration.ofSeconds(78)), Map.of("drainDelay", Duration.ofSeconds(78)));
    assertHttpChanged(BASE.withMaxConnections(4321), Map.of("maxConnections", 4321));
    Map<String, Object> timeouts = new LinkedHashMap<>();
    timeouts.put("headerTimeout", Duration.ofSeconds(11));
    timeouts.put("idleTimeout", Duration.ofSeconds(12));
    timeouts.put("bodyStallTimeout", Duration.ofSeconds(13));
    assertHttpChanged(
        BASE.withHttpTimeouts(
            Duration.ofSeconds(11), Duration.ofSeconds(12), Duration.ofSeconds(13)),
        timeouts);
    List<TrustedProxy> proxies = List.of(TrustedProxy.parse("10.0.0.0/8"));
    assertHttpChanged(BASE.withTrustedProxies(proxies), Map.of("trustedProxies", proxies));
    Optional<LadingConfig.Tls> tls =
        Optional.of(new LadingConfig.Tls(Path.of("cert.pem"), Path.of("key.pem")));
    assertHttpChanged(BASE.withTls(tls), Map.of("tls", tls));
  }

  @Test
  void topLevelWithersChangeTheirFieldsOnly() throws Exception {
    LadingConfig.Gc gc =
        new LadingConfig.Gc(
            Duration.ofMinutes(5), Duration.ofMinutes(6), Duration.ofHours(7), true, true);
    assertThat(changes(BASE, BASE.withGc(gc))).isEqualTo(Map.of("gc", gc));
    assertThat(changes(BASE, BASE.withReadOnly(true))).isEqualTo(Map.of("readOnly", true));
    LadingConfig.Auth auth = LadingConfig.Auth.token("svc", List.of(), List.of());
    assertThat(changes(BASE, BASE.withAuth(auth))).isEqualTo(Map.of("auth", auth));
    LadingConfig.Telemetry telemetry =
        new LadingConfig.Telemetry(
            OptionalInt.of(9), LadingConfig.Telemetry.LogFormat.JSON, "debug");
    assertThat(changes(BASE, BASE.withTelemetry(telemetry)))
        .isEqualTo(Map.of("telemetry", telemetry));
    assertThat(changes(BASE, BASE.withMetricsPort(9091)).keySet()).containsOnly("telemetry");
    LadingConfig.Policies policies =
        new LadingConfig.Policies(
            new ImmutableTags(
                List.of(
                    new ImmutableTagRule(
                        "policies.immutable_tags[0]",
                        List.of(RepositoryGlob.parse("ml/**")),
                        List.of(TagGlob.parse("v*"))))),
            Set.of("admin"));
    assertThat(changes(BASE, BASE.withPolicies(policies))).isEqualTo(Map.of("policies", policies));
    assertThat(changes(policies, policies.withImmutableTags(ImmutableTags.NONE)).keySet())
        .containsOnly("immutableTags");
    assertThat(changes(policies, policies.withImmutableTagsOverride(Set.of())).keySet())
        .containsOnly("immutableTagsOverride");
    assertThat(changes(policies, policies.withQuotas(new Quotas(List.of()))).keySet()).isEmpty();
    Quotas quotas =
        new Quotas(
            List.of(
                new QuotaRule(
                    "policies.quotas[0]", List.of(RepositoryGlob.parse("ml/**")), 1L << 30)));
    assertThat(changes(policies, policies.withQuotas(quotas)).keySet()).containsOnly("quotas");
    assertThat(changes(policies, policies.withQuotasScanSeconds(5)).keySet())
        .containsOnly("quotasScanSeconds");
    assertThat(changes(BASE.telemetry(), BASE.withMetricsPort(9091).telemetry()))
        .isEqualTo(Map.of("metricsPort", OptionalInt.of(9091)));
  }

  @Test
  void storageAndLimitsWithersChangeTheirFieldsOnly() throws Exception {
    LadingConfig moved = BASE.withFilesystemRoot(Path.of("/elsewhere"));
    assertThat(changes(BASE, moved).keySet()).containsOnly("storage");
    assertThat(changes(BASE.storage(), moved.storage()).keySet()).containsOnly("filesystem");
    assertThat(changes(BASE.storage().filesystem(), moved.storage().filesystem()))
        .isEqualTo(Map.of("root", Path.of("/elsewhere")));

    LadingConfig.S3 s3 =
        new LadingConfig.S3(
            S3StoreConfig.of(Optional.empty(), "us-east-1", "some-bucket", "ak", "sk"),
            true,
            Duration.ofMinutes(3));
    LadingConfig onS3 = BASE.withS3(s3);
    assertThat(changes(BASE, onS3).keySet()).containsOnly("storage");
    assertThat(changes(BASE.storage(), onS3.storage()))
        .isEqualTo(Map.of("type", StorageType.S3, "s3", Optional.of(s3)));

    assertThat(changes(BASE.limits(), BASE.withManifestLimit(2048).limits()))
        .isEqualTo(Map.of("manifestBytes", 2048L));
    assertThat(changes(BASE.limits(), BASE.withMaxRanges(3).limits()))
        .isEqualTo(Map.of("maxRanges", 3));
    boolean sparse = !BASE.limits().allowSparseIndex();
    assertThat(changes(BASE.limits(), BASE.withAllowSparseIndex(sparse).limits()))
        .isEqualTo(Map.of("allowSparseIndex", sparse));
    boolean blake3 = !BASE.limits().allowBlake3();
    assertThat(changes(BASE.limits(), BASE.withAllowBlake3(blake3).limits()))
        .isEqualTo(Map.of("allowBlake3", blake3));
    for (LadingConfig c :
        List.of(
            BASE.withManifestLimit(2048),
            BASE.withMaxRanges(3),
            BASE.withAllowSparseIndex(sparse),
            BASE.withAllowBlake3(blake3))) {
      assertThat(changes(BASE, c).keySet()).containsOnly("limits");
    }
  }

  @Test
  void authWithersAndFactoriesSetTheirFieldsOnly() throws Exception {
    LadingConfig.Auth defaults = LadingConfig.defaults().auth();
    List<AccessRule> rules =
        List.of(
            new AccessRule(
                Set.of("ci"), List.of(RepositoryPattern.parse("team/*")), Set.of(Action.PULL)));
    LadingConfig.Auth token = LadingConfig.Auth.token("svc", List.of(), rules);
    Map<String, Object> tokenChanges = changes(defaults, token);
    assertThat(tokenChanges).containsEntry("enabled", true).containsEntry("service", "svc");
    assertThat(tokenChanges.keySet()).isSubsetOf("enabled", "service", "rules");
    assertThat(token.rules()).isEqualTo(rules);

    LadingConfig.Auth external =
        LadingConfig.Auth.external(
            "svc", "https://issuer", URI.create("https://issuer/jwks"), JWSAlgorithm.ES256, "r");
    assertThat(changes(defaults, external))
        .containsEntry("enabled", true)
        .containsEntry("issuer", "https://issuer")
        .containsEntry("service", "svc")
        .containsEntry("realm", Optional.of("r"))
        .containsEntry("externalJwksUrl", Optional.of(URI.create("https://issuer/jwks")));
    assertThat(changes(defaults, external).keySet())
        .isSubsetOf(
            "enabled", "issuer", "service", "realm", "externalJwksUrl", "externalAlgorithm");
    assertThat(external.externalAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(external.accounts()).isEmpty();
    assertThat(external.rules()).isEmpty();

    assertThat(changes(token, token.withRealm("https://r/token")))
        .isEqualTo(Map.of("realm", Optional.of("https://r/token")));
    assertThat(changes(token, token.withKeyFile(Path.of("k.jwks"))))
        .isEqualTo(Map.of("keyFile", Optional.of(Path.of("k.jwks"))));
    assertThat(changes(token, token.withKeyFileGroupReadable(true)))
        .isEqualTo(Map.of("keyFileGroupReadable", true));
    assertThat(changes(token, token.withKeyReload(Duration.ofSeconds(42))))
        .isEqualTo(Map.of("keyReload", Duration.ofSeconds(42)));
    LadingConfig.Login login = new LadingConfig.Login(Duration.ofSeconds(99), 7);
    assertThat(changes(token, token.withLogin(login))).isEqualTo(Map.of("login", login));
  }

  @Test
  void s3StoreConfigWithersChangeTheirFieldsOnly() throws Exception {
    S3StoreConfig base = S3StoreConfig.of(Optional.empty(), "us-east-1", "some-bucket", "ak", "sk");
    assertThat(changes(base, base.withPrefix("a/b/"))).isEqualTo(Map.of("prefix", "a/b/"));
    assertThat(changes(base, base.withPathStyle(!base.pathStyle())))
        .isEqualTo(Map.of("pathStyle", !base.pathStyle()));
    assertThat(changes(base, base.withChecksumMode(S3StoreConfig.ChecksumMode.WHEN_SUPPORTED)))
        .isEqualTo(Map.of("checksumMode", S3StoreConfig.ChecksumMode.WHEN_SUPPORTED));
    long budget = base.memoryBudget() + S3StoreConfig.MIB;
    assertThat(changes(base, base.withMemoryBudget(budget)))
        .isEqualTo(Map.of("memoryBudget", budget));
    assertThat(changes(base, base.withReadWindow(S3StoreConfig.MIB)))
        .isEqualTo(Map.of("readWindow", S3StoreConfig.MIB));
    assertThat(changes(base, base.withMaxConnections(7))).isEqualTo(Map.of("maxConnections", 7));
    assertThat(changes(base, base.withPartsInFlight(5))).isEqualTo(Map.of("partsInFlight", 5));
    assertThat(changes(base, base.withPartSize(6 * S3StoreConfig.MIB)))
        .isEqualTo(Map.of("partSize", 6 * S3StoreConfig.MIB));
    // A part larger than the budget raises the budget with it.
    S3StoreConfig small =
        base.withPartSize(5 * S3StoreConfig.MIB).withMemoryBudget(8 * S3StoreConfig.MIB);
    Map<String, Object> raised = new LinkedHashMap<>();
    raised.put("partSize", 16 * S3StoreConfig.MIB);
    raised.put("memoryBudget", 16 * S3StoreConfig.MIB);
    assertThat(changes(small, small.withPartSize(16 * S3StoreConfig.MIB))).isEqualTo(raised);
    // The secret is copied too (toString masks it, so compare it directly).
    assertThat(base.withPrefix("a/").secretKey()).isEqualTo("sk");
  }
}
