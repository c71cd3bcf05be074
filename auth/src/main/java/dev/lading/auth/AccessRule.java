package dev.lading.auth;

import dev.lading.core.model.RepositoryName;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One grant: these principals may do these actions on repositories matching any of these patterns.
 * A subject is an account name, {@code anonymous}, or {@code *} for every authenticated account
 * (never anonymous: granting the world must be spelled out).
 */
public record AccessRule(
    Set<String> subjects, List<RepositoryPattern> repositories, Set<Action> actions) {
  public static final String ANY_ACCOUNT = "*";

  public AccessRule {
    subjects = Set.copyOf(subjects);
    repositories = List.copyOf(repositories);
    if (subjects.isEmpty() || repositories.isEmpty() || actions.isEmpty()) {
      throw new IllegalArgumentException("a rule needs subjects, repositories and actions");
    }
    for (String s : subjects) {
      if (!s.equals(ANY_ACCOUNT) && !s.equals(Principal.ANONYMOUS_NAME)) {
        Principal.requireAccountName(s);
      }
    }
    EnumSet<Action> concrete = EnumSet.copyOf(actions);
    if (concrete.remove(Action.ALL)) {
      concrete.addAll(Action.REPOSITORY_ACTIONS);
    }
    actions = Set.copyOf(concrete);
  }

  public boolean appliesTo(Principal principal) {
    return subjects.contains(principal.name())
        || !principal.anonymous() && subjects.contains(ANY_ACCOUNT);
  }

  public boolean covers(RepositoryName name) {
    for (RepositoryPattern p : repositories) {
      if (p.matches(name)) {
        return true;
      }
    }
    return false;
  }
}
