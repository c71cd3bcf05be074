package dev.lading.server;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of the design, checked on the compiled classes: modules never import upward
 * (registry-server uses the others, auth, storage-s3, gc and events use core, core uses none), and
 * within each module no two packages depend on each other, directly or round a longer cycle. Lives
 * here because the server's test classpath holds every module's classes (bench, which nothing
 * imports, aside). Main classes only: tests and the test-jars are not held to it.
 */
class PackageDependenciesTest {
  private static final String[] MODULES = {
    "dev.lading.core",
    "dev.lading.auth",
    "dev.lading.storage.s3",
    "dev.lading.gc",
    "dev.lading.events",
    "dev.lading.server"
  };

  /**
   * Classes of src/test, and of the modules' test-jars (their contract suites share main's
   * packages).
   */
  private static final ImportOption MAIN_CLASSES_ONLY =
      location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");

  private static JavaClasses lading;

  @BeforeAll
  static void importClasses() {
    lading =
        new ClassFileImporter().withImportOption(MAIN_CLASSES_ONLY).importPackages("dev.lading");
  }

  @Test
  void theRulesSeeEveryModulesMainClassesAndNoTests() {
    assertThat(
            Stream.of(
                "dev.lading.core.storage.ObjectStore",
                "dev.lading.auth.TokenIssuer",
                "dev.lading.storage.s3.S3Store",
                "dev.lading.gc.GarbageCollector",
                "dev.lading.events.Events",
                "dev.lading.server.LadingServer"))
        .allMatch(lading::contain);
    assertThat(
            Stream.of(
                "dev.lading.core.storage.CrashingStore",
                "dev.lading.server.PackageDependenciesTest"))
        .noneMatch(lading::contain);
  }

  @Test
  void modulesNeverImportUpward() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("core")
        .definedBy("dev.lading.core..")
        .layer("auth")
        .definedBy("dev.lading.auth..")
        .layer("storage-s3")
        .definedBy("dev.lading.storage.s3..")
        .layer("gc")
        .definedBy("dev.lading.gc..")
        .layer("events")
        .definedBy("dev.lading.events..")
        .layer("registry-server")
        .definedBy("dev.lading.server..")
        .whereLayer("registry-server")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("auth")
        .mayOnlyBeAccessedByLayers("registry-server")
        .whereLayer("storage-s3")
        .mayOnlyBeAccessedByLayers("registry-server")
        .whereLayer("gc")
        .mayOnlyBeAccessedByLayers("registry-server")
        .whereLayer("events")
        .mayOnlyBeAccessedByLayers("registry-server")
        .whereLayer("core")
        .mayOnlyBeAccessedByLayers("auth", "storage-s3", "gc", "events", "registry-server")
        .check(lading);
  }

  @Test
  void noModuleHasACycleBetweenItsPackages() {
    for (String module : MODULES) {
      slices().assignedFrom(eachPackageUnder(module)).should().beFreeOfCycles().check(lading);
    }
  }

  /**
   * Every package under {@code root} (itself included) a slice of its own; classes elsewhere in
   * none.
   */
  private static SliceAssignment eachPackageUnder(String root) {
    return new SliceAssignment() {
      @Override
      public SliceIdentifier getIdentifierOf(JavaClass c) {
        String p = c.getPackageName();
        return p.equals(root) || p.startsWith(root + ".")
            ? SliceIdentifier.of(p)
            : SliceIdentifier.ignore();
      }

      @Override
      public String getDescription() {
        return "each package under " + root;
      }
    };
  }
}
