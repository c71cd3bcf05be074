package dev.lading.server.admin;

import dev.lading.core.error.ErrorCode;
import dev.lading.events.EventQueues;
import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /admin/events}: per configured endpoint, the events waiting in the store for delivery
 * and those given up and kept for a replay (batches, events, the oldest and its age). {@code POST
 * /admin/events/<endpoint>/replay}: puts that endpoint's kept given-up events back in its queue,
 * where the deliverer sends them once more with their ids; answered with what was put back, and
 * audited with who asked. The dispatcher has checked the GC permission first, as for every admin
 * path, and refuses the replay in read-only mode.
 */
public final class EventsAdminHandler implements ResourceHandler {
  public static final String PATH = "/admin/events";

  /** The paths under {@link #PATH} (the dispatcher routes them here). */
  public static final String UNDER = PATH + "/";

  private static final Pattern REPLAY = Pattern.compile("/admin/events/([^/]+)/replay");

  private final EventQueues queues;
  private final Clock clock;

  public EventsAdminHandler(EventQueues queues, Clock clock) {
    this.queues = queues;
    this.clock = clock;
  }

  @Override
  public void handle(Exchange exchange) throws Exception {
    if (exchange.rawPath().equals(PATH)) {
      if (!HttpMethod.GET.equals(exchange.method()) && !HttpMethod.HEAD.equals(exchange.method())) {
        throw Exchange.methodNotAllowed(exchange.method(), "GET, HEAD");
      }
      exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), state());
      return;
    }
    Matcher replay = REPLAY.matcher(exchange.rawPath());
    if (!replay.matches()) {
      throw ErrorCode.NOT_FOUND.exception();
    }
    if (!HttpMethod.POST.equals(exchange.method())) {
      throw Exchange.methodNotAllowed(exchange.method(), "POST");
    }
    String name = replay.group(1);
    if (queues.endpoint(name).isEmpty()) {
      throw ErrorCode.NOT_FOUND.exception("no event endpoint named " + name + " is configured");
    }
    EventQueues.Replay done = queues.replay(name);
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("endpoint", done.endpoint());
    facts.put("batches", done.batches());
    facts.put("events", done.events());
    exchange.noteAdminAction("events-replay", facts);
    exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), facts);
  }

  private Map<String, Object> state() throws java.io.IOException {
    Instant now = clock.instant();
    List<Map<String, Object>> endpoints =
        queues.inspect().stream()
            .map(
                s -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("name", s.endpoint().name());
                  m.put("url", s.endpoint().urlWithoutQuery());
                  m.put("queued", summary(s.queued(), now));
                  m.put("failed", summary(s.failed(), now));
                  m.put("replay", UNDER + s.endpoint().name() + "/replay");
                  return m;
                })
            .toList();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("endpoints", endpoints);
    return out;
  }

  private static Map<String, Object> summary(EventQueues.Summary s, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("batches", s.batches());
    m.put("events", s.events());
    m.put("oldest", s.oldest().map(Instant::toString).orElse(null));
    m.put(
        "oldestAgeSeconds",
        s.oldest().map(o -> Math.max(0, Duration.between(o, now).toSeconds())).orElse(null));
    return m;
  }
}
