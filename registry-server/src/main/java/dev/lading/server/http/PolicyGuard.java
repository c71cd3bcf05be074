package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.policy.ImmutableTagOverride;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The server's half of the registry's policies (core enforces them), for both kinds of refusal a
 * push can meet: immutable tags and quotas. It audits and counts every refusal ({@link #refused},
 * {@link #quotaRefused}), and decides whether a request's explicit immutable tag override ({@value
 * #HEADER}{@code : true}) is granted. An override is granted only to a user or robot named in
 * {@code policies.immutable_tags_override}; anyone else asking for one is refused with {@code
 * DENIED} before the body is read, even when the request would touch no immutable tag, so a script
 * that believes it may override learns at once that it may not. Without token auth no request has a
 * principal, so no override is ever granted. The allowed names are replaced on a configuration
 * reload.
 */
public final class PolicyGuard {
  /** The request header that asks for an override; only {@code true} asks. */
  public static final String HEADER = "Lading-Override-Immutable";

  private volatile Set<String> overrideSubjects;
  private final RequestMetrics metrics;

  public PolicyGuard(Set<String> overrideSubjects, RequestMetrics metrics) {
    this.overrideSubjects = Set.copyOf(overrideSubjects);
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /** Nobody may override; nothing counted. */
  public static PolicyGuard none() {
    return new PolicyGuard(Set.of(), RequestMetrics.NONE);
  }

  /** Puts a reloaded {@code policies.immutable_tags_override} in force. */
  public void overrideSubjects(Set<String> names) {
    overrideSubjects = Set.copyOf(names);
  }

  /**
   * The override this request may use: {@link ImmutableTagOverride#NONE} unless it asks; when it
   * asks, granted to an allowed account (each use audited and counted), else {@code DENIED}.
   *
   * @param action {@code push} or {@code delete}
   */
  ImmutableTagOverride overrideFor(Exchange exchange, String action) {
    String asked = exchange.header(HEADER);
    if (asked == null || !asked.strip().equalsIgnoreCase("true")) {
      return ImmutableTagOverride.NONE;
    }
    RequestAuthorizer.Caller caller = exchange.caller();
    boolean account = caller.kind().equals("user") || caller.kind().equals("robot");
    if (!account || !overrideSubjects.contains(caller.name())) {
      metrics.immutableTagRefused("override");
      AuditLog.immutableTags(
          exchange, "immutable-override-refused", null, null, null, null, "override not allowed");
      throw ErrorCode.DENIED
          .exception(
              (account ? caller.name() : "this request")
                  + " may not override immutable tags (policies.immutable_tags_override)")
          .withDetail(Map.of("header", HEADER));
    }
    return ImmutableTagOverride.granted(
        use -> {
          metrics.immutableTagOverridden(action);
          AuditLog.immutableTags(
              exchange,
              "immutable-override",
              use.tag().value(),
              use.next().map(Object::toString).orElse(null),
              use.previous().toString(),
              use.rule().describe(),
              use.next().isPresent() ? "moved" : "deleted");
        });
  }

  /**
   * Audits and counts a refusal by the rules or by a quota ({@code DENIED} from the registry; a
   * quota's detail names it under {@code quota}), then hands it back for the caller to throw.
   */
  RegistryException refused(Exchange exchange, RegistryException e, String action) {
    if (isQuotaRefusal(e)) {
      return quotaRefused(exchange, e);
    }
    if (e.code() == ErrorCode.DENIED && e.detail() instanceof Map<?, ?> detail) {
      metrics.immutableTagRefused(action);
      AuditLog.immutableTags(
          exchange,
          "immutable-refused",
          String.valueOf(detail.get("tag")),
          detail.get("refused") == null ? null : String.valueOf(detail.get("refused")),
          String.valueOf(detail.get("digest")),
          String.valueOf(detail.get("rule")),
          e.getMessage());
    }
    return e;
  }

  private static boolean isQuotaRefusal(RegistryException e) {
    return e.code() == ErrorCode.DENIED
        && e.detail() instanceof Map<?, ?> detail
        && detail.containsKey("quota");
  }

  /**
   * Audits and counts a refusal by a quota ({@code DENIED} whose detail names the quota), of a
   * manifest push or of an upload refused before it streamed; any other error passes unchanged.
   */
  RegistryException quotaRefused(Exchange exchange, RegistryException e) {
    if (isQuotaRefusal(e) && e.detail() instanceof Map<?, ?> detail) {
      String quota = String.valueOf(detail.get("quota"));
      metrics.quotaRefused(quota.contains(" ") ? quota.substring(0, quota.indexOf(' ')) : quota);
      AuditLog.quotaRefused(
          exchange,
          quota,
          String.valueOf(detail.get("usedBytes")),
          String.valueOf(detail.get("limitBytes")),
          String.valueOf(detail.get("addedBytes")),
          e.getMessage());
    }
    return e;
  }
}
