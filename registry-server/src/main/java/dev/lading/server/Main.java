package dev.lading.server;

import ch.qos.logback.classic.LoggerContext;
import dev.lading.auth.Action;
import dev.lading.auth.ExternalKeySet;
import dev.lading.auth.KeyRing;
import dev.lading.auth.KeySetStorage;
import dev.lading.auth.Principal;
import dev.lading.auth.RepositoryPattern;
import dev.lading.auth.RobotCredentials;
import dev.lading.auth.SigningKeys;
import dev.lading.core.layout.StoreFormat;
import dev.lading.core.storage.ObjectStore;
import dev.lading.events.EventStats;
import dev.lading.events.Events;
import dev.lading.gc.ByteSize;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcOptions;
import dev.lading.gc.GcStats;
import dev.lading.gc.RetentionAction;
import dev.lading.server.auth.TokenAuth;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.LadingConfig;
import dev.lading.server.config.StorageType;
import dev.lading.server.logging.LogSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar lading.jar [--config FILE]} serves (the default subcommand is {@code serve});
 * {@code config check} validates a configuration offline. Exit codes: 0 fine, 1 the server failed
 * at run time, 2 bad usage or an invalid configuration. {@code gc [--dry-run]} collects garbage in
 * the configured store, online-safe.
 */
@Command(
    name = "lading",
    mixinStandardHelpOptions = true,
    version = "lading 0.1.0",
    description = {
      "A standalone OCI registry for big images and model artifacts.",
      "SIGTERM drains (readiness 503, then a graceful stop); SIGHUP reloads accounts and rules.",
      "Without a subcommand it serves, as 'serve' does.",
      "Every configuration key can be set by environment: LADING_ + the key path in upper snake"
          + " case, e.g. LADING_HTTP_PORT=5001."
    },
    subcommands = {
      Main.Serve.class,
      Main.ConfigCommand.class,
      Main.Gc.class,
      Main.Format.class,
      Main.RobotCommand.class,
      Main.KeysCommand.class,
      OperatorCommands.UserCommand.class,
      OperatorCommands.AuthCommand.class,
      HelpCommand.class
    })
public final class Main implements Callable<Integer> {
  static final int EXIT_USAGE = 2;

  @Mixin ConfigFile config;

  private final Map<String, String> env;
  final PrintWriter out;
  final PrintWriter err;

  Main(Map<String, String> env, PrintWriter out, PrintWriter err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = run(args, System.getenv(), out, err);
    flushLogs();
    System.exit(code);
  }

