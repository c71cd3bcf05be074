package dev.lading.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The repository's deployment files under {@code docker/}, read the way the tools that consume them
 * do: YAML with Jackson (as compose and kubectl parse it, never by pattern), the Dockerfile by its
 * instructions, configurations by the server's own {@link ConfigLoader}.
 */
final class DeploymentFiles {
  static final YAMLMapper YAML = new YAMLMapper();
  static final ObjectMapper JSON = new ObjectMapper();

  private DeploymentFiles() {}

  /** The repository root: the tests run in a module directory below it. */
  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docker/Dockerfile"))
          && Files.isRegularFile(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new AssertionError("no docker/Dockerfile above " + Path.of("").toAbsolutePath());
  }

  static Path docker() {
    return repoRoot().resolve("docker");
  }

  static JsonNode yaml(Path file) {
    List<JsonNode> docs = yamlDocuments(file);
    assertThat(docs).as(file + " holds one YAML document").hasSize(1);
    return docs.get(0);
  }

  /** Every document of a (possibly multi-document) YAML file, empty ones left out. */
  static List<JsonNode> yamlDocuments(Path file) {
    List<JsonNode> out = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).readValues(Files.readAllBytes(file))) {
      while (it.hasNext()) {
        JsonNode n = (JsonNode) it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          out.add(n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": not readable YAML", e);
    }
    return out;
  }

  static List<Path> yamlFilesIn(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Loads a configuration with the server's loader, failing with every problem it names (an unknown
   * key or variable, an invalid value) and with what was being loaded.
   */
  static ConfigLoader.Loaded load(String what, Path file, Map<String, String> env) {
    try {
      return ConfigLoader.load(file, env);
    } catch (ConfigException e) {
      throw new AssertionError(what + " is no valid Lading configuration:\n" + e.getMessage(), e);
    }
  }

  /** The effective raw value of a key path, if this build knows the key. */
  static Optional<String> setting(ConfigLoader.Loaded loaded, String path) {
    return loaded.settings().stream()
        .filter(s -> s.key().path().equals(path))
        .map(ConfigLoader.Setting::raw)
        .findFirst();
  }

  // ---- the Dockerfile ----------------------------------------------------------------------

  /** One instruction: its keyword in upper case, its arguments, its first line. */
  record Instruction(String keyword, String args, int line) {}

  /** One build stage: its base image (ARGs resolved), its name, its instructions. */
  record Stage(String from, Optional<String> name, List<Instruction> instructions) {
    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Optional<Instruction> last(String keyword) {
      List<Instruction> all = all(keyword);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }
  }

  private static final Pattern FROM =
      Pattern.compile("(?i)(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+AS\\s+(\\S+))?");
  private static final Pattern ARG_REF = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)");

  /** The Dockerfile's stages in order, comments dropped and continued lines joined. */
  static List<Stage> dockerfileStages() {
    List<String> lines;
    try {
      lines = Files.readAllLines(docker().resolve("Dockerfile"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Instruction> instructions = new ArrayList<>();
    StringBuilder current = null;
    int start = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (current == null && trimmed.isEmpty())) {
        continue;
      }
      if (current == null) {
        current = new StringBuilder();
        start = i + 1;
      }
      boolean continues = trimmed.endsWith("\\");
      current.append(continues ? trimmed.substring(0, trimmed.length() - 1) : trimmed).append(' ');
      if (!continues) {
        String text = current.toString().strip();
        int space = text.indexOf(' ');
        instructions.add(
            new Instruction(
                text.substring(0, space < 0 ? text.length() : space).toUpperCase(Locale.ROOT),
                space < 0 ? "" : text.substring(space + 1).strip(),
                start));
        current = null;
      }
    }
    Map<String, String> globalArgs = new LinkedHashMap<>();
    List<Stage> stages = new ArrayList<>();
    List<Instruction> body = null;
    String from = null;
    Optional<String> name = Optional.empty();
    for (Instruction in : instructions) {
      if (in.keyword().equals("FROM")) {
        if (body != null) {
          stages.add(new Stage(from, name, body));
        }
        Matcher m = FROM.matcher(in.args());
        assertThat(m.matches()).as("FROM at line " + in.line()).isTrue();
        from = resolveArgs(m.group(1), globalArgs);
        name = Optional.ofNullable(m.group(2));
        body = new ArrayList<>();
      } else if (body == null) {
        assertThat(in.keyword())
            .as("only ARG may precede the first FROM (line " + in.line() + ")")
            .isEqualTo("ARG");
        String[] kv = in.args().split("=", 2);
        globalArgs.put(kv[0], kv.length == 2 ? kv[1] : "");
      } else {
        body.add(in);
      }
    }
    if (body != null) {
      stages.add(new Stage(from, name, body));
    }
    return stages;
  }

  private static String resolveArgs(String text, Map<String, String> args) {
    Matcher m = ARG_REF.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String arg = m.group(1) != null ? m.group(1) : m.group(2);
      assertThat(args).as("ARG " + arg + " has a default before the first FROM").containsKey(arg);
      m.appendReplacement(out, Matcher.quoteReplacement(args.get(arg)));
    }
    m.appendTail(out);
    return out.toString();
  }

  static Stage finalStage() {
    List<Stage> stages = dockerfileStages();
    return stages.get(stages.size() - 1);
  }

  /**
   * Words of a shell-form argument list, double or single quotes grouping (what ENV, COPY and USER
   * take); JSON-form lists are read with {@link #jsonArgs}.
   */
  static List<String> words(String args) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    char quote = 0;
    boolean inWord = false;
    for (char c : args.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          w.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          out.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
      } else {
        w.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      out.add(w.toString());
    }
    return out;
  }

  static List<String> jsonArgs(Instruction in) {
    try {
      List<String> out = new ArrayList<>();
      JSON.readTree(in.args()).forEach(n -> out.add(n.asText()));
      return out;
    } catch (IOException e) {
      throw new AssertionError(
          in.keyword() + " at line " + in.line() + " is not in JSON (exec) form", e);
    }
  }

  /** The final stage's environment ({@code ENV K=V ...}), as the image's processes see it. */
  static Map<String, String> imageEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Instruction in : finalStage().all("ENV")) {
      for (String word : words(in.args())) {
        String[] kv = word.split("=", 2);
        assertThat(kv).as("ENV at line " + in.line() + " uses the KEY=VALUE form").hasSize(2);
        env.put(kv[0], kv[1]);
      }
    }
    return env;
  }

  /** The numeric user the image runs as ({@code USER uid[:gid]}). */
  static int imageUid() {
    Instruction user =
        finalStage()
            .last("USER")
            .orElseThrow(() -> new AssertionError("the final stage sets no USER"));
    String uid = user.args().split(":", 2)[0];
    assertThat(uid)
        .as("USER is numeric, so Kubernetes' runAsNonRoot can check it")
        .matches("[0-9]+");
    return Integer.parseInt(uid);
  }
}
