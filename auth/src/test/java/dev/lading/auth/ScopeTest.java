package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.RepositoryName;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScopeTest {
  @Test
  void repositoryScopeParsesNameAndActions() {
    Scope s = Scope.parse("repository:ml/vllm:push,pull");
    assertThat(s.resource()).isEqualTo(new Scope.Repository(RepositoryName.parse("ml/vllm")));
    assertThat(s.actions()).containsExactlyInAnyOrder(Action.PULL, Action.PUSH);
    assertThat(s).hasToString("repository:ml/vllm:pull,push");
  }

  @Test
  void starOnRepositoryMeansEveryRepositoryAction() {
    assertThat(Scope.parse("repository:a/b:*").actions()).isEqualTo(Action.REPOSITORY_ACTIONS);
  }

  @Test
  void catalogScopeIsRegistryCatalogStar() {
    assertThat(Scope.parse("registry:catalog:*")).isEqualTo(Scope.catalog());
    assertThat(Scope.catalog()).hasToString("registry:catalog:*");
  }

  @Test
  void gcScopeIsRegistryGcDeleteOnly() {
    assertThat(Scope.parse("registry:gc:delete")).isEqualTo(Scope.gc());
    assertThat(Scope.gc()).hasToString("registry:gc:delete");
    assertThatThrownBy(() -> Scope.parse("registry:gc:pull"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Scope.parse("registry:gc:*"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Scope.parse("registry:other:delete"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resourceClassIsAcceptedAndCarriesNothing() {
    assertThat(Scope.parse("repository(plugin):a/b:pull"))
        .isEqualTo(Scope.parse("repository:a/b:pull"));
  }

  @Test
  void spaceSeparatedListSkipsEmptyEntries() {
    assertThat(Scope.parseAll(" repository:a:pull  registry:catalog:* ")).hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "repository",
        "repository:a",
        "repository:a:",
        "repository:A/b:pull",
        "repository:a/../b:pull",
        "repository:a:pull,",
        "repository:a:PULL",
        "repository:a:admin",
        "registry:other:*",
        "registry:catalog:pull",
        "blob:a:pull",
        "repository(x:a:pull",
        "repository:a/:pull"
      })
  void malformedScopesAreRefused(String wire) {
    assertThatThrownBy(() -> Scope.parse(wire)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void overlongScopeIsRefused() {
    assertThatThrownBy(() -> Scope.parse("repository:" + "a".repeat(600) + ":pull"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void storedRepositoryScopeCannotHoldStar() {
    assertThatThrownBy(() -> Scope.repository(RepositoryName.parse("a"), Set.of(Action.ALL)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
