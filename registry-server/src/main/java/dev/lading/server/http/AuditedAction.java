package dev.lading.server.http;

import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import java.util.Optional;

/**
 * What a request did to the registry, as the audit log and events name it: the action ({@code
 * push-blob}, {@code mount}, {@code push-manifest}, {@code delete-manifest}, {@code delete-tag},
 * {@code delete-blob}), the digest, the tag, and the digest the tag named before ({@code
 * previous}). Read from the exchange as its answer is about to leave.
 */
record AuditedAction(String action, int status, String digest, String tag, String previous) {

  /** The action of {@code exchange}, when it is one of the audited kinds. */
  static Optional<AuditedAction> of(Exchange exchange) {
    Routes.Match m = exchange.match();
    if (m == null) {
      return Optional.empty();
    }
    String method = m.method().name();
    String action =
        switch (m.resource()) {
          case UPLOADS ->
              exchange.query("mount").filter(s -> !s.isEmpty()).isPresent()
                      && exchange.status() == 201
                  ? "mount"
                  : exchange.query("digest").isPresent() ? "push-blob" : null;
          case UPLOAD -> method.equals("PUT") ? "push-blob" : null;
          case MANIFEST ->
              switch (method) {
                case "PUT" -> "push-manifest";
                case "DELETE" -> isDigest(exchange.param()) ? "delete-manifest" : "delete-tag";
                default -> null;
              };
          case BLOB -> method.equals("DELETE") ? "delete-blob" : null;
          default -> null;
        };
    if (action == null) {
      return Optional.empty();
    }
    String digest = exchange.auditDigest();
    if (digest == null && isDigest(exchange.param())) {
      digest = exchange.param();
    }
    String tag =
        m.resource() == Routes.Resource.MANIFEST && !isDigest(exchange.param())
            ? exchange.param()
            : null;
    return Optional.of(
        new AuditedAction(action, exchange.status(), digest, tag, exchange.auditReplacedDigest()));
  }

  /** A successful push that pointed an existing tag at another manifest. */
  boolean movedTag() {
    return action.equals("push-manifest")
        && status == 201
        && tag != null
        && previous != null
        && !previous.equals(digest);
  }

  static boolean isDigest(String param) {
    try {
      return Reference.parse(param) instanceof Digest;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
