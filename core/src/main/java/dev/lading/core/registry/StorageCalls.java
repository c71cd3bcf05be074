package dev.lading.core.registry;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Turns a store failure into the spec's terms without leaking keys or paths to the client. */
final class StorageCalls {
  private StorageCalls() {}

  interface IoSupplier<T> {
    T get() throws IOException;
  }

  interface IoRunnable {
    void run() throws IOException;
  }

  static <T> T io(IoSupplier<T> call) {
    try {
      return call.get();
    } catch (IOException | UncheckedIOException e) {
      throw unavailable(e);
    }
  }

  static void run(IoRunnable call) {
    try {
      call.run();
    } catch (IOException | UncheckedIOException e) {
      throw unavailable(e);
    }
  }

  static RegistryException unavailable(Exception cause) {
    return ErrorCode.STORAGE_UNAVAILABLE.exception().withCause(cause);
  }
}
