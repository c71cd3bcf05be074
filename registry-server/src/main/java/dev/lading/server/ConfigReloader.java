package dev.lading.server;

import dev.lading.auth.AccessRule;
import dev.lading.auth.Account;
import dev.lading.server.auth.TokenAuth;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.ConfigKey;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a changed configuration to a running server without a restart, as far as that is safe:
 * users, robots, rules and anonymous pulls (who may do what), the immutable tag rules and who may
 * override them ({@code policies.immutable_tags[_override]}) and the quotas take effect at once,
 * the retention policies at the next GC run (a run in progress finishes with the ones it started
 * with); every other key is reported as needing a restart, because the socket, the store, the keys
 * and the limits are built once at start. Triggered by SIGHUP ({@link ProcessSignals}) and by a
 * change of the file's content, polled every {@link #POLL_EVERY} (a Kubernetes ConfigMap is updated
 * by swapping a symlink, which no mtime on the path itself shows, so the content is compared).
 *
 * <p>A reload reads the file and the environment exactly as a start does; when that fails
 * validation, nothing changes and the error, naming the key, is logged. Tokens issued before a
 * reload stay valid until they expire: the signing keys are untouched and a token is checked
 * against its own claims. Never logs a value: hashes and secrets stay out of the log.
 */
final class ConfigReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);
  static final Duration POLL_EVERY = Duration.ofSeconds(2);

  /** What a reload applies; everything else needs a restart. */
  static final Set<ConfigKey> RELOADABLE =
      EnumSet.of(
          ConfigKey.AUTH_USERS,
          ConfigKey.AUTH_ROBOTS,
          ConfigKey.AUTH_RULES,
          ConfigKey.AUTH_ANONYMOUS_PULL);

  /**
   * Policies, applied whatever the auth mode: a push after the reload is judged by the new rules.
   */
  static final Set<ConfigKey> RELOADABLE_POLICIES =
      EnumSet.of(
          ConfigKey.POLICIES_IMMUTABLE_TAGS,
          ConfigKey.POLICIES_IMMUTABLE_TAGS_OVERRIDE,
          ConfigKey.POLICIES_QUOTAS,
          ConfigKey.POLICIES_QUOTAS_SCAN_SECONDS,
          ConfigKey.POLICIES_RETENTION);

  private final Path file;
  private final Map<String, String> env;
  private final Optional<TokenAuth> auth;
  private final Consumer<LadingConfig.Policies> policies;

  /** The raw value of every key as this process runs with it. */
  private final Map<ConfigKey, String> running = new EnumMap<>(ConfigKey.class);

  private final ScheduledExecutorService poller;
  private byte[] lastSeen;

  /**
   * @param file the configuration file ({@code null}: only the environment, which a running process
   *     cannot change, so there is nothing to reload)
   */
  ConfigReloader(
      Path file, Map<String, String> env, ConfigLoader.Loaded started, Optional<TokenAuth> auth) {
    this(file, env, started, auth, p -> {});
  }

  /**
   * @param policies receives the policies of every valid reload that changed them
   */
  ConfigReloader(
      Path file,
      Map<String, String> env,
      ConfigLoader.Loaded started,
      Optional<TokenAuth> auth,
      Consumer<LadingConfig.Policies> policies) {
    this.file = file;
    this.env = Map.copyOf(env);
    this.auth = auth;
    this.policies = policies;
    for (ConfigLoader.Setting s : started.settings()) {
      running.put(s.key(), s.raw());
    }
    this.lastSeen = file == null ? null : readQuietly(file);
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lading-config-watch").factory());
  }

  /** Starts polling the file (nothing to poll without one). */
  ConfigReloader watch(Duration every) {
    if (file != null) {
      poller.scheduleWithFixedDelay(
          this::pollOnce, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private void pollOnce() {
    byte[] now = readQuietly(file);
    if (now == null || Arrays.equals(now, lastSeen)) {
      return; // unchanged, or missing for a moment (an editor or a ConfigMap swapping it)
    }
    reload("the file changed");
  }

  private static byte[] readQuietly(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      return null;
    }
  }

  /** What a reload did, for the caller and tests. */
  record Outcome(boolean applied, List<String> restartNeeded, Optional<String> error) {}

  /** Reads the configuration again and applies what may change while running. */
  synchronized Outcome reload(String trigger) {
    if (file == null) {
      log.info(
          "config reload ({}): no --config file; the environment cannot change while running",
          trigger);
      return new Outcome(false, List.of(), Optional.empty());
    }
    lastSeen = readQuietly(file);
    ConfigLoader.Loaded next;
    try {
      next = ConfigLoader.load(file, env);
    } catch (ConfigException | UncheckedIOException e) {
      log.error(
          "config reload ({}): {} is not valid, keeping the previous settings: {}",
          trigger,
          file,
          e.getMessage());
      return new Outcome(false, List.of(), Optional.of(e.getMessage()));
    }
    List<String> restartNeeded = new ArrayList<>();
    boolean principalsChanged = false;
    boolean policiesChanged = false;
    for (ConfigLoader.Setting s : next.settings()) {
      if (s.raw().equals(running.get(s.key()))) {
        continue;
      }
      if (RELOADABLE.contains(s.key())) {
        principalsChanged = true;
      } else if (RELOADABLE_POLICIES.contains(s.key())) {
        policiesChanged = true;
      } else {
        restartNeeded.add(s.key().path());
      }
    }
    boolean applied = false;
    if (policiesChanged) {
      LadingConfig.Policies p = next.config().policies();
      policies.accept(p);
      for (ConfigKey k : RELOADABLE_POLICIES) {
        running.put(k, raw(next, k));
      }
      applied = true;
      log.info(
          "config reload ({}): {} immutable tag rules, {} accounts allowed to override them and {}"
              + " quotas in force; {} retention policies from the next GC run",
          trigger,
          p.immutableTags().rules().size(),
          p.immutableTagsOverride().size(),
          p.quotas().rules().size(),
          p.retention().size());
    }
    if (auth.isPresent() && auth.get().reloadable()) {
      // Applied even when the file's text is the same: a password_hash_file may have changed.
      LadingConfig.Auth a = next.config().auth();
      List<Account> accounts = a.accounts();
      List<AccessRule> rules = a.rules();
      auth.get().replacePrincipals(accounts, rules);
      for (ConfigKey k : RELOADABLE) {
        running.put(k, raw(next, k));
      }
      applied = true;
      log.info(
          "config reload ({}): {} accounts and {} rules in force{}; tokens already issued stay valid"
              + " until they expire",
          trigger,
          accounts.size(),
          rules.size(),
          principalsChanged ? " (changed)" : "");
    } else if (principalsChanged) {
      restartNeeded.addAll(
          RELOADABLE.stream()
              .filter(k -> !raw(next, k).equals(running.get(k)))
              .map(ConfigKey::path)
              .toList());
      log.warn(
          "config reload ({}): accounts and rules apply only with the built-in token issuer"
              + " (auth.mode: token, no auth.token.external)",
          trigger);
    }
    if (!restartNeeded.isEmpty()) {
      log.warn(
          "config reload ({}): changed in {} but only taking effect at the next restart: {}",
          trigger,
          file,
          String.join(", ", restartNeeded));
    }
    return new Outcome(applied, List.copyOf(restartNeeded), Optional.empty());
  }

  private static String raw(ConfigLoader.Loaded loaded, ConfigKey key) {
    for (ConfigLoader.Setting s : loaded.settings()) {
      if (s.key() == key) {
        return s.raw();
      }
    }
    throw new IllegalArgumentException(key.path());
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
