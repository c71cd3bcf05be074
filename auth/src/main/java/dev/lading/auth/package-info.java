/**
 * Docker registry token authentication, free of HTTP: the server asks this package "who is this?"
 * ({@link dev.lading.auth.Authenticator}), "what may they have?" ({@link
 * dev.lading.auth.AccessRules}), "sign it" ({@link dev.lading.auth.TokenIssuer}) and "what does
 * this token allow?" ({@link dev.lading.auth.TokenVerifier}), and renders the answers itself.
 *
 * <p>Why this shape. Tokens are the Docker token protocol's JWTs, so docker, podman, skopeo, ORAS
 * and kubelet work unchanged, and an external issuer can replace the built-in one by configuration
 * alone. The registry never trusts anything but the signature: a token's {@code access} claim is
 * the intersection of what the client asked and what the rules allow, computed when it is issued,
 * so escalation from pull to push, or out of a path, would need a forged signature. The verifier is
 * pinned to one asymmetric algorithm (no {@code none}, no HMAC confusion). Rules only grant (no
 * deny rules), so what a principal can do is the union of the rules naming it, readable straight
 * off the configuration.
 *
 * <p>Secrets: bcrypt hashes for users and robots (robot secrets are generated and shown once),
 * bcrypt's constant-time compare, a dummy verification for unknown names, and a back-off on failed
 * logins per (account, client address) plus a coarser limit per address across accounts ({@link
 * dev.lading.auth.LoginLimiter}), so nobody can lock an account out from elsewhere. Nothing in this
 * package logs.
 *
 * <p>Signing keys and where they live. The built-in issuer signs with the current key of a {@link
 * dev.lading.auth.KeyRing} and verifies with the current and the previous one (both in the JWKS),
 * so {@code lading keys rotate} never breaks a token in flight; running servers re-read the set
 * periodically and at once when a token names a key id they do not know, so the instance that
 * reloaded first cannot sign tokens the others refuse. The set is stored in one of three places,
 * chosen in this order:
 *
 * <ol>
 *   <li>{@code auth.token.key_file}, when the operator sets one: a file or directory the operator
 *       manages outside the store (a Kubernetes Secret mounted into every instance, say), which
 *       Lading only reads ({@link dev.lading.auth.ExternalKeySet}). The private key never enters
 *       the store, and whoever can read the store or its backups (backup jobs, a read-only
 *       analytics role, a leaked bucket credential) still cannot mint tokens. The price: every
 *       instance needs the same file, and a rotation must reach all of them (the file is re-read by
 *       path, so an updated Secret is picked up without a restart). This is the production
 *       recommendation; the store is the default only so that a first start needs no setup, and the
 *       server says so in a warning at every start.
 *   <li>With the filesystem store: a file under its root, owner-only (0600), because the store's
 *       own objects are written with the process's default permissions. A key file found readable
 *       by its group or others stops the start.
 *   <li>With a shared store (S3): the object {@code auth/signing-keys.jwks} in the bucket, written
 *       through the storage SPI. Zero configuration, and every instance sharing the bucket agrees
 *       at once (the first to start creates the set with {@code writeIfAbsent}; a rotation is one
 *       atomic write). The price: the bucket now holds a private key, so bucket read access becomes
 *       token-minting power. That is acceptable where the bucket is already as protected as the
 *       registry (its writers can replace any image anyway), and a reason to set {@code key_file}
 *       where it is not. Objects have no file modes, so Lading cannot check who may read this one:
 *       the bucket's policy and its backups decide.
 * </ol>
 *
 * Rotating twice within a token's life drops the key it was signed with; refresh tokens live long
 * ({@code refresh_ttl_seconds}), so two rotations within that time make older docker logins log in
 * again.
 *
 * <p>Must not import Netty, the server, or any storage implementation; only {@code
 * dev.lading.core.model} from the core.
 */
package dev.lading.auth;
