package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.RepositoryName;
import dev.lading.events.Events;
import io.netty.handler.codec.http.HttpMethod;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Routes a request (on the event loop: cheap, no I/O), then runs the access check and the
 * resource's handler on a virtual thread. Read-only mode refuses writes here, before any handler or
 * body byte is involved.
 */
public final class RequestDispatcher {
  private final Map<Routes.Resource, ResourceHandler> handlers;
  private final Events events;
  private final Map<String, ResourceHandler> plainRoutes;
  private final Map<String, ResourceHandler> adminRoutes;
  private final RequestMetrics metrics;
  private final RequestAuthorizer authorizer;
  private final boolean readOnly;
  private final Executor executor;

  public RequestDispatcher(
      Map<Routes.Resource, ResourceHandler> handlers,
      RequestAuthorizer authorizer,
      boolean readOnly,
      Executor executor) {
    this(handlers, Map.of(), authorizer, readOnly, executor);
  }

  /**
   * @param plainRoutes handlers for exact paths outside {@code /v2/} (the token endpoint and JWKS):
   *     they run without the authorizer, since they are how a client gets authorized
   */
  public RequestDispatcher(
      Map<Routes.Resource, ResourceHandler> handlers,
      Map<String, ResourceHandler> plainRoutes,
      RequestAuthorizer authorizer,
      boolean readOnly,
      Executor executor) {
    this(
        handlers,
        plainRoutes,
        Map.of(),
        RequestMetrics.NONE,
        authorizer,
        readOnly,
        executor,
        Events.off());
  }

  /**
   * @param adminRoutes handlers for exact {@code /admin/} paths, and for every path under one that
   *     ends with {@code /} ({@code /admin/events/} takes {@code /admin/events/deploys/replay}):
   *     they need the GC permission ({@link RequestAuthorizer.Action#GC}, {@code
   *     registry:gc:delete}), and their writes are refused in read-only mode like the API's
   * @param metrics told about every finished request (see {@link #finished})
   * @param events told what each successful request did (see {@link EventHook})
   */
  public RequestDispatcher(
      Map<Routes.Resource, ResourceHandler> handlers,
      Map<String, ResourceHandler> plainRoutes,
      Map<String, ResourceHandler> adminRoutes,
      RequestMetrics metrics,
      RequestAuthorizer authorizer,
      boolean readOnly,
      Executor executor,
      Events events) {
    this.events = events;
    this.plainRoutes = Map.copyOf(plainRoutes);
    this.adminRoutes = Map.copyOf(adminRoutes);
    this.metrics = metrics;
    this.handlers = new EnumMap<>(handlers);
    for (Routes.Resource r : Routes.Resource.values()) {
      if (!this.handlers.containsKey(r)) {
        throw new IllegalArgumentException("no handler for " + r);
      }
    }
    this.authorizer = authorizer;
    this.readOnly = readOnly;
    this.executor = executor;
  }

  void dispatch(Exchange exchange) {
    ResourceHandler plain = plainRoutes.get(exchange.rawPath());
    if (plain != null) {
      executor.execute(() -> runPlain(exchange, plain));
      return;
    }
    String adminRoute = adminRoute(exchange.rawPath());
    if (adminRoute != null) {
      ResourceHandler admin = adminRoutes.get(adminRoute);
      if (readOnly
          && !HttpMethod.GET.equals(exchange.method())
          && !HttpMethod.HEAD.equals(exchange.method())) {
        exchange.fail(readOnly());
        return;
      }
      executor.execute(() -> runAdmin(exchange, admin));
      return;
    }
    Routes.Match match;
    try {
      match = Routes.match(exchange.method(), exchange.rawPath());
      if (readOnly && match.writes()) {
        throw readOnly();
      }
    } catch (RegistryException e) {
      exchange.fail(e);
      return;
    }
    exchange.route(match);
    if (RouteLabels.isUpload(match)) {
      metrics.uploadStarted(); // ended in finished(), which every routed exchange reaches
    }
    executor.execute(() -> run(exchange, match));
  }

  private void runPlain(Exchange exchange, ResourceHandler handler) {
    try {
      handler.handle(exchange);
      if (!exchange.responded()) {
        throw new IllegalStateException(exchange.rawPath() + " handler sent no response");
      }
    } catch (Throwable t) {
      exchange.fail(t);
    }
  }

  private void runAdmin(Exchange exchange, ResourceHandler handler) {
    try {
      Set<RequestAuthorizer.Action> actions = Set.of(RequestAuthorizer.Action.GC);
      RequestAuthorizer.Decision decision =
          authorizer.authorize(
              new RequestAuthorizer.AccessRequest(
                  exchange.method().name(),
                  Optional.empty(),
                  actions,
                  exchange::header,
                  exchange.remote(),
                  Optional.empty(),
                  exchange.forwarded()));
      if (decision instanceof RequestAuthorizer.Decision.Refused refused) {
        exchange.fail(refused.error());
        AuditLog.refused(exchange, refused.who(), refused.kind(), actions.toString());
        return;
      }
      exchange.caller(((RequestAuthorizer.Decision.Allowed) decision).caller());
      handler.handle(exchange);
      if (!exchange.responded()) {
        throw new IllegalStateException(exchange.rawPath() + " handler sent no response");
      }
      AuditLog.admin(exchange);
    } catch (Throwable t) {
      exchange.fail(t);
    }
  }

