package dev.lading.server;

import dev.lading.auth.AccessRule;
import dev.lading.auth.Account;
import dev.lading.auth.Action;
import dev.lading.auth.BcryptHash;
import dev.lading.auth.Principal;
import dev.lading.auth.RepositoryPattern;
import dev.lading.server.config.LadingConfig;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Commands an operator runs next to a deployment: {@code user hash} makes the bcrypt hash for
 * {@code auth.users} without the password ever reaching a shell history, a log or the screen;
 * {@code auth list} shows who may do what in a configuration, never a secret or a hash.
 */
final class OperatorCommands {
  private OperatorCommands() {}

  @Command(
      name = "user",
      mixinStandardHelpOptions = true,
      description = "User accounts for token auth.",
      subcommands = {UserHash.class})
  static final class UserCommand extends Main.CommandGroup {}

  @Command(
      name = "hash",
      mixinStandardHelpOptions = true,
      description = {
        "Read a password from standard input and print its bcrypt hash, for auth.users"
            + " (password_hash, or a password_hash_file holding it).",
        "At a terminal the password is asked twice and not echoed; from a pipe the first line is"
            + " read (printf '%s\\n' \"$PW\" | lading user hash). The password is never printed or logged."
      })
  static final class UserHash implements Callable<Integer> {
    @ParentCommand UserCommand parent;

    @Option(
        names = "--cost",
        defaultValue = "" + BcryptHash.DEFAULT_COST,
        paramLabel = "N",
        description =
            "bcrypt cost, 10..16 (default: ${DEFAULT-VALUE}; each step doubles the time of every login).")
    int cost;

    /** Where a pipe is read from; tests hand their own. */
    static InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
      Main main = parent.main;
      if (cost < 10 || cost > 16) {
        main.err.println("lading user hash: --cost must be between 10 and 16");
        return Main.EXIT_USAGE;
      }
      char[] password = null;
      char[] again = null;
      try {
        Console console = System.console();
        if (stdin == System.in && Terminal.interactive()) {
          password = console.readPassword("Password: ");
          again = console.readPassword("Repeat: ");
          if (password == null || again == null || !Arrays.equals(password, again)) {
            main.err.println(
                "lading user hash: the passwords differ (or input ended); nothing printed");
            return Main.EXIT_USAGE;
          }
        } else {
          password = firstLine(stdin);
        }
        if (password == null || password.length == 0) {
          main.err.println("lading user hash: no password on standard input");
          return Main.EXIT_USAGE;
        }
        BcryptHash hash;
        try {
          hash = BcryptHash.of(password, cost);
        } catch (IllegalArgumentException e) {
          // The message says what is wrong with the length, never the password itself.
          main.err.println("lading user hash: " + e.getMessage());
          return Main.EXIT_USAGE;
        }
        main.out.println(hash.value());
        main.err.println(
            "# under auth.users: - {name: NAME, password_hash: '" + hash.value() + "'}");
        return 0;
      } finally {
        if (password != null) {
          Arrays.fill(password, '\0');
        }
        if (again != null) {
          Arrays.fill(again, '\0');
        }
      }
    }

    /**
     * The first line of {@code in} without its line end, as characters (no String of the password
     * is made, so it can be wiped); null when the input is empty.
     */
    static char[] firstLine(InputStream in) throws IOException {
      Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
      char[] buffer = new char[128];
      int n = 0;
      boolean any = false;
      for (int c = reader.read(); c != -1 && c != '\n'; c = reader.read()) {
        any = true;
        if (n == buffer.length) {
          char[] bigger = Arrays.copyOf(buffer, n * 2);
          Arrays.fill(buffer, '\0');
          buffer = bigger;
        }
        buffer[n++] = (char) c;
      }
      if (n > 0 && buffer[n - 1] == '\r') {
        n--;
      }
      char[] line = any ? Arrays.copyOf(buffer, n) : null;
      Arrays.fill(buffer, '\0');
      return line;
    }
  }

  @Command(
      name = "auth",
      mixinStandardHelpOptions = true,
      description = "Inspect the token auth settings of a configuration.",
      subcommands = {AuthList.class})
  static final class AuthCommand extends Main.CommandGroup {}

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "List the accounts, robots, rules and anonymous pulls of the configuration (file and"
              + " LADING_* environment), as a running server would apply them. Never prints a secret or a hash.")
  static final class AuthList implements Callable<Integer> {
    @ParentCommand AuthCommand parent;

    @Mixin Main.ConfigFile config;

    @Override
    public Integer call() {
      Main main = parent.main;
      LadingConfig.Auth auth = main.loadConfig(config).auth();
      main.out.println(
          "auth.mode: "
              + (!auth.enabled()
                  ? "none (every request is allowed; what follows is not enforced)"
                  : auth.external()
                      ? "token, external issuer "
                          + auth.issuer()
                          + " (its tokens decide; what follows is not used)"
                      : "token"));
      main.out.println("users:" + names(auth.accounts(), Principal.Kind.USER));
      main.out.println("robots:" + names(auth.accounts(), Principal.Kind.ROBOT));
      main.out.println("rules:");
      List<AccessRule> rules = auth.rules();
      if (rules.isEmpty()) {
        main.out.println("  (none: nobody may do anything)");
      }
      for (AccessRule r : rules) {
        main.out.println(
            "  "
                + String.join(", ", r.subjects().stream().sorted().toList())
                + ": "
                + r.actions().stream().map(Action::wire).sorted().collect(Collectors.joining(", "))
                + " on "
                + r.repositories().stream()
                    .map(RepositoryPattern::value)
                    .collect(Collectors.joining(", "))
                + (r.subjects().equals(Set.of(Principal.ANONYMOUS_NAME)) ? "   (anonymous)" : ""));
      }
      return 0;
    }

    private static String names(List<Account> accounts, Principal.Kind kind) {
      List<String> names =
          accounts.stream().filter(a -> a.principal().kind() == kind).map(Account::name).toList();
      return names.isEmpty()
          ? " (none)"
          : "\n" + names.stream().map(n -> "  " + n).collect(Collectors.joining("\n"));
    }
  }
}
