package dev.lading.server.http;

import io.netty.handler.codec.http.HttpMethod;

import dev.lading.core.model.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail on its own logger, {@code lading.audit}: one line per push (blob commit,
 * mount, manifest put), tag move, delete and refused request, as {@code key=value} pairs so a
 * log shipper can parse it. Who (principal and kind), from where, what (action, repository,
 * digest, tag) and the outcome (HTTP status). {@code remote} is the TCP peer, {@code client}
 * the client's address as the server trusts it (the peer, or what a trusted proxy forwarded). Never a header, token, secret or body; every
 * value is escaped like the access log so a name cannot forge a line.
 */
final class AuditLog {
  private static final Logger log = LoggerFactory.getLogger("lading.audit");

  private AuditLog() {}

  /**
   * As a handler's answer is about to leave (status and digest known, nothing sent yet): audits
   * the request when it is one of the audited kinds. Writing before the response means a client
   * never sees a push acknowledged that the trail does not hold.
   */
  static void afterHandler(Exchange exchange) {
    Routes.Match m = exchange.match();
    if (m == null || !log.isInfoEnabled()) {
      return;
    }
    String method = m.method().name();
    String action = switch (m.resource()) {
      case UPLOADS -> exchange.query("mount").filter(s -> !s.isEmpty()).isPresent() && exchange.status() == 201
          ? "mount" : exchange.query("digest").isPresent() ? "push-blob" : null;
      case UPLOAD -> method.equals("PUT") ? "push-blob" : null;
      case MANIFEST -> switch (method) {
        case "PUT" -> "push-manifest";
        case "DELETE" -> isDigest(exchange.param()) ? "delete-manifest" : "delete-tag";
        default -> null;
      };
      case BLOB -> method.equals("DELETE") ? "delete-blob" : null;
      default -> null;
    };
    if (action == null) {
      return;
    }
    String digest = exchange.auditDigest();
    if (digest == null && isDigest(exchange.param())) {
      digest = exchange.param();
    }
    String tag = m.resource() == Routes.Resource.MANIFEST && !isDigest(exchange.param()) ? exchange.param() : null;
    line(exchange, action, digest, tag, null);
    String previous = exchange.auditReplacedDigest();
    if (action.equals("push-manifest") && exchange.status() == 201 && tag != null && previous != null
        && !previous.equals(digest)) {
      line(exchange, "tag-move", digest, tag, previous);
    }
  }

  /** An admin request (GC trigger) that was allowed and answered. */
  static void admin(Exchange exchange) {
    if (!log.isInfoEnabled() || HttpMethod.GET.equals(exchange.method())) {
      return;
    }
    RequestAuthorizer.Caller caller = exchange.caller();
    log.info("action=gc outcome={} who={} kind={} remote={} client={} dry_run={}", exchange.status(),
        AccessLog.printable(caller.name()), caller.kind(), exchange.remote(), client(exchange),
        AccessLog.printable(exchange.query("dry_run").orElse("false")));
  }

  /** A request the authorizer refused. */
  static void refused(Exchange exchange, String who, String kind, String needed) {
    if (!log.isInfoEnabled()) {
      return;
    }
    log.info("action=denied outcome={} who={} kind={} remote={} client={} method={} repository={} needed={}",
        exchange.status(), AccessLog.printable(who), kind, exchange.remote(), client(exchange),
        exchange.method().name(),
        exchange.match() == null ? "-" : exchange.match().repository().map(Object::toString).orElse("-"),
        needed);
  }

  private static void line(Exchange exchange, String action, String digest, String tag, String previous) {
    RequestAuthorizer.Caller caller = exchange.caller();
    log.info("action={} outcome={} who={} kind={} remote={} client={} repository={} digest={} tag={}{}",
        action, exchange.status(), AccessLog.printable(caller.name()), caller.kind(), exchange.remote(),
        client(exchange),
        exchange.match().repository().map(Object::toString).orElse("-"),
        digest == null ? "-" : AccessLog.printable(digest),
        tag == null ? "-" : AccessLog.printable(tag),
        previous == null ? "" : " previous=" + AccessLog.printable(previous));
  }

  private static String client(Exchange exchange) {
    return exchange.forwarded().client().getHostAddress();
  }

  private static boolean isDigest(String param) {
    try {
      return Reference.parse(param) instanceof dev.lading.core.model.Digest;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
