package dev.lading.server;

import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.events.EventEndpoint;
import dev.lading.server.config.LadingConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a starting server says about itself, one line each: its version, where it listens, its
 * store, its auth mode; and a warning when anyone who can reach it may push. The lines carry their
 * facts as key-value pairs too, so with {@code log.format: json} they are fields. Never a
 * credential: the S3 store is named by endpoint, bucket and prefix only.
 */
final class StartupReport {
  private static final Logger log = LoggerFactory.getLogger(LadingServer.class);

  private StartupReport() {}

  /** The version in the jar's manifest; {@code development} when run from classes (tests). */
  static String version() {
    String v = LadingServer.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
  }

  static void log(
      LadingConfig config,
      InetSocketAddress registry,
      String transport,
      Optional<InetSocketAddress> metrics) {
    log.atInfo()
        .setMessage("lading {} on Java {}")
        .addArgument(version())
        .addArgument(Runtime.version())
        .addKeyValue("event", "start")
        .addKeyValue("version", version())
        .addKeyValue("java", Runtime.version().toString())
        .log();
    String listen = shown(config, registry);
    String metricsAt = metrics.map(m -> shown(config, m) + "/metrics").orElse(listen + "/metrics");
    log.atInfo()
        .setMessage("listening on {} ({}{}); metrics on {}")
        .addArgument(listen)
        .addArgument(transport)
        .addArgument(config.readOnly() ? ", read-only" : "")
        .addArgument(metricsAt)
        .addKeyValue("event", "listen")
        .addKeyValue("address", listen)
        .addKeyValue("metrics", metricsAt)
        .addKeyValue("read_only", config.readOnly())
        .log();
    logStore(config);
    LadingConfig.Auth auth = config.auth();
    String mode = !auth.enabled() ? "none" : auth.external() ? "token (external issuer)" : "token";
    log.atInfo()
        .setMessage("auth: {}{}")
        .addArgument(mode)
        .addArgument(
            auth.enabled()
                ? ", service " + auth.service()
                : ", every client may pull, push and delete")
        .addKeyValue("event", "auth")
        .addKeyValue("auth_mode", auth.enabled() ? "token" : "none")
        .log();
    LadingConfig.Policies policies = config.policies();
    if (!policies.immutableTags().isEmpty()) {
      log.atInfo()
          .setMessage("immutable tags: {}; override allowed for: {}")
          .addArgument(
              String.join(
                  "; ",
                  policies.immutableTags().rules().stream()
                      .map(ImmutableTagRule::describe)
                      .toList()))
          .addArgument(
              policies.immutableTagsOverride().isEmpty()
                  ? "nobody"
                  : String.join(", ", new TreeSet<>(policies.immutableTagsOverride())))
          .addKeyValue("event", "immutable_tags")
          .addKeyValue("rules", policies.immutableTags().rules().size())
          .log();
    }
    if (!policies.retention().isEmpty()) {
      log.atInfo()
          .setMessage("retention: {} policies, applied at the start of every GC run")
          .addArgument(policies.retention().size())
          .addKeyValue("event", "retention")
          .addKeyValue("policies", policies.retention().size())
          .log();
    }
    for (EventEndpoint endpoint : config.events().endpoints()) {
      String url = endpoint.urlWithoutQuery();
      log.atInfo()
          .setMessage("events: endpoint {} at {}, types {}{}{}")
          .addArgument(endpoint.name())
          .addArgument(url)
          .addArgument(String.join(",", endpoint.types()))
          .addArgument(endpoint.secret().isPresent() ? ", signed" : ", unsigned")
          .addArgument(endpoint.batchSize() > 1 ? ", " + endpoint.batchSize() + " per POST" : "")
          .addKeyValue("event", "events_endpoint")
          .addKeyValue("endpoint", endpoint.name())
          .addKeyValue("url", url)
          .log();
    }
    if (!policies.quotas().isEmpty()) {
      log.atInfo()
          .setMessage("quotas: {}; recounted every {} s")
          .addArgument(
              String.join(
                  "; ",
                  policies.quotas().rules().stream()
                      .map(r -> r.describe() + " " + r.bytes() + " bytes")
                      .toList()))
          .addArgument(policies.quotasScanSeconds())
          .addKeyValue("event", "quotas")
          .addKeyValue("quotas", policies.quotas().rules().size())
          .log();
    }
    if (anyoneMayPush(config, registry.getAddress())) {
      log.atWarn()
          .setMessage(
              "auth.mode is none and the registry listens on {}, not only on loopback:"
                  + " anyone who can reach it may push, overwrite tags and delete. Set auth.mode: token, or"
                  + " http.host: 127.0.0.1 behind a proxy that authenticates")
          .addArgument(listen)
          .addKeyValue("event", "open_to_writes")
          .addKeyValue("address", listen)
          .log();
    }
  }

  private static void logStore(LadingConfig config) {
    switch (config.storage().type()) {
      case FILESYSTEM -> {
        Path root = config.storage().filesystem().root().toAbsolutePath().normalize();
        log.atInfo()
            .setMessage("store: filesystem at {}{}")
            .addArgument(root)
            .addArgument(
                config.storage().filesystem().directIo() ? "" : " (page cache, direct_io off)")
            .addKeyValue("event", "store")
            .addKeyValue("store", "filesystem")
            .addKeyValue("root", root.toString())
            .log();
      }
      case S3 -> {
        LadingConfig.S3 s3 = config.storage().s3().orElseThrow();
        String endpoint =
            s3.store().endpoint().map(Object::toString).orElse("AWS " + s3.store().region());
        log.atInfo()
            .setMessage("store: s3 bucket {} prefix '{}' at {}{}")
            .addArgument(s3.store().bucket())
            .addArgument(s3.store().prefix())
            .addArgument(endpoint)
            .addArgument(
                s3.redirect()
                    ? ", blob GETs redirected (" + s3.redirectTtl().toSeconds() + " s URLs)"
                    : "")
            .addKeyValue("event", "store")
            .addKeyValue("store", "s3")
            .addKeyValue("bucket", s3.store().bucket())
            .addKeyValue("prefix", s3.store().prefix())
            .addKeyValue("endpoint", endpoint)
            .log();
      }
    }
  }

  /**
   * True when nobody is asked who they are ({@code auth.mode: none}) and the registry is reachable
   * from other machines: bound to a wildcard or a non-loopback address. Writes are then open to the
   * network unless the registry is read-only.
   */
  static boolean anyoneMayPush(LadingConfig config, InetAddress bound) {
    return !config.auth().enabled() && !config.readOnly() && !bound.isLoopbackAddress();
  }

  /**
   * The configured host (a name stays a name) with the bound port; a wildcard bind shows as
   * configured.
   */
  private static String shown(LadingConfig config, InetSocketAddress bound) {
    String host =
        bound.getAddress().isAnyLocalAddress()
            ? config.http().host()
            : bound.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bound.getPort();
  }
}
