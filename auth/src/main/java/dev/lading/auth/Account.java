package dev.lading.auth;

import java.util.Objects;

/**
 * A user or robot that can log in: its name, its kind and the bcrypt hash of its secret. The hash
 * is not the secret, but it is still kept out of every log and printed configuration (an offline
 * guess against it is the attack bcrypt only slows down).
 */
public record Account(Principal principal, BcryptHash secretHash) {
  public Account {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(secretHash, "secretHash");
    if (principal.anonymous()) {
      throw new IllegalArgumentException("anonymous has no account");
    }
  }

  public static Account user(String name, BcryptHash hash) {
    return new Account(new Principal(name, Principal.Kind.USER), hash);
  }

  public static Account robot(String name, BcryptHash hash) {
    return new Account(new Principal(name, Principal.Kind.ROBOT), hash);
  }

  public String name() {
    return principal.name();
  }

  @Override
  public String toString() {
    return "Account[" + principal.name() + ", " + principal.kind().wire() + "]";
  }
}