  /**
   * Stops logback, which writes out the lines its async appenders still hold (logback.xml queues
   * them so no request thread waits on stdout); without it the last lines of a run, the GC summary
   * or "stopped", could be lost at exit.
   */
  static void flushLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }

  /** Runs the command line with an explicit environment and streams (tests pass their own). */
  public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main(env, out, err));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof ConfigException) {
            err.println(ex.getMessage());
            return EXIT_USAGE;
          }
          err.println("lading: " + ex.getMessage());
          return 1;
        });
    return cli.execute(args);
  }

  /**
   * The one {@code --config FILE} option: on {@code lading} itself and on every subcommand that
   * reads the configuration, where the subcommand's own wins ({@code lading --config a gc} and
   * {@code lading gc --config a} mean the same).
   */
  static final class ConfigFile {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
    Path file;
  }

  /**
   * The configuration from the subcommand's {@code --config} (else the top-level one) and the
   * {@code LADING_*} environment; a {@link ConfigException} naming each bad key ends the run with
   * exit code 2 (see {@link #run}).
   */
  LadingConfig loadConfig(ConfigFile own) {
    LadingConfig loaded = loadSettings(own).config();
    // Before anything is logged with it: the format and level the configuration asks for.
    LogSettings.apply(loaded.telemetry());
    return loaded;
  }

  ConfigLoader.Loaded loadSettings(ConfigFile own) {
    Path file = own.file != null ? own.file : config.file;
    return ConfigLoader.load(file, env);
  }

  @Override
  public Integer call() throws InterruptedException {
    return serve(config);
  }

  int serve(ConfigFile own) throws InterruptedException {
    ConfigLoader.Loaded loaded = loadSettings(own);
    // Before anything is logged (the store's first line included): the configured format and level.
    LogSettings.apply(loaded.config().telemetry());
    LadingServer server = LadingServer.start(loaded.config());
    // Ctrl-C and System.exit: a graceful close without the drain delay (nobody routes to a
    // registry started by hand; an orchestrator sends SIGTERM, handled below).
    Thread hook =
        new Thread(
            () -> {
              server.close();
              flushLogs();
            },
            "lading-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Path file = own.file != null ? own.file : config.file;
    try (ConfigReloader reloader =
        new ConfigReloader(file, env, loaded, server.auth(), server::applyPolicies)
            .watch(ConfigReloader.POLL_EVERY)) {
      ProcessSignals.on("TERM", server::drainAndClose);
      ProcessSignals.on("HUP", () -> reloader.reload("SIGHUP"));
      server.awaitClosed();
    }
    return 0;
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run the registry (the default).")
  static final class Serve implements Callable<Integer> {
    @ParentCommand Main main;

    @Mixin ConfigFile config;

    @Override
    public Integer call() throws InterruptedException {
      return main.serve(config);
    }
  }

  @Command(
      name = "gc",
      mixinStandardHelpOptions = true,
      description = {
        "Collect garbage in the configured store: mark from tags, indexes and referrers, sweep"
            + " the rest. Safe while registries serve the same store (they keep pushing).",
        "--dry-run prints what would go and how many bytes, and deletes nothing.",
        "With events.endpoints configured, a real run queues the events an online run publishes"
            + " (gc.finished, retention's tag.deleted and manifest.deleted) in the store; the"
            + " running registries deliver them."
      })
  static final class Gc implements Callable<Integer> {
    @ParentCommand Main main;

    @Mixin ConfigFile config;

    @Option(names = "--dry-run", description = "Report what would be swept; delete nothing.")
    boolean dryRun;

    @Option(
        names = "--delete-untagged",
        description = "Also sweep untagged manifests (gc.delete_untagged).")
    boolean deleteUntagged;

    @Option(
        names = "--no-registry-running",
        description = "Skip the fence delay: no registry serves this store now.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
      LadingConfig loaded = main.loadConfig(config);
      GcOptions options = LadingServer.gcOptions(loaded);
      if (dryRun) {
        options = options.withDryRun(true);
      }
      if (deleteUntagged) {
        options = options.withDeleteUntagged(true);
      }
      if (offline) {
        options = options.withFenceDelay(Duration.ZERO);
      }
      try (ObjectStore store = LadingServer.openConfiguredStore(loaded)) {
        // A dry run changes nothing, not even the layout record; it only checks it.
        LadingServer.checkStoreFormat(store, !options.dryRun());
        GcStats stats;
        GarbageCollector collector = new GarbageCollector(store, Clock.systemUTC());
        GcProgressPrinter progress =
            new GcProgressPrinter(main.out, Terminal.interactive(), options.dryRun());
        collector.addProgress(progress);
        if (!options.dryRun()) {
          progress.starting(
              options.fenceDelay()); // a dry run deletes nothing, so it waits for no fence
        }
        long started = System.nanoTime();
        try {
          stats = collector.run(options);
        } catch (GarbageCollector.AnotherRunActive e) {
          progress.end(); // before the message, which must not land on the progress line
          main.err.println(e.getMessage() + "; try again when it is done");
          return 1;
        } finally {
          progress.end();
        }
        if (options.dryRun()) {
          for (RetentionAction action : stats.retention()) {
            main.out.println("RETENTION " + action.describe());
          }
          for (GcStats.SweptItem item : stats.items()) {
            main.out.println(item.kind() + " " + item.what() + " " + ByteSize.human(item.bytes()));
          }
        }
        main.out.println(stats.summary());
        if (!options.dryRun()) {
          queueEvents(
              loaded, store, stats, Duration.ofNanos(System.nanoTime() - started), main.out);
        }
      }
      return 0;
    }
  }

  /**
   * The events an online run of the same GC would publish ({@link GcEvents}), put into the store's
   * queues for the running instances' deliverer to send; this process delivers nothing, so the
   * command never waits on an endpoint. Closing writes every event before the store closes and the
   * process exits. A dry run changes nothing in the store, so it publishes nothing.
   */
  private static void queueEvents(
      LadingConfig config, ObjectStore store, GcStats stats, Duration took, PrintWriter out) {
    Events events = Events.storeOnly(store, config.events(), Clock.systemUTC());
    try {
      GcEvents.publishingTo(events).finished(stats, took);
    } finally {
      events.close();
    }
    EventStats counts = events.stats();
    if (counts.published() > 0) {
      long lost = counts.dropped(EventStats.Drop.STORE_ERROR);
      out.println(
          "gc: "
              + counts.stored()
              + " event copies queued in the store for the registries to deliver"
              + (lost > 0 ? "; " + lost + " could not be stored (see the log)" : ""));
    }
  }

  @Command(
      name = "format",
      mixinStandardHelpOptions = true,
      description = {
        "Print the storage layout version of the configured store; --upgrade records the newest"
            + " this Lading writes.",
        "Version 2 keeps small blobs (16 KiB at most) in their blob records: one durable write"
            + " per small blob instead of two. Version 3 signs upload ids, so starting an"
            + " upload session writes nothing. Version 5 keeps a filesystem store's small"
            + " objects in its index instead of a file each. A Lading that reads only older"
            + " versions refuses the store, so upgrade once every instance serving the store runs"
            + " this version; the instances use the new version from their next start. A"
            + " filesystem store is upgraded to 5 only with --no-registry-running, while no"
            + " registry serves it: one started before the upgrade would go on writing files"
            + " that the index, written by those started after it, hides."
      })
  static final class Format implements Callable<Integer> {
    @ParentCommand Main main;

    @Mixin ConfigFile config;

    @Option(names = "--upgrade", description = "Record the newest layout version.")
    boolean upgrade;

    @Option(
        names = "--no-registry-running",
        description = "No registry serves this store now (needed to upgrade a filesystem store).")
    boolean offline;

    @Override
    public Integer call() throws Exception {
      LadingConfig loaded = main.loadConfig(config);
      try (ObjectStore store = LadingServer.openConfiguredStore(loaded)) {
        if (!upgrade) {
          main.out.println("storage layout version " + StoreFormat.check(store, false).version());
          return 0;
        }
        int held = StoreFormat.check(store, false).version();
        if (loaded.storage().type() == StorageType.FILESYSTEM
            && !StoreFormat.indexesSmallObjects(held)
            && !offline) {
          main.err.println(
              "format: storage layout version "
                  + held
                  + " of a filesystem store is upgraded to "
                  + StoreFormat.CURRENT
                  + " while no registry serves it: stop them, run 'format --upgrade"
                  + " --no-registry-running', and start them again");
          return EXIT_USAGE;
        }
        int before = StoreFormat.upgrade(store);
        main.out.println(
            before == StoreFormat.CURRENT
                ? "storage layout version " + before + " already"
                : "storage layout version " + before + " upgraded to " + StoreFormat.CURRENT);
        return 0;
      }
    }
  }

  /** A command that only groups subcommands: run alone, it shows its usage as a usage error. */
  abstract static class CommandGroup implements Callable<Integer> {
    @ParentCommand Main main;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().usage(main.err);
      return EXIT_USAGE;
    }
  }

  @Command(
      name = "config",
      mixinStandardHelpOptions = true,
      description = "Work with the configuration offline.",
      subcommands = {ConfigCheck.class})
  static final class ConfigCommand extends CommandGroup {}

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "Validate the configuration (file and LADING_* environment) and print the"
              + " effective values, secrets masked.")
  static final class ConfigCheck implements Callable<Integer> {
    @ParentCommand ConfigCommand parent;

    @Mixin ConfigFile config;

    @Override
    public Integer call() {
      Main main = parent.main;
      ConfigLoader.Loaded loaded = main.loadSettings(config);
      for (ConfigLoader.Setting s : loaded.settings()) {
        main.out.println(s.key().path() + " = " + s.shown() + "    # " + s.source());
      }
      main.out.println("configuration is valid");
      return 0;
    }
  }

  @Command(
      name = "robot",
      mixinStandardHelpOptions = true,
      description = "Robot accounts for token auth.",
      subcommands = {RobotCreate.class})
  static final class RobotCommand extends CommandGroup {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Generate a robot account: prints its secret ONCE and the YAML to add under auth.robots"
            + " and auth.rules. Only the bcrypt hash goes into the configuration."
      })
  static final class RobotCreate implements Callable<Integer> {
    @ParentCommand RobotCommand parent;

    @Option(
        names = "--name",
        required = true,
        description = "Account name ([a-z0-9._-], up to 64).")
    String name;

    @Option(
        names = "--repositories",
        split = ",",
        paramLabel = "PATTERN",
        description = "Repository patterns for the rule, e.g. ml/** (none: no rule printed).")
    List<String> repositories = List.of();

    @Option(
        names = "--actions",
        split = ",",
        defaultValue = "pull,push",
        paramLabel = "ACTION",
        description = "Actions the rule grants (default: ${DEFAULT-VALUE}).")
    List<String> actions;

    @Override
    public Integer call() {
      Main main = parent.main;
      try {
        Principal.requireAccountName(name);
        repositories.forEach(RepositoryPattern::parse);
        actions.forEach(Action::parse);
      } catch (IllegalArgumentException e) {
        main.err.println("lading robot create: " + e.getMessage());
        return EXIT_USAGE;
      }
      RobotCredentials created = RobotCredentials.create(name);
      main.out.println(
          "# Secret for robot '"
              + name
              + "' (shown once; use it as the password with the name as the user):");
      main.out.println("#   " + new String(created.secret()));
      Arrays.fill(created.secret(), '\0');
      main.out.println("auth:");
      main.out.println("  robots:");
      main.out.println("    - name: " + name);
      main.out.println("      secret_hash: '" + created.hash().value() + "'");
      if (!repositories.isEmpty()) {
        main.out.println("  rules:");
        main.out.println("    - subjects: [" + name + "]");
        main.out.println(
            "      repositories: ["
                + String.join(", ", repositories.stream().map(r -> "'" + r + "'").toList())
                + "]");
        main.out.println("      actions: [" + String.join(", ", actions) + "]");
      }
      return 0;
    }
  }

  @Command(
      name = "keys",
      mixinStandardHelpOptions = true,
      description = "The built-in token issuer's signing keys.",
      subcommands = {KeysRotate.class})
  static final class KeysCommand extends CommandGroup {}

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description = {
        "Rotate the signing keys offline: a new current key signs from now on, the old current"
            + " key keeps verifying the tokens it signed until they expire (both are in the JWKS),"
            + " the key before it is dropped. Running servers pick the new set up within"
            + " auth.token.key_reload_seconds, no restart.",
        "Keys in the store (no auth.token.key_file): the filesystem store's auth/signing-keys.jwks,"
            + " or the shared store's object, is rotated in place.",
        "auth.token.key_file is never written: --output NEW writes the rotated set to NEW (a file,"
            + " or a directory of current.jwk and previous.jwk when key_file is one), owner-only,"
            + " for you to install in its place. Without key_file, --output makes the first key file"
            + " from the store's keys (the store's current key stays as the previous one, so tokens"
            + " in flight keep verifying after the switch) and changes nothing in the store.",
        "Rotating twice within the refresh-token life (auth.token.refresh_ttl_seconds) makes"
            + " docker logins older than the first rotation log in again."
      })
  static final class KeysRotate implements Callable<Integer> {
    @ParentCommand KeysCommand parent;

    @Mixin ConfigFile config;

    @Option(
        names = "--output",
        paramLabel = "NEW",
        description =
            "Write the rotated set to NEW (must not exist) instead of where the keys live.")
    Path output;

    @Override
    public Integer call() throws Exception {
      Main main = parent.main;
      LadingConfig c = main.loadConfig(config);
      if (c.auth().external()) {
        main.err.println(
            "lading keys rotate: tokens come from an external issuer (auth.token.external.*);"
                + " rotate its keys there");
        return EXIT_USAGE;
      }
      boolean needsStore =
          c.auth().keyFile().isEmpty() && c.storage().type() != StorageType.FILESYSTEM;
      try (ObjectStore store = needsStore ? LadingServer.openConfiguredStore(c) : null) {
        KeySetStorage storage = TokenAuth.keyStorage(c, Optional.ofNullable(store));
        if (storage instanceof ExternalKeySet external && output == null) {
          main.err.println(
              "lading keys rotate: auth.token.key_file ("
                  + external.path()
                  + ") is yours, and Lading"
                  + " never writes it. Run 'lading keys rotate --output NEW' to write the rotated set to NEW (a new"
                  + " signing key; the current one stays as the previous), then install NEW in its place (a Kubernetes"
                  + " Secret: kubectl create secret generic NAME --from-file=... --dry-run=client -o yaml | kubectl apply -f -);"
                  + " running servers reload it within "
                  + c.auth().keyReload().toSeconds()
                  + " s");
          return EXIT_USAGE;
        }
        try {
          return output != null ? export(main, storage) : rotateInPlace(main, c, storage);
        } catch (IllegalStateException e) {
          main.err.println("lading keys rotate: " + e.getMessage());
          return EXIT_USAGE;
        }
      }
    }

    private int rotateInPlace(Main main, LadingConfig c, KeySetStorage storage) throws IOException {
      Optional<SigningKeys> before = storage.read();
      SigningKeys after = KeyRing.rotate(storage);
      if (before.isEmpty()) {
        main.out.println(
            "created signing key " + after.current().getKeyID() + " in " + storage.describe());
      } else {
        main.out.println(
            "rotated "
                + storage.describe()
                + ": signing with "
                + after.current().getKeyID()
                + "; "
                + before.get().current().getKeyID()
                + " still verifies"
                + (before.get().all().size() > 1
                    ? "; dropped " + before.get().all().get(1).getKeyID()
                    : ""));
      }
      main.out.println("running servers reload within " + c.auth().keyReload().toSeconds() + " s");
      return 0;
    }

    private int export(Main main, KeySetStorage storage) throws IOException {
      boolean bootstrap = storage instanceof ExternalKeySet e && !Files.exists(e.path());
      Optional<SigningKeys> before = bootstrap ? Optional.empty() : storage.read();
      SigningKeys after = before.map(SigningKeys::rotate).orElseGet(SigningKeys::generate);
      boolean directory = storage instanceof ExternalKeySet e && Files.isDirectory(e.path());
      try {
        ExternalKeySet.export(after, output, directory);
      } catch (FileAlreadyExistsException e) {
        main.err.println(
            "lading keys rotate: "
                + output
                + " exists; --output writes a new file and replaces nothing");
        return EXIT_USAGE;
      }
      main.out.println(
          "wrote "
              + output
              + ": signing key "
              + after.current().getKeyID()
              + before
                  .map(
                      b ->
                          "; "
                              + b.current().getKeyID()
                              + " (from "
                              + storage.describe()
                              + ") still verifies")
                  .orElse("")
              + ". Nothing else was changed: install it as auth.token.key_file (owner-only, outside the store)");
      return 0;
    }
  }
}
