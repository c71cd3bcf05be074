package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.RepositoryName;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
  private static final Principal ROBOT = new Principal("ml-builder", Principal.Kind.ROBOT);
  private static final Principal READER = new Principal("reader", Principal.Kind.USER);

  private final AccessRules rules =
      new AccessRules(
          List.of(
              new AccessRule(
                  Set.of("ml-builder"),
                  List.of(RepositoryPattern.parse("ml/**")),
                  Set.of(Action.PULL, Action.PUSH)),
              new AccessRule(
                  Set.of("*"), List.of(RepositoryPattern.parse("**")), Set.of(Action.PULL)),
              new AccessRule(
                  Set.of("anonymous"),
                  List.of(RepositoryPattern.parse("*/public")),
                  Set.of(Action.PULL))));

  @Test
  void grantIsTheIntersectionOfAskedAndAllowed() {
    List<Scope> granted =
        rules.grant(
            ROBOT,
            List.of(
                Scope.parse("repository:ml/vllm:pull,push,delete"),
                Scope.parse("repository:other/app:pull,push")));
    assertThat(granted)
        .containsExactly(
            Scope.parse("repository:ml/vllm:pull,push"), Scope.parse("repository:other/app:pull"));
  }

  @Test
  void nothingAllowedMeansTheScopeIsDroppedNotAnError() {
    assertThat(rules.grant(READER, List.of(Scope.parse("repository:ml/vllm:push")))).isEmpty();
  }

  @Test
  void anyAccountNeverCoversAnonymous() {
    assertThat(rules.allowed(Principal.ANONYMOUS, RepositoryName.parse("ml/vllm"))).isEmpty();
    assertThat(rules.allowed(Principal.ANONYMOUS, RepositoryName.parse("team/public")))
        .containsExactly(Action.PULL);
  }

  @Test
  void catalogIsGrantedToEveryoneBecauseItsListingIsFiltered() {
    assertThat(rules.grant(Principal.ANONYMOUS, List.of(Scope.catalog())))
        .containsExactly(Scope.catalog());
  }

  @Test
  void repeatedScopesForOneRepositoryMerge() {
    assertThat(
            rules.grant(
                ROBOT,
                List.of(Scope.parse("repository:ml/a:pull"), Scope.parse("repository:ml/a:push"))))
        .containsExactly(Scope.parse("repository:ml/a:pull,push"));
  }

  @Test
  void gcIsGrantedOnlyToWhoMayDeleteInEveryRepository() {
    Principal admin = new Principal("admin", Principal.Kind.USER);
    Principal mlAdmin = new Principal("ml-admin", Principal.Kind.USER);
    AccessRules withAdmins =
        new AccessRules(
            List.of(
                new AccessRule(
                    Set.of("admin"), List.of(RepositoryPattern.parse("**")), Set.of(Action.ALL)),
                new AccessRule(
                    Set.of("ml-admin"),
                    List.of(RepositoryPattern.parse("ml/**")),
                    Set.of(Action.DELETE)),
                new AccessRule(
                    Set.of("*"), List.of(RepositoryPattern.parse("**")), Set.of(Action.PULL))));
    assertThat(withAdmins.grant(admin, List.of(Scope.gc()))).containsExactly(Scope.gc());
    assertThat(withAdmins.grant(mlAdmin, List.of(Scope.gc())))
        .as("delete under ml/** only")
        .isEmpty();
    assertThat(withAdmins.grant(READER, List.of(Scope.gc()))).isEmpty();
    assertThat(withAdmins.grant(Principal.ANONYMOUS, List.of(Scope.gc()))).isEmpty();
  }
}
