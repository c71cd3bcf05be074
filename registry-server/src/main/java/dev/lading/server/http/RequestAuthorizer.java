package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.RepositoryName;
import java.net.SocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The seam for access control (token auth arrives later): called after routing, on the
 * request's virtual thread, BEFORE any body byte is read. The default allows everything.
 */
@FunctionalInterface
public interface RequestAuthorizer {

  /** What a request needs: {@code registry:catalog:*} has no repository. */
  enum Action { PULL, PUSH, DELETE, CATALOG }

  /**
   * @param header the request's headers by case-insensitive name (e.g. {@code Authorization}),
   *     {@code null} when absent
   */
  record AccessRequest(
      String method,
      Optional<RepositoryName> repository,
      Set<Action> actions,
      Function<String, String> header,
      SocketAddress remote) {
    public AccessRequest {
      actions = Set.copyOf(actions);
    }
  }

  /** Allowed, or refused with the error and the headers (a {@code WWW-Authenticate} challenge). */
  sealed interface Decision {
    record Allowed() implements Decision {}

    record Refused(RegistryException error, Map<String, String> headers) implements Decision {
      public Refused {
        Objects.requireNonNull(error, "error");
        if (error.code() != ErrorCode.UNAUTHORIZED && error.code() != ErrorCode.DENIED) {
          throw new IllegalArgumentException("refuse with UNAUTHORIZED or DENIED, not " + error.code());
        }
        headers = Map.copyOf(headers);
      }
    }

    Decision ALLOWED = new Allowed();
  }

  Decision authorize(AccessRequest request);

  static RequestAuthorizer allowAll() {
    return request -> Decision.ALLOWED;
  }
}
