package dev.lading.core.policy;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import java.util.Objects;
import java.util.Optional;

/**
 * What one request may do against the immutable tag rules: nothing ({@link #NONE}, every request
 * unless the server granted more), or move and delete immutable tags ({@link #granted}), each such
 * change reported to {@code onUse} before it is written, so the server audits it with who asked.
 * Core never decides who may override: the server does, from the principal and its configuration.
 */
public final class ImmutableTagOverride {
  /** One immutable tag changed under an override: moved to {@code next}, or deleted (empty). */
  public record Use(
      ImmutableTagRule rule,
      RepositoryName repository,
      Tag tag,
      Digest previous,
      Optional<Digest> next) {
    public Use {
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(repository, "repository");
      Objects.requireNonNull(tag, "tag");
      Objects.requireNonNull(previous, "previous");
      Objects.requireNonNull(next, "next");
    }
  }

  /** Receives each use of a granted override. */
  @FunctionalInterface
  public interface Listener {
    void used(Use use);
  }

  public static final ImmutableTagOverride NONE = new ImmutableTagOverride(false, use -> {});

  private final boolean granted;
  private final Listener onUse;

  private ImmutableTagOverride(boolean granted, Listener onUse) {
    this.granted = granted;
    this.onUse = onUse;
  }

  /** Immutable tags may move and be deleted; every such change is reported to {@code onUse}. */
  public static ImmutableTagOverride granted(Listener onUse) {
    return new ImmutableTagOverride(true, Objects.requireNonNull(onUse, "onUse"));
  }

  public boolean isGranted() {
    return granted;
  }

  /** Reports a use (only ever called when granted). */
  public void used(Use use) {
    onUse.used(use);
  }

  @Override
  public String toString() {
    return granted ? "ImmutableTagOverride[granted]" : "ImmutableTagOverride[none]";
  }
}
