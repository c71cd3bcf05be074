package dev.lading.auth;

import dev.lading.core.model.RepositoryName;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The access policy: the union of every rule that applies. Rules only grant; nothing denies, so the
 * allowed set of a principal on a repository is easy to read off the configuration, and a token can
 * never hold more than the rules give (it holds the intersection of what was asked and what this
 * class allows).
 *
 * <p>The catalog endpoint itself is open to every caller (anonymous included): what it lists is
 * filtered by {@link #allowed} pull, so it reveals only names the caller could pull anyway.
 */
public final class AccessRules {
  /**
   * Swapped whole by {@link #replace} (a configuration reload), never changed in place: every
   * method reads it once, so one decision always sees one consistent set of rules.
   */
  private volatile List<AccessRule> rules;

  public AccessRules(List<AccessRule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * Puts {@code next} in force for every decision from now on (a reload without a restart). Tokens
   * already issued keep what they hold until they expire: a token is checked against its own
   * claims, never against the rules again.
   */
  public void replace(List<AccessRule> next) {
    this.rules = List.copyOf(next);
  }

  public static AccessRules none() {
    return new AccessRules(List.of());
  }

  public List<AccessRule> rules() {
    return rules;
  }

  /** Every concrete action {@code principal} may take on {@code repository}. */
  public Set<Action> allowed(Principal principal, RepositoryName repository) {
    EnumSet<Action> out = EnumSet.noneOf(Action.class);
    for (AccessRule r : this.rules) {
      if (r.appliesTo(principal) && r.covers(repository)) {
        out.addAll(r.actions());
      }
    }
    return out;
  }

  public boolean allows(Principal principal, RepositoryName repository, Action action) {
    return allowed(principal, repository).contains(action);
  }

  /**
   * Whether {@code principal} may run garbage collection: a rule that applies to it grants {@code
   * delete} on {@code **}, every repository (a run deletes anywhere).
   */
  public boolean mayCollectGarbage(Principal principal) {
    for (AccessRule r : rules) {
      if (r.appliesTo(principal)
          && r.actions().contains(Action.DELETE)
          && r.repositories().contains(RepositoryPattern.parse("**"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * What a token for {@code principal} asking {@code requested} may hold: per scope, the asked
   * actions that the rules allow; scopes left with nothing are dropped (an empty intersection is
   * not an error: the token protocol leaves refusals to the registry).
   */
  public List<Scope> grant(Principal principal, List<Scope> requested) {
    List<Scope> out = new ArrayList<>();
    for (Scope s : requested) {
      switch (s.resource()) {
        case Scope.Catalog c -> out.add(Scope.catalog());
        case Scope.Gc g -> {
          if (mayCollectGarbage(principal)) {
            out.add(Scope.gc());
          }
        }
        case Scope.Repository r -> {
          EnumSet<Action> granted = EnumSet.noneOf(Action.class);
          granted.addAll(s.actions());
          granted.retainAll(allowed(principal, r.repository()));
          if (!granted.isEmpty()) {
            out.add(Scope.repository(r.repository(), granted));
          }
        }
      }
    }
    return merge(out);
  }

  /** One entry per resource (a client may repeat a repository across scope parameters). */
  static List<Scope> merge(List<Scope> scopes) {
    Map<Scope.Resource, EnumSet<Action>> byResource = new LinkedHashMap<>();
    for (Scope s : scopes) {
      byResource
          .computeIfAbsent(s.resource(), k -> EnumSet.noneOf(Action.class))
          .addAll(s.actions());
    }
    List<Scope> out = new ArrayList<>();
    byResource.forEach((res, acts) -> out.add(new Scope(res, acts)));
    return out;
  }
}
