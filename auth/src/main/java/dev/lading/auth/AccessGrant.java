package dev.lading.auth;

import dev.lading.core.model.RepositoryName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a verified access token allows: its subject and the {@code access} entries it carries. The
 * registry decides every request from this alone (plus the rules, for the catalog's filter), never
 * from anything the client claims outside the signature.
 */
public record AccessGrant(
    String subject, Principal.Kind kind, List<Scope> access, Instant expiresAt, String tokenId) {
  public AccessGrant {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(expiresAt, "expiresAt");
    access = List.copyOf(access);
    tokenId = tokenId == null ? "" : tokenId;
  }

  public boolean allows(RepositoryName repository, Action action) {
    for (Scope s : access) {
      if (s.resource() instanceof Scope.Repository r
          && r.repository().equals(repository)
          && s.allows(action)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The part of {@code scopes} this grant already holds, per resource and action. A token exchanged
   * for another one (the ORAS Java SDK presents its cached token at the token endpoint) is limited
   * to this, so a leaked pull-only token can never be turned into a push token.
   */
  public List<Scope> retain(List<Scope> scopes) {
    List<Scope> out = new ArrayList<>();
    for (Scope s : scopes) {
      switch (s.resource()) {
        case Scope.Catalog c -> {
          if (allowsCatalog()) {
            out.add(s);
          }
        }
        case Scope.Gc g -> {
          if (allowsGc()) {
            out.add(s);
          }
        }
        case Scope.Repository r -> {
          EnumSet<Action> kept = EnumSet.noneOf(Action.class);
          for (Action a : s.actions()) {
            if (allows(r.repository(), a)) {
              kept.add(a);
            }
          }
          if (!kept.isEmpty()) {
            out.add(Scope.repository(r.repository(), kept));
          }
        }
      }
    }
    return AccessRules.merge(out);
  }

  /** {@code registry:gc:delete}: may run garbage collection. */
  public boolean allowsGc() {
    return access.stream().anyMatch(s -> s.resource() instanceof Scope.Gc);
  }

  public boolean allowsCatalog() {
    return access.stream().anyMatch(s -> s.resource() instanceof Scope.Catalog);
  }

  /** The built-in principal this grant was issued to, when the subject is one. */
  public Optional<Principal> principal() {
    try {
      return Optional.of(
          kind == Principal.Kind.ANONYMOUS ? Principal.ANONYMOUS : new Principal(subject, kind));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
