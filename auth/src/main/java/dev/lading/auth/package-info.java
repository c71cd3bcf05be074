/**
 * Docker registry token authentication, free of HTTP: the server asks this package "who is
 * this?" ({@link dev.lading.auth.Authenticator}), "what may they have?"
 * ({@link dev.lading.auth.AccessRules}), "sign it" ({@link dev.lading.auth.TokenIssuer}) and
 * "what does this token allow?" ({@link dev.lading.auth.TokenVerifier}), and renders the answers
 * itself.
 *
 * <p>Why this shape. Tokens are the Docker token protocol's JWTs, so docker, podman, skopeo,
 * ORAS and kubelet work unchanged, and an external issuer can replace the built-in one by
 * configuration alone. The registry never trusts anything but the signature: a token's
 * {@code access} claim is the intersection of what the client asked and what the rules allow,
 * computed when it is issued, so escalation from pull to push, or out of a path, would need a
 * forged signature. The verifier is pinned to one asymmetric algorithm (no {@code none}, no
 * HMAC confusion). Rules only grant (no deny rules), so what a principal can do is the union
 * of the rules naming it, readable straight off the configuration.
 *
 * <p>Secrets: bcrypt hashes for users and robots (robot secrets are generated and shown once),
 * bcrypt's constant-time compare, a dummy verification for unknown names, and a per-name and
 * per-address limit on failed logins. Nothing in this package logs.
 *
 * <p>Must not import Netty, the server, or any storage implementation; only
 * {@code dev.lading.core.model} from the core.
 */
package dev.lading.auth;
