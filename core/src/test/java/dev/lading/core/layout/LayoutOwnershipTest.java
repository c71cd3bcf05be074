package dev.lading.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Over core's own sources: the layout stays the one owner of keys, and the packages below the
 * registry never depend on it (the storage SPI does not know the layout either).
 */
class LayoutOwnershipTest {
  private static final Path SOURCES = Path.of("src/main/java/dev/lading/core");
  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?(dev\\.lading\\.core\\.\\w+)", Pattern.MULTILINE);

  /** A string literal that starts a key or names a store's private area. */
  private static final Pattern KEY_LITERAL =
      Pattern.compile(
          "\"(?:repositories|blobs|data|catalog|gc|auth)/|\"/_|\"_(?:layers|manifests|tags|referrers|uploads)/|\"\\+(?:staging|multipart|tails)|\"lading-format");

  @Test
  void onlyTheRegistryAndWhatIsAboveItImportTheRegistry() {
    for (String below :
        List.of("model", "manifest", "layout", "storage", "error", "hash", "concurrent")) {
      assertThat(importers(below, "dev.lading.core.registry")).as(below).isEmpty();
    }
  }

  @Test
  void theStorageSpiDoesNotKnowTheLayout() {
    List<String> found = new ArrayList<>();
    for (Path file : sources(SOURCES.resolve("storage"))) {
      if (!file.getParent().endsWith("fs") && imports(file).contains("dev.lading.core.layout")) {
        found.add(file.toString());
      }
    }
    assertThat(found).isEmpty();
  }

  @Test
  void nothingOutsideTheLayoutSpellsAKey() {
    List<String> found = new ArrayList<>();
    for (Path file : sources(SOURCES)) {
      if (file.startsWith(SOURCES.resolve("layout"))) {
        continue;
      }
      Matcher m = KEY_LITERAL.matcher(code(file));
      while (m.find()) {
        found.add(file + ": " + m.group());
      }
    }
    assertThat(found).isEmpty();
  }

  private static List<String> importers(String pkg, String imported) {
    List<String> found = new ArrayList<>();
    for (Path file : sources(SOURCES.resolve(pkg))) {
      if (imports(file).contains(imported)) {
        found.add(file.toString());
      }
    }
    return found;
  }

  private static List<String> imports(Path file) {
    List<String> out = new ArrayList<>();
    Matcher m = IMPORT.matcher(code(file));
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The file without its comments, so documentation may name keys. */
  private static String code(Path file) {
    try {
      return Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("(?m)//.*$", "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> sources(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".java")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
