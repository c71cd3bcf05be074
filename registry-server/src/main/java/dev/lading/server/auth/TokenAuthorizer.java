package dev.lading.server.auth;

import dev.lading.auth.AccessGrant;
import dev.lading.auth.AccessRules;
import dev.lading.auth.Principal;
import dev.lading.auth.TokenRejectedException;
import dev.lading.auth.TokenVerifier;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.RepositoryName;
import dev.lading.server.http.RequestAuthorizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides every {@code /v2/} request from its bearer token, before any body byte is read.
 *
 * <ul>
 *   <li>No token, or one that does not verify: {@code 401 UNAUTHORIZED} with a {@code
 *       WWW-Authenticate: Bearer realm,service,scope} challenge naming exactly what the request
 *       needs ({@code error="invalid_token"} for a bad one). {@code GET /v2/} is challenged without
 *       a scope.
 *   <li>A valid token that lacks an action: {@code 401} with {@code error="insufficient_scope"},
 *       because the client may simply hold a token asked for a smaller scope (docker reuses a pull
 *       token, then needs push) and must be told to fetch a new one. EXCEPT when the token is our
 *       own, for a known account, and the rules as they stand would not grant the missing action
 *       either: a new token cannot help, so the answer is {@code 403 DENIED} ("requested access to
 *       the resource is denied" in docker and podman) instead of a retry loop ending in a
 *       misleading "authentication required". Anonymous callers always get the 401, since logging
 *       in may help them.
 * </ul>
 */
public final class TokenAuthorizer implements RequestAuthorizer {
  private static final Logger log = LoggerFactory.getLogger(TokenAuthorizer.class);

  private final TokenVerifier verifier;
  private final Optional<AccessRules> localRules;
  private final Optional<String> realm;
  private final String service;

  /**
   * @param localRules the rules when tokens are our own (enables 403 and rule-based catalog
   *     filtering); empty for an external issuer, whose tokens alone decide
   */
  public TokenAuthorizer(
      TokenVerifier verifier,
      Optional<AccessRules> localRules,
      Optional<String> realm,
      String service) {
    this.verifier = verifier;
    this.localRules = localRules;
    this.realm = realm;
    this.service = service;
  }

  @Override
  public Decision authorize(AccessRequest request) {
    String authorization = request.header().apply("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return challenge(request, null, "-", "-");
    }
    AccessGrant grant;
    try {
      grant = verifier.verify(authorization.substring(7).strip());
    } catch (TokenRejectedException e) {
      log.debug(
          "bearer token rejected from {}: {}", request.forwarded().describe(), e.getMessage());
      return challenge(request, "invalid_token", "-", "-");
    }
    Optional<Principal> principal = grant.principal();
    List<dev.lading.auth.Action> missing = new ArrayList<>();
    for (RequestAuthorizer.Action needed : request.actions()) {
      boolean ok =
          switch (needed) {
            case CATALOG -> grant.allowsCatalog();
            case GC -> grant.allowsGc();
            case PULL, PUSH, DELETE ->
                request.repository().isPresent()
                    && grant.allows(request.repository().get(), map(needed));
          };
      if (!ok && needed == RequestAuthorizer.Action.GC) {
        missing.add(dev.lading.auth.Action.DELETE);
      } else if (!ok && needed != RequestAuthorizer.Action.CATALOG) {
        missing.add(map(needed));
      } else if (!ok) {
        missing.add(dev.lading.auth.Action.ALL);
      }
    }
    if (missing.isEmpty()) {
      return new Decision.Allowed(new GrantCaller(grant, principal, localRules));
    }
    boolean gcHopeless =
        request.actions().contains(RequestAuthorizer.Action.GC)
            && localRules.isPresent()
            && principal.isPresent()
            && !principal.get().anonymous()
            && !localRules.get().mayCollectGarbage(principal.get());
    boolean hopeless =
        gcHopeless
            || localRules.isPresent()
                && principal.isPresent()
                && !principal.get().anonymous()
                && request.repository().isPresent()
                && missing.stream()
                    .anyMatch(
                        a ->
                            a != dev.lading.auth.Action.ALL
                                && !localRules
                                    .get()
                                    .allows(principal.get(), request.repository().get(), a));
    if (hopeless) {
      return new Decision.Refused(
          ErrorCode.DENIED.exception().withDetail(detail(request)),
          grant.subject(),
          grant.kind().wire());
    }
    return challenge(request, "insufficient_scope", grant.subject(), grant.kind().wire());
  }

  private Decision challenge(AccessRequest request, String error, String who, String kind) {
    StringBuilder h =
        new StringBuilder("Bearer realm=\"")
            .append(realmFor(request))
            .append("\",service=\"")
            .append(service)
            .append('"');
    String scope = scopeFor(request);
    if (!scope.isEmpty()) {
      h.append(",scope=\"").append(scope).append('"');
    }
    if (error != null) {
      h.append(",error=\"").append(error).append('"');
    }
    RegistryException e =
        ErrorCode.UNAUTHORIZED
            .exception()
            .withDetail(detail(request))
            .withHeader("WWW-Authenticate", h.toString());
    return new Decision.Refused(e, who, kind);
  }

  /**
   * The scopes the request needs, space-separated as RFC 6750 allows; a mount also asks pull on its
   * source.
   */
  static String scopeFor(AccessRequest request) {
    if (request.actions().contains(RequestAuthorizer.Action.CATALOG)) {
      return "registry:catalog:*";
    }
    if (request.actions().contains(RequestAuthorizer.Action.GC)) {
      return "registry:gc:delete";
    }
    if (request.repository().isEmpty() || request.actions().isEmpty()) {
      return "";
    }
    String actions =
        request.actions().stream()
            .map(TokenAuthorizer::map)
            .sorted()
            .map(dev.lading.auth.Action::wire)
            .collect(Collectors.joining(","));
    String scope = "repository:" + request.repository().get() + ":" + actions;
    if (request.mountSource().isPresent() && !request.mountSource().equals(request.repository())) {
      scope += " repository:" + request.mountSource().get() + ":pull";
    }
    return scope;
  }

  /**
   * The configured realm, else the token endpoint at the origin the client used: behind a TLS proxy
   * that is {@code https://<forwarded host>}, which the client can reach, never this listener's own
   * address.
   */
  private String realmFor(AccessRequest request) {
    return realm.orElseGet(() -> request.forwarded().origin() + TokenEndpoint.PATH);
  }

  /** Distribution's detail shape: what was needed, one entry per action. */
  private static Object detail(AccessRequest request) {
    List<Map<String, String>> out = new ArrayList<>();
    for (RequestAuthorizer.Action a : request.actions()) {
      Map<String, String> entry = new LinkedHashMap<>();
      if (a == RequestAuthorizer.Action.CATALOG) {
        entry.put("Type", "registry");
        entry.put("Name", "catalog");
        entry.put("Action", "*");
      } else if (a == RequestAuthorizer.Action.GC) {
        entry.put("Type", "registry");
        entry.put("Name", "gc");
        entry.put("Action", "delete");
      } else {
        entry.put("Type", "repository");
        entry.put("Name", request.repository().map(RepositoryName::value).orElse(""));
        entry.put("Action", map(a).wire());
      }
      out.add(entry);
    }
    return out.isEmpty() ? null : out;
  }

  private static dev.lading.auth.Action map(RequestAuthorizer.Action a) {
    return switch (a) {
      case PULL -> dev.lading.auth.Action.PULL;
      case PUSH -> dev.lading.auth.Action.PUSH;
      case DELETE -> dev.lading.auth.Action.DELETE;
      case CATALOG -> dev.lading.auth.Action.ALL;
      case GC -> dev.lading.auth.Action.DELETE;
    };
  }

  /**
   * The caller handlers see: pull rights from the token, and from the rules for our own principals.
   */
  private record GrantCaller(
      AccessGrant grant, Optional<Principal> principal, Optional<AccessRules> rules)
      implements RequestAuthorizer.Caller {
    @Override
    public String name() {
      return grant.subject().isEmpty() ? Principal.ANONYMOUS_NAME : grant.subject();
    }

    @Override
    public String kind() {
      return grant.kind().wire();
    }

    @Override
    public boolean mayPull(RepositoryName repository) {
      if (grant.allows(repository, dev.lading.auth.Action.PULL)) {
        return true;
      }
      return rules.isPresent()
          && principal.isPresent()
          && rules.get().allows(principal.get(), repository, dev.lading.auth.Action.PULL);
    }

    @Override
    public boolean unrestricted() {
      return false;
    }

    @Override
    public List<RepositoryName> mountCandidates(int max) {
      List<RepositoryName> out = new ArrayList<>();
      for (dev.lading.auth.Scope s : grant.access()) {
        if (out.size() >= max) {
          break;
        }
        if (s.resource() instanceof dev.lading.auth.Scope.Repository r
            && s.allows(dev.lading.auth.Action.PULL)
            && !out.contains(r.repository())) {
          out.add(r.repository());
        }
      }
      return out;
    }
  }
}
