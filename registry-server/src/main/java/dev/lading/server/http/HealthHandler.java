package dev.lading.server.http;

import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /healthz} and {@code GET /readyz}, for load balancers and Kubernetes probes. They need
 * no credentials and say nothing about the content.
 *
 * <p>Liveness answers 200 whenever a request thread can run: it never touches the store, so a slow
 * bucket does not get a healthy process restarted. Readiness answers 503 while the server drains
 * for shutdown (so the balancer stops sending it new work before connections close) and while the
 * store does not answer a one-key listing. The store's answer is reused for {@link #PROBE_TTL}: a
 * probe every second from many balancers stays one call per second.
 */
public final class HealthHandler implements ResourceHandler {
  public static final String LIVENESS_PATH = "/healthz";
  public static final String READINESS_PATH = "/readyz";
  static final Duration PROBE_TTL = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(HealthHandler.class);

  private final Registry registry;
  private final BooleanSupplier draining;
  private final Clock clock;
  private final ReentrantLock probeLock = new ReentrantLock();
  private Instant probedAt = Instant.MIN;
  private Optional<String> lastFailure = Optional.empty();

  private final StoreCheck storeCheck;

  /**
   * A check of the store beyond the registry's one-key listing, for stores whose listing cannot
   * tell "empty" from "gone": the filesystem store lists a missing directory as empty (it may not
   * have been created yet), so a vanished or unreadable root would look ready.
   */
  @FunctionalInterface
  public interface StoreCheck {
    StoreCheck NONE = () -> {};

    /** Returns when the store is usable; throws saying why not. */
    void check() throws IOException;
  }

  /** The filesystem store's root must be a directory this process can list. */
  public static StoreCheck directoryCheck(Path root) {
    return () -> {
      if (!Files.isDirectory(root)) {
        throw new IOException("the store's root " + root + " is not a directory");
      }
      try (Stream<Path> entries = Files.list(root)) {
        entries.findFirst();
      }
    };
  }

  public HealthHandler(Registry registry, BooleanSupplier draining, Clock clock) {
    this(registry, draining, clock, StoreCheck.NONE);
  }

  public HealthHandler(
      Registry registry, BooleanSupplier draining, Clock clock, StoreCheck storeCheck) {
    this.registry = registry;
    this.draining = draining;
    this.clock = clock;
    this.storeCheck = storeCheck;
  }

  /** Both paths, each to this handler. */
  public Map<String, ResourceHandler> routes() {
    return Map.of(LIVENESS_PATH, this, READINESS_PATH, this);
  }

  @Override
  public void handle(Exchange exchange) {
    HttpMethod method = exchange.method();
    if (!method.equals(HttpMethod.GET) && !exchange.isHead()) {
      throw Exchange.methodNotAllowed(method, "GET, HEAD");
    }
    if (exchange.rawPath().equals(LIVENESS_PATH)) {
      exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), Map.of("status", "ok"));
      return;
    }
    if (draining.getAsBoolean()) {
      exchange.respondJson(
          HttpResponseStatus.SERVICE_UNAVAILABLE, Exchange.headers(), Map.of("status", "draining"));
      return;
    }
    Optional<String> failure = probeStore();
    if (failure.isPresent()) {
      exchange.respondJson(
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          Exchange.headers(),
          Map.of("status", "storage unavailable"));
    } else {
      exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), Map.of("status", "ready"));
    }
  }

  /** Empty when the store answered within the last {@link #PROBE_TTL}, else why not. */
  private Optional<String> probeStore() {
    // One probe at a time: the others wait for its answer instead of adding store calls.
    probeLock.lock();
    try {
      Instant now = clock.instant();
      if (now.isBefore(probedAt.plus(PROBE_TTL))) {
        return lastFailure;
      }
      Optional<String> failure;
      try {
        storeCheck.check();
        registry.listRepositories(1, Optional.empty());
        failure = Optional.empty();
      } catch (IOException | RuntimeException e) {
        failure =
            Optional.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        if (lastFailure.isEmpty()) {
          log.warn("not ready: the store does not answer: {}", failure.get());
        }
      }
      if (failure.isEmpty() && lastFailure.isPresent()) {
        log.info("ready again: the store answers");
      }
      lastFailure = failure;
      probedAt = clock.instant();
      return failure;
    } finally {
      probeLock.unlock();
    }
  }
}