  /**
   * Called once per request when its response is written or its connection failed, on the event
   * loop: the one place requests are counted and timed. Labels use the route, never the path.
   */
  void finished(Exchange exchange, boolean success) {
    Routes.Match match = exchange.match();
    metrics.finished(
        routeLabel(exchange),
        RouteLabels.method(exchange.method()),
        success ? exchange.status() : 0,
        exchange.elapsedNanos());
    if (match != null
        && (match.resource() == Routes.Resource.UPLOAD
            || match.resource() == Routes.Resource.UPLOADS)
        && exchange.bytesReceived() > 0) {
      metrics.uploadBytes(exchange.bytesReceived());
    }
    if (match != null && RouteLabels.isUpload(match)) {
      metrics.uploadFinished();
    }
  }

  /**
   * The route a request took as metrics and logs name it: an API route's template, a plain or admin
   * route's path (a fixed set), else {@link RouteLabels#UNMATCHED}.
   */
  String routeLabel(Exchange exchange) {
    Routes.Match match = exchange.match();
    if (match != null) {
      return RouteLabels.of(match.resource());
    } else if (plainRoutes.containsKey(exchange.rawPath())) {
      return exchange.rawPath();
    }
    String admin = adminRoute(exchange.rawPath());
    if (admin != null) {
      // Under a route ending with /: one label for all its paths (the rest names things).
      return admin.endsWith("/") ? admin + "*" : admin;
    }
    return RouteLabels.UNMATCHED;
  }

  /** The admin route {@code rawPath} is, or is under (a route ending with /); null when none. */
  private String adminRoute(String rawPath) {
    if (adminRoutes.containsKey(rawPath)) {
      return rawPath;
    }
    for (String route : adminRoutes.keySet()) {
      if (route.endsWith("/") && rawPath.startsWith(route)) {
        return route;
      }
    }
    return null;
  }

  private void run(Exchange exchange, Routes.Match match) {
    try {
      Set<RequestAuthorizer.Action> actions = actions(match);
      // A signed blob URL carries its own authorization (checked by its handler): it is what a
      // client that drops Authorization after a redirect (ollama pull) is sent to.
      RequestAuthorizer.Decision decision =
          match.resource() == Routes.Resource.SIGNED_BLOB
              ? new RequestAuthorizer.Decision.Allowed(SignedBlobUrls.CALLER)
              : authorizer.authorize(
                  new RequestAuthorizer.AccessRequest(
                      match.method().name(),
                      match.repository(),
                      actions,
                      exchange::header,
                      exchange.remote(),
                      mountSource(exchange, match),
                      exchange.forwarded()));
      if (decision instanceof RequestAuthorizer.Decision.Refused refused) {
        exchange.beforeResponse(
            () -> AuditLog.refused(exchange, refused.who(), refused.kind(), actions.toString()));
        exchange.fail(refused.error());
        return;
      }
      exchange.caller(((RequestAuthorizer.Decision.Allowed) decision).caller());
      // Audited as the answer leaves (whatever it is, failures included), exactly once.
      exchange.beforeResponse(
          () -> {
            AuditLog.afterHandler(exchange);
            EventHook.afterHandler(exchange, events);
          });
      handlers.get(match.resource()).handle(exchange);
      if (!exchange.responded()) {
        throw new IllegalStateException(match.resource() + " handler sent no response");
      }
    } catch (Throwable t) {
      exchange.fail(t);
    }
  }

  /** A write refused because the registry serves reads only ({@code read_only}). */
  private static RegistryException readOnly() {
    return ErrorCode.UNSUPPORTED.exception("the registry is read-only");
  }

  /**
   * The {@code from} of a mount request, when it is a valid name (an invalid one mounts nothing).
   */
  private static Optional<RepositoryName> mountSource(Exchange exchange, Routes.Match match) {
    if (match.resource() != Routes.Resource.UPLOADS || exchange.query("mount").isEmpty()) {
      return Optional.empty();
    }
    return exchange.query("from").filter(RepositoryName::isValid).map(RepositoryName::parse);
  }

  static Set<RequestAuthorizer.Action> actions(Routes.Match match) {
    HttpMethod m = match.method();
    return switch (match.resource()) {
      case BASE -> Set.of();
      case CATALOG -> Set.of(RequestAuthorizer.Action.CATALOG);
      default -> {
        if (HttpMethod.DELETE.equals(m)) {
          yield Set.of(RequestAuthorizer.Action.DELETE);
        }
        yield match.writes()
                || HttpMethod.GET.equals(m) && match.resource() == Routes.Resource.UPLOAD
            ? Set.of(RequestAuthorizer.Action.PULL, RequestAuthorizer.Action.PUSH)
            : Set.of(RequestAuthorizer.Action.PULL);
      }
    };
  }
}
