package dev.lading.auth;

import dev.lading.core.model.RepositoryName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One resource scope of the token protocol: {@code repository:ml/vllm:pull,push} or {@code
 * registry:catalog:*}. Grammar (distribution {@code docs/spec/auth/scope.md}): {@code
 * type[(class)]:name:action[,action]*}; the name is everything between the first and the LAST
 * colon, so a repository name is validated by its own grammar (which has no colon). An invalid
 * scope cannot exist: every constructor path validates.
 */
public record Scope(Resource resource, Set<Action> actions) {

  /** What a scope names. */
  public sealed interface Resource {
    String type();

    String name();
  }

  public record Repository(RepositoryName repository) implements Resource {
    public Repository {
      Objects.requireNonNull(repository, "repository");
    }

    @Override
    public String type() {
      return "repository";
    }

    @Override
    public String name() {
      return repository.value();
    }
  }

  /** {@code registry:catalog}: listing repositories. */
  public record Catalog() implements Resource {
    @Override
    public String type() {
      return "registry";
    }

    @Override
    public String name() {
      return "catalog";
    }
  }

  /**
   * {@code registry:gc:delete}: running garbage collection ({@code POST /admin/gc}). Granted only
   * to principals the rules let delete in every repository ({@code **}), since a run deletes
   * anywhere.
   */
  public record Gc() implements Resource {
    @Override
    public String type() {
      return "registry";
    }

    @Override
    public String name() {
      return "gc";
    }
  }

  private static final int MAX_WIRE_LENGTH = 512;

  public Scope {
    Objects.requireNonNull(resource, "resource");
    actions = actions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(actions));
    if (resource instanceof Catalog && !actions.stream().allMatch(a -> a == Action.ALL)) {
      throw new IllegalArgumentException("registry:catalog takes only the action *");
    }
    if (resource instanceof Gc && !actions.equals(Set.of(Action.DELETE))) {
      throw new IllegalArgumentException("registry:gc takes only the action delete");
    }
    if (resource instanceof Repository && actions.contains(Action.ALL)) {
      // '*' on a repository is expanded by parse(); stored scopes list concrete actions only.
      throw new IllegalArgumentException("expand * to concrete repository actions");
    }
  }

  public static Scope repository(RepositoryName name, Set<Action> actions) {
    return new Scope(new Repository(name), actions);
  }

  public static Scope catalog() {
    return new Scope(new Catalog(), Set.of(Action.ALL));
  }

  public static Scope gc() {
    return new Scope(new Gc(), Set.of(Action.DELETE));
  }

  /**
   * Parses one scope as a client sends it ({@code scope} query parameter or challenge).
   *
   * @throws IllegalArgumentException for anything outside the grammar, an unknown resource type, an
   *     invalid repository name or an unknown action
   */
  public static Scope parse(String wire) {
    if (wire == null || wire.isEmpty() || wire.length() > MAX_WIRE_LENGTH) {
      throw new IllegalArgumentException("scope must be 1.." + MAX_WIRE_LENGTH + " characters");
    }
    int first = wire.indexOf(':');
    int last = wire.lastIndexOf(':');
    if (first < 0 || last == first) {
      throw new IllegalArgumentException("scope must be type:name:actions");
    }
    String type = wire.substring(0, first);
    String name = wire.substring(first + 1, last);
    String actionList = wire.substring(last + 1);
    int paren = type.indexOf('(');
    if (paren >= 0) {
      // A resource class, e.g. repository(plugin): allowed by the grammar, carries no rights here.
      if (!type.endsWith(")")
          || !type.substring(paren + 1, type.length() - 1).matches("[a-zA-Z0-9]+")) {
        throw new IllegalArgumentException("malformed resource class in scope");
      }
      type = type.substring(0, paren);
    }
    if (actionList.isEmpty()) {
      throw new IllegalArgumentException("scope names no action");
    }
    EnumSet<Action> actions = EnumSet.noneOf(Action.class);
    for (String a : actionList.split(",", -1)) {
      actions.add(Action.parse(a));
    }
    return switch (type) {
      case "repository" -> {
        if (!RepositoryName.isValid(name)) {
          throw new IllegalArgumentException("invalid repository name in scope");
        }
        if (actions.remove(Action.ALL)) {
          actions.addAll(Action.REPOSITORY_ACTIONS);
        }
        yield repository(RepositoryName.parse(name), actions);
      }
      case "registry" ->
          switch (name) {
            case "catalog" -> new Scope(new Catalog(), actions);
            case "gc" -> new Scope(new Gc(), actions);
            default ->
                throw new IllegalArgumentException("the registry resources are catalog and gc");
          };
      default -> throw new IllegalArgumentException("unknown resource type in scope");
    };
  }

  /** Parses a space-separated list (the OAuth2 form's {@code scope}); empty entries are skipped. */
  public static List<Scope> parseAll(String spaceSeparated) {
    List<Scope> out = new ArrayList<>();
    for (String s : spaceSeparated.split(" ")) {
      if (!s.isEmpty()) {
        out.add(parse(s));
      }
    }
    return out;
  }

  public boolean allows(Action action) {
    return actions.contains(action);
  }

  /** The wire form, actions in a stable order. */
  @Override
  public String toString() {
    return resource.type()
        + ":"
        + resource.name()
        + ":"
        + actions.stream()
            .sorted(Comparator.naturalOrder())
            .map(Action::wire)
            .collect(Collectors.joining(","));
  }
}
