package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessGrantTest {
  static final AccessGrant PULL_ML_A =
      new AccessGrant(
          "ml-builder",
          Principal.Kind.ROBOT,
          List.of(Scope.parse("repository:ml/a:pull")),
          Instant.parse("2030-01-01T00:00:00Z"),
          "t1");

  @Test
  void retainKeepsOnlyActionsThePresentedTokenHolds() {
    assertThat(PULL_ML_A.retain(List.of(Scope.parse("repository:ml/a:pull,push,delete"))))
        .containsExactly(Scope.parse("repository:ml/a:pull"));
  }

  @Test
  void retainDropsOtherRepositoriesAndTheCatalog() {
    assertThat(
            PULL_ML_A.retain(
                List.of(
                    Scope.parse("repository:ml/b:pull"),
                    Scope.parse("repository:ml/a/x:pull"),
                    Scope.catalog())))
        .isEmpty();
  }

  @Test
  void retainOfAGrantWithTheCatalogKeepsTheCatalog() {
    AccessGrant withCatalog =
        new AccessGrant(
            "reader",
            Principal.Kind.USER,
            List.of(Scope.catalog()),
            Instant.parse("2030-01-01T00:00:00Z"),
            "t2");
    assertThat(withCatalog.retain(List.of(Scope.catalog(), Scope.parse("repository:ml/a:pull"))))
        .containsExactly(Scope.catalog());
  }

  @Test
  void retainNeverTurnsATokenWithoutGcIntoOneWithIt() {
    assertThat(PULL_ML_A.retain(List.of(Scope.gc()))).isEmpty();
    AccessGrant admin =
        new AccessGrant(
            "admin",
            Principal.Kind.USER,
            List.of(Scope.gc()),
            Instant.parse("2030-01-01T00:00:00Z"),
            "t3");
    assertThat(admin.retain(List.of(Scope.gc()))).containsExactly(Scope.gc());
  }
}
