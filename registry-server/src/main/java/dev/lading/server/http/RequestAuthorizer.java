package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.RepositoryName;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.SocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The seam for access control: called after routing, on the request's virtual thread, BEFORE any
 * body byte is read. {@link #allowAll()} is {@code auth.mode: none}; token auth lives in {@code
 * dev.lading.server.auth}.
 */
@FunctionalInterface
public interface RequestAuthorizer {

  /**
   * What a request needs: {@code registry:catalog:*} and {@code registry:gc:delete} (the admin GC
   * endpoint) have no repository.
   */
  enum Action {
    PULL,
    PUSH,
    DELETE,
    CATALOG,
    GC
  }

  /**
   * @param header the request's headers by case-insensitive name (e.g. {@code Authorization}),
   *     {@code null} when absent
   * @param mountSource the {@code from} of a cross-repository mount: not required for the request
   *     to proceed (without pull on it the mount becomes a plain upload), but named in the
   *     challenge so a client asks for it
   * @param forwarded the client and the origin it used (a challenge's default realm is on it)
   */
  record AccessRequest(
      String method,
      Optional<RepositoryName> repository,
      Set<Action> actions,
      Function<String, String> header,
      SocketAddress remote,
      Optional<RepositoryName> mountSource,
      ForwardedRequest forwarded) {
    public AccessRequest {
      actions = Set.copyOf(actions);
      Objects.requireNonNull(mountSource, "mountSource");
      Objects.requireNonNull(forwarded, "forwarded");
    }

    public AccessRequest(
        String method,
        Optional<RepositoryName> repository,
        Set<Action> actions,
        Function<String, String> header,
        SocketAddress remote) {
      this(method, repository, actions, header, remote, Optional.empty(), direct(remote, header));
    }
  }

  /**
   * Who an allowed request acts for, as handlers need it after the check: the audit log's "who",
   * whether a mount source may be read, and which repositories the catalog may list.
   */
  interface Caller {
    /** The principal's name, {@code -} when auth is off. */
    String name();

    /** {@code user}, {@code robot}, {@code anonymous}, or {@code none} when auth is off. */
    String kind();

    /** Whether this caller may pull {@code repository} (mount sources, catalog entries). */
    boolean mayPull(RepositoryName repository);

    /** True when auth is off: a mount without {@code from} may then link from anywhere. */
    boolean unrestricted();

    /**
     * Where a mount without {@code from} may look under auth: the repositories this caller's
     * credentials name with pull (a token's {@code access} entries), in the token's order, at most
     * {@code max}. Not the repositories a path-pattern rule ({@code ml/**}) covers: those are not
     * listed (that would walk the catalog per request); a client mounts from one of them by naming
     * it in {@code from}, or by asking the token for it (Docker asks pull on the source it wants).
     * Empty when auth is off ({@link #unrestricted()} covers that case).
     */
    default List<RepositoryName> mountCandidates(int max) {
      return List.of();
    }

    Caller UNRESTRICTED =
        new Caller() {
          @Override
          public String name() {
            return "-";
          }

          @Override
          public String kind() {
            return "none";
          }

          @Override
          public boolean mayPull(RepositoryName repository) {
            return true;
          }

          @Override
          public boolean unrestricted() {
            return true;
          }
        };
  }

  /**
   * Allowed (for a caller), or refused with the error, which carries its headers (a {@code
   * WWW-Authenticate} challenge).
   */
  sealed interface Decision {
    record Allowed(Caller caller) implements Decision {
      public Allowed {
        Objects.requireNonNull(caller, "caller");
      }
    }

    /**
     * {@code who} and {@code kind} name the refused caller for the audit log ({@code -} when
     * unknown).
     */
    record Refused(RegistryException error, String who, String kind) implements Decision {
      public Refused {
        Objects.requireNonNull(error, "error");
        if (error.code() != ErrorCode.UNAUTHORIZED && error.code() != ErrorCode.DENIED) {
          throw new IllegalArgumentException(
              "refuse with UNAUTHORIZED or DENIED, not " + error.code());
        }
      }

      public Refused(RegistryException error) {
        this(error, "-", "-");
      }
    }

    Decision ALLOWED = new Allowed(Caller.UNRESTRICTED);
  }

  Decision authorize(AccessRequest request);

  /** A request taken as it reached this plain-HTTP listener, for callers that have no exchange. */
  private static ForwardedRequest direct(SocketAddress remote, Function<String, String> header) {
    HttpHeaders headers = new DefaultHttpHeaders();
    String host = header.apply("Host");
    if (host != null) {
      headers.add("Host", host);
    }
    return ForwardedHeaders.NONE.resolve(remote, false, headers);
  }

  static RequestAuthorizer allowAll() {
    return request -> Decision.ALLOWED;
  }
}
