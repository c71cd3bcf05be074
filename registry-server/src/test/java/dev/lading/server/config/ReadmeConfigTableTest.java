package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table says what the schema says: exactly the keys of {@link
 * ConfigKey}, each with the default the schema renders, and the environment variable where a row
 * names one.
 *
 * <p>The table's rows group keys: a key cell lists backticked keys, the first a full path and the
 * next ones full paths too or names in the first one's section ({@code `storage.s3.endpoint`,
 * `region`}); {@code `access_key[_file]`} stands for {@code access_key} and {@code
 * access_key_file}; a key may be followed by its variable in parentheses. The default cell gives
 * one default per key, or one for all of them; a default may be followed by a gloss in parentheses
 * ({@code 4194304 (4 MiB)}), and {@code -}, {@code empty} or {@code unset} stand for an empty value
 * or list.
 */
class ReadmeConfigTableTest {
  /** Maven runs a module's tests in the module's directory. */
  private static final Path README = Path.of("..", "README.md");

  private static final Pattern KEY =
      Pattern.compile("`([a-z0-9_.]+)(?:\\[([a-z0-9_]+)\\])?`(?:\\s*\\(`([A-Z0-9_]+)`\\))?");
  private static final Set<String> EMPTY = Set.of("-", "empty", "unset");

  /** One key as the table lists it. */
  record Listed(String path, String shownDefault, String envName, String row) {}

  private static Map<String, Listed> listed;

  @BeforeAll
  static void readTable() throws IOException {
    listed = new LinkedHashMap<>();
    List<String> duplicates = new ArrayList<>();
    for (String row : tableRows(Files.readAllLines(README, StandardCharsets.UTF_8))) {
      for (Listed l : parseRow(row)) {
        if (listed.put(l.path(), l) != null) {
          duplicates.add(l.path());
        }
      }
    }
    assertThat(duplicates).as("keys the table lists twice").isEmpty();
  }

  /**
   * The body rows of the table headed {@code | key | default | meaning |} under "## Configuration".
   */
  private static List<String> tableRows(List<String> lines) {
    int section = lines.indexOf("## Configuration");
    assertThat(section).as("README has a \"## Configuration\" section").isNotNegative();
    int header = lines.subList(section, lines.size()).indexOf("| key | default | meaning |");
    assertThat(header).as("the configuration table's header row").isNotNegative();
    List<String> rows = new ArrayList<>();
    for (int i = section + header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      rows.add(lines.get(i));
    }
    return rows;
  }

  private static List<Listed> parseRow(String row) {
    String[] cells = row.substring(1, row.length() - 1).split("\\|", -1);
    assertThat(cells).as("cells of: %s", row).hasSize(3);
    List<String[]> keys = new ArrayList<>(); // {path, suffix or null, env name or null}
    Matcher m = KEY.matcher(cells[0]);
    String section = null;
    while (m.find()) {
      String name = m.group(1);
      String path = section == null || name.contains(".") ? name : section + name;
      if (section == null) {
        section = path.contains(".") ? path.substring(0, path.lastIndexOf('.') + 1) : "";
      }
      keys.add(new String[] {path, m.group(2), m.group(3)});
    }
    assertThat(keys).as("keys in: %s", row).isNotEmpty();
    List<String> defaults = splitOutsideParentheses(cells[1]);
    assertThat(defaults.size())
        .as("one default for each key, or one for all, in: %s", row)
        .isIn(1, keys.size());
    List<Listed> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      String[] k = keys.get(i);
      String shown = defaults.get(defaults.size() == 1 ? 0 : i);
      out.add(new Listed(k[0], shown, k[2], row));
      if (k[1] != null) {
        out.add(new Listed(k[0] + k[1], shown, null, row));
      }
    }
    return out;
  }

  /** The default as written, without its gloss and backticks. */
  private static String bare(String shown) {
    String s = shown.strip();
    int gloss = s.indexOf(" (");
    if (gloss > 0 && s.endsWith(")")) {
      s = s.substring(0, gloss);
    }
    return s.replace("`", "").strip();
  }

  private static List<String> splitOutsideParentheses(String cell) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < cell.length(); i++) {
      char c = cell.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(cell.substring(start, i).strip());
        start = i + 1;
      }
    }
    parts.add(cell.substring(start).strip());
    return parts;
  }

  @Test
  void listsExactlyTheSchemasKeys() {
    Set<String> schema =
        Arrays.stream(ConfigKey.values())
            .map(ConfigKey::path)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> missing = new TreeSet<>(schema);
    missing.removeAll(listed.keySet());
    Set<String> unknown = new TreeSet<>(listed.keySet());
    unknown.removeAll(schema);
    assertThat(missing).as("keys the README's table leaves out").isEmpty();
    assertThat(unknown).as("keys the README's table lists that the schema does not know").isEmpty();
  }

  @Test
  void givesEachKeyTheSchemasDefault() {
    List<String> wrong = new ArrayList<>();
    for (ConfigKey k : ConfigKey.values()) {
      Listed l = listed.get(k.path());
      if (l == null) {
        continue; // listsExactlyTheSchemasKeys says so
      }
      String shown = bare(l.shownDefault());
      boolean same =
          EMPTY.contains(shown)
              ? k.defaultValue().isEmpty() || k.defaultValue().equals("[]")
              : shown.equals(k.defaultValue());
      if (!same) {
        wrong.add(
            k.path()
                + ": README says "
                + l.shownDefault()
                + ", the schema "
                + (k.defaultValue().isEmpty() ? "(empty)" : k.defaultValue()));
      }
    }
    assertThat(wrong).as("defaults the README's table gets wrong").isEmpty();
  }

  @Test
  void namesTheRightEnvironmentVariable() {
    List<String> wrong = new ArrayList<>();
    for (Listed l : listed.values()) {
      if (l.envName() != null) {
        ConfigKey.byPath(l.path())
            .filter(k -> !k.envName().equals(l.envName()))
            .ifPresent(
                k ->
                    wrong.add(
                        l.path() + ": README says " + l.envName() + ", the schema " + k.envName()));
      }
    }
    assertThat(wrong).as("environment variables the README's table misnames").isEmpty();
  }
}
